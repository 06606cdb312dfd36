"""Pushing the graph to an external triplestore.

A real ``oxigraph`` server process (the PyPI package pinned in requirements-dev.txt) listens on
loopback for the round trips; tiny ``http.server`` stubs play servers that refuse, fail or redirect.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.cli import main
from kg.errors import ConfigError, PushError
from kg.export.push import PushAuth, push_store
from kg.store.generations import BUILDS_GRAPH, ONTOLOGY_GRAPH, open_current
from tests._process import stop

GRAPH = "https://example.org/abstracta/pushed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _oxigraph_executable() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the `oxigraph` server executable is missing; install the test dependencies with "
                    "`pip install -r requirements-dev.txt` (it pins the `oxigraph` package)")
    return found


class Oxigraph:
    """An ``oxigraph serve`` process on a free loopback port, storing its data under ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.store, self.update, self.query = self.base + "/store", self.base + "/update", self.base + "/query"
        self.proc = subprocess.Popen([_oxigraph_executable(), "serve", "--location", str(data_dir),
                                      "--bind", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.select("ASK {}")
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"oxigraph serve exited: {self.proc.stderr.read().decode()}") from None
                time.sleep(0.1)
        raise RuntimeError("oxigraph serve did not answer within 30 s")

    def select(self, sparql: str) -> dict:
        import json

        req = urllib.request.Request(self.query + "?" + urllib.parse.urlencode({"query": sparql}),
                                     headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def graph(self, name: str | None = None) -> Graph:
        """The graph ``name`` (None: the default graph) as the server returns it, in N-Triples."""
        which = "default" if name is None else "graph=" + urllib.parse.quote(name, safe="")
        req = urllib.request.Request(f"{self.store}?{which}", headers={"Accept": "application/n-triples"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return Graph().parse(data=r.read().decode("utf-8"), format="nt")

    def count(self, name: str | None = None) -> int:
        pattern = "?s ?p ?o" if name is None else f"GRAPH <{name}> {{ ?s ?p ?o }}"
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")["results"]["bindings"]
        return int(rows[0]["n"]["value"])

    def stop(self) -> None:
        stop(self.proc)
        self.proc.stderr.close()


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory) -> Iterator[Oxigraph]:
    server = Oxigraph(tmp_path_factory.mktemp("oxigraph") / "db")
    try:
        yield server
    finally:
        server.stop()


def _local(store: ox.Store, graph: ox.DefaultGraph | ox.NamedNode) -> Graph:
    triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")


@pytest.fixture(scope="module")
def local(seed_settings) -> dict[str, Graph]:
    """The seed store's graphs, parsed by rdflib: the knowledge graph, the ontology, the build records."""
    _, store = open_current(seed_settings.store_dir)
    return {"kg": _local(store, ox.DefaultGraph()), "ontology": _local(store, ox.NamedNode(ONTOLOGY_GRAPH)),
            "builds": _local(store, ox.NamedNode(BUILDS_GRAPH))}


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_push_to_default_and_named_graph_round_trips(oxigraph, seed_settings, local, protocol):
    target = oxigraph.store if protocol == "gsp" else oxigraph.update
    named = f"{GRAPH}/{protocol}"
    s = push_store(seed_settings.store_dir, target, protocol=protocol)
    assert (s.triples, s.protocol, s.target, s.graphs) == (len(local["kg"]), protocol, target,
                                                          (("default", len(local["kg"])),))
    assert s.requests >= 1 and s.seconds > 0 and s.skolemized == 0
    assert isomorphic(oxigraph.graph(), local["kg"])

    s = push_store(seed_settings.store_dir, target, protocol=protocol, graph=named)
    assert s.graphs == ((named, len(local["kg"])),)
    assert isomorphic(oxigraph.graph(named), local["kg"])
    assert oxigraph.count() == len(local["kg"])  # the default graph is left alone


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_pushing_again_replaces_the_graph(oxigraph, seed_settings, local, protocol):
    target = oxigraph.store if protocol == "gsp" else oxigraph.update
    named = f"{GRAPH}/twice/{protocol}"
    stale = "<https://example.org/stale> <https://example.org/p> \"left over\" ."
    req = urllib.request.Request(f"{oxigraph.store}?graph={urllib.parse.quote(named, safe='')}",
                                 data=stale.encode(), method="POST", headers={"Content-Type": "application/n-triples"})
    urllib.request.urlopen(req, timeout=10).close()
    assert oxigraph.count(named) == 1
    for _ in range(2):
        push_store(seed_settings.store_dir, target, protocol=protocol, graph=named, batch_triples=5000)
        assert oxigraph.count(named) == len(local["kg"])
    assert not oxigraph.select(f"ASK {{ GRAPH <{named}> {{ <https://example.org/stale> ?p ?o }} }}")["boolean"]


@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_small_batches_make_many_requests_and_the_same_graph(oxigraph, seed_settings, local, protocol):
    target = oxigraph.store if protocol == "gsp" else oxigraph.update
    named = f"{GRAPH}/batches/{protocol}"
    seen: list[tuple[int, int | None]] = []
    s = push_store(seed_settings.store_dir, target, protocol=protocol, graph=named, batch_triples=500,
                   progress=lambda sent, total: seen.append((sent, total)))
    batches = math.ceil(len(local["kg"]) / 500)
    assert s.requests == batches + (protocol == "update")  # update: one DROP first
    assert seen[-1] == (len(local["kg"]), len(local["kg"])) and len(seen) == batches
    assert isomorphic(oxigraph.graph(named), local["kg"])


def test_with_ontology_fills_the_ontology_and_build_graphs(oxigraph, seed_settings, local):
    s = push_store(seed_settings.store_dir, oxigraph.store, graph=f"{GRAPH}/with-ontology", with_ontology=True)
    assert [g for g, _ in s.graphs] == [f"{GRAPH}/with-ontology", ONTOLOGY_GRAPH, BUILDS_GRAPH]
    assert s.triples == sum(n for _, n in s.graphs) == len(local["kg"]) + len(local["ontology"]) + len(local["builds"])
    assert isomorphic(oxigraph.graph(ONTOLOGY_GRAPH), local["ontology"])
    assert isomorphic(oxigraph.graph(BUILDS_GRAPH), local["builds"])
    with pytest.raises(ConfigError, match="choose another graph"):
        push_store(seed_settings.store_dir, oxigraph.store, graph=ONTOLOGY_GRAPH, with_ontology=True)


def test_blank_nodes_are_skolemized_consistently_across_batches(oxigraph):
    store = ox.Store()
    p, q = ox.NamedNode("https://example.org/p"), ox.NamedNode("https://example.org/q")
    a, b = ox.BlankNode("a"), ox.BlankNode("b")
    store.extend([ox.Quad(ox.NamedNode("https://example.org/s"), p, a), ox.Quad(a, q, b),
                  ox.Quad(b, q, ox.Literal("end _:c"))])
    named = f"{GRAPH}/bnodes"
    s = push_store(store, oxigraph.update, protocol="update", graph=named, batch_triples=1)
    assert (s.triples, s.skolemized) == (3, 4)
    blank = f"ASK {{ GRAPH <{named}> {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}"
    assert not oxigraph.select(blank)["boolean"]
    path = (f"ASK {{ GRAPH <{named}> {{ <https://example.org/s> <{p.value}> ?x . ?x <{q.value}> ?y . "
            f"?y <{q.value}> ?z }} }}")
    assert oxigraph.select(path)["boolean"]  # the chain survived being cut into three requests


def test_cli_push_prints_one_summary_line(oxigraph, seed_settings, local, capsys):
    named = f"{GRAPH}/cli"
    assert main(["push", oxigraph.store, "--store", str(seed_settings.store_dir), "--graph", named]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith(f"pushed {len(local['kg']):,} triples in 1 requests"), out
    assert oxigraph.count(named) == len(local["kg"])


def test_unreachable_server_names_the_url(seed_settings, capsys):
    url = f"http://127.0.0.1:{_free_port()}/store"  # nothing listens there
    with pytest.raises(PushError, match=re.escape(f"cannot reach {url}: ") + ".*is the server running"):
        push_store(seed_settings.store_dir, url, retries=1, backoff_s=0.01)
    assert main(["push", url, "--store", str(seed_settings.store_dir), "--retries", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach {url}") and err.count("\n") == 1, err


@pytest.mark.parametrize(("target", "kwargs", "message"), [
    ("ftp://example.org/store", {}, "is not an http"),
    ("http://me:secret@example.org/store", {}, "not in the URL"),
    ("http://127.0.0.1:1/store", {"protocol": "soap"}, "unknown push protocol"),
    ("http://127.0.0.1:1/store", {"batch_triples": 0}, "at least 1 triple"),
    ("http://127.0.0.1:1/store", {"graph": "not an iri"}, "not an absolute IRI"),
])
def test_bad_arguments_are_config_errors(seed_settings, target, kwargs, message):
    with pytest.raises(ConfigError, match=message) as e:
        push_store(seed_settings.store_dir, target, **kwargs)
    assert "secret" not in str(e.value)


def test_credentials_come_from_the_environment_only():
    assert PushAuth.from_env({"ABSTRACTA_PUSH_USER": "u", "ABSTRACTA_PUSH_PASSWORD": "pw"}).user == "u"
    assert "pw" not in repr(PushAuth(user="u", password="pw"))
    with pytest.raises(ConfigError, match="ABSTRACTA_PUSH_PASSWORD"):
        PushAuth.from_env({"ABSTRACTA_PUSH_USER": "u"})
    with pytest.raises(ConfigError, match="not both"):
        PushAuth(token="t", user="u", password="p")


# --- stub servers -----------------------------------------------------------------------------------------

Answer = tuple[int, dict[str, str], bytes]


class Stub:
    """A loopback HTTP server that records each request and answers with ``respond(request number, headers)``."""

    def __init__(self, respond: Callable[[int, dict[str, str]], Answer]) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.seen.append((self.command, self.path, dict(self.headers), body))
                status, headers, payload = respond(len(stub.seen), dict(self.headers))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_PUT = do_POST = do_GET = answer  # noqa: N815 - the names http.server looks up

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/store"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def stub() -> Iterator[Callable[..., Stub]]:
    started: list[Stub] = []

    def start(respond: Callable[[int, dict[str, str]], Answer]) -> Stub:
        started.append(Stub(respond))
        return started[-1]

    yield start
    for s in started:
        s.close()


def test_refusals_name_the_status_and_the_fix(seed_settings, stub):
    refusing = stub(lambda n, h: (401, {"WWW-Authenticate": 'Bearer realm="x"'}, b"\nUnauthorized: token needed\nmore"))
    with pytest.raises(PushError) as e:
        push_store(seed_settings.store_dir, refusing.url)
    msg = str(e.value)
    assert msg.startswith(f"{refusing.url} answered HTTP 401 (Unauthorized) to PUT: Unauthorized: token needed; ")
    assert "ABSTRACTA_PUSH_TOKEN" in msg and "\n" not in msg
    assert len(refusing.seen) == 1  # 4xx is never retried

    forbidding = stub(lambda n, h: (403, {}, b"read-only"))
    with pytest.raises(PushError, match=r"answered HTTP 403 \(Forbidden\) to POST: read-only; check the credentials"):
        push_store(seed_settings.store_dir, forbidding.url, protocol="update", auth=PushAuth(token="t0k"))
    assert forbidding.seen[0][2]["Authorization"] == "Bearer t0k"
    assert forbidding.seen[0][2]["Content-Type"] == "application/sparql-update"

    missing = stub(lambda n, h: (404, {}, b""))
    with pytest.raises(PushError, match=r"answered HTTP 404 \(Not Found\) to PUT; check the URL"):
        push_store(seed_settings.store_dir, missing.url)


def test_server_errors_are_retried_then_reported(seed_settings, stub):
    flaky = stub(lambda n, h: (503, {}, b"busy") if n == 1 else (204, {}, b""))
    s = push_store(seed_settings.store_dir, flaky.url, auth=PushAuth(user="u", password="p"), backoff_s=0.01)
    assert s.requests == 1 and len(flaky.seen) == 2
    method, path, headers, body = flaky.seen[1]
    assert (method, path) == ("PUT", "/store?default") and headers["Content-Type"] == "application/n-triples"
    assert headers["Authorization"] == "Basic dTpw" and body == flaky.seen[0][3] and body.count(b"\n") == s.triples

    broken = stub(lambda n, h: (500, {}, b"internal error"))
    failed = f"{broken.url} answered HTTP 500 (Internal Server Error) to PUT on all 3 tries: internal error; "
    with pytest.raises(PushError, match="^" + re.escape(failed) + "is the server overloaded"):
        push_store(seed_settings.store_dir, broken.url, retries=2, backoff_s=0.01)
    assert len(broken.seen) == 3


def test_redirects_are_reported_not_followed(seed_settings, stub):
    moving = stub(lambda n, h: (307, {"Location": "https://elsewhere.example/store"}, b""))
    with pytest.raises(PushError, match="redirects to https://elsewhere.example/store; push to that URL"):
        push_store(seed_settings.store_dir, moving.url)
    assert len(moving.seen) == 1


def test_https_to_a_plain_http_port_is_a_tls_error(seed_settings, stub):
    plain = stub(lambda n, h: (204, {}, b""))
    url = plain.url.replace("http://", "https://")
    with pytest.raises(PushError, match=re.escape(f"TLS handshake with {url} failed: ") + ".*should the URL say http"):
        push_store(seed_settings.store_dir, url)
    assert not plain.seen


def test_digest_authentication(seed_settings, stub):
    realm, nonce = "SPARQL", "n0nce"

    def respond(n: int, headers: dict[str, str]) -> Answer:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Digest "):
            return 401, {"WWW-Authenticate": f'Digest realm="{realm}", nonce="{nonce}", qop="auth", algorithm=MD5'}, b""
        f = dict(re.findall(r'(\w+)="?([^",]+)"?', auth[len("Digest "):]))

        def md5(s: str) -> str:
            return hashlib.md5(s.encode()).hexdigest()

        expected = md5(f"{md5(f'dba:{realm}:pw')}:{nonce}:{f['nc']}:{f['cnonce']}:auth:{md5('PUT:' + f['uri'])}")
        return (201, {}, b"") if f["response"] == expected else (401, {}, b"bad digest")

    digest = stub(respond)
    s = push_store(seed_settings.store_dir, digest.url, auth=PushAuth(user="dba", password="pw", scheme="digest"))
    assert s.requests == 1 and len(digest.seen) == 2
