"""The shipped SHACL shapes: the seed graph conforms; broken graphs do not."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kg.export.files import export
from kg.store.validate import validate_graph, validate_store
from kg.vocab import ABX


@pytest.fixture(scope="module")
def seed_graph(seed_store, tmp_path_factory) -> Graph:
    return Graph().parse(export(seed_store, "ntriples", tmp_path_factory.mktemp("g") / "g.nt"), format="nt")


def test_seed_graph_conforms(seed_store):
    result = validate_store(seed_store)
    assert result.conforms, result.report
    assert result.violations == 0


def _copy(g: Graph) -> Graph:
    out = Graph()
    for t in g:
        out.add(t)
    return out


def _breakages(g: Graph):
    paper = next(g.subjects(RDF.type, ABX.Paper))
    entity = next(g.subjects(RDF.type, ABX.Method))
    evidence = next(g.subjects(RDF.type, ABX.Evidence))
    claim = next(g.subjects(RDF.type, ABX.Claim))
    yield "paper without title", [], [(paper, DCTERMS.title, None)]
    yield "two prefLabels", [(entity, SKOS.prefLabel, Literal("Another name"))], []
    yield "two entity types", [(entity, RDF.type, ABX.Dataset)], []
    yield "span ends before it starts", [(evidence, ABX.charEnd, Literal(0))], [(evidence, ABX.charEnd, None)]
    yield "unknown claim kind", [(claim, ABX.claimKind, Literal("vibes"))], [(claim, ABX.claimKind, None)]
    yield "code link as a literal", [(paper, URIRef("https://schema.org/codeRepository"), Literal("github"))], []
    yield "confidence above 1", [(evidence, ABX.confidence, Literal(1.5))], [(evidence, ABX.confidence, None)]


@pytest.mark.parametrize("case", range(7))
def test_broken_graphs_yield_violations(seed_graph, case):
    name, add, remove = list(_breakages(seed_graph))[case]
    broken = _copy(seed_graph)
    for pattern in remove:
        broken.remove(pattern)
    for triple in add:
        broken.add(triple)
    result = validate_graph(broken)
    assert not result.conforms, name
    assert result.violations >= 1, name
