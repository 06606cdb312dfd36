"""The closed Abstracta vocabulary and the standard namespaces we reuse.

Every term is documented in ``kg/ontology.ttl``; a test keeps the two in
step. Misspelling a term raises ``AttributeError`` (``_fail = True``).
"""

from __future__ import annotations

import functools

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD, DefinedNamespace

ABX_IRI = "https://w3id.org/abstracta/ontology#"
MLS = Namespace("http://www.w3.org/ns/mls#")


class ABX(DefinedNamespace):
    """Abstracta ontology terms."""

    _NS = Namespace(ABX_IRI)
    _fail = True

    # classes
    Paper: URIRef
    Entity: URIRef
    Method: URIRef
    Dataset: URIRef
    Task: URIRef
    Metric: URIRef
    Concept: URIRef
    Claim: URIRef
    Quantity: URIRef
    Result: URIRef
    Evidence: URIRef
    Extractor: URIRef
    Build: URIRef

    # paper -> entity links
    mentions: URIRef
    proposes: URIRef
    uses: URIRef
    evaluatesOn: URIRef
    addresses: URIRef
    reportsMetric: URIRef

    # claims and numbers
    hasClaim: URIRef
    claimKind: URIRef
    cue: URIRef
    hasQuantity: URIRef
    qualifier: URIRef
    hasResult: URIRef
    resultMethod: URIRef
    resultDataset: URIRef
    resultMetric: URIRef
    baseline: URIRef
    baselineText: URIRef
    condition: URIRef
    direction: URIRef
    resultKind: URIRef

    # evidence
    hasEvidence: URIRef
    extractedBy: URIRef
    sentenceText: URIRef
    section: URIRef
    charStart: URIRef
    charEnd: URIRef
    surfaceForm: URIRef
    rule: URIRef
    score: URIRef
    confidence: URIRef

    # entity-entity relations (kg.graph.relations): direct triples, statement nodes and their evidence
    usedFor: URIRef
    evaluatedOn: URIRef
    measuredBy: URIRef
    trainedOn: URIRef
    benchmarkFor: URIRef
    comparedWith: URIRef
    kindOf: URIRef
    partOf: URIRef
    RelationStatement: URIRef
    RelationEvidence: URIRef
    supportedBy: URIRef
    subjectForm: URIRef
    objectForm: URIRef
    sourceLabel: URIRef

    # entities
    canonicalKey: URIRef
    paperCount: URIRef
    variantOf: URIRef

    # analytics, computed once per build (kg.read.analytics)
    Community: URIRef
    Cooccurrence: URIRef
    YearCount: URIRef
    degree: URIRef
    pageRank: URIRef
    rankInType: URIRef
    community: URIRef
    memberCount: URIRef
    firstYear: URIRef
    yearCount: URIRef
    year: URIRef
    papersInYear: URIRef
    cooccurrence: URIRef
    cooccursWith: URIRef
    sharedPapers: URIRef

    # counts, computed once per build from the build's records (kg.graph.aggregates)
    Tally: URIRef
    tallyOf: URIRef
    tallyKind: URIRef
    itemCount: URIRef
    paperTotal: URIRef

    # build provenance
    papersAdded: URIRef
    papersChanged: URIRef
    papersUnchanged: URIRef
    papersRemoved: URIRef
    entitiesCreated: URIRef
    entitiesRemoved: URIRef


PREFIXES: dict[str, str] = {
    "abx": ABX_IRI,
    "dcterms": str(DCTERMS),
    "schema": str(SDO),
    "skos": str(SKOS),
    "prov": str(PROV),
    "mls": str(MLS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
}


def sparql_prefixes() -> str:
    """PREFIX lines for every namespace we use, for prepending to queries."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True)
    return graph


class Terms:
    """A namespace's terms as plain attributes, each looked up in the namespace once.

    An rdflib ``DefinedNamespace`` checks every attribute lookup against its
    closed list, which costs more than making the triple in a build's inner
    loop; ``Terms(ABX).section`` is ``ABX.section``, found once and then read
    like any attribute. Names outside the namespace still raise.
    """

    def __init__(self, namespace: type[DefinedNamespace]) -> None:
        self._namespace = namespace
        self._items: dict[str, URIRef] = {}

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._namespace, name)
        setattr(self, name, value)
        return value

    def __getitem__(self, name: str) -> URIRef:
        found = self._items.get(name)
        if found is None:
            found = self._items[name] = self._namespace[name]
        return found


@functools.lru_cache(maxsize=1 << 16)
def literal(value: str | int, datatype: URIRef | None = None) -> Literal:
    """``Literal(value, datatype=datatype)``, made once per value: for literals of few distinct values that
    a build writes again and again (offsets, sections, rule names, counts, years, a sentence repeated by
    every mention in it). Making an rdflib Literal was a third of a build's triple time."""
    return Literal(value, datatype=datatype)
