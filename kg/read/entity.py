"""One entity's view for the dashboard's Entity page: who it is, its papers by year, partners, results.

Plain functions of the paper-entity graph (``kg.read.projection``, or the snapshot's, whose papers
carry ``year`` and whose entities carry ``pagerank`` and ``community``) and of leaderboard rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import networkx as nx

from kg.read.projection import ENTITY_KINDS


def entity_summary(g: nx.DiGraph, iri: str, metrics: Mapping[str, dict] | None = None) -> dict | None:
    """Label, type, other surface forms, variant of, papers, confidence, PageRank and community; None if unknown."""
    if iri not in g or g.nodes[iri].get("kind") not in ENTITY_KINDS:
        return None
    d, m = g.nodes[iri], (metrics or {}).get(iri, {})
    community = d.get("community") or m.get("community") or ""
    return {"iri": iri, "label": d["label"], "type": d["kind"], "alt": tuple(d.get("alt", ())),
            "variant_of": tuple(d.get("variant_of", ())), "papers": g.in_degree(iri),
            "confidence": float(d.get("confidence", 0.0)),
            "pagerank": d.get("pagerank") if d.get("pagerank") is not None else m.get("pagerank"),
            "community": community,
            "community_label": m.get("community_label") or (g.nodes[community]["label"] if community in g else "")}


def entity_papers(g: nx.DiGraph, iri: str, paper_years: Mapping[str, int] | None = None) -> list[dict]:
    """The papers linked to the entity: {iri, title, year, predicate, confidence}, newest and surest first."""
    if iri not in g:
        return []
    years = paper_years or {}
    found = [{"iri": p, "title": g.nodes[p].get("label", p), "year": g.nodes[p].get("year") or years.get(p),
              "predicate": d.get("predicate", ""), "confidence": round(float(d.get("confidence", 0.0)), 4)}
             for p, _, d in g.in_edges(iri, data=True)]
    return sorted(found, key=lambda r: (-(r["year"] or 0), -r["confidence"], r["title"].casefold(), r["iri"]))


def papers_by_year(papers: list[dict]) -> list[dict]:
    """{year, papers} for the years of ``papers`` (rows of :func:`entity_papers`), ascending; [] when none has one."""
    counts = Counter(p["year"] for p in papers if p["year"])
    return [{"year": y, "papers": counts[y]} for y in sorted(counts)]


def cooccurring(g: nx.DiGraph, iri: str, n: int = 25, min_shared: int = 1) -> list[dict]:
    """The entities sharing most papers with ``iri``: {iri, label, type, shared, papers}, at most ``n``."""
    if iri not in g:
        return []
    shared: Counter = Counter()
    for p in g.predecessors(iri):
        shared.update(e for e in g.successors(p) if e != iri)
    found = [{"iri": e, "label": g.nodes[e]["label"], "type": g.nodes[e]["kind"], "shared": c,
              "papers": g.in_degree(e)} for e, c in shared.items() if c >= min_shared]
    found.sort(key=lambda r: (-r["shared"], -r["papers"], r["label"].casefold(), r["iri"]))
    return found[: max(0, n)]


def entity_results(board: list[dict], label: str) -> list[dict]:
    """The leaderboard rows (``kg.read.leaderboard``) naming ``label`` as their method, dataset or metric."""
    def names(text: str) -> set[str]:
        return {x for x in text.split(", ") if x}

    return [r for r in board if label in r.get("datasets", ()) or label in r.get("metrics", ())
            or label in names(r.get("method", ""))]
