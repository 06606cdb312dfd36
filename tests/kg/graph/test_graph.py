"""Canonical entities and the triples built from extractions."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, SDO, SKOS

from kg import iri
from kg.config import SEEDS_DIR
from kg.errors import ConfigError
from kg.graph.canon import EntityTable
from kg.graph.triples import graph_triples, to_graph
from kg.model import Abbreviation, EntityType, Extraction, Mention, Paper, Role, Section, TextSpan
from kg.vocab import ABX

BASE = "https://w3id.org/abstracta/"


def _span(text: str, start: int = 0) -> TextSpan:
    return TextSpan(Section.ABSTRACT, start, start + len(text), text)


def _mention(text, label=EntityType.METHOD, role=Role.USES, rule="gazetteer", long_form=None, start=0):
    return Mention(_span(text, start), label, role, _span("sentence " + text), rule, long_form)


def _ex(key, mentions, abbreviations=()):
    paper = Paper(key=key, title=f"Title {key}", abstract="abstract", source="t.jsonl", line=1)
    return Extraction(paper, "rules", "1", tuple(mentions), tuple(abbreviations))


def test_abbreviation_and_long_form_are_one_entity_across_papers():
    defined = _ex("p1", [_mention("Matryoshka Representation Learning", role=Role.PROPOSES, rule="propose-cue"),
                         _mention("MRL", long_form="Matryoshka Representation Learning", start=40)],
                  [Abbreviation(_span("MRL", 40), _span("Matryoshka Representation Learning"))])
    elsewhere = _ex("p2", [_mention("MRL", rule="name-shape")])
    table = EntityTable([defined, elsewhere])
    key = iri.entity_key("Matryoshka Representation Learning")
    assert list(table.entities) == [key]
    e = table.entities[key]
    assert (e.pref_label, e.alt_labels, e.paper_count) == ("Matryoshka Representation Learning", ("MRL",), 2)


def test_case_hyphen_and_plural_variants_merge_with_majority_type():
    table = EntityTable([
        _ex("p1", [_mention("Graph Neural Networks", rule="gazetteer")]),
        _ex("p2", [_mention("graph neural network", rule="gazetteer")]),
        _ex("p3", [_mention("Graph-Neural-Networks", label=EntityType.CONCEPT, rule="name-shape")]),
    ])
    (e,) = table.entities.values()
    assert e.type is EntityType.METHOD
    assert e.pref_label == "Graph Neural Networks"
    assert e.paper_count == 3


def test_triples_link_papers_to_entities_with_evidence():
    ex = _ex("p1", [_mention("ImageNet", label=EntityType.DATASET, role=Role.EVALUATES_ON)])
    g = to_graph(graph_triples([ex], BASE))
    p = URIRef(iri.paper_iri(BASE, "p1"))
    e = URIRef(iri.entity_iri(BASE, "imagenet"))
    assert (p, ABX.evaluatesOn, e) in g
    assert (p, DCTERMS.title, Literal("Title p1")) in g
    assert (e, RDF.type, ABX.Dataset) in g and (e, SKOS.prefLabel, Literal("ImageNet")) in g
    (ev,) = g.objects(p, ABX.hasEvidence)
    assert (ev, RDF.subject, p) in g and (ev, RDF.predicate, ABX.evaluatesOn) in g and (ev, RDF.object, e) in g
    assert g.value(ev, ABX.sentenceText) == Literal("sentence ImageNet")
    assert int(g.value(ev, ABX.charEnd)) == len("ImageNet")
    agent = g.value(p, ABX.extractedBy)  # stated once per paper, not on each of its records
    assert g.value(agent, SDO.softwareVersion) == Literal("1")
    assert g.value(ev, URIRef("http://www.w3.org/ns/prov#wasAttributedTo")) is None


def test_proposal_wins_over_use_for_the_paper_link():
    ex = _ex("p1", [_mention("RCAL", role=Role.PROPOSES, rule="propose-cue"), _mention("RCAL", start=30)])
    g = to_graph(graph_triples([ex], BASE))
    p, e = URIRef(iri.paper_iri(BASE, "p1")), URIRef(iri.entity_iri(BASE, "rcal"))
    assert (p, ABX.proposes, e) in g and (p, ABX.uses, e) not in g
    assert len(list(g.objects(p, ABX.hasEvidence))) == 2


def test_rebuilding_gives_an_isomorphic_graph(extractor):
    from kg.ingest.readers import read_file

    papers = read_file(SEEDS_DIR / "000_1ff9c41d867ee307.txt").papers[:10]
    first = to_graph(graph_triples(list(extractor.extract_many(papers)), BASE))
    second = to_graph(graph_triples(list(extractor.extract_many(reversed(papers))), BASE))
    assert len(first) > 500
    assert isomorphic(first, second)
    assert set(first) == set(second)  # no blank nodes: the very same triples


def test_invalid_urls_are_left_out_not_fatal():
    from kg.graph.triples import valid_iri
    from kg.model import CodeLink
    from kg.store.quads import encode

    paper = Paper(key="p1", title="T", abstract="a", url="https://x.org/a[1]")
    links = (CodeLink("https://github.com/a/b]c", _span("x")), CodeLink("https://github.com/ok/repo", _span("y")))
    ex = Extraction(paper, "rules", "1", code_links=links)
    quads = list(ox.parse(b"".join(encode(graph_triples([ex], BASE))), format=ox.RdfFormat.N_QUADS))  # strict
    objects = {q.object.value for q in quads if q.predicate.value == str(SDO.codeRepository)}
    assert objects == {"https://github.com/ok/repo"}
    assert not valid_iri("https://x.org/a b") and not valid_iri("ftp://x.org") and valid_iri("https://x.org/ü")


def test_variants_are_related_not_merged():
    from kg.graph.canon import load_variant_rules

    rules = load_variant_rules(SEEDS_DIR / "patterns" / "variants.json")
    ds = EntityType.DATASET
    table = EntityTable([
        _ex("p1", [_mention("ImageNet", label=ds), _mention("ImageNet-1K", label=ds, start=20),
                   _mention("LLaMA", start=40), _mention("LLaMA-13B", start=50),
                   _mention("BERT", start=60), _mention("BERT pretraining", label=ds, start=70)]),
    ], rules)
    assert table.variants == {"imagenet 1 k": "imagenet", "llama 13 b": "llama"}
    assert {"imagenet", "imagenet 1 k", "llama", "llama 13 b"} <= set(table.entities)
    assert rules.is_variant_suffix(["v", "2"]) and rules.is_variant_suffix(["70", "b"])
    assert not rules.is_variant_suffix(["b"]) and not rules.is_variant_suffix(["pretraining"])


def test_seed_alias_table_merges_and_relates(tmp_path):
    from kg.graph.canon import load_aliases

    shipped = load_aliases(SEEDS_DIR / "gazetteer" / "aliases.tsv")
    assert ("ball collision dataset", "abcd") in shipped.same and shipped.variants["300 w full"] == "300 w"
    table = EntityTable([_ex("p1", [_mention("ABCD", label=EntityType.DATASET),
                                    _mention("A Ball Collision Dataset", label=EntityType.DATASET, start=10),
                                    _mention("300W", label=EntityType.DATASET, start=40),
                                    _mention("300W (Full)", label=EntityType.DATASET, start=50)])],
                        aliases=shipped)
    assert table.entities["ball collision dataset"].alt_labels == ("ABCD",)
    assert table.variants == {"300 w full": "300 w"}
    bad = tmp_path / "aliases.tsv"
    bad.write_text("name\tcanonical\trelation\nA\tB\tcousin\n")
    with pytest.raises(ConfigError, match=r"aliases.tsv:2: expected"):
        load_aliases(bad)
