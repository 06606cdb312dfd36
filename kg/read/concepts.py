"""The concept map: entities joined by relation statements and co-occurrence, capped by relevance.

Plain data for the dashboard's Concept map page (no Streamlit). The inputs are the paper-entity
graph (``kg.read.projection``; from the snapshot, its entities carry ``pagerank`` and ``community``)
and the relation statements of the store (:func:`relation_statements`). Around a centre entity the
map grows hop by hop, keeping at each hop the nodes of highest *relevance*: the weight of their
edges to the nodes one hop nearer (a relation's confidence; ``shared / (shared + 1)`` for shared
papers), times the square root of their PageRank relative to the view's highest, halved per hop.
Without a centre it holds the entities of highest PageRank that have an edge among themselves.
Either way at most ``cap`` nodes, every one connected, in the same order for the same inputs.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import networkx as nx
import pyoxigraph as ox

from kg.read.projection import ENTITY_KINDS, PAPER
from kg.read.relations import statement_relations
from kg.read.sparql import conf, local, passes, rows

logger = logging.getLogger(__name__)

EDGE_MODES: tuple[str, ...] = ("relations", "cooccurrence", "both")
COOCCURRENCE = "co-occurs with"  # the ``predicate`` of a co-occurrence edge
LAYOUT_SEED = 7
_PAPERS_KEPT = 20  # shared papers listed on a co-occurrence edge (the count is exact)

_STATEMENT_LIST = """SELECT ?s ?h ?pred ?t ?conf WHERE { ?s a abx:RelationStatement ;
    rdf:subject ?h ; rdf:predicate ?pred ; rdf:object ?t ; abx:confidence ?conf }"""
_METRICS = """SELECT ?e ?pr ?c ?cl WHERE { ?e abx:pageRank ?pr .
    OPTIONAL { ?e abx:community ?c . ?c skos:prefLabel ?cl } }"""


@dataclass(frozen=True, slots=True)
class ConceptMap:
    """Nodes (most relevant first) and edges of a concept map.

    Node: ``iri``, ``label``, ``type``, ``community`` (an IRI or ""), ``community_label``, ``papers``,
    ``pagerank``, ``hop`` (from the centre; None without one), ``relevance``, ``degree`` (edges in the
    map) and ``labelled`` (among the most central, whose label is drawn).
    Edge: ``source``, ``target``, ``kind`` ("relation" or "cooccurrence"), ``predicate`` (usedFor, ...,
    or ``COOCCURRENCE``), ``confidence`` (relations; None for co-occurrence), ``statement`` (its IRI or
    ""), ``shared`` (papers of both), ``papers`` (up to 20 of them: {iri, title}) and ``evidence`` (the
    sentences of a relation, once :func:`with_evidence` has filled them: {paper, title, sentence, score}).
    """

    centre: str | None
    nodes: tuple[dict, ...]
    edges: tuple[dict, ...]
    candidates: int  # entities reachable under the filters, before the cap


def relation_statements(store: ox.Store) -> list[dict]:
    """Every relation statement: {statement, subject, predicate (local name), object, confidence}."""
    found = [{"statement": r["s"], "subject": r["h"], "predicate": local(r["pred"]), "object": r["t"],
              "confidence": conf(r["conf"])} for r in rows(store, _STATEMENT_LIST)]
    found.sort(key=lambda r: (r["subject"], r["object"], r["predicate"], r["statement"]))
    return found


def entity_metrics(store: ox.Store) -> dict[str, dict]:
    """PageRank and community of every entity, from the analytics stored at publish (for graphs with no snapshot)."""
    out: dict[str, dict] = {}
    for r in rows(store, _METRICS):
        out[r["e"]] = {"pagerank": conf(r["pr"]), "community": r["c"] or "", "community_label": r["cl"] or ""}
    return out


class _View:
    """The paper-entity graph seen through the filters: entities, their papers, relations by entity."""

    def __init__(self, g: nx.DiGraph, statements: Iterable[dict], *, edges: str, min_confidence: float,
                 kinds: Iterable[str] | None, years: tuple[int, int] | None, min_shared: int, per_node: int,
                 metrics: Mapping[str, dict] | None, paper_years: Mapping[str, int] | None) -> None:
        if edges not in EDGE_MODES:
            raise ValueError(f"edges must be one of {', '.join(EDGE_MODES)}, not {edges!r}")
        self.g, self.min_shared, self.metrics = g, max(1, int(min_shared)), metrics or {}
        self.per_node = max(1, int(per_node))
        self.use_relations, self.use_cooccurrence = edges in ("relations", "both"), edges in ("cooccurrence", "both")
        allowed = set(kinds) if kinds is not None else set(ENTITY_KINDS)
        in_years = None
        if years is not None:
            known = dict(paper_years or {}) or {p: d["year"] for p, d in g.nodes(data=True)
                                                 if d.get("kind") == PAPER and d.get("year")}
            in_years = {p for p, y in known.items() if years[0] <= y <= years[1]}
        self.in_years = in_years
        self.entities: set[str] = set()  # entities of an allowed type with a paper under the filters
        self.any_kind: set[str] = set()  # entities with a paper under the filters, of any type (for the centre)
        for n, d in g.nodes(data=True):
            # whether a paper passes is all that is asked here; the papers themselves are gathered only for
            # the few entities a map reaches (paper_set), not for the whole graph on every map
            if d.get("kind") in ENTITY_KINDS and (g.in_degree(n) if in_years is None
                                                  else any(p in in_years for p in g.predecessors(n))):
                self.any_kind.add(n)
                if d["kind"] in allowed:
                    self.entities.add(n)
        self._paper_sets: dict[str, set[str]] = {}
        self._shared: dict[tuple[str, str | None], Counter] = {}  # growing the map and drawing it both ask
        self.relations: dict[str, list[dict]] = defaultdict(list)
        for s in statements if self.use_relations else ():
            if passes(s["confidence"], min_confidence) and s["subject"] != s["object"]:
                self.relations[s["subject"]].append(s)
                self.relations[s["object"]].append(s)

    def pagerank(self, n: str) -> float:
        value = self.g.nodes[n].get("pagerank")
        return float(value if value is not None else self.metrics.get(n, {}).get("pagerank", 0.0))

    def allowed(self, n: str, centre: str | None) -> bool:
        return n in self.entities or (n == centre and n in self.any_kind)

    def paper_set(self, n: str) -> set[str]:
        """The papers of ``n`` under the filters (all its papers when it is not among ``entities``)."""
        found = self._paper_sets.get(n)
        if found is None:
            keep = self.in_years if n in self.entities else None
            found = self._paper_sets[n] = {p for p in self.g.predecessors(n) if keep is None or p in keep}
        return found

    def shared(self, n: str, centre: str | None) -> Counter:
        """Entities (passing the filters) sharing at least ``min_shared`` papers with ``n``, and how many."""
        found = self._shared.get((n, centre))
        if found is None:
            counts: Counter = Counter()
            for p in self.paper_set(n):
                counts.update(e for e in self.g.successors(p) if e != n and self.allowed(e, centre))
            found = self._shared[(n, centre)] = Counter({e: c for e, c in counts.items() if c >= self.min_shared})
        return found

    def neighbours(self, n: str, centre: str | None) -> dict[str, float]:
        """Entities joined to ``n`` in the map, with the weight of the strongest join (summed over edge kinds)."""
        weight: dict[str, float] = {}
        for s in self.relations.get(n, ()):
            other = s["object"] if s["subject"] == n else s["subject"]
            if self.allowed(other, centre):
                weight[other] = max(weight.get(other, 0.0), s["confidence"])
        if self.use_cooccurrence:
            rel = dict(weight)
            for other, count in self.shared(n, centre).items():
                weight[other] = rel.get(other, 0.0) + count / (count + 1)
        return weight


def _grow(view: _View, centre: str, hops: int, cap: int) -> tuple[dict[str, int], dict[str, float], int]:
    """Hop by hop from ``centre``: distances and relevance of the nodes kept at each hop (a beam of ``cap``)."""
    hop, relevance = {centre: 0}, {centre: math.inf}
    frontier, seen = [centre], 0
    top = max((view.pagerank(n) for n in view.entities), default=0.0) or 1.0
    for h in range(1, max(1, hops) + 1):
        strength: dict[str, float] = defaultdict(float)
        for u in frontier:
            for v, w in view.neighbours(u, centre).items():
                if v not in hop:
                    strength[v] += w
        seen += len(strength)
        scored = {v: s * math.sqrt(max(view.pagerank(v), 0.0) / top or 1e-9) * 0.5 ** (h - 1)
                  for v, s in strength.items()}
        frontier = sorted(scored, key=lambda v: (-scored[v], view.g.nodes[v]["label"].casefold(), v))[:cap]
        for v in frontier:
            hop[v], relevance[v] = h, scored[v]
        if not frontier:
            break
    return hop, relevance, seen


def _edges(view: _View, kept: list[str], centre: str | None) -> list[dict]:
    inside = set(kept)
    found: dict[tuple, dict] = {}
    for n in kept:
        for s in view.relations.get(n, ()):
            if s["subject"] in inside and s["object"] in inside:
                found[("r", s["statement"])] = {
                    "source": s["subject"], "target": s["object"], "kind": "relation", "predicate": s["predicate"],
                    "confidence": s["confidence"], "statement": s["statement"], "shared": 0, "papers": (),
                    "evidence": ()}
        if view.use_cooccurrence:
            for other, count in view.shared(n, centre).items():
                a, b = sorted((n, other))
                if other in inside and ("c", a, b) not in found:
                    both = sorted(view.paper_set(a) & view.paper_set(b),
                                  key=lambda p: (view.g.nodes[p]["label"].casefold(), p))
                    found[("c", a, b)] = {
                        "source": a, "target": b, "kind": "cooccurrence", "predicate": COOCCURRENCE,
                        "confidence": None, "statement": "", "shared": count, "evidence": (),
                        "papers": tuple({"iri": p, "title": view.g.nodes[p]["label"]} for p in both[:_PAPERS_KEPT])}
    cooc = sorted((e for e in found.values() if e["kind"] == "cooccurrence"),
                  key=lambda e: (-e["shared"], e["source"], e["target"]))
    rank: Counter = Counter()
    kept = []
    for e in cooc:  # each entity's strongest partners only: a paper's entities would otherwise form a clique
        rank[e["source"]] += 1
        rank[e["target"]] += 1
        if min(rank[e["source"]], rank[e["target"]]) <= view.per_node:
            kept.append(e)
    edges = [e for e in found.values() if e["kind"] == "relation"] + kept
    return sorted(edges, key=lambda e: (e["kind"] != "relation", -(e["confidence"] or 0.0), -e["shared"],
                                        e["source"], e["target"], e["predicate"]))


def _connected(kept: list[str], edges: list[dict], centre: str | None) -> set[str]:
    h = nx.Graph()
    h.add_nodes_from(kept)
    h.add_edges_from((e["source"], e["target"]) for e in edges)
    if centre is not None:
        return set(nx.node_connected_component(h, centre))
    return {n for n in kept if h.degree(n)}


def concept_map(g: nx.DiGraph, statements: Iterable[dict], *, centre: str | None = None, edges: str = "both",
                min_confidence: float = 0.0, kinds: Iterable[str] | None = None,
                years: tuple[int, int] | None = None, hops: int = 2, cap: int = 40, min_shared: int = 1,
                per_node: int = 3, labels: int = 12, metrics: Mapping[str, dict] | None = None,
                paper_years: Mapping[str, int] | None = None) -> ConceptMap:
    """The concept map of ``g`` (a paper-entity graph, already cut at the link confidence wanted).

    ``statements`` as :func:`relation_statements` gives them; ``edges`` one of ``EDGE_MODES``;
    relations below ``min_confidence`` are left out, and so are entities not of ``kinds`` (the
    centre stays) or with no paper of a year in ``years`` (papers' years from ``paper_years``, else
    the ``year`` of paper nodes). Co-occurrence joins entities sharing ``min_shared`` papers or more; of
    those joins only each entity's ``per_node`` strongest are drawn (a paper's entities would form a clique).
    ``metrics`` gives PageRank and community where the graph's nodes lack them (:func:`entity_metrics`).
    """
    view = _View(g, statements, edges=edges, min_confidence=min_confidence, kinds=kinds, years=years,
                 min_shared=min_shared, per_node=per_node, metrics=metrics, paper_years=paper_years)
    cap = max(1, int(cap))
    if centre is not None and centre in view.any_kind:
        hop, relevance, candidates = _grow(view, centre, hops, cap)
        kept = sorted(hop, key=lambda n: (-relevance[n], g.nodes[n]["label"].casefold(), n))[:cap]
    elif centre is not None:
        return ConceptMap(centre, (), (), 0)
    else:
        ranked = sorted(view.entities, key=lambda n: (-view.pagerank(n), g.nodes[n]["label"].casefold(), n))
        pool = ranked[: 3 * cap]
        linked = _connected(pool, _edges(view, pool, None), None)
        kept = [n for n in pool if n in linked][:cap]
        hop, relevance, candidates = {}, {n: view.pagerank(n) for n in kept}, len(ranked)
    found = _edges(view, kept, centre)
    linked = _connected(kept, found, centre)
    kept = [n for n in kept if n in linked]
    found = [e for e in found if e["source"] in linked and e["target"] in linked]
    degree = Counter(x for e in found for x in (e["source"], e["target"]))
    shown = set(kept[: max(0, labels)]) | ({centre} if centre else set())
    nodes = []
    for n in kept:
        d, m = g.nodes[n], view.metrics.get(n, {})
        community = d.get("community") or m.get("community") or ""
        community_label = m.get("community_label") or (g.nodes[community]["label"] if community in g else "")
        nodes.append({"iri": n, "label": d["label"], "type": d["kind"], "community": community,
                      "community_label": community_label, "papers": len(view.paper_set(n)),
                      "pagerank": view.pagerank(n), "hop": hop.get(n), "relevance": relevance[n],
                      "degree": degree[n], "labelled": n in shown})
    logger.debug("concept map of %s: %d nodes, %d edges of %d candidates", centre, len(nodes), len(found), candidates)
    return ConceptMap(centre, tuple(nodes), tuple(found), candidates)


def with_evidence(store: ox.Store, cmap: ConceptMap) -> ConceptMap:
    """``cmap`` with the evidence sentences of its relation edges (best first), read from the store."""
    ids = sorted({e["statement"] for e in cmap.edges if e["statement"]})
    if not ids:
        return cmap
    found = {r["statement"]: r["evidence"] for r in statement_relations(store, ids)}
    return replace(cmap, edges=tuple({**e, "evidence": tuple({k: ev[k] for k in ("paper", "title", "sentence",
                                                                                   "score")}
                                                                  for ev in found.get(e["statement"], ()))}
                                     if e["statement"] else e for e in cmap.edges))


def layout(cmap: ConceptMap, *, seed: int = LAYOUT_SEED, scale: float | None = None) -> dict[str, tuple[float, float]]:
    """Fixed positions (pixels) of the map's nodes: the same map always gets the same picture."""
    h = nx.Graph()
    h.add_nodes_from(n["iri"] for n in cmap.nodes)
    for e in cmap.edges:
        w = e["confidence"] if e["confidence"] is not None else e["shared"] / (e["shared"] + 1)
        old = h.get_edge_data(e["source"], e["target"], {}).get("weight", 0.0)
        h.add_edge(e["source"], e["target"], weight=old + w)
    if not h:
        return {}
    size = scale or 90.0 * math.sqrt(len(h)) + 60
    pos = nx.spring_layout(h, seed=seed, weight="weight", iterations=200, k=2.2 / math.sqrt(len(h)))
    cx, cy = pos[cmap.centre] if cmap.centre in pos else (0.0, 0.0)  # the centre in the middle of the frame
    span = max((max(abs(x - cx), abs(y - cy)) for x, y in pos.values()), default=0.0) or 1.0
    pos = {n: ((x - cx) / span, (y - cy) / span) for n, (x, y) in pos.items()}
    return {n: (round(float(x) * size, 1), round(float(y) * size, 1)) for n, (x, y) in pos.items()}


def edge_rows(cmap: ConceptMap) -> list[dict]:
    """One table row per edge: source, predicate, target, kind, confidence, shared, evidence (first sentence)."""
    label = {n["iri"]: n["label"] for n in cmap.nodes}
    return [{"source": label[e["source"]], "predicate": e["predicate"], "target": label[e["target"]],
             "kind": e["kind"], "confidence": e["confidence"], "shared": e["shared"] or None,
             "sentences": len(e["evidence"]),
             "evidence": (e["evidence"][0]["sentence"] if e["evidence"]
                          else "; ".join(p["title"] for p in e["papers"][:3])),
             "source_iri": e["source"], "target_iri": e["target"]} for e in cmap.edges]
