"""Extractions -> RDF triples (rdflib terms), with evidence and provenance.

No blank nodes are minted: every node has an IRI derived from canonical
keys and character offsets, so the same input always gives the same triples.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.namespace import XSD

from kg import iri, vocab
from kg.graph.aggregates import aggregate_triples
from kg.graph.canon import Aliases, EntityTable, VariantRules
from kg.graph.corrections import Corrections
from kg.graph.relations import HIERARCHICAL, Statement, statements
from kg.model import (
    DEFAULT_ROLE,
    EntityType,
    Extraction,
    Mention,
    Result,
    Role,
    Section,  # noqa: F401 - used by the doctest of link_confidence
    TextSpan,
)
from kg.store.quads import Triple
from kg.vocab import Terms, bind_prefixes, literal

logger = logging.getLogger(__name__)

# the vocabulary, looked up once per term (see kg.vocab.Terms)
ABX, DCTERMS, PROV, RDF, SDO, SKOS = (Terms(n) for n in (vocab.ABX, ns.DCTERMS, ns.PROV, ns.RDF, ns.SDO, ns.SKOS))


_CLASS = {
    EntityType.METHOD: ABX.Method,
    EntityType.DATASET: ABX.Dataset,
    EntityType.TASK: ABX.Task,
    EntityType.METRIC: ABX.Metric,
    EntityType.CONCEPT: ABX.Concept,
}
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def valid_iri(text: str) -> bool:
    """Is ``text`` an absolute http(s) IRI the store accepts? (Oxigraph's parser decides.)"""
    if not text.lower().startswith(("http://", "https://")):
        return False
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def _span_triples(node: URIRef, span: TextSpan) -> Iterator[Triple]:
    yield node, ABX.section, literal(span.section.value)
    yield node, ABX.charStart, literal(span.start)
    yield node, ABX.charEnd, literal(span.end)


def _literals(node: URIRef, *pairs: tuple[URIRef, str | None]) -> Iterator[Triple]:
    """``node prop "text"`` for each pair whose text is given (an empty string is no value)."""
    for prop, text in pairs:
        if text:
            yield node, prop, Literal(text)


def _paper_triples(p: URIRef, ex: Extraction) -> Iterator[Triple]:
    paper = ex.paper
    yield p, RDF.type, ABX.Paper
    yield p, RDF.type, SDO.ScholarlyArticle
    yield p, DCTERMS.title, Literal(paper.title)
    yield p, DCTERMS.abstract, Literal(paper.abstract)
    yield from _literals(p, (DCTERMS.source, paper.source), (DCTERMS.identifier, paper.identifier))
    if paper.date:
        typed = _DATE_RE.fullmatch(paper.date)
        yield p, DCTERMS.date, Literal(paper.date, datatype=XSD.date if typed else None)
    if paper.year is not None:
        yield p, SDO.datePublished, Literal(str(paper.year), datatype=XSD.gYear)
    for author in paper.authors:
        yield p, DCTERMS.creator, Literal(author)
    if paper.url and valid_iri(paper.url):
        yield p, SDO.url, URIRef(paper.url)
    for link in sorted({lk.url for lk in ex.code_links}):
        if valid_iri(link):
            yield p, SDO.codeRepository, URIRef(link)
        else:
            logger.warning("%s: code link %r is not a valid IRI; left out", paper.source, link)


def _mention_triples(p: URIRef, e: URIRef, predicate: URIRef, role: Role, m: Mention,
                     confidence: float) -> Iterator[Triple]:
    ev = URIRef(iri.evidence_iri(str(p), role.value, str(e), m.span.section.value, m.span.start, m.span.end))
    yield p, ABX.hasEvidence, ev
    yield ev, RDF.type, ABX.Evidence
    yield ev, RDF.subject, p
    yield ev, RDF.predicate, predicate
    yield ev, RDF.object, e
    yield ev, ABX.surfaceForm, Literal(m.span.text)
    yield ev, ABX.sentenceText, literal(m.sentence.text)
    for rule in (m.rule, *m.agreeing):
        yield ev, ABX.rule, literal(rule)
    yield ev, ABX.score, _decimal(m.score)
    yield ev, ABX.confidence, _decimal(confidence)
    yield from _span_triples(ev, m.span)


@dataclass(frozen=True, slots=True)
class Link:
    """One paper-entity link as the graph states it: its predicate, its confidence, the mentions behind it."""

    entity: str  # canonical key
    role: Role
    confidence: float
    mentions: tuple[Mention, ...]

    @property
    def evidence(self) -> int:
        """How many evidence records state the link: one per distinct span among its mentions."""
        return len({(m.span.section, m.span.start, m.span.end) for m in self.mentions})


def paper_links(ex: Extraction, table: EntityTable) -> list[Link]:
    """The entity links of one paper, by canonical key: what ``extraction_triples`` writes and the snapshot derives."""
    by_entity: dict[str, list[Mention]] = {}
    for m in ex.mentions:
        key = table.key_of(ex.paper.key, m)
        if key in table.entities:
            by_entity.setdefault(key, []).append(m)
    links = []
    for key, mentions in sorted(by_entity.items()):
        if any(m.role is Role.PROPOSES for m in mentions):
            role = Role.PROPOSES
        elif all(m.role is Role.MENTIONS for m in mentions):
            role = Role.MENTIONS  # named only in the abstract's background (extract.decisions)
        else:
            role = DEFAULT_ROLE[table.entities[key].type]
        links.append(Link(key, role, link_confidence(mentions), tuple(mentions)))
    return links


def paper_own_triples(ex: Extraction, base: str) -> Iterator[Triple]:
    """The triples of a paper that depend on no other paper: its metadata and the extractor that read it."""
    p = URIRef(iri.paper_iri(base, ex.paper.key))
    yield from _paper_triples(p, ex)
    yield p, ABX.extractedBy, URIRef(iri.extractor_iri(base, ex.extractor, ex.version))


def extraction_triples(ex: Extraction, table: EntityTable, base: str,
                       links: Sequence[Link] | None = None, *, metadata: bool = True) -> Iterator[Triple]:
    """All triples of one paper: the paper (unless not ``metadata``: see :func:`paper_own_triples`), its
    entity links with evidence (``links``: its :func:`paper_links`, computed here when not given), its
    claims."""
    p = URIRef(iri.paper_iri(base, ex.paper.key))
    if metadata:
        yield from paper_own_triples(ex, base)

    sentence_entities: dict[tuple[str, int], set[URIRef]] = {}
    for link in paper_links(ex, table) if links is None else links:
        e = URIRef(iri.entity_iri(base, link.entity))
        predicate = ABX[link.role.value]
        yield p, predicate, e
        for m in link.mentions:
            yield from _mention_triples(p, e, predicate, link.role, m, link.confidence)
            sentence_entities.setdefault((m.sentence.section.value, m.sentence.start), set()).add(e)

    for claim in ex.claims:
        s = claim.sentence
        c = URIRef(iri.claim_iri(str(p), s.section.value, s.start, s.end))
        yield p, ABX.hasClaim, c
        yield c, RDF.type, ABX.Claim
        yield from _literals(c, (ABX.sentenceText, s.text), (ABX.claimKind, claim.kind))  # never empty
        yield c, ABX.cue, literal(claim.cue)
        yield c, ABX.confidence, _decimal(claim.score)
        yield from _span_triples(c, s)
        for e in sorted(sentence_entities.get((s.section.value, s.start), ())):
            yield c, SDO.about, e
        for q in claim.quantities:
            qn = URIRef(iri.quantity_iri(str(c), q.start, q.end))
            yield c, ABX.hasQuantity, qn
            yield qn, RDF.type, ABX.Quantity
            yield qn, SDO.value, _decimal(q.value)
            yield qn, SDO.unitText, Literal(q.unit)
            yield qn, ABX.surfaceForm, Literal(q.text)
            yield qn, ABX.charStart, literal(q.start)
            yield qn, ABX.charEnd, literal(q.end)
            if q.qualifier:
                yield qn, ABX.qualifier, Literal(q.qualifier)
        for result in claim.results:
            yield from _result_triples(c, result, ex.paper.key, table, base, claim.score)


def _result_triples(c: URIRef, result: Result, paper_key: str, table: EntityTable, base: str,
                    claim_score: float) -> Iterator[Triple]:
    q = result.quantity
    r = URIRef(iri.result_iri(str(c), q.start, q.end))
    yield c, ABX.hasResult, r
    yield r, RDF.type, ABX.Result
    yield r, ABX.confidence, _decimal(result.confidence(claim_score))
    yield r, SDO.value, _decimal(q.value)
    yield r, SDO.unitText, Literal(q.unit)
    yield from _literals(r, (ABX.qualifier, q.qualifier), (ABX.direction, result.direction),
                         (ABX.resultKind, result.kind))
    for prop, text in ((ABX.resultMethod, result.method), (ABX.resultDataset, result.dataset),
                       (ABX.resultMetric, result.metric), (ABX.baseline, result.baseline),
                       (ABX.condition, result.condition)):
        if not text:
            continue
        key = table.key_for_text(paper_key, text)
        if key in table.entities:
            yield r, prop, URIRef(iri.entity_iri(base, key))
        elif prop == ABX.baseline:
            yield r, ABX.baselineText, Literal(text)


def _decimal(value: float) -> Literal:
    return _decimal_of_rounded(round(value, 4))


@functools.lru_cache(maxsize=1 << 16)
def _decimal_of_rounded(value: float) -> Literal:
    return Literal(repr(value) if value != int(value) else str(int(value)), datatype=XSD.decimal)


def link_confidence(mentions: list[Mention]) -> float:
    """Confidence in a paper-entity link: the best score among its mentions in the paper.

    The extractor's decisions score every mention of a link with the link's probability, fitted on
    held-out annotations (``extract.decisions``), so the link keeps that number: other papers naming
    the same entity say nothing about whether this paper uses it.

    >>> m = Mention(TextSpan(Section.ABSTRACT, 0, 1, "x"), EntityType.METHOD, Role.USES,
    ...             TextSpan(Section.ABSTRACT, 0, 1, "x"), "name-shape", score=0.5)
    >>> from dataclasses import replace
    >>> link_confidence([m, replace(m, score=0.8)])
    0.8
    """
    return max(m.score for m in mentions)


def entity_triples(table: EntityTable, base_iri: str) -> Iterator[Triple]:
    for key, entity in sorted(table.entities.items()):
        e = URIRef(iri.entity_iri(base_iri, key))
        yield e, RDF.type, _CLASS[entity.type]
        yield e, RDF.type, SKOS.Concept
        yield e, SKOS.prefLabel, Literal(entity.pref_label)
        for alt in entity.alt_labels:
            yield e, SKOS.altLabel, Literal(alt)
        yield e, ABX.canonicalKey, Literal(key)
        yield e, ABX.paperCount, Literal(entity.paper_count)
        yield e, ABX.confidence, _decimal(entity.confidence)
        base = table.variants.get(key)
        if base is not None:
            b = URIRef(iri.entity_iri(base_iri, base))
            yield e, ABX.variantOf, b
            yield e, SKOS.broader, b


def extractor_triples(extractions: Sequence[Extraction], base: str) -> Iterator[Triple]:
    for name, version in sorted({(ex.extractor, ex.version) for ex in extractions}):
        agent = URIRef(iri.extractor_iri(base, name, version))
        yield agent, RDF.type, ABX.Extractor
        yield agent, RDF.type, PROV.SoftwareAgent
        yield agent, SDO.name, Literal(name)
        yield agent, SDO.softwareVersion, Literal(version)


def shared_triples(extractions: Sequence[Extraction], base: str, table: EntityTable,
                   links: Sequence[Sequence[Link]], found: Iterable[Statement]) -> Iterator[Triple]:
    """The triples no single paper owns: extractors, entity descriptions, relation statements (with their
    evidence from every paper), tallies. Their subjects are never a paper or a node minted under one,
    except relation evidence (``.../relation/...`` under the paper), which is the statement's."""
    yield from extractor_triples(extractions, base)
    yield from entity_triples(table, base)
    yield from relation_triples(found, base)
    yield from aggregate_triples(extractions, table, base, ((ex.paper.key, (link.entity for link in paper))
                                                            for ex, paper in zip(extractions, links, strict=True)))


def graph_triples(extractions: Iterable[Extraction], base: str, variants: VariantRules | None = None,
                  support_per_paper: float = 0.1, corrections: Corrections | None = None,
                  aliases: Aliases | None = None, table: EntityTable | None = None,
                  links: Sequence[Sequence[Link]] | None = None, metadata: bool = True,
                  found: Sequence[Statement] | None = None) -> Iterator[Triple]:
    """Every triple of the knowledge graph built from ``extractions`` (``table`` if already resolved, and
    ``links``, each paper's :func:`paper_links` in the order of ``extractions``, if already computed);
    without ``metadata``, all but each paper's :func:`paper_own_triples`; ``found``: the relation
    statements, if already computed).

    Each paper's block (:func:`extraction_triples`) comes first, then the :func:`shared_triples`."""
    exs = list(extractions)
    table = table or EntityTable(exs, variants, corrections, aliases)
    links = [paper_links(ex, table) for ex in exs] if links is None else links
    for ex, paper in zip(exs, links, strict=True):
        yield from extraction_triples(ex, table, base, paper, metadata=metadata)
    yield from shared_triples(exs, base, table, links,
                              statements(exs, table, support_per_paper) if found is None else found)


# entity-entity relations
def relation_triples(found: Iterable[Statement], base: str) -> Iterator[Triple]:
    """Each relation statement: the direct triple between the entities (and skos:broader for a
    hierarchical one), a statement node with its confidence, and one evidence node per sentence."""
    for st in found:
        h, t = URIRef(iri.entity_iri(base, st.subject)), URIRef(iri.entity_iri(base, st.object))
        predicate = ABX[st.predicate]
        yield h, predicate, t
        if st.predicate in HIERARCHICAL:
            yield h, SKOS.broader, t
        s = URIRef(iri.relation_iri(base, st.subject, st.predicate, st.object))
        yield s, RDF.type, ABX.RelationStatement
        yield s, RDF.subject, h
        yield s, RDF.predicate, predicate
        yield s, RDF.object, t
        yield s, ABX.confidence, _decimal(st.confidence)
        for ev in st.evidence:
            p = URIRef(iri.paper_iri(base, ev.paper_key))
            where = ev.sentence
            e = URIRef(iri.relation_evidence_iri(str(p), st.subject, st.predicate, st.object, where.section.value,
                                                 where.start, where.end))
            yield s, ABX.supportedBy, e
            yield e, RDF.type, ABX.RelationEvidence
            yield e, PROV.wasDerivedFrom, p
            yield e, ABX.sentenceText, Literal(where.text)
            yield from _span_triples(e, where)
            for form in ev.subject_forms:
                yield e, ABX.subjectForm, Literal(form)
            for form in ev.object_forms:
                yield e, ABX.objectForm, Literal(form)
            for name in ev.extractors:
                yield e, ABX.rule, literal(name)
            for label in ev.source_labels:
                yield e, ABX.sourceLabel, literal(label)
            yield e, ABX.score, _decimal(ev.score)
            yield e, PROV.wasAttributedTo, URIRef(iri.extractor_iri(base, *ev.agent))


def replacement_triples(replaced: dict[str, str], base: str) -> Iterator[Triple]:
    """``dcterms:isReplacedBy`` from each retired entity IRI to the entity now standing for it."""
    for old, new in sorted(replaced.items()):
        yield URIRef(iri.entity_iri(base, old)), DCTERMS.isReplacedBy, URIRef(iri.entity_iri(base, new))


_BUILD_COUNTS = {"added": ABX.papersAdded, "changed": ABX.papersChanged, "unchanged": ABX.papersUnchanged,
                 "removed": ABX.papersRemoved, "entities_created": ABX.entitiesCreated,
                 "entities_removed": ABX.entitiesRemoved}


def build_triples(builds: Iterable[tuple[str, dict]], base: str) -> Iterator[Triple]:
    """Provenance of every build of the store so far (kept out of the default graph)."""
    for name, record in builds:
        b = URIRef(f"{base}build/{iri.slug(name)}")
        yield b, RDF.type, ABX.Build
        yield b, RDF.type, PROV.Activity
        yield b, PROV.startedAtTime, Literal(record["started"], datatype=XSD.dateTime)
        yield b, PROV.endedAtTime, Literal(record["ended"], datatype=XSD.dateTime)
        for source in record.get("inputs", []):
            yield b, DCTERMS.source, Literal(source)
        for key, prop in _BUILD_COUNTS.items():
            if key in record:
                yield b, prop, Literal(record[key])


def to_graph(triples: Iterable[Triple]) -> Graph:
    """An rdflib graph of ``triples`` with our prefixes bound (for tests and tooling)."""
    g = bind_prefixes(Graph(bind_namespaces="none"))
    for t in triples:
        g.add(t)
    return g
