"""What a build derives from its records besides the triples, so it never reads back what it loaded.

The analytics and the dashboard's snapshot need the paper-entity link graph,
the papers' years, every confidence, and the documents of the full-text
index. A build has the records those triples come from in memory, so it
derives them here, from the same :func:`kg.graph.triples.paper_links` the
triples are written from. Each function gives what the store's reader gives
on the loaded graph (the tests compare them on the seed graph):

- :func:`link_graph`: ``kg.read.projection.paper_entity_graph(store)``;
- :func:`paper_years`: ``kg.read.snapshot.paper_years(store)``;
- :func:`confidences`: the ``abx:confidence`` of every evidence record, claim and result;
- :func:`documents`: the rows ``kg.read.fulltext`` indexes;
- :func:`results`: ``kg.read.leaderboard.all_results(store)``;
- :func:`statement_rows`: ``kg.read.concepts.relation_statements(store)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import networkx as nx

from kg import iri
from kg.graph.canon import EntityTable
from kg.graph.relations import Statement
from kg.graph.triples import Link, paper_links
from kg.model import Extraction, Section
from kg.read.fulltext import Document, entity_documents, paper_document, sentence_documents
from kg.read.leaderboard import result_rows
from kg.read.projection import PAPER
from kg.read.sparql import local


def _stored(value: float) -> float:
    """A confidence as the store gives it back (an xsd:decimal of four places)."""
    return float(round(value, 4))


@dataclass(frozen=True, slots=True)
class PaperLinks:
    """One paper's IRI, title and entity links."""

    iri: str
    title: str
    links: tuple[Link, ...]


def linked_papers(extractions: Sequence[Extraction], table: EntityTable, base: str) -> list[PaperLinks]:
    """Every paper's links, computed once for all the derivations below."""
    return [PaperLinks(iri.paper_iri(base, ex.paper.key), ex.paper.title, tuple(paper_links(ex, table)))
            for ex in extractions]


def _sorted_set(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values), key=lambda v: (v.casefold(), v)))


def link_graph(papers: Sequence[PaperLinks], table: EntityTable, base: str) -> nx.DiGraph:
    """Papers and entities as nodes, one edge per paper-entity link, with what backs each link.

    The attributes are those of ``kg.read.projection.paper_entity_graph`` with ``support``.
    """
    g = nx.DiGraph()
    for p in papers:
        g.add_node(p.iri, label=p.title, kind=PAPER, papers=1)
    entity_iri = {key: iri.entity_iri(base, key) for key in table.entities}
    nodes = {}
    for key, entity in table.entities.items():
        variant = table.variants.get(key)
        variant_of = ()
        if variant is not None:
            found = table.entities.get(variant)
            variant_of = (found.pref_label if found else local(iri.entity_iri(base, variant)),)
        nodes[entity_iri[key]] = {
            "label": entity.pref_label, "kind": entity.type.value, "papers": entity.paper_count,
            "confidence": _stored(entity.confidence), "key": key, "alt": _sorted_set(entity.alt_labels),
            "variant_of": variant_of}
    for p in papers:
        for link in p.links:
            e = entity_iri[link.entity]
            if e not in g:
                g.add_node(e, **nodes[e])
            rules = {rule for m in link.mentions for rule in (m.rule, *m.agreeing)}
            g.add_edge(p.iri, e, predicate=link.role.value, confidence=_stored(link.confidence),
                       evidence=link.evidence, rules=tuple(sorted(rules)))
    g.add_nodes_from((e, d) for e, d in nodes.items() if e not in g)
    return g


def paper_years(extractions: Sequence[Extraction], base: str) -> dict[str, int]:
    """Publication year of every paper that has one, by paper IRI."""
    return {iri.paper_iri(base, ex.paper.key): ex.paper.year for ex in extractions if ex.paper.year is not None}


def confidences(extractions: Sequence[Extraction], papers: Sequence[PaperLinks]) -> dict[str, list[float]]:
    """The stored confidence of every evidence record, claim and result: {"Evidence": [...], ...}."""
    evidence = [_stored(link.confidence) for p in papers for link in p.links for _ in range(link.evidence)]
    claims: dict[tuple[str, tuple], float] = {}
    results: dict[tuple[str, tuple, int, int], float] = {}
    for ex in extractions:
        for claim in ex.claims:
            where = (ex.paper.key, (claim.sentence.section, claim.sentence.start, claim.sentence.end))
            claims[where] = _stored(claim.score)
            for result in claim.results:
                results[(*where, result.quantity.start, result.quantity.end)] = _stored(result.confidence(claim.score))
    return {"Evidence": evidence, "Claim": list(claims.values()), "Result": list(results.values())}


def documents(extractions: Sequence[Extraction], papers: Sequence[PaperLinks], graph: nx.DiGraph,
              base: str) -> Iterator[Document]:
    """The rows of the full-text index: papers, entities, and the sentences linking papers to entities."""
    for ex, p in zip(extractions, papers, strict=True):
        yield paper_document(p.iri, p.title, ex.paper.abstract or "")
    yield from entity_documents(graph)
    yield from sentence_documents(
        (p.iri, p.title, iri.entity_iri(base, link.entity), m.sentence.text, _stored(link.confidence))
        for p in papers for link in p.links for m in link.mentions if m.span.section is not Section.TITLE)


_ROLES = ("method", "dataset", "metric", "baseline", "condition")


def results(extractions: Sequence[Extraction], table: EntityTable, base: str) -> list[dict]:
    """Every leaderboard row (one per structured result), sorted as the leaderboard sorts them."""
    found: dict[str, dict] = {}
    for ex in extractions:
        p = iri.paper_iri(base, ex.paper.key)
        for claim in ex.claims:
            s = claim.sentence
            c = iri.claim_iri(p, s.section.value, s.start, s.end)
            for result in claim.results:
                q = result.quantity
                roles: dict[str, set[str]] = {role: set() for role in _ROLES}
                baseline_text = ""
                for role in _ROLES:
                    text = getattr(result, role)
                    if not text:
                        continue
                    key = table.key_for_text(ex.paper.key, text)
                    if key in table.entities:
                        roles[role].add(table.entities[key].pref_label)
                    elif role == "baseline":
                        baseline_text = text
                found[iri.result_iri(c, q.start, q.end)] = {
                    **roles, "baseline_text": baseline_text, "value": _stored(q.value), "unit": q.unit or "",
                    "qualifier": q.qualifier or "", "direction": result.direction or "",
                    "confidence": _stored(result.confidence(claim.score)), "paper": ex.paper.title,
                    "claim": s.text or "", "paper_iri": p, "kind": result.kind or "", "claim_iri": c,
                    "claim_start": s.start}
    return result_rows(found.values())


def statement_rows(found: Iterable[Statement], base: str) -> list[dict]:
    """Every relation statement: {statement, subject, predicate, object, confidence}, sorted as the store's."""
    rows = [{"statement": iri.relation_iri(base, st.subject, st.predicate, st.object),
             "subject": iri.entity_iri(base, st.subject), "predicate": st.predicate,
             "object": iri.entity_iri(base, st.object), "confidence": _stored(st.confidence)} for st in found]
    rows.sort(key=lambda r: (r["subject"], r["object"], r["predicate"], r["statement"]))
    return rows
