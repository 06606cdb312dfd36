"""Search: entities by label (in the stored graph or a paper-entity graph), and everything by full text."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg.read import fulltext
from kg.read.fulltext import KINDS, Hit
from kg.read.projection import ENTITY_KINDS
from kg.read.sparql import TYPED, local, rows

_SEARCH = f"""SELECT ?e ?label ?type ?count ?alt WHERE {{ ?e a ?type ; skos:prefLabel ?label ;
    abx:paperCount ?count . {TYPED} OPTIONAL {{ ?e skos:altLabel ?alt }} }}"""


def match_rank(text: str, labels: list[str], papers: int) -> tuple:
    """Exact match first, then prefix, then substring; more papers first."""
    t = text.casefold()
    best = min((0 if lb.casefold() == t else 1 if lb.casefold().startswith(t) else 2) for lb in labels)
    return best, -papers


def search_entities(source: nx.Graph | ox.Store, text: str, limit: int = 20) -> list[dict]:
    """Entities whose label (or, in the store, an alternative label) contains ``text``.

    ``source`` is a graph from ``kg.read.projection.paper_entity_graph`` or a store.
    Returns {iri, label, type, papers}; an empty ``text`` gives the most-mentioned entities.
    """
    text = (text or "").strip()
    found: dict[str, dict] = {}
    if isinstance(source, nx.Graph):
        for node, data in source.nodes(data=True):
            if data.get("kind") in ENTITY_KINDS and text.casefold() in data.get("label", "").casefold():
                found[node] = {"iri": node, "label": data["label"], "type": data["kind"],
                               "papers": int(data.get("papers", 0)), "_labels": [data["label"]]}
    else:
        for r in rows(source, _SEARCH):
            labels = [lb for lb in (r["label"], r["alt"]) if lb]
            if not any(text.casefold() in lb.casefold() for lb in labels):
                continue
            hit = found.setdefault(r["e"], {"iri": r["e"], "label": r["label"], "type": local(r["type"]),
                                            "papers": int(r["count"]), "_labels": []})
            hit["_labels"].extend(lb for lb in labels if text.casefold() in lb.casefold())
    ranked = sorted(found.values(), key=lambda h: (match_rank(text, h["_labels"], h["papers"]), h["label"].casefold()))
    return [{k: v for k, v in h.items() if k != "_labels"} for h in ranked[: max(0, limit)]]


def search_all(source: str | Path | ox.Store, text: str, *, limit: int = 50, kinds: Iterable[str] = KINDS,
               threshold: float = 0.0) -> list[Hit]:
    """Papers, entities and evidence sentences matching ``text``, best first, each with a snippet.

    ``source`` is a generation's snapshot (``kg.read.snapshot.find``) or, for a
    generation without one, its store. With the snapshot's full-text index the
    hits are ranked by bm25 over titles, abstracts, labels and sentences
    (``kg.read.fulltext``); without it (an older snapshot, or a generation made
    by a SPARQL update) the search falls back to entity labels, and the hits'
    snippet is the label. Any text is safe: words are quoted before they reach FTS5.
    """
    kinds = tuple(kinds)
    if not isinstance(source, ox.Store) and fulltext.available(Path(source)):
        return fulltext.search(Path(source), text, limit=limit, kinds=kinds, threshold=threshold)
    if "entity" not in kinds or not (text or "").strip() or limit <= 0:
        return []
    if isinstance(source, ox.Store):
        found = search_entities(source, text, limit)
    else:
        from kg.read import snapshot  # snapshot imports this module (match_rank)

        found = snapshot.search(Path(source), text, limit)
    return [Hit("entity", h["iri"], h["label"], h["type"],
                f"{fulltext.MARK_START}{h['label']}{fulltext.MARK_END}", 0.0) for h in found]
