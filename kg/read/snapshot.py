"""What a build derives once from its graph, so no page view has to: ``snapshot.sqlite``.

A build (``kg.graph.build``) derives the paper-entity link graph from its
records (``kg.graph.derive``), computes the analytics of ``kg.read.analytics``
over it, and writes ``snapshot.sqlite`` into the new generation with
:func:`write`: the link graph as tables (the dashboard loads it in a second
or two instead of re-running the link queries), a trigram full-text index
over entity labels (entity search is an index lookup, not a scan), a
full-text index over paper titles and abstracts, entity labels and evidence
sentences (``kg.read.fulltext``), the leaderboard rows, the relation statements
(the concept map's edges), and the number of
evidence records, claims and results at every confidence step of 0.01.

The snapshot belongs to its generation and is never written again; a
generation made by a SPARQL update (``fork_generation``) has none, and
readers then fall back to querying the store.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import networkx as nx
import numpy as np
import pyoxigraph as ox

from kg.errors import StoreError
from kg.model import EntityType
from kg.read import analytics as metrics
from kg.read import fulltext
from kg.read.search import match_rank
from kg.vocab import sparql_prefixes

logger = logging.getLogger(__name__)

FILE = "snapshot.sqlite"
PAPER = "Paper"
_ENTITY_KINDS = frozenset(EntityType)  # node kinds whose labels the search index holds
STEPS = 100  # confidence counts are kept for thresholds 0.00, 0.01, ..., 1.00

_SCHEMA = """
CREATE TABLE node (iri TEXT PRIMARY KEY, label TEXT NOT NULL, kind TEXT NOT NULL, papers INTEGER NOT NULL,
                   confidence REAL, key TEXT, alt TEXT, variant_of TEXT, year INTEGER,
                   degree INTEGER, pagerank REAL, rank INTEGER, community TEXT);
CREATE TABLE edge (paper TEXT NOT NULL, entity TEXT NOT NULL, predicate TEXT NOT NULL, confidence REAL,
                   evidence INTEGER, rules TEXT);
CREATE TABLE counts (step INTEGER PRIMARY KEY, evidence INTEGER, claims INTEGER, results INTEGER);
CREATE TABLE result (position INTEGER PRIMARY KEY, row TEXT NOT NULL);
CREATE TABLE statement (statement TEXT PRIMARY KEY, subject TEXT NOT NULL, predicate TEXT NOT NULL,
                        object TEXT NOT NULL, confidence REAL NOT NULL);
CREATE VIRTUAL TABLE label_index USING fts5(iri UNINDEXED, label, tokenize='trigram');
"""
_YEARS = sparql_prefixes() + "SELECT ?p ?y WHERE { ?p a abx:Paper ; schema:datePublished ?y }"


def _year(text: str) -> int | None:
    try:
        return int(text[:4])
    except ValueError:
        return None


def paper_years(store: ox.Store) -> dict[str, int]:
    """Publication year of every paper that has one."""
    out = {}
    for row in store.query(_YEARS):
        year = _year(row["y"].value)
        if year is not None:
            out[row["p"].value] = year
    return out


def count_rows(values: Mapping[str, Sequence[float]]) -> list[tuple[int, int, int, int]]:
    """Rows of the ``counts`` table: for each step of 0.01, how many evidence records, claims and results
    (``values["Evidence"]``, ``["Claim"]``, ``["Result"]``: their confidences) reach it."""
    columns = []
    for cls in ("Evidence", "Claim", "Result"):
        ordered = np.sort(np.asarray(values.get(cls, ()), dtype=np.float64))
        thresholds = np.arange(STEPS + 1) / STEPS - 1e-9  # as kg.read.stats.confidence_counts compares
        columns.append(len(ordered) - np.searchsorted(ordered, thresholds, side="left"))
    return [(step, int(columns[0][step]), int(columns[1][step]), int(columns[2][step])) for step in range(STEPS + 1)]


def write(path: Path, graph: nx.DiGraph, result: metrics.Analytics, years: Mapping[str, int],
          counts: list[tuple[int, int, int, int]], results: Sequence[dict] = (),
          documents: Iterable[fulltext.Document] | None = None, statements: Sequence[dict] = ()) -> None:
    """Write the snapshot database to ``path`` (replacing it); with ``documents``, its full-text index too.

    ``statements`` are the relation statements as ``kg.read.concepts.relation_statements`` gives them.
    """
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        rows = []
        for node, d in graph.nodes(data=True):
            m = result.entities.get(node)
            rows.append((node, d.get("label", ""), d.get("kind", ""), int(d.get("papers", 0)), d.get("confidence"),
                         d.get("key"), _join(d.get("alt", ())), _join(d.get("variant_of", ())),
                         years.get(node), m.degree if m else None, m.pagerank if m else None, m.rank if m else None,
                         m.community if m else None))
        db.executemany("INSERT INTO node VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.executemany("INSERT INTO edge VALUES (?,?,?,?,?,?)",
                       ((u, v, d.get("predicate", ""), d.get("confidence", 0.0), d.get("evidence", 0),
                         _join(d.get("rules", ()))) for u, v, d in graph.edges(data=True)))
        db.executemany("INSERT INTO label_index VALUES (?, ?)",
                       ((node, label) for node, d in graph.nodes(data=True) if d.get("kind") in _ENTITY_KINDS
                        for label in {d.get("label", ""), *d.get("alt", ())} if label))
        db.executemany("INSERT INTO counts VALUES (?,?,?,?)", counts)
        db.executemany("INSERT INTO result VALUES (?, ?)", ((i, json.dumps(r)) for i, r in enumerate(results)))
        db.executemany("INSERT INTO statement VALUES (?,?,?,?,?)",
                       ((r["statement"], r["subject"], r["predicate"], r["object"], r["confidence"])
                        for r in statements))
        if documents is not None:
            logger.info("full-text index of %d documents", fulltext.write_index(db, documents))
        db.commit()
    finally:
        db.close()


# ------------------------------------------------------------------ readers


def find(generation_path: str | Path) -> Path | None:
    """The snapshot of a generation, or None (generations made by SPARQL updates have none)."""
    path = Path(generation_path) / FILE
    return path if path.is_file() else None


_SEP = "\x1f"  # ASCII unit separator: never in a label or rule name (labels are one line of text)


def _join(values: Iterable[str]) -> str:
    return _SEP.join(values)


@functools.lru_cache(maxsize=4096)
def _split(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(_SEP)) if text else ()


def _connect(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error as e:
        raise StoreError(f"cannot open the snapshot {path}: {e}; rebuild with `python -m kg build`") from e


def load_graph(path: Path) -> nx.DiGraph:
    """The graph as ``kg.read.projection.paper_entity_graph`` reads it from the store, plus entity analytics."""
    g = nx.DiGraph()
    db = _connect(path)
    try:
        for (iri, label, kind, papers, conf, key, alt, variant_of, year, degree, pagerank, rank,
             community) in db.execute("SELECT * FROM node"):
            if kind == PAPER:
                g.add_node(iri, label=label, kind=kind, papers=1, year=year)
            else:
                g.add_node(iri, label=label, kind=kind, papers=papers, confidence=conf or 0.0, key=key or "",
                           alt=_split(alt), variant_of=_split(variant_of), degree=degree,
                           pagerank=pagerank, rank=rank, community=community)
        g.add_edges_from((paper, entity, {"predicate": pred, "confidence": conf or 0.0, "evidence": evidence or 0,
                                          "rules": _split(rules)})
                         for paper, entity, pred, conf, evidence, rules in db.execute("SELECT * FROM edge"))
    except sqlite3.Error as e:
        raise StoreError(f"the snapshot {path} is unreadable ({e}); rebuild with `python -m kg build`") from e
    finally:
        db.close()
    return g


def search(path: Path, text: str, limit: int = 50) -> list[dict]:
    """Entities whose label or alternative label contains ``text`` (case-insensitive), best first.

    Exact matches first, then prefixes, then other substrings; more papers
    first within each. Texts under three characters (too short for the trigram
    index) are matched by a scan of the label index instead.
    """
    text = "".join(ch for ch in (text or "") if ch.isprintable()).strip()  # labels hold no control characters
    db = _connect(path)
    try:
        if not text:
            rows = db.execute("SELECT iri, label, kind, papers, label FROM node WHERE kind != ? "
                              "ORDER BY papers DESC, label LIMIT ?", (PAPER, limit)).fetchall()
        elif len(text) < 3:
            rows = db.execute("SELECT n.iri, n.label, n.kind, n.papers, i.label FROM label_index i "
                              "JOIN node n ON n.iri = i.iri WHERE i.label LIKE ? ESCAPE '\\'",
                              (_like(text),)).fetchall()
        else:
            quoted = '"' + text.replace('"', '""') + '"'
            rows = db.execute("SELECT n.iri, n.label, n.kind, n.papers, i.label FROM label_index i "
                              "JOIN node n ON n.iri = i.iri WHERE label_index MATCH ?", (quoted,)).fetchall()
    except sqlite3.Error as e:
        raise StoreError(f"entity search in {path} failed ({e}); rebuild with `python -m kg build`") from e
    finally:
        db.close()
    found: dict[str, dict] = {}
    for iri, label, kind, papers, matched in rows:
        hit = found.setdefault(iri, {"iri": iri, "label": label, "type": kind, "papers": int(papers), "_labels": []})
        hit["_labels"].append(matched)
    t = text.casefold()
    ranked = sorted(found.values(), key=lambda h: (match_rank(t, h["_labels"], h["papers"]),
                                                    h["label"].casefold())) if t else list(found.values())
    return [{k: v for k, v in h.items() if k != "_labels"} for h in ranked[:max(0, limit)]]


def _like(text: str) -> str:
    return "%" + "".join("\\" + ch if ch in "%_\\" else ch for ch in text) + "%"


def papers(path: Path) -> list[dict]:
    """Every paper as {iri, title}, sorted by title (as ``kg.read.paper.papers``)."""
    db = _connect(path)
    try:
        rows = db.execute("SELECT iri, label FROM node WHERE kind = ?", (PAPER,)).fetchall()
    finally:
        db.close()
    return sorted(({"iri": iri, "title": title} for iri, title in rows),
                  key=lambda r: (r["title"].casefold(), r["iri"]))


def confidence_counts(path: Path, threshold: float) -> dict[str, int] | None:
    """Counts as ``kg.read.stats.confidence_counts`` gives, when ``threshold`` is a step of 0.01 (else None)."""
    step = round(float(threshold) * STEPS)
    if abs(step / STEPS - float(threshold)) > 1e-9 or not 0 <= step <= STEPS:
        return None
    db = _connect(path)
    try:
        row = db.execute("SELECT evidence, claims, results FROM counts WHERE step = ?", (step,)).fetchone()
    finally:
        db.close()
    return None if row is None else {"evidence": row[0], "claims": row[1], "results": row[2]}


def results(path: Path) -> list[dict]:
    """Every leaderboard row, as ``kg.read.leaderboard.all_results`` gives them ."""
    db = _connect(path)
    try:
        return [json.loads(row) for (row,) in db.execute("SELECT row FROM result ORDER BY position")]
    except sqlite3.Error as e:
        raise StoreError(f"the snapshot {path} is unreadable ({e}); rebuild with `python -m kg build`") from e
    finally:
        db.close()


def statements(path: Path) -> list[dict] | None:
    """Every relation statement, as ``kg.read.concepts.relation_statements`` gives them; None for a snapshot
    written before they were kept in it."""
    db = _connect(path)
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'statement'").fetchone() is None:
            return None
        found = db.execute("SELECT statement, subject, predicate, object, confidence FROM statement").fetchall()
    except sqlite3.Error as e:
        raise StoreError(f"the snapshot {path} is unreadable ({e}); rebuild with `python -m kg build`") from e
    finally:
        db.close()
    rows = [{"statement": st, "subject": h, "predicate": pred, "object": t, "confidence": conf}
            for st, h, pred, t, conf in found]
    rows.sort(key=lambda r: (r["subject"], r["object"], r["predicate"], r["statement"]))
    return rows
