"""networkx views of the graph: the paper-entity projection and neighbourhoods."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pyoxigraph as ox

from kg.vocab import sparql_prefixes

_PROJECTION = sparql_prefixes() + """
SELECT ?paper ?title ?predicate ?entity ?label ?type ?count WHERE {
  ?paper a abx:Paper ; dcterms:title ?title ; ?predicate ?entity .
  ?entity skos:prefLabel ?label ; a ?type ; abx:paperCount ?count .
  FILTER(?type IN (abx:Method, abx:Dataset, abx:Task, abx:Metric, abx:Concept))
}"""

_PAPERS = sparql_prefixes() + "SELECT ?paper ?title WHERE { ?paper a abx:Paper ; dcterms:title ?title }"

ENTITY_TYPES = ("Method", "Dataset", "Task", "Metric", "Concept")
PAPER = "Paper"


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def paper_entity_graph(store: ox.Store) -> nx.DiGraph:
    """Papers and entities as nodes, one edge per typed paper-entity link.

    Node attributes: ``label``, ``kind`` (Paper or an entity type),
    ``papers`` (entities: how many papers mention them). Edge attribute:
    ``predicate`` (proposes, uses, evaluatesOn, addresses, reportsMetric, mentions).
    """
    g = nx.DiGraph()
    for row in store.query(_PAPERS):  # papers with no entity link are nodes too
        g.add_node(row["paper"].value, label=row["title"].value, kind=PAPER, papers=1)
    for row in store.query(_PROJECTION):
        paper, entity = row["paper"].value, row["entity"].value
        g.add_node(paper, label=row["title"].value, kind=PAPER, papers=1)
        g.add_node(entity, label=row["label"].value, kind=_local(row["type"].value),
                   papers=int(row["count"].value))
        g.add_edge(paper, entity, predicate=_local(row["predicate"].value))
    return g


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
