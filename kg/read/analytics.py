"""Graph analytics computed once per build and stored, never per page view.

The *entity projection* joins two entities when a paper links to both; its
edge weight is the number of such papers. Over its sparse matrix we compute,
with scipy and scikit-network:

* ``degree``: how many distinct entities an entity co-occurs with;
* ``pagerank``: PageRank of the weighted projection (sums to 1 over entities);
* ``community``: Louvain communities (scikit-network; fixed seed, nodes in
  IRI order, so the same graph always gives the same partition). A community is named after its
  member of highest PageRank, which gives it a stable IRI;
* ``cooccurrence``: each entity's strongest partners (at least
  ``min_shared`` shared papers, at most ``top_k``), so "what goes with X" is a
  lookup rather than a two-hop aggregate over thousands of papers;
* ``rank``: position within its type by papers (1 = most papers), so "top
  methods" reads 20 index entries instead of sorting every method;
* trends: papers per year and the first year an entity appears, where the
  input gives publication years.

Everything here is a plain function of plain data; ``kg.read.snapshot`` reads the
inputs from the store and writes the results back as triples.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from scipy import sparse
from sknetwork.clustering import Louvain

from kg import iri
from kg.read.projection import PAPER
from kg.vocab import ABX, Terms, literal

logger = logging.getLogger(__name__)

COMMUNITY_SEED = 7


@dataclass(frozen=True, slots=True)
class EntityMetrics:
    """Per-build analytics of one entity."""

    degree: int
    pagerank: float
    rank: int
    community: str | None = None  # IRI of the entity naming the community
    years: tuple[tuple[int, int], ...] = ()  # (year, papers), ascending
    partners: tuple[tuple[str, int], ...] = ()  # (entity IRI, shared papers), strongest first

    @property
    def first_year(self) -> int | None:
        return self.years[0][0] if self.years else None


@dataclass(frozen=True, slots=True)
class Community:
    """A Louvain community of the entity projection, named after its member of highest PageRank."""

    key: str  # IRI of that member
    members: tuple[str, ...]  # entity IRIs, highest PageRank first
    labels: tuple[str, ...]  # labels of the first few members


@dataclass(frozen=True, slots=True)
class Analytics:
    entities: dict[str, EntityMetrics]
    communities: tuple[Community, ...]
    projection_edges: int

    def as_dict(self) -> dict:
        return {"entities": len(self.entities), "communities": len(self.communities),
                "projection_edges": self.projection_edges}


def projection(graph: nx.DiGraph) -> tuple[list[str], sparse.csr_matrix]:
    """Entity IRIs (sorted) and their co-occurrence matrix (shared papers; zero diagonal)."""
    entities = sorted(n for n, d in graph.nodes(data=True) if d.get("kind") != PAPER)
    papers = sorted(n for n, d in graph.nodes(data=True) if d.get("kind") == PAPER)
    e_index = {e: i for i, e in enumerate(entities)}
    p_index = {p: i for i, p in enumerate(papers)}
    pairs = {(e_index[v], p_index[u]) for u, v in graph.edges() if u in p_index and v in e_index}
    rows = np.fromiter((e for e, _ in pairs), dtype=np.int64, count=len(pairs))
    cols = np.fromiter((p for _, p in pairs), dtype=np.int64, count=len(pairs))
    incidence = sparse.csr_matrix((np.ones(len(pairs), dtype=np.int64), (rows, cols)),
                                  shape=(len(entities), len(papers)))
    shared = (incidence @ incidence.T).tocsr()
    shared.setdiag(0)
    shared.eliminate_zeros()
    return entities, shared


def _partners(entities: list[str], shared: sparse.csr_matrix, papers: Mapping[str, int], top_k: int,
              min_shared: int) -> dict[str, tuple[tuple[str, int], ...]]:
    out: dict[str, tuple[tuple[str, int], ...]] = {}
    for i, entity in enumerate(entities):
        start, end = shared.indptr[i], shared.indptr[i + 1]
        cols, weights = shared.indices[start:end], shared.data[start:end]
        keep = weights >= min_shared
        if not keep.any():
            continue
        found = sorted(((entities[c], int(w)) for c, w in zip(cols[keep], weights[keep], strict=True)),
                       key=lambda t: (-t[1], -papers.get(t[0], 0), t[0]))
        out[entity] = tuple(found[:top_k])
    return out


def _years(graph: nx.DiGraph, paper_years: Mapping[str, int]) -> dict[str, tuple[tuple[int, int], ...]]:
    per: dict[str, Counter] = defaultdict(Counter)
    for paper, entity in graph.edges():
        year = paper_years.get(paper)
        if year is not None:
            per[entity][year] += 1
    return {e: tuple(sorted(c.items())) for e, c in per.items()}


def _ranks(graph: nx.DiGraph, entities: list[str]) -> dict[str, int]:
    by_type: dict[str, list[str]] = defaultdict(list)
    for e in entities:
        by_type[graph.nodes[e].get("kind", "")].append(e)
    ranks = {}
    for members in by_type.values():
        members.sort(key=lambda e: (-int(graph.nodes[e].get("papers", 0)),
                                    str(graph.nodes[e].get("label", "")).casefold(), e))
        ranks.update((e, i) for i, e in enumerate(members, start=1))
    return ranks


def pagerank(weights: sparse.csr_matrix, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-6) -> np.ndarray:
    """PageRank of an undirected weighted graph given as its symmetric weight matrix (sums to 1).

    The power iteration of ``networkx.pagerank`` (uniform teleport, the rank
    of nodes with no edge spread uniformly, stop when the L1 change is under
    ``n * tol``), run on the matrix the projection already is rather than on
    a networkx copy of it, which at 55k papers took longer than the iteration.
    """
    n = weights.shape[0]
    if n == 0:
        return np.zeros(0)
    out = np.asarray(weights.sum(axis=1)).ravel().astype(np.float64)
    dangling = out == 0
    step = sparse.diags(np.divide(1.0, out, out=np.zeros(n), where=~dangling)) @ weights
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        previous = x
        x = alpha * (x @ step + previous[dangling].sum() / n) + (1 - alpha) / n
        if np.abs(x - previous).sum() < n * tol:
            return x
    logger.warning("PageRank did not converge in %d iterations; keeping the last one", max_iter)
    return x


def compute(graph: nx.DiGraph, paper_years: Mapping[str, int] | None = None, *, top_k: int = 25,
            min_shared: int = 2, community_min_size: int = 3) -> Analytics:
    """Analytics of a paper-entity ``graph`` (as ``kg.read.projection.paper_entity_graph`` gives, every link counted).

    ``paper_years`` maps paper IRIs to publication years (papers without one
    are left out of the trends).
    """
    entities, shared = projection(graph)
    papers = {e: int(graph.nodes[e].get("papers", 0)) for e in entities}
    degree = np.diff(shared.indptr)  # distinct partners: the diagonal is zero
    rank_value = dict(zip(entities, pagerank(shared).tolist(), strict=True))
    communities: list[Community] = []
    member_of: dict[str, str] = {}
    if shared.nnz:
        labels = Louvain(modularity="newman", random_state=COMMUNITY_SEED).fit_predict(shared.astype(np.float64))
        groups: dict[int, list[str]] = defaultdict(list)
        for e, label in zip(entities, labels.tolist(), strict=True):
            groups[label].append(e)
        for group in groups.values():
            if len(group) < community_min_size:
                continue
            members = tuple(sorted(group, key=lambda e: (-rank_value[e], e)))
            labels_ = tuple(str(graph.nodes[e].get("label", "")) for e in members[:3])
            communities.append(Community(members[0], members, labels_))
            member_of.update((e, members[0]) for e in members)
    communities.sort(key=lambda c: (-len(c.members), c.key))
    partners = _partners(entities, shared, papers, top_k, min_shared)
    years = _years(graph, paper_years or {})
    ranks = _ranks(graph, entities)
    metrics = {e: EntityMetrics(degree=int(degree[i]), pagerank=float(rank_value[e]),
                                rank=ranks[e], community=member_of.get(e), years=years.get(e, ()),
                                partners=partners.get(e, ()))
               for i, e in enumerate(entities)}
    result = Analytics(metrics, tuple(communities), int(shared.nnz // 2))
    logger.info("analytics: %s", result.as_dict())
    return result


def _community_iri(base: str, entity_iri: str) -> URIRef:
    return URIRef(f"{base}community/{entity_iri.rsplit('/', 1)[-1]}")


_ABX, _RDF, _SKOS = Terms(ABX), Terms(RDF), Terms(SKOS)  # terms looked up once (see kg.vocab.Terms)


def analytics_triples(result: Analytics, base: str) -> Iterator[tuple]:
    """The analytics as RDF (rdflib terms): entity metrics, communities, co-occurrence, trends."""
    for c in result.communities:
        node = _community_iri(base, c.key)
        yield node, _RDF.type, _ABX.Community
        yield node, _SKOS.prefLabel, Literal(" · ".join(c.labels))
        yield node, _ABX.memberCount, literal(len(c.members))
    for entity, m in sorted(result.entities.items()):
        e = URIRef(entity)
        yield e, _ABX.degree, literal(m.degree)
        yield e, _ABX.pageRank, Literal(m.pagerank, datatype=XSD.double)
        yield e, _ABX.rankInType, literal(m.rank)
        if m.community:
            yield e, _ABX.community, _community_iri(base, m.community)
        if m.first_year is not None:
            yield e, _ABX.firstYear, literal(str(m.first_year), XSD.gYear)
        for year, count in m.years:
            node = URIRef(iri.trend_iri(entity, year))
            yield e, _ABX.yearCount, node
            yield node, _RDF.type, _ABX.YearCount
            yield node, _ABX.year, literal(str(year), XSD.gYear)
            yield node, _ABX.papersInYear, literal(count)
        for partner, count in m.partners:
            node = URIRef(iri.cooccurrence_iri(entity, partner))
            yield e, _ABX.cooccurrence, node
            yield node, _RDF.type, _ABX.Cooccurrence
            yield node, _ABX.cooccursWith, URIRef(partner)
            yield node, _ABX.sharedPapers, literal(count)
