"""Read-only SPARQL with limits: refusals, row cap, timeout, recovery."""

from __future__ import annotations

import pytest

from kg.errors import QueryError, QueryTimeout
from kg.query.runner import QueryRunner, check_query
from kg.store.generations import current_generation

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.parametrize("query", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "PREFIX x: <http://x/>\n  delete where { ?s ?p ?o }",
    "# comment\nDROP ALL",
    "LOAD <http://example.org/data.ttl>",
])
def test_updates_are_refused(query):
    with pytest.raises(QueryError, match="read-only"):
        check_query(query)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:8080/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { service silent ?endpoint { ?s ?p ?o } }",
])
def test_service_is_refused(query):
    with pytest.raises(QueryError, match="SERVICE"):
        check_query(query)


@pytest.mark.parametrize("query", [
    'SELECT ?service WHERE { ?service ?p "SERVICE <http://x>" }',
    "SELECT * WHERE { ?s <http://ex.org/SERVICE> ?o } # SERVICE <http://x>",
    "SELECT ?x WHERE { ?x a <http://ex.org/Insert> }",
])
def test_lookalikes_are_allowed(query):
    assert check_query(query) == query


def test_empty_and_oversized_queries(tmp_path):
    with pytest.raises(QueryError, match="empty"):
        check_query("   ")
    with pytest.raises(QueryError, match="limit"):
        check_query("SELECT * WHERE { ?s ?p ?o } #" + "x" * 200_000)


@pytest.fixture(scope="module")
def runner(seed_settings):
    gen = current_generation(seed_settings.store_dir)
    with QueryRunner(gen.db_path, timeout_s=1.5, max_rows=50) as r:
        yield r


def test_select_with_prefixes_predeclared(runner):
    result = runner.run("SELECT ?t WHERE { ?p a abx:Paper ; dcterms:title ?t }")
    assert result.kind == "select" and result.columns == ("t",)
    assert len(result.rows) == 50 and result.truncated  # 60 papers, capped at 50


def test_ask_and_construct(runner):
    assert runner.run("ASK { ?p a abx:Paper }").boolean is True
    graph = runner.run("CONSTRUCT { ?p dcterms:title ?t } WHERE { ?p dcterms:title ?t } LIMIT 3")
    assert graph.kind == "graph" and len(graph.rows) == 3


def test_syntax_error_names_the_position(runner):
    with pytest.raises(QueryError, match="syntax error.*1:"):
        runner.run("SELECT ?x WHERE { ?x ?y }")


def test_runaway_query_is_stopped_and_the_runner_recovers(runner):
    with pytest.raises(QueryTimeout, match="longer than 1.5 s"):
        runner.run(RUNAWAY)
    assert runner.run("ASK { ?s ?p ?o }").boolean is True
