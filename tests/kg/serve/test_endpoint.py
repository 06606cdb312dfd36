"""The SPARQL endpoint as a real server process, with SPARQLWrapper and raw HTTP as clients."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

from kg.store.generations import current_generation
from tests._server import Server

COUNT_PAPERS = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a abx:Paper }"
TITLES = "SELECT ?p ?t WHERE { ?p a abx:Paper ; dcterms:title ?t } ORDER BY ?p"
CONSTRUCT = "CONSTRUCT { ?e skos:prefLabel ?l } WHERE { ?e a abx:Dataset ; skos:prefLabel ?l }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def server(seed_settings):
    # The port comes from $ABSTRACTA_PORT (settings), so these tests also check the serve verb reads it.
    s = Server(seed_settings.store_dir, "--timeout", "1.5", "--cors-origin", "https://yasgui.example",
               port_from_env=True)
    yield s
    s.stop()


def test_curl_style_json_and_sparqlwrapper_agree(server):
    status, headers, body = server.request(query=TITLES, accept="application/sparql-results+json")
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")
    raw = [(b["p"]["value"], b["t"]["value"]) for b in json.loads(body)["results"]["bindings"]]
    assert len(raw) == 60
    client = SPARQLWrapper(server.url)
    client.setQuery(TITLES)
    client.setReturnFormat(JSON)
    rows = [(b["p"]["value"], b["t"]["value"]) for b in client.queryAndConvert()["results"]["bindings"]]
    assert rows == raw
    client.setMethod(POST)
    assert [(b["p"]["value"], b["t"]["value"]) for b in client.queryAndConvert()["results"]["bindings"]] == raw


@pytest.mark.parametrize(("accept", "parse"), [
    ("application/sparql-results+json", lambda b: json.loads(b)["results"]["bindings"][0]["n"]["value"]),
    ("application/sparql-results+xml", lambda b: ET.fromstring(b).find(".//{*}literal").text),
    ("text/csv", lambda b: list(csv.reader(io.StringIO(b.decode())))[1][0]),
    ("text/tab-separated-values", lambda b: b.decode().splitlines()[1].split("^^")[0].strip('"')),
])
def test_select_in_every_results_format(server, accept, parse):
    status, headers, body = server.request(query=COUNT_PAPERS, accept=accept)
    assert status == 200 and headers["content-type"].startswith(accept)
    assert parse(body) == "60"


def test_ask_formats(server):
    for accept, expected in (("application/sparql-results+json", b'"boolean": true'),
                             ("application/sparql-results+xml", b"<boolean>true</boolean>"),
                             ("text/csv", b"true")):
        status, _, body = server.request(query="ASK { ?p a abx:Paper }", accept=accept)
        assert status == 200 and expected in body


def test_construct_in_every_rdf_format_gives_the_same_graph(server):
    graphs = []
    for accept, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"),
                        ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")):
        status, headers, body = server.request(query=CONSTRUCT, accept=accept)
        assert status == 200 and headers["content-type"].startswith(accept), accept
        graphs.append(Graph().parse(data=body, format=fmt))
    assert len(graphs[0]) > 5
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])
    client = SPARQLWrapper(server.url)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    assert isomorphic(Graph().parse(data=client.queryAndConvert(), format="turtle"), graphs[0])


def test_post_forms(server):
    form = urllib.parse.urlencode({"query": COUNT_PAPERS})
    for body, ctype in ((form, "application/x-www-form-urlencoded"), (COUNT_PAPERS, "application/sparql-query")):
        status, _, out = server.request("POST", body=body, ctype=ctype, accept="text/csv")
        assert (status, out.decode().splitlines()[1]) == (200, "60")


@pytest.mark.parametrize(("kwargs", "status", "message"), [
    ({"query": "SELECT ?x WHERE { ?x ?y }"}, 400, b"syntax error"),
    ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"}, 400, b"SERVICE"),
    ({"query": "DELETE WHERE { ?s ?p ?o }"}, 403, b"read-only"),
    ({"method": "POST", "body": "INSERT DATA { <a:b> <a:b> <a:c> }", "ctype": "application/sparql-update"},
     403, b"read-only"),
    ({"query": COUNT_PAPERS, "accept": "image/png"}, 406, b"accept one of"),
    ({"method": "POST", "body": "x", "ctype": "text/plain"}, 415, b"unsupported content type"),
    ({"method": "POST", "body": "q" * 2_000_000, "ctype": "application/sparql-query"}, 413, b"limit"),
])
def test_errors_are_clear_and_never_500(server, kwargs, status, message):
    got, _, body = server.request(**kwargs)
    assert got == status and message in body and b"Traceback" not in body


def test_runaway_query_stops_at_the_timeout_and_the_server_keeps_serving(server):
    started = time.monotonic()
    status, _, body = server.request(query=RUNAWAY)
    assert status == 503 and b"longer than 1.5 s" in body
    assert time.monotonic() - started < 15
    assert server.request(query=COUNT_PAPERS, accept="text/csv")[0] == 200


def test_row_cap_is_reported(seed_settings):
    capped = Server(seed_settings.store_dir, "--max-rows", "7")
    try:
        status, headers, body = capped.request(query=TITLES)
        data = json.loads(body)
        assert status == 200 and len(data["results"]["bindings"]) == 7 and data["truncated"] is True
        assert headers["x-sparql-truncated"].startswith("true")
    finally:
        capped.stop()


def test_service_description_health_page_and_cors(server):
    status, headers, body = server.request(accept="text/turtle")
    sd = Graph().parse(data=body, format="turtle")
    assert status == 200 and len(sd) > 10
    assert b"SPARQL11Query" in body and b"SPARQL11Update" not in body
    health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health").read())
    assert health["status"] == "ok" and health["papers"] == 60
    page = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/").read().decode()
    assert "<textarea" in page and "most" in page.lower() and 'src="http' not in page
    _, headers, _ = server.request(query=COUNT_PAPERS, headers={"Origin": "https://yasgui.example"})
    assert headers.get("access-control-allow-origin") == "https://yasgui.example"
    _, headers, _ = server.request(query=COUNT_PAPERS, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in headers}


@pytest.mark.slow
def test_load_50_clients_x_20_queries(server, seed_settings):
    before = current_generation(seed_settings.store_dir)
    _, _, baseline = server.request(query=TITLES, accept="text/csv")
    queries = [COUNT_PAPERS, TITLES, CONSTRUCT, "ASK { ?s ?p ?o }",
               "SELECT ?l (COUNT(?p) AS ?n) WHERE { ?p ?r ?e . ?e skos:prefLabel ?l } "
               "GROUP BY ?l ORDER BY DESC(?n) LIMIT 10"]
    errors, latencies, lock = [], [], threading.Lock()

    def client(i: int) -> None:
        for j in range(20):
            t0 = time.perf_counter()
            status, _, _ = server.request(query=queries[(i + j) % len(queries)])
            with lock:
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    print(f"load: 1000 requests in {wall:.1f} s, p50 {latencies[500] * 1000:.0f} ms, "
          f"p95 {latencies[950] * 1000:.0f} ms, errors {len(errors)}")
    assert errors == [] and len(latencies) == 1000
    assert current_generation(seed_settings.store_dir) == before
    assert server.request(query=TITLES, accept="text/csv")[2] == baseline


def test_updates_need_the_flag_and_the_token(seed_settings, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(seed_settings.store_dir, store, ignore=shutil.ignore_patterns(".lock"))
    srv = Server(store, "--allow-update", "--token", "s3cret", "--timeout", "5")
    insert = "INSERT DATA { <https://example.org/x> skos:prefLabel \"added by update\" }"
    try:
        assert srv.request("POST", body=insert, ctype="application/sparql-update")[0] == 401
        bad = srv.request("POST", body=insert, ctype="application/sparql-update",
                          headers={"Authorization": "Bearer wrong"})
        assert bad[0] == 401
        before = current_generation(store)
        ok = srv.request("POST", body=insert, ctype="application/sparql-update",
                         headers={"Authorization": "Bearer s3cret"})
        assert ok[0] == 200 and b"update applied" in ok[2]
        assert current_generation(store) != before
        status, _, body = srv.request(query='ASK { ?x skos:prefLabel "added by update" }',
                                      accept="application/sparql-results+json")
        assert json.loads(body)["boolean"] is True
        load = srv.request("POST", body="LOAD <http://127.0.0.1:1/data.ttl>", ctype="application/sparql-update",
                           headers={"Authorization": "Bearer s3cret"})
        assert load[0] == 400 and b"LOAD" in load[2]
        _, _, sd = srv.request(accept="text/turtle")
        assert b"SPARQL11Update" in sd
    finally:
        srv.stop()


def test_describe_returns_rdf(server):
    _, _, body = server.request(query="SELECT ?p WHERE { ?p a abx:Paper } LIMIT 1", accept="text/csv")
    paper = body.decode().splitlines()[1]
    status, headers, out = server.request(query=f"DESCRIBE <{paper}>", accept="application/n-triples")
    g = Graph().parse(data=out, format="nt")
    assert status == 200 and headers["content-type"].startswith("application/n-triples")
    assert any(str(s) == paper for s in g.subjects())
