"""SPARQL 1.1 Protocol endpoint over the store, answered by Oxigraph's engine.

Routes: ``/sparql`` (GET ``?query=``, POST form or ``application/sparql-query``;
updates only when enabled with a token), the same URL without a query gives
the service description; ``/health``; ``/`` a small offline query page.

Limits live in ``kg.query.runner`` (the same checks and worker pool the dashboard
and ``python -m kg query`` use); this module maps them onto HTTP.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, VOID
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from kg.errors import AbstractaError, QueryError, QueryTimeout, RequestError, StoreError
from kg.query.check import is_update
from kg.query.examples import load_examples
from kg.query.formats import GRAPH_FORMATS, to_csv, to_json, to_rdf, to_tsv, to_xml
from kg.query.runner import QueryResult, run_update
from kg.serve.lanes import QueryService
from kg.serve.protocol import Operation, parse_operation
from kg.store.generations import ONTOLOGY_GRAPH

logger = logging.getLogger(__name__)

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
SELECT_TYPES = {
    "application/sparql-results+json": to_json,
    "application/json": to_json,
    "application/sparql-results+xml": to_xml,
    "application/xml": to_xml,
    "text/xml": to_xml,
    "text/csv": to_csv,
    "text/tab-separated-values": to_tsv,
}
GRAPH_TYPES = {**{t: t for t in GRAPH_FORMATS}, "text/plain": "application/n-triples"}
_RDFLIB_FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt",
                   "application/ld+json": "json-ld", "application/rdf+xml": "xml"}


MAX_ACCEPT_CHARS = 4096


@dataclass(frozen=True, slots=True)
class EndpointOptions:
    allow_update: bool = False
    update_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_request_bytes: int = 1_000_000
    examples_dir: Path | None = None
    public_url: str | None = None  # the service description's sd:endpoint (never the request's Host header)


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the ``Accept`` header prefers; the first offered for */*.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", ["application/sparql-results+json", "text/csv",
    ...           "application/sparql-results+xml"])
    'application/sparql-results+xml'
    >>> negotiate("image/png", ["text/turtle"]) is None
    True
    """
    if not accept or not accept.strip():
        return offered[0]
    ranges = []
    # a real Accept header is short; a hostile one (heads may be 1 MB) is read only this far
    for i, part in enumerate(accept[:MAX_ACCEPT_CHARS].split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0 and fields[0]:
            ranges.append((-q, i, fields[0].lower()))
    for _, _, mr in sorted(ranges):
        if mr in ("*/*", "*"):
            return offered[0]
        if mr.endswith("/*"):
            match = next((o for o in offered if o.startswith(mr[:-1])), None)
        else:
            match = mr if mr in offered else None
        if match:
            return match
    return None


def _error(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status, headers={"Vary": "Accept"})


def _operation(method: str, ctype: str | None, query_string: bytes, body: bytes) -> tuple[Operation, bool]:
    """The request's operation, and whether its ``query`` is in fact an update (run in a worker thread)."""
    op = parse_operation(method, ctype, query_string, body)
    return op, op.query is not None and is_update(op.query)


def _render(result: QueryResult, accept: str | None, max_rows: int) -> Response:
    if result.kind == "graph":
        chosen = negotiate(accept, list(GRAPH_TYPES))
        if chosen is None and negotiate(accept, list(SELECT_TYPES)) is not None:
            # a client that names only table formats (Comunica does for DESCRIBE) still gets the graph
            chosen = "text/turtle"
        if chosen is None:
            return _error(406, f"cannot answer a graph result as {accept!r}; accept one of: {', '.join(GRAPH_TYPES)}")
        try:
            body: bytes | str = to_rdf(result, GRAPH_TYPES[chosen])
        except QueryError as e:
            return _error(406, str(e))
    else:
        chosen = negotiate(accept, list(SELECT_TYPES))
        if chosen is None:
            return _error(406, f"cannot answer a {result.kind.upper()} result as {accept!r}; "
                               f"accept one of: {', '.join(SELECT_TYPES)}")
        try:
            body = SELECT_TYPES[chosen](result)
        except QueryError as e:
            return _error(406, str(e))
    headers = {"X-SPARQL-Elapsed-Ms": f"{result.elapsed_s * 1000:.1f}", "Vary": "Accept"}
    if result.truncated:
        headers["X-SPARQL-Truncated"] = f"true; rows={max_rows}"
    media = chosen + ("; charset=utf-8" if not chosen.endswith("json") else "")
    return Response(body, media_type=media, headers=headers)


class _Endpoint:
    def __init__(self, service: QueryService, options: EndpointOptions) -> None:
        self.service = service
        self.options = options

    async def _body(self, request: Request) -> bytes | Response:
        limit = self.options.max_request_bytes
        declared = request.headers.get("content-length")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif size > 16 * limit:
                break  # stop reading a hostile upload; the connection closes with the answer
        if size > limit:
            # Most of the body was read and dropped rather than closing at once, so
            # that clients which write the whole body first still see the answer.
            shown = int(declared) if declared and declared.isdigit() else size
            return _error(413, f"request body of {shown:,} bytes is over the {limit:,}-byte limit")
        return b"".join(chunks)

    async def sparql(self, request: Request) -> Response:
        body = b""
        if request.method == "POST":
            read = await self._body(request)
            if isinstance(read, Response):
                return read
            body = read
        try:  # every scan of the request's text runs in a worker thread, never on the event loop
            op, query_is_update = await anyio.to_thread.run_sync(
                _operation, request.method, request.headers.get("content-type"),
                request.scope.get("query_string", b""), body)
        except RequestError as e:
            return _error(e.status, str(e))
        if op.update is not None or query_is_update:
            return await self._update(request, op.update if op.update is not None else op.query)
        if op.query is None:
            return await self.description(request)
        try:
            result = await anyio.to_thread.run_sync(
                lambda: self.service.run(op.query, dataset=(op.default_graphs, op.named_graphs)))
        except QueryTimeout as e:
            return _error(503, str(e))
        except QueryError as e:
            return _error(400, str(e))
        except StoreError as e:
            return _error(503, str(e))
        return await anyio.to_thread.run_sync(_render, result, request.headers.get("accept"), self.service.max_rows)

    async def _update(self, request: Request, update: str) -> Response:
        if not self.options.allow_update:
            return _error(403, "updates are disabled: this endpoint is read-only "
                               "(start it with --allow-update and a token to accept them)")
        given = request.headers.get("authorization", "")
        expected = f"Bearer {self.options.update_token}"
        if not self.options.update_token or not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(401, "updates need the header 'Authorization: Bearer <token>' with the server's token")
        try:
            triples = await anyio.to_thread.run_sync(
                lambda: run_update(self.service.root, update, timeout_s=self.service.timeout_s))
        except QueryTimeout as e:
            return _error(503, str(e))
        except (QueryError, StoreError) as e:
            return _error(400, str(e))
        return PlainTextResponse(f"update applied; the graph now holds {triples} triples\n")

    async def description(self, request: Request) -> Response:
        g = Graph(bind_namespaces="none")
        g.bind("sd", SD)
        g.bind("void", VOID)
        svc, dataset, default = BNode("service"), BNode("dataset"), BNode("default")
        g.add((svc, RDF.type, SD.Service))
        g.add((svc, SD.endpoint, URIRef(self.options.public_url or "/sparql")))
        g.add((svc, SD.supportedLanguage, SD.SPARQL11Query))
        if self.options.allow_update:
            g.add((svc, SD.supportedLanguage, SD.SPARQL11Update))
        for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                    "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
            g.add((svc, SD.resultFormat, FORMATS_NS[fmt]))
        g.add((svc, SD.defaultDataset, dataset))
        g.add((dataset, RDF.type, SD.Dataset))
        g.add((dataset, SD.defaultGraph, default))
        g.add((default, RDF.type, SD.Graph))
        try:
            g.add((default, VOID.triples, Literal(self.service.generation().summary().get("triples", 0))))
        except StoreError:
            pass
        for i, name in enumerate(await anyio.to_thread.run_sync(self._named_graphs)):
            named = BNode(f"named{i}")
            g.add((dataset, SD.namedGraph, named))
            g.add((named, RDF.type, SD.NamedGraph))
            g.add((named, SD.name, URIRef(name)))
        chosen = negotiate(request.headers.get("accept"), list(_RDFLIB_FORMATS) + ["text/html"])
        if chosen == "text/html":
            return await self.page(request)
        if chosen is None:
            return _error(406, f"the service description is available as: {', '.join(_RDFLIB_FORMATS)}")
        return Response(g.serialize(format=_RDFLIB_FORMATS[chosen]), media_type=chosen, headers={"Vary": "Accept"})

    def _named_graphs(self) -> list[str]:
        """The named graphs the published graph holds (the ontology, the build records)."""
        try:
            result = self.service.run("SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g")
        except (QueryError, StoreError):
            return [ONTOLOGY_GRAPH]
        return [row[0].value for row in result.rows if row[0] is not None and row[0].kind == "iri"]

    async def health(self, request: Request) -> Response:
        try:
            gen = self.service.generation()
        except StoreError as e:
            return JSONResponse({"status": "unavailable", "reason": str(e)}, status_code=503)
        body: dict[str, object] = {"status": "ok", "generation": gen.name}
        try:
            summary = gen.summary()
        except StoreError as e:  # the graph still answers queries; only the build's counts are lost
            body["warning"] = str(e)
            summary = {}
        return JSONResponse({**body, "papers": summary.get("papers"), "triples": summary.get("triples")})

    async def page(self, request: Request) -> Response:
        return HTMLResponse(_query_page(self.options.examples_dir, self.service))


def _query_page(examples_dir: Path | None, service: QueryService) -> str:
    examples = [{"title": title, "query": text} for title, text in load_examples(examples_dir)]
    options = "".join(f"<option value='{i}'>{html.escape(e['title'])}</option>" for i, e in enumerate(examples))
    return _PAGE.replace("%OPTIONS%", options).replace("%EXAMPLES%", json.dumps(examples).replace("</", "<\\/")) \
        .replace("%LIMITS%", f"{service.timeout_s:g} s, {service.max_rows:,} rows")


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Abstracta SPARQL</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}textarea{width:100%;height:14em;
font-family:monospace}table{border-collapse:collapse;margin-top:1em}td,th{border:1px solid #ccc;padding:3px 6px;
font-size:0.9em;text-align:left}#msg{color:#a00;white-space:pre-wrap}</style></head><body>
<h1>Abstracta SPARQL endpoint</h1>
<p>POST or GET <code>/sparql</code> with the SPARQL 1.1 Protocol. Prefixes abx, dcterms, schema, skos, prov, mls,
rdf, rdfs, owl, xsd are predeclared. Limits: %LIMITS%. Read-only.</p>
<p><label>Example: <select id="ex"><option value="">(choose)</option>%OPTIONS%</select></label></p>
<textarea id="q">SELECT ?title WHERE { ?p a abx:Paper ; dcterms:title ?title } LIMIT 10</textarea>
<p><button id="run">Run</button> <span id="info"></span></p><div id="msg"></div><table id="out"></table>
<script>
const EX = %EXAMPLES%;
document.getElementById('ex').onchange = e => {
  if (e.target.value !== '') document.getElementById('q').value = EX[e.target.value].query;
};
document.getElementById('run').onclick = async () => {
  const out = document.getElementById('out'), msg = document.getElementById('msg');
  const info = document.getElementById('info');
  out.replaceChildren(); msg.textContent = ''; info.textContent = 'running...';
  const r = await fetch('sparql', {method: 'POST', headers: {'Content-Type': 'application/sparql-query',
    'Accept': 'application/sparql-results+json'}, body: document.getElementById('q').value});
  const text = await r.text();
  if (!r.ok) { info.textContent = ''; msg.textContent = r.status + ': ' + text; return; }
  const data = JSON.parse(text);
  if ('boolean' in data) { info.textContent = 'ASK: ' + data.boolean; return; }
  const vars = data.head.vars, head = out.insertRow();
  vars.forEach(v => { const th = document.createElement('th'); th.textContent = v; head.appendChild(th); });
  data.results.bindings.forEach(b => { const row = out.insertRow();
    vars.forEach(v => { row.insertCell().textContent = b[v] ? b[v].value : ''; }); });
  info.textContent = data.results.bindings.length + ' row(s)' + (data.truncated ? ' (truncated at the row limit)' : '');
};
</script></body></html>"""


def create_app(service: QueryService, options: EndpointOptions | None = None) -> Starlette:
    """The ASGI application; the caller owns ``service`` and closes it."""
    options = options or EndpointOptions()
    ep = _Endpoint(service, options)
    middleware = []
    if options.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(options.cors_origins),
                                     allow_methods=["GET", "POST"], allow_headers=["*"],
                                     expose_headers=["X-SPARQL-Truncated", "X-SPARQL-Elapsed-Ms"]))

    async def internal_error(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s", request.url.path)
        return _error(500, "internal error; the server log has the details")

    async def known_error(request: Request, exc: AbstractaError) -> Response:
        return _error(400, str(exc))

    return Starlette(
        routes=[Route("/sparql", ep.sparql, methods=["GET", "HEAD", "POST"]),
                Route("/health", ep.health, methods=["GET"]),
                Route("/", ep.page, methods=["GET"])],
        middleware=middleware,
        exception_handlers={Exception: internal_error, AbstractaError: known_error},
    )
