"""What a build derives from its records equals what the loaded store says (the seed graph).

The build never reads back the graph it has just loaded: the snapshot's link graph, years,
confidence counts and full-text documents come from ``kg.graph.derive``. Each is compared here
with the same thing read from the store by SPARQL, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import sqlite3

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.errors import ConfigError
from kg.graph import derive
from kg.graph.build import build_store, entity_table
from kg.graph.cache import FILE as CACHE_FILE
from kg.graph.cache import ExtractionCache
from kg.graph.relations import statements
from kg.graph.triples import graph_triples
from kg.ingest.readers import read_file
from kg.read import fulltext, snapshot
from kg.read.concepts import relation_statements
from kg.read.leaderboard import all_results
from kg.read.projection import paper_entity_graph
from kg.read.sparql import rows
from kg.store.generations import open_current, open_current_generation
from kg.store.quads import encode
from tests.conftest import SEED_FILE


@pytest.fixture(scope="module")
def records(seed_settings, tmp_path_factory):
    gen = open_current_generation(seed_settings.store_dir)
    cache = ExtractionCache(tmp_path_factory.mktemp("derive") / "cache.sqlite", copy_from=gen.path / CACHE_FILE)
    extractions = list(cache.load(sorted(cache.index())))
    cache.close()
    table = entity_table(extractions, seed_settings)
    base = seed_settings.base_iri
    linked = derive.linked_papers(extractions, table, base)
    return extractions, table, linked, base, gen


def test_the_link_graph_is_the_one_the_store_gives(records, seed_store):
    _, table, linked, base, _ = records
    derived, stored = derive.link_graph(linked, table, base), paper_entity_graph(seed_store)
    assert dict(derived.nodes(data=True)) == dict(stored.nodes(data=True))
    assert {(u, v): d for u, v, d in derived.edges(data=True)} == {(u, v): d for u, v, d in stored.edges(data=True)}
    assert derived.number_of_edges() > 300


def test_years_and_confidences_are_the_stored_ones(records, seed_store):
    extractions, _, linked, base, _ = records
    assert derive.paper_years(extractions, base) == snapshot.paper_years(seed_store)
    values = derive.confidences(extractions, linked)
    for cls in ("Evidence", "Claim", "Result"):
        query = f"SELECT ?x ?c WHERE {{ ?x a abx:{cls} ; abx:confidence ?c }}"
        stored = [float(r["c"]) for r in rows(seed_store, query)]
        assert sorted(values[cls]) == sorted(stored) != []


_SENTENCES = """SELECT ?p ?title ?e ?sentence ?conf WHERE { ?p abx:hasEvidence ?ev ; dcterms:title ?title .
    ?ev rdf:object ?e ; abx:sentenceText ?sentence ; abx:section ?section ; abx:confidence ?conf .
    FILTER(?section != "title") }"""


def _comparable(docs: list[fulltext.Document]) -> set[tuple]:
    return {d._replace(entities="|".join(sorted(d.entities.split(fulltext._SEP)))) for d in docs}


def test_the_full_text_documents_are_those_the_store_gives(records, seed_store):
    extractions, table, linked, base, _ = records
    graph = derive.link_graph(linked, table, base)
    derived = list(derive.documents(extractions, linked, graph, base))
    query = "SELECT ?p ?t ?a WHERE { ?p a abx:Paper ; dcterms:title ?t ; dcterms:abstract ?a }"
    papers = [fulltext.paper_document(r["p"], r["t"], r["a"]) for r in rows(seed_store, query)]
    evidence = [(r["p"], r["title"], r["e"], r["sentence"], float(r["conf"])) for r in rows(seed_store, _SENTENCES)]
    stored = [*papers, *fulltext.entity_documents(paper_entity_graph(seed_store)),
              *fulltext.sentence_documents(evidence)]
    assert len(derived) == len(stored)
    assert _comparable(derived) == _comparable(stored)
    assert {d.kind for d in derived} == set(fulltext.KINDS)


def test_the_published_snapshot_counts_what_the_store_holds(records, seed_store):
    gen = records[4]
    db = sqlite3.connect(gen.path / snapshot.FILE)
    try:
        evidence, claims, results = db.execute("SELECT evidence, claims, results FROM counts WHERE step = 0"
                                               ).fetchone()
    finally:
        db.close()
    count = {cls: len(rows(seed_store, f"SELECT ?x WHERE {{ ?x a abx:{cls} }}"))
             for cls in ("Evidence", "Claim", "Result")}
    assert (evidence, claims, results) == (count["Evidence"], count["Claim"], count["Result"])


def test_years_of_papers_that_have_them(tmp_path, extractor):
    seeds = read_file(SEED_FILE).papers[:6]
    source = tmp_path / "dated.jsonl"
    source.write_text("".join(json.dumps({"title": p.title, "abstract": p.abstract, "year": 2019 + i % 3}) + "\n"
                              for i, p in enumerate(seeds)), encoding="utf-8")
    settings = Settings(store_dir=tmp_path / "store")
    papers = read_file(source).papers
    summary = build_store(papers, extractor.extract_many, settings)
    gen, store = open_current(settings.store_dir)
    # the graph phase step by step: the streamed lines are the stored triples (none repeated here), and the
    # link graph, analytics and snapshot ran beside the stream
    steps = {step.name.split(":")[0].split(" (")[0]: step for step in summary.steps}
    assert sum(step.triples for step in summary.steps) == summary.triples + len(list(
        store.quads_for_pattern(None, None, None, ox.NamedNode("https://w3id.org/abstracta/builds"))))
    assert {name for name, step in steps.items() if step.alongside} == {"link graph, from the records", "analytics",
                                                                          "snapshot"}
    assert all(step.seconds >= 0 and step.peak_rss_mb > 0 for step in summary.steps)
    cache = ExtractionCache(tmp_path / "cache.sqlite", copy_from=gen.path / CACHE_FILE)
    extractions = list(cache.load(sorted(cache.index())))
    cache.close()
    derived = derive.paper_years(extractions, settings.base_iri)
    assert derived == snapshot.paper_years(store)
    assert sorted(derived.values()) == [2019, 2019, 2020, 2020, 2021, 2021]


def test_the_leaderboard_rows_are_those_the_store_gives(records, seed_store):
    extractions, table, _, base, _ = records
    derived = derive.results(extractions, table, base)
    assert derived == all_results(seed_store)
    assert len(derived) >= 10 and any(r["method"] for r in derived) and any(r["baseline"] for r in derived)


def test_the_text_a_build_loads_without_checks_passes_the_strict_parser(records, seed_settings):
    """Builds skip the bulk loader's IRI checks (their text is trusted); the strict parser must accept it all."""
    extractions, table, linked, base, _ = records
    text = b"".join(encode(graph_triples(extractions, base, table=table, links=[p.links for p in linked])))
    quads = list(ox.parse(text, format=ox.RdfFormat.N_QUADS))
    assert len(quads) == text.count(b"\n") > 10_000
    with pytest.raises(ConfigError, match="not an absolute IRI"):
        Settings(base_iri="https://example.org/a b/")


def test_the_relation_statements_are_those_the_store_gives_and_the_snapshot_keeps(records, seed_store, seed_settings):
    extractions, table, _, base, gen = records
    stored = relation_statements(seed_store)
    support = json.loads((seed_settings.seeds_dir / "patterns" / "scores.json").read_text())["support_per_paper"]
    derived = derive.statement_rows(statements(extractions, table, support), base)
    assert len(stored) > 20
    assert derived == stored
    assert snapshot.statements(gen.path / snapshot.FILE) == stored
