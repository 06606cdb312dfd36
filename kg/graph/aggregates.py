"""Counts precomputed per build from the in-memory build records, so that aggregate questions
("how many methods?", "how many papers make a result claim?") read a handful of triples instead of
grouping millions of them at query time.

Each count is a small ``abx:Tally`` node with a deterministic IRI (``kg.iri.tally_iri``):

* one per entity type that has entities (``abx:tallyOf`` the type's class): the entities of that type
  (``abx:itemCount``) and the distinct papers linked to at least one of them (``abx:paperTotal``);
* one per claim kind (``abx:tallyOf abx:Claim``, ``abx:tallyKind`` the kind): the claims of that
  kind (``abx:itemCount``) and the distinct papers making at least one (``abx:paperTotal``).

The counts follow ``kg.graph.triples`` exactly: papers count by the links the graph states (the
same ``paper_links``), and claims sharing a sentence are one claim node, as they are in the graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from kg import iri
from kg.graph.canon import EntityTable
from kg.model import EntityType, Extraction
from kg.store.quads import Triple
from kg.vocab import ABX


def _tally(node: URIRef, of: URIRef, items: int, papers: int, kind: str | None = None) -> Iterator[Triple]:
    yield node, RDF.type, ABX.Tally
    yield node, ABX.tallyOf, of
    if kind is not None:
        yield node, ABX.tallyKind, Literal(kind)
    yield node, ABX.itemCount, Literal(items)
    yield node, ABX.paperTotal, Literal(papers)


def entity_type_counts(table: EntityTable,
                       linked: Iterable[tuple[str, Iterable[str]]]) -> dict[EntityType, tuple[int, int]]:
    """Per entity type with entities: (entities, distinct papers linked to at least one of them).

    ``linked``: each paper's key and the keys of the entities it links to (``kg.graph.triples.paper_links``).
    """
    entities: dict[EntityType, int] = dict.fromkeys(EntityType, 0)
    for entity in table.entities.values():
        entities[entity.type] += 1
    papers: dict[EntityType, set[str]] = defaultdict(set)
    for paper, keys in linked:
        for key in keys:
            papers[table.entities[key].type].add(paper)
    return {t: (entities[t], len(papers[t])) for t in EntityType if entities[t]}


def claim_kind_counts(extractions: Sequence[Extraction]) -> dict[str, tuple[int, int]]:
    """Per claim kind (sorted): (claim nodes, distinct papers making one); claims without a kind are left out."""
    claims: dict[str, set[tuple[str, str, int, int]]] = defaultdict(set)
    for ex in extractions:
        for claim in ex.claims:
            if claim.kind:
                s = claim.sentence
                claims[claim.kind].add((ex.paper.key, s.section.value, s.start, s.end))
    return {kind: (len(nodes), len({n[0] for n in nodes})) for kind, nodes in sorted(claims.items())}


def aggregate_triples(extractions: Sequence[Extraction], table: EntityTable, base: str,
                      linked: Iterable[tuple[str, Iterable[str]]]) -> Iterator[Triple]:
    """The ``abx:Tally`` nodes of one build: one per entity type, one per claim kind (``linked``: as
    :func:`entity_type_counts` takes it)."""
    for etype, (count, papers) in entity_type_counts(table, linked).items():
        node = URIRef(iri.tally_iri(base, "entity", etype.value))
        yield from _tally(node, ABX[etype.value], count, papers)
    for kind, (count, papers) in claim_kind_counts(extractions).items():
        node = URIRef(iri.tally_iri(base, "claim", kind))
        yield from _tally(node, ABX.Claim, count, papers, kind)
