"""Entity search by label: in the stored graph (with alternative labels) or in a paper-entity graph."""

from __future__ import annotations

import networkx as nx
import pyoxigraph as ox

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
