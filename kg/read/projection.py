"""networkx views of the graph: the paper-entity projection, its confidence cut, neighbourhoods and their tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import networkx as nx
import pyoxigraph as ox

from kg.model import EntityType
from kg.read.sparql import LINK_FILTER, TYPED, conf, local, passes, rows

PAPER = "Paper"  # the ``kind`` of paper nodes; entity nodes have an EntityType value
ENTITY_KINDS: frozenset[str] = frozenset(EntityType)

_PAPERS = "SELECT ?p ?title WHERE { ?p a abx:Paper ; dcterms:title ?title }"
_LINKS = f"""SELECT ?paper ?pred ?e WHERE {{ ?paper a abx:Paper ; ?pred ?e . {LINK_FILTER}
    ?e a ?type . {TYPED} }}"""
_LINK_SUPPORT = """SELECT ?paper ?e (MAX(?c) AS ?conf) (COUNT(DISTINCT ?ev) AS ?n)
    (GROUP_CONCAT(DISTINCT ?rule; separator="|") AS ?rules) WHERE {
    ?paper abx:hasEvidence ?ev . ?ev rdf:object ?e .
    OPTIONAL { ?ev abx:confidence ?c } OPTIONAL { ?ev abx:rule ?rule } } GROUP BY ?paper ?e"""
_ENTITY_NODES = f"""SELECT ?e ?label ?type ?count ?conf ?key WHERE {{ ?e a ?type ; skos:prefLabel ?label . {TYPED}
    OPTIONAL {{ ?e abx:paperCount ?count }} OPTIONAL {{ ?e abx:confidence ?conf }}
    OPTIONAL {{ ?e abx:canonicalKey ?key }} }}"""
_ALT_LABELS = "SELECT ?e ?alt WHERE { ?e skos:altLabel ?alt }"
_VARIANTS = "SELECT ?e ?base ?label WHERE { ?e abx:variantOf ?base . OPTIONAL { ?base skos:prefLabel ?label } }"


def _sorted_set(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values), key=lambda v: (v.casefold(), v)))  # the tie-break keeps builds identical


def paper_entity_graph(store: ox.Store, *, support: bool = True) -> nx.DiGraph:
    """Papers and entities as nodes, one edge per typed paper-entity link.

    Node attributes: ``label``, ``kind`` (``PAPER`` or an entity type) and
    ``papers`` (entities: how many papers mention them). Edge attribute:
    ``predicate`` (proposes, uses, evaluatesOn, addresses, reportsMetric, mentions).

    With ``support`` (the dashboard's and the snapshot's graph) entities also get
    ``confidence``, ``alt`` (other surface forms), ``variant_of`` (labels of the
    entities they vary) and ``key`` (canonical key), and links get what backs
    them: ``confidence`` (the highest over the link's evidence; 0 when none is
    recorded), ``evidence`` (how many records) and ``rules`` (the extractor rules
    behind them). Without it (the GraphML, GEXF and CSV exports) every attribute
    is a plain string or number, as those formats need.
    """
    g = nx.DiGraph()
    for r in rows(store, _PAPERS):  # papers with no entity link are nodes too
        g.add_node(r["p"], label=r["title"], kind=PAPER, papers=1)
    alt: dict[str, list[str]] = {}
    variant_of: dict[str, list[str]] = {}
    if support:
        for r in rows(store, _ALT_LABELS):
            alt.setdefault(r["e"], []).append(r["alt"])
        for r in rows(store, _VARIANTS):
            variant_of.setdefault(r["e"], []).append(r["label"] or local(r["base"]))
    entities: dict[str, dict] = {}
    for r in rows(store, _ENTITY_NODES):
        if r["e"] in entities or r["e"] in g:  # an entity with two entity types: the first row wins
            continue
        entities[r["e"]] = {"label": r["label"], "kind": local(r["type"]), "papers": int(r["count"] or 0)}
        if support:
            entities[r["e"]].update(confidence=conf(r["conf"]), key=r["key"] or "",
                                    alt=_sorted_set(alt.get(r["e"], ())),
                                    variant_of=_sorted_set(variant_of.get(r["e"], ())))
    backing = {(r["paper"], r["e"]): r for r in rows(store, _LINK_SUPPORT)} if support else {}
    # Entities join in the order of their first link, then those with none: the GraphML and GEXF files
    # list nodes in graph order, and this keeps them as they were written before the two projections became one.
    for r in rows(store, _LINKS):
        if r["paper"] not in g or r["e"] not in entities:
            continue
        if r["e"] not in g:
            g.add_node(r["e"], **entities[r["e"]])
        g.add_edge(r["paper"], r["e"], predicate=local(r["pred"]))
        if support:
            s = backing.get((r["paper"], r["e"]), {})
            g.edges[r["paper"], r["e"]].update(confidence=conf(s.get("conf")), evidence=int(s.get("n") or 0),
                                               rules=tuple(sorted(x for x in (s.get("rules") or "").split("|") if x)))
    g.add_nodes_from((e, d) for e, d in entities.items() if e not in g)
    return g


def at_confidence(g: nx.DiGraph, threshold: float) -> nx.DiGraph:
    """``g`` without the links below ``threshold``, nor the entities left with no link.

    Each entity's ``papers`` becomes the number of papers still linked to it
    (``papers_all`` keeps the count at any confidence). Papers always stay.
    ``g`` itself is returned, unchanged, when ``threshold`` is 0 or less.
    """
    if threshold <= 0:
        return g
    edges = [(u, v, d) for u, v, d in g.edges(data=True) if passes(d.get("confidence", 0.0), threshold)]
    incoming = Counter(v for _, v, _ in edges)
    outgoing = {u for u, _, _ in edges}
    h = nx.DiGraph()
    h.add_nodes_from((n, d) if d.get("kind") == PAPER
                     else (n, {**d, "papers_all": d.get("papers", incoming[n]), "papers": incoming[n]})
                     for n, d in g.nodes(data=True)
                     if d.get("kind") == PAPER or incoming[n] or n in outgoing)
    h.add_edges_from(edges)
    return h


def top_entities(source: nx.DiGraph | ox.Store, type_name: str, n: int = 10,
                 min_confidence: float = 0.0) -> list[dict]:
    """The ``n`` entities of ``type_name`` (e.g. "Method") in most papers: {label, iri, papers}.

    Only links of confidence ``min_confidence`` or more count. ``source`` is a
    graph from ``paper_entity_graph`` (already filtered or not) or a store.
    """
    if type_name not in ENTITY_KINDS:
        raise ValueError(f"unknown entity type {type_name!r}; choose one of {', '.join(EntityType)}")
    g = paper_entity_graph(source) if isinstance(source, ox.Store) else source
    g = at_confidence(g, min_confidence)
    top = sorted(((d["label"], node, g.in_degree(node)) for node, d in g.nodes(data=True) if d["kind"] == type_name),
                 key=lambda t: (-t[2], t[0].casefold(), t[1]))
    return [{"label": label, "iri": iri, "papers": count} for label, iri, count in top[: max(0, int(n))]]


def neighbourhood(g: nx.DiGraph, centre: str, *, hops: int = 1, kinds: Iterable[str] | None = None,
                  cap: int = 150) -> nx.DiGraph:
    """The ``hops``-neighbourhood of ``centre``, at most ``cap`` nodes.

    Nodes are filtered by ``kinds`` (the centre is always kept) and then
    ranked by degree in the whole graph, so a hub's view stays readable and
    the browser never has to lay out thousands of nodes.
    """
    if centre not in g:
        return nx.DiGraph()
    allowed = set(kinds) if kinds is not None else None
    undirected = g.to_undirected(as_view=True)
    reach = nx.single_source_shortest_path_length(undirected, centre, cutoff=max(0, hops))
    keep = [n for n in reach if n == centre or allowed is None or g.nodes[n]["kind"] in allowed]
    keep.sort(key=lambda n: (n != centre, reach[n], -g.degree(n), g.nodes[n]["label"]))
    return g.subgraph(keep[: max(1, cap)]).copy()


def neighbour_table(g: nx.DiGraph, sub: nx.DiGraph, centre: str) -> list[dict]:
    """Rows for the nodes of ``sub`` other than ``centre``: label, type, hops, link, degree, iri.

    ``link`` is the predicate joining a node to the centre (blank beyond one hop);
    ``degree`` counts its links in the whole graph ``g``.
    """
    if centre not in g:
        return []
    dist = nx.single_source_shortest_path_length(sub.to_undirected(as_view=True), centre)
    table = []
    for node, data in sub.nodes(data=True):
        if node == centre:
            continue
        edge = g.get_edge_data(node, centre) or g.get_edge_data(centre, node) or {}
        table.append({"label": data.get("label", node), "type": data.get("kind", ""),
                      "hops": dist.get(node), "link": edge.get("predicate", ""),
                      "degree": g.degree(node), "iri": node})
    table.sort(key=lambda r: (r["hops"] is None, r["hops"] or 0, -r["degree"], r["label"].casefold()))
    return table


def link_table(g: nx.DiGraph, sub: nx.DiGraph, centre: str | None = None) -> list[dict]:
    """One row per link of ``sub``: paper, predicate, entity, type, confidence, evidence, rules, and the IRIs.

    Links of the centre come first, then by confidence (highest first).
    """
    table = []
    for u, v, d in sub.edges(data=True):
        table.append({"paper": g.nodes[u]["label"], "predicate": d.get("predicate", ""),
                      "entity": g.nodes[v]["label"], "type": g.nodes[v].get("kind", ""),
                      "confidence": round(float(d.get("confidence", 0.0)), 4), "evidence": int(d.get("evidence", 0)),
                      "rules": ", ".join(d.get("rules", ())), "paper_iri": u, "entity_iri": v})
    table.sort(key=lambda r: (centre not in (r["paper_iri"], r["entity_iri"]), -r["confidence"],
                              r["entity"].casefold(), r["paper"].casefold()))
    return table
