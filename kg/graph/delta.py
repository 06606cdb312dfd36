"""A build's graph written as changes to the published one: only what differs is deleted and added.

Most of a large graph is the papers' own blocks (:func:`kg.graph.triples.paper_own_triples` and
:func:`kg.graph.triples.extraction_triples`): a paper, its links with their evidence, its claims and
results. A block is written from the paper's record and from where entity identity put each of its
mentions, so a **signature** of those inputs says whether it would be written differently now. Every
other triple is **shared**: entity descriptions, relation statements, tallies, analytics. These are
written in full each build and compared line by line with the text the previous build wrote.

Each build leaves beside its database what the next one compares with:

- ``graph-state.sqlite``: the signature of each paper's block, the generation they describe and the
  fingerprint of the code and base IRI that wrote them;
- ``graph-shared.nq``: the shared triples, as N-Quads text.

A build takes the delta only when the published generation is the one this state describes (a SPARQL
update makes a generation without it) and the fingerprint is unchanged; otherwise it writes everything.
Block subjects (the paper and the nodes minted under it: evidence, claims, quantities, results) and
shared subjects never meet, so deleting one never deletes the other.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyoxigraph as ox

from kg import iri
from kg.errors import StoreError
from kg.graph.canon import EntityTable
from kg.graph.codec import content_hash
from kg.graph.triples import Link
from kg.model import Extraction
from kg.vocab import ABX

logger = logging.getLogger(__name__)

STATE_FILE = "graph-state.sqlite"
SHARED_FILE = "graph-shared.nq"
_WRITERS = ("kg.graph.triples", "kg.iri", "kg.store.quads", "kg.vocab")  # the code a block's text comes from
_DELETE_LINES = 50_000  # shared lines deleted per SPARQL update
# Every this many builds written as changes, the database is compacted: each adds files that index scans merge
# (on the 55k graph one such build doubled the slowest example query's time; compacting takes about 8 s).
COMPACT_AFTER = 4
_SCHEMA = """
CREATE TABLE block (key TEXT PRIMARY KEY, signature TEXT NOT NULL);
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_BATCH = 500  # papers whose blocks one SPARQL update deletes



@dataclass(frozen=True, slots=True)
class State:
    """What a build left for the next one to compare with."""

    generation: str
    fingerprint: str
    blocks: dict[str, str]  # paper key -> signature of its block
    shared: Path  # the shared triples' text
    uncompacted: int = 0  # builds written as changes since the database was last compacted


def fingerprint(base: str) -> str:
    """The base IRI and the source of the code that writes a paper's block: a change to either rewrites all."""
    digest = hashlib.blake2b(base.encode("utf-8"), digest_size=16)
    for name in _WRITERS:
        digest.update(Path(importlib.import_module(name).__file__).read_bytes())
    return digest.hexdigest()


def signatures(extractions: Sequence[Extraction], links: Sequence[Sequence[Link]],
               table: EntityTable) -> dict[str, str]:
    """Paper key -> signature of everything its block is written from: the record (content, source,
    extractor and version), which of its mentions each link holds and in which role, and the entity each
    result names (:func:`kg.graph.triples.extraction_triples`)."""
    out = {}
    for ex, paper_links in zip(extractions, links, strict=True):
        position = {id(m): i for i, m in enumerate(ex.mentions)}
        linked = [(link.entity, link.role.value, [position[id(m)] for m in link.mentions]) for link in paper_links]
        named = [[(key if key in table.entities else None) for key in
                  (table.key_for_text(ex.paper.key, text) for text in
                   (r.method, r.dataset, r.metric, r.baseline, r.condition) if text)]
                 for claim in ex.claims for r in claim.results]
        inputs = repr((content_hash(ex.paper), ex.paper.source, ex.extractor, ex.version, linked, named))
        out[ex.paper.key] = hashlib.blake2b(inputs.encode("utf-8"), digest_size=16).hexdigest()
    return out


def read_state(folder: Path) -> State | None:
    """The state a build left in generation ``folder``, or None where it left none (or an unreadable one)."""
    path, shared = folder / STATE_FILE, folder / SHARED_FILE
    if not (path.exists() and shared.exists()):
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT name, value FROM meta"))
            blocks = dict(db.execute("SELECT key, signature FROM block"))
        finally:
            db.close()
        return State(meta["generation"], meta["fingerprint"], blocks, shared, int(meta.get("uncompacted", 0)))
    except (sqlite3.Error, KeyError, ValueError) as e:
        logger.warning("%s is unreadable (%s); the graph is written in full", path, e)
        return None


def write_state(path: Path, generation: str, writer: str, blocks: Mapping[str, str], uncompacted: int = 0) -> None:
    """Write the block signatures of generation ``generation`` to ``path`` (replacing it)."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO meta VALUES (?, ?)", (("generation", generation), ("fingerprint", writer),
                                                          ("uncompacted", str(uncompacted))))
        db.executemany("INSERT INTO block VALUES (?, ?)", sorted(blocks.items()))
        db.commit()
    finally:
        db.close()


def usable(state: State | None, published: str | None, writer: str) -> bool:
    """May a build write its graph as changes to generation ``published``?"""
    if state is None or published is None:
        return False
    if state.generation != published:
        logger.info("the published graph %s was not made by a build (the state describes %s): writing it in "
                    "full", published, state.generation)
        return False
    if state.fingerprint != writer:
        logger.info("the code that writes the graph or its base IRI changed: writing it in full")
        return False
    return True


def _block_triples(papers: str) -> str:
    """A SPARQL pattern binding ``?s ?p ?o`` to the triples of the blocks of ``papers`` (IRIs, written out):
    those of each paper and of the nodes minted under it."""
    evidence, claim, quantity, result = (f"<{p}>" for p in (ABX.hasEvidence, ABX.hasClaim, ABX.hasQuantity,
                                                              ABX.hasResult))
    values = f"VALUES ?paper {{ {papers} }}"
    return (f"{{ VALUES ?s {{ {papers} }} }}"
            f" UNION {{ {values} ?paper {evidence} ?s }}"
            f" UNION {{ {values} ?paper {claim} ?s }}"
            f" UNION {{ {values} ?paper {claim} ?c . ?c {quantity} ?s }}"
            f" UNION {{ {values} ?paper {claim} ?c . ?c {result} ?s }}"
            " ?s ?p ?o")


def delete_blocks(db: ox.Store, base: str, keys: Sequence[str]) -> int:
    """Delete the blocks of the papers ``keys`` from ``db`` (the paper, its evidence and claims, their quantities
    and results), by SPARQL updates of ``_BATCH`` papers; how many triples went."""
    gone = 0
    for start in range(0, len(keys), _BATCH):
        papers = " ".join(f"<{iri.paper_iri(base, key)}>" for key in keys[start:start + _BATCH])
        where = _block_triples(papers)
        gone += int(next(iter(db.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")))["n"].value)
        db.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ {where} }}")
    return gone


@dataclass(slots=True)
class SharedDiff:
    """The shared triples of this build against the previous build's text."""

    added: list[bytes]
    removed: list[bytes]
    lines: int = 0  # shared lines written this build


def _fingerprints(lines: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Two independent hashes of each line (96 bits between them): Python's own, consistent within this
    process, and CRC-32."""
    return (np.fromiter(map(hash, lines), np.int64, len(lines)),
            np.fromiter(map(zlib.crc32, lines), np.uint32, len(lines)))


def _lines(path: Path) -> Iterator[list[bytes]]:
    """The lines of ``path`` (without their line ends), a block at a time."""
    rest = b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 24):
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield [line for line in lines if line]
    if rest:
        yield [rest]


def diff_shared(previous: Path, chunks: Iterable[bytes], out: Path) -> SharedDiff:
    """Compare the shared N-Quads ``chunks`` with the text in ``previous``, writing them to ``out`` as they pass.

    Lines are compared by two hashes, so the previous text is never held in memory: a new line whose
    hashes no previous line has is added; the previous lines no new line matched were removed (read
    again from ``previous``). A repeated new line may be added twice: adding a triple the store holds
    changes nothing.

    Raises:
        StoreError: ``previous`` cannot be read.
    """
    try:
        parts = [_fingerprints(lines) for lines in _lines(previous)]
    except OSError as e:
        raise StoreError(f"cannot read {previous}: {e}; delete it and build again to write the graph in full") from e
    first = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    second = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.uint32)
    order = np.lexsort((second, first))
    first, second = first[order], second[order]
    repeated = np.zeros(len(first), dtype=bool)  # by sorted position: the next line has the same first hash
    repeated[:-1] = first[1:] == first[:-1]
    matched = np.zeros(len(first), dtype=bool)
    diff = SharedDiff([], [])
    with out.open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
            lines = [line for line in chunk.split(b"\n") if line]
            if not lines:
                continue
            diff.lines += len(lines)
            if not len(first):  # no previous text: every line is new
                diff.added.extend(lines)
                continue
            h1, h2 = _fingerprints(lines)
            low = np.minimum(np.searchsorted(first, h1), len(first) - 1)
            hit = first[low] == h1
            found = np.zeros(len(lines), dtype=bool)
            single = np.flatnonzero(hit & ~repeated[low])  # nearly every line: one previous line has its hash
            same = second[low[single]] == h2[single]
            matched[low[single][same]] = True
            found[single[same]] = True
            for i in np.flatnonzero(hit & repeated[low]):  # a line repeated in the previous text, or a hash shared
                high = low[i] + 1
                while high < len(first) and first[high] == h1[i]:
                    high += 1
                hits = np.flatnonzero(second[low[i]:high] == h2[i])
                matched[low[i] + hits] = True
                found[i] = hits.size > 0
            diff.added.extend(lines[i] for i in np.flatnonzero(~found))
    gone = np.zeros(len(first), dtype=bool)
    gone[order] = ~matched  # by position in the previous text
    position = 0
    for lines in _lines(previous):
        diff.removed.extend(lines[i] for i in np.flatnonzero(gone[position:position + len(lines)]))
        position += len(lines)
    return diff


def delete_lines(db: ox.Store, lines: Sequence[bytes]) -> None:
    """Delete the default-graph N-Quads ``lines`` (each ``<s> <p> o .``, which SPARQL reads as a triple)."""
    for start in range(0, len(lines), _DELETE_LINES):
        body = b"\n".join(lines[start:start + _DELETE_LINES]).decode("utf-8")
        db.update(f"DELETE DATA {{\n{body}\n}}")

