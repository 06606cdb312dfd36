"""The whole path on the bundled seed corpus: build, export, query, rebuild."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, SDO, SKOS

from kg.cli import main
from kg.export.files import export
from kg.store.generations import open_current
from kg.vocab import ABX, sparql_prefixes
from tests.conftest import SEED_FILE


@pytest.fixture(scope="module")
def seed_graph(seed_store, tmp_path_factory) -> Graph:
    path = export(seed_store, "ntriples", tmp_path_factory.mktemp("nt") / "seeds.nt")
    return Graph().parse(path, format="nt")


def _seed_urls() -> set[str]:
    """Code URLs as written in the seed file, found independently of the extractor."""
    text = SEED_FILE.read_text(encoding="utf-8")
    return {u.rstrip(".,;:)") for u in re.findall(r"https?://\S+", text)}


def test_sixty_papers_with_titles(seed_graph):
    papers = set(seed_graph.subjects(RDF.type, ABX.Paper))
    assert len(papers) == 60
    assert all(seed_graph.value(p, DCTERMS.title) for p in papers)
    assert all(seed_graph.value(p, DCTERMS.abstract) for p in papers)


def test_every_code_url_is_a_code_repository(seed_graph):
    expected = _seed_urls()
    assert len(expected) >= 13
    found = {str(o) for o in seed_graph.objects(None, SDO.codeRepository)}
    assert expected <= found


def test_mrl_and_its_long_form_are_labels_of_one_node(seed_graph):
    (node,) = set(seed_graph.subjects(SKOS.prefLabel, Literal("Matryoshka Representation Learning")))
    assert (node, SKOS.altLabel, Literal("MRL")) in seed_graph
    assert len(list(seed_graph.objects(node, SKOS.prefLabel))) == 1


@pytest.mark.xfail(strict=True, reason="a known regression of the tenth session's decisions: in its own paper the "
                   "entity decision calls MRL a Task (0.57 against Method 0.43; the NER tags the title's name a Task), "
                   "and a Task is addressed, never proposed (docs/notes/annotations-2026-12-07.md, Tenth session)")
def test_the_mrl_paper_proposes_mrl(seed_graph):
    (paper,) = set(seed_graph.subjects(DCTERMS.title, Literal("Matryoshka Representation Learning")))
    (node,) = set(seed_graph.subjects(SKOS.prefLabel, Literal("Matryoshka Representation Learning")))
    assert (paper, ABX.proposes, node) in seed_graph


def test_imagenet_1k_is_a_variant_of_imagenet_not_the_same_node(seed_graph):
    (variant,) = set(seed_graph.subjects(SKOS.prefLabel, Literal("ImageNet-1K")))
    (base,) = set(seed_graph.subjects(SKOS.prefLabel, Literal("ImageNet")))
    assert variant != base
    assert (variant, ABX.variantOf, base) in seed_graph and (variant, SKOS.broader, base) in seed_graph


def test_every_entity_has_exactly_one_preflabel(seed_graph):
    entities = set(seed_graph.subjects(RDF.type, SKOS.Concept))
    assert len(entities) > 50
    for e in entities:
        assert len(list(seed_graph.objects(e, SKOS.prefLabel))) == 1, e


def test_every_link_has_evidence_pointing_into_the_text(seed_store):
    q = sparql_prefixes() + """
    SELECT ?paper ?pred ?entity ?ev ?form ?start ?end ?section ?abstract ?title WHERE {
      VALUES ?pred { abx:proposes abx:uses abx:evaluatesOn abx:addresses abx:reportsMetric abx:mentions }
      ?paper ?pred ?entity .
      ?paper dcterms:abstract ?abstract ; dcterms:title ?title .
      OPTIONAL { ?paper abx:hasEvidence ?ev . ?ev rdf:predicate ?pred ; rdf:object ?entity ;
                 abx:surfaceForm ?form ; abx:charStart ?start ; abx:charEnd ?end ; abx:section ?section }
    }"""
    rows = list(seed_store.query(q))
    assert len(rows) > 200
    for r in rows:
        assert r["ev"] is not None, f"no evidence for {r['paper']} {r['pred']} {r['entity']}"
        text = r["abstract"].value if r["section"].value == "abstract" else r["title"].value
        assert text[int(r["start"].value):int(r["end"].value)] == r["form"].value


def test_claims_carry_numbers(seed_store):
    q = sparql_prefixes() + """
    SELECT ?text ?value ?unit ?qual WHERE {
      ?p abx:hasClaim ?c . ?c abx:sentenceText ?text ; abx:hasQuantity ?q .
      ?q schema:value ?value ; schema:unitText ?unit . OPTIONAL { ?q abx:qualifier ?qual }
      FILTER(CONTAINS(?text, "14x smaller embedding size"))
    }"""
    rows = list(seed_store.query(q))
    assert ("14", "x", "up to") in {(r["value"].value, r["unit"].value, r["qual"].value if r["qual"] else None)
                                    for r in rows}


@pytest.mark.slow  # two seed builds: 4-6 s on 2 cores
def test_rebuild_is_idempotent(tmp_path, seed_graph):
    store_dir = tmp_path / "store"
    for _ in range(2):
        assert main(["build", str(SEED_FILE), "--store", str(store_dir)]) == 0
    _, store = open_current(store_dir)
    rebuilt = Graph().parse(export(store, "ntriples", tmp_path / "again.nt"), format="nt")
    assert isomorphic(rebuilt, seed_graph)
    assert set(rebuilt) == set(seed_graph)


def test_noisyquant_claim_yields_structured_results(seed_store):
    q = sparql_prefixes() + """
    SELECT ?method ?dataset ?metric ?value ?unit WHERE {
      ?r a abx:Result ; schema:value ?value ; schema:unitText ?unit ;
         abx:resultMethod/skos:prefLabel ?method ; abx:resultDataset/skos:prefLabel ?dataset ;
         abx:resultMetric/skos:prefLabel ?metric .
      FILTER(?method = "NoisyQuant")
    }"""
    rows = {(r["dataset"].value, r["metric"].value, float(r["value"].value), r["unit"].value)
            for r in seed_store.query(q)}
    assert rows == {("ImageNet", "top-1 accuracy", v, "%") for v in (1.7, 1.1, 0.5)}
