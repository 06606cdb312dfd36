"""Full-text search over papers, entities and evidence sentences: an FTS5 index in the build's snapshot.

At publish, :func:`write_index` adds the table ``doc_index`` to ``snapshot.sqlite`` (one row per
searchable document) and :func:`search` ranks matches with FTS5's bm25, with a snippet of each:

- a **paper**: its title (``title`` column) and abstract (``body``);
- an **entity**: its preferred label (``title``) and alternative labels (``body``);
- an **evidence sentence**: one row per distinct sentence of a paper that links it to entities
  (``body``), with the paper and the entities' IRIs to link to (kept out of the index).

User text never reaches the FTS5 query syntax as is: :func:`fts_query` keeps the words only and
quotes each one, so quotes, ``*``, ``NEAR(``, ``OR`` and the like are searched as plain words.
Snapshots written before this index existed have no ``doc_index``; :func:`available` says so and
callers fall back to the label search.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import networkx as nx

from kg.errors import StoreError
from kg.model import EntityType

TABLE = "doc_index"
KINDS: tuple[str, ...] = ("paper", "entity", "evidence")
MARK_START, MARK_END = "\x02", "\x03"  # snippet markers around matched words: never in a title or sentence
ELLIPSIS = "…"
MAX_TOKENS = 16  # words of a query; more are ignored
MAX_TOKEN_CHARS = 64
_SEP = "\x1f"
_ENTITY_KINDS = frozenset(EntityType)
# Titles and labels weigh more than abstracts, alternative labels and sentences (bm25 column weights,
# in column order; the unindexed columns' weights do not matter).
_WEIGHTS = "0, 0, 0, 0, 0, 0, 0, 4.0, 1.0"
_SCHEMA = f"""CREATE VIRTUAL TABLE {TABLE} USING fts5(
    kind UNINDEXED, iri UNINDEXED, label UNINDEXED, type UNINDEXED, paper UNINDEXED, entities UNINDEXED,
    confidence UNINDEXED, title, body, tokenize = 'porter unicode61 remove_diacritics 2')"""
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: what matched, where to link, and a snippet around the matched words."""

    kind: str  # "paper", "entity" or "evidence"
    iri: str  # the paper (paper and evidence hits) or the entity (entity hits)
    label: str  # the paper's title or the entity's preferred label
    type: str  # "Paper" or the entity type
    snippet: str  # matched words between MARK_START and MARK_END, cut with ELLIPSIS
    score: float  # higher is better (minus bm25); 0 for label-search fallback hits
    entities: tuple[str, ...] = ()  # evidence hits: the entities the sentence links the paper to
    confidence: float | None = None  # evidence hits: the best confidence of the sentence's evidence


# ------------------------------------------------------------------ writing


class Document(NamedTuple):
    """One row of the index (the columns of ``_SCHEMA``, in order)."""

    kind: str
    iri: str
    label: str
    type: str
    paper: str
    entities: str  # evidence rows: the entities' IRIs, joined by _SEP
    confidence: float | None
    title: str
    body: str


def paper_document(iri: str, title: str, abstract: str) -> Document:
    return Document("paper", iri, title, "Paper", iri, "", None, title, abstract)


def entity_documents(graph: nx.DiGraph) -> Iterator[Document]:
    """One row per entity node of the link graph: its label, and its other labels as the body."""
    for node, d in graph.nodes(data=True):
        if d.get("kind") in _ENTITY_KINDS and d.get("label"):
            alt = [a for a in d.get("alt", ()) if a and a != d["label"]]
            yield Document("entity", node, d["label"], d["kind"], "", "", None, d["label"], " · ".join(alt))


def sentence_documents(evidence: Iterable[tuple[str, str, str, str, float | None]]) -> Iterator[Document]:
    """One row per distinct (paper, sentence) of ``evidence``: (paper IRI, paper title, entity IRI, sentence,
    confidence) of each evidence record outside the title, with the entities it links and their best confidence."""
    sentences: dict[tuple[str, str], tuple[dict[str, None], float | None]] = {}
    titles: dict[str, str] = {}
    for p, title, e, sentence, conf in evidence:
        if not sentence.strip() or sentence == title:
            continue  # the title is indexed with its paper
        titles[p] = title
        entities, best = sentences.setdefault((p, sentence), ({}, None))
        entities[e] = None
        if conf is not None and (best is None or conf > best):
            sentences[(p, sentence)] = (entities, conf)
    for (p, sentence), (entities, best) in sentences.items():
        yield Document("evidence", p, titles[p], "Paper", p, _SEP.join(entities), best, "", sentence)


def write_index(db: sqlite3.Connection, documents: Iterable[Document]) -> int:
    """Create and fill the full-text table in the open snapshot ``db``; the number of documents indexed."""
    db.execute(_SCHEMA)
    db.executemany(f"INSERT INTO {TABLE} VALUES (?,?,?,?,?,?,?,?,?)", documents)
    return db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


# ------------------------------------------------------------------ reading


def fts_query(text: str, *, any_word: bool = False) -> str | None:
    """A safe FTS5 query for the words of ``text`` (None when it has none).

    Each word is quoted, so FTS5 operators and punctuation in user text are
    plain words or separators; the last word matches as a prefix (type-ahead).
    All words must match, or any of them with ``any_word``.

    >>> fts_query('NEAR( "vision" OR trans*')
    '"NEAR" "vision" "OR" "trans"*'
    >>> fts_query('"*)(') is None
    True
    """
    words = [w[:MAX_TOKEN_CHARS] for w in _WORD.findall(text or "")][:MAX_TOKENS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return (" OR " if any_word else " ").join(quoted)


def available(path: Path) -> bool:
    """Whether the snapshot at ``path`` has the full-text index (older snapshots do not)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        db.close()


def _run(db: sqlite3.Connection, query: str, kinds: tuple[str, ...], threshold: float, limit: int) -> list[Hit]:
    marks = ", ".join("?" * len(kinds))
    rows = db.execute(
        f"SELECT kind, iri, label, type, entities, confidence, "
        f"snippet({TABLE}, -1, ?, ?, ?, 16), bm25({TABLE}, {_WEIGHTS}) AS rank FROM {TABLE} "
        f"WHERE {TABLE} MATCH ? AND kind IN ({marks}) AND (confidence IS NULL OR confidence + 1e-9 >= ?) "
        f"ORDER BY rank LIMIT ?",
        (MARK_START, MARK_END, ELLIPSIS, query, *kinds, threshold, limit)).fetchall()
    return [Hit(kind, iri, label, kind_type, snippet, -float(rank), tuple(e for e in entities.split(_SEP) if e),
                confidence) for kind, iri, label, kind_type, entities, confidence, snippet, rank in rows]


def search(path: Path, text: str, *, limit: int = 50, kinds: Iterable[str] = KINDS,
           threshold: float = 0.0) -> list[Hit]:
    """Documents matching the words of ``text``, best first (bm25); evidence below ``threshold`` is left out.

    All words must match; when no document has them all, any word does. Raises
    StoreError when the snapshot has no full-text index or is unreadable.
    """
    chosen = tuple(k for k in KINDS if k in set(kinds))
    strict = fts_query(text)
    if strict is None or not chosen or limit <= 0:
        return []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise StoreError(f"cannot open the snapshot {path}: {e}; rebuild with `python -m kg build`") from e
    try:
        hits = _run(db, strict, chosen, threshold, limit)
        loose = fts_query(text, any_word=True)
        if not hits and loose != strict:
            hits = _run(db, loose, chosen, threshold, limit)
        return hits
    except sqlite3.Error as e:
        raise StoreError(f"full-text search in {path} failed ({e}); rebuild with `python -m kg build`") from e
    finally:
        db.close()


def snippet_html(snippet: str) -> str:
    """A snippet as HTML: its text escaped, the matched words in ``<mark>``."""
    return html.escape(snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def snippet_text(snippet: str) -> str:
    """A snippet as plain text: the markers removed (for tables)."""
    return snippet.replace(MARK_START, "").replace(MARK_END, "")
