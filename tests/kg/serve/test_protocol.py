"""The SPARQL 1.1 Protocol's corners, asked of a real ``kg serve`` process."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse

import pytest
from rdflib import Graph

from kg.store.generations import BUILDS_GRAPH, ONTOLOGY_GRAPH
from tests._server import Server, store_copy

TOKEN = "t0ken"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server(seed_settings, tmp_path_factory):
    s = Server(store_copy(seed_settings, tmp_path_factory, "protocol"), "--allow-update", "--token", TOKEN,
               "--public-url", "https://kg.example/sparql")
    insert = ('INSERT DATA { <https://example.org/odd> skos:prefLabel "bell\u0001here" . '
              '<https://example.org/odd> skos:related _:b1 }')
    status, _, body = s.request("POST", body=insert, ctype="application/sparql-update",
                                headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    yield s
    s.stop()


def _count(server, target: str) -> int:
    status, _, body = server.raw("GET", target, headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_head_answers_like_get(server):
    q = urllib.parse.quote(COUNT)
    status, headers, body = server.raw("HEAD", f"/sparql?query={q}")
    assert status == 200 and body == b"" and headers["content-type"].startswith("application/sparql-results+json")
    assert server.raw("HEAD", "/sparql", headers={"Accept": "text/turtle"})[0] == 200


def test_a_parameter_given_twice_is_refused(server):
    q = urllib.parse.quote(COUNT)
    status, _, body = server.raw("GET", f"/sparql?query={q}&query={q}")
    assert status == 400 and b"2 times" in body
    status, _, body = server.raw("POST", f"/sparql?query={q}", body=COUNT.encode(),
                                 headers={"Content-Type": "application/sparql-query"})
    assert status == 400 and b"send one" in body


def test_default_and_named_graph_uris_are_honoured(server):
    q = urllib.parse.quote(COUNT)
    everything = _count(server, f"/sparql?query={q}")
    ontology = _count(server, f"/sparql?query={q}&default-graph-uri={urllib.parse.quote(ONTOLOGY_GRAPH)}")
    builds = _count(server, f"/sparql?query={q}&default-graph-uri={urllib.parse.quote(BUILDS_GRAPH)}")
    both = _count(server, f"/sparql?query={q}&default-graph-uri={urllib.parse.quote(ONTOLOGY_GRAPH)}"
                          f"&default-graph-uri={urllib.parse.quote(BUILDS_GRAPH)}")
    assert 0 < ontology < everything and 0 < builds and both == ontology + builds
    named = urllib.parse.quote("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    status, _, body = server.raw("GET", f"/sparql?query={named}&named-graph-uri={urllib.parse.quote(BUILDS_GRAPH)}",
                                 headers={"Accept": "text/csv"})
    assert status == 200 and body.decode().split("\r\n")[1:] == [BUILDS_GRAPH, ""]
    status, _, body = server.raw("GET", f"/sparql?query={q}&default-graph-uri=not%20an%20iri")
    assert status == 400 and b"default-graph-uri" in body


def test_csv_writes_blank_nodes_and_crlf(server):
    q = urllib.parse.quote("SELECT ?o WHERE { <https://example.org/odd> skos:related ?o }")
    status, _, body = server.raw("GET", f"/sparql?query={q}", headers={"Accept": "text/csv"})
    text = body.decode()
    assert status == 200 and text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["o"] and rows[1][0].startswith("_:")


def test_xml_never_carries_what_xml_cannot(server):
    q = urllib.parse.quote("SELECT ?l WHERE { <https://example.org/odd> skos:prefLabel ?l }")
    status, _, body = server.raw("GET", f"/sparql?query={q}", headers={"Accept": "application/sparql-results+xml"})
    assert status == 406 and b"U+0001" in body and b"JSON" in body
    status, _, body = server.raw("GET", f"/sparql?query={q}", headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body)["results"]["bindings"][0]["l"]["value"] == "bell\u0001here"
    c = urllib.parse.quote("CONSTRUCT WHERE { <https://example.org/odd> skos:prefLabel ?l }")
    status, _, body = server.raw("GET", f"/sparql?query={c}", headers={"Accept": "application/rdf+xml"})
    assert status == 406 and b"U+0001" in body


def test_vary_accept_on_negotiated_answers(server):
    q = urllib.parse.quote(COUNT)
    for target in (f"/sparql?query={q}", "/sparql"):
        _, headers, _ = server.raw("GET", target, headers={"Accept": "text/turtle, application/sparql-results+json"})
        assert "accept" in headers.get("vary", "").lower()


def test_invalid_utf8_and_over_long_urls(server):
    status, _, body = server.raw("GET", "/sparql?query=SELECT%20%FF%FE%20WHERE%20%7B%7D")
    assert status == 400 and b"UTF-8" in body
    long = urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } #" + "x" * 200_000)
    status, _, body = server.raw("GET", f"/sparql?query={long}")
    assert status == 414 and b"POST" in body


def test_service_description_names_the_graphs_and_not_the_host_header(server):
    status, headers, body = server.raw("GET", "/sparql", headers={"Accept": "text/turtle", "Host": "evil.example"})
    assert status == 200 and b"evil.example" not in body
    sd = Graph().parse(data=body, format="turtle")
    text = sd.serialize(format="nt")
    assert "https://kg.example/sparql" in text and ONTOLOGY_GRAPH in text and BUILDS_GRAPH in text


def test_describe_with_table_types_only_gets_a_graph(server):
    """Comunica asks for DESCRIBE with only table result types in Accept."""
    q = urllib.parse.quote("DESCRIBE <https://example.org/odd>")
    accept = "application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7,text/csv;q=0.5"
    status, headers, body = server.raw("GET", f"/sparql?query={q}", headers={"Accept": accept})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=body, format="turtle")) == 2
