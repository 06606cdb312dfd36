"""The closed vocabulary and the ontology file describe exactly the same terms."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.store.generations import ONTOLOGY_PATH
from kg.vocab import ABX, ABX_IRI


def _ontology() -> Graph:
    return Graph().parse(ONTOLOGY_PATH, format="turtle")


def test_every_vocab_term_is_documented_in_the_ontology():
    g = _ontology()
    for name in ABX.__annotations__:
        term = ABX[name]
        kinds = set(g.objects(term, RDF.type))
        assert kinds & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}, f"{name} has no owl type"
        assert g.value(term, RDFS.label) is not None, f"{name} has no rdfs:label"
        assert g.value(term, RDFS.comment) is not None, f"{name} has no rdfs:comment"


def test_ontology_defines_no_term_missing_from_the_vocab():
    g = _ontology()
    defined = {str(s) for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(ABX_IRI)}
    assert defined == {str(ABX[name]) for name in ABX.__annotations__}


def test_vocabulary_is_closed():
    with pytest.raises(AttributeError):
        ABX.usesDatasett  # noqa: B018 - the typo must raise


def test_the_vocabulary_page_is_what_the_ontology_gives():
    from tests._vocabulary_doc import PAGE, render

    assert PAGE.read_text(encoding="utf-8") == render(), "docs/vocabulary.md is stale: python -m tests._vocabulary_doc"
