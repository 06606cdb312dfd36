"""Push the published graph to an external SPARQL triplestore.

Two W3C protocols are spoken, so any compliant server will do (Oxigraph server, Apache Jena Fuseki,
Virtuoso, QLever, GraphDB, ...; see ``docs/external-stores.md``):

``gsp``
    The SPARQL 1.1 Graph Store HTTP Protocol. ``target`` is the graph store endpoint (Oxigraph
    ``/store``, Fuseki ``/ds/data``, Virtuoso ``/sparql-graph-crud-auth``); the graph is named by
    indirect identification, ``?default`` or ``?graph=IRI``. The first batch is sent with PUT, which
    *replaces* the graph, the others with POST, which *merges* into it.
``update``
    The SPARQL 1.1 Update protocol. ``target`` is the update endpoint (Oxigraph ``/update``, Fuseki
    ``/ds/update``); a first request drops the graph (``DROP SILENT GRAPH <g>``, or ``DROP SILENT
    DEFAULT``, which empties the default graph), then ``INSERT DATA`` batches fill it, each POSTed as
    ``application/sparql-update``.

Either way the target graph ends up holding exactly our graph: pushing twice never duplicates.
Other graphs of the target are left alone. The push as a whole is not one transaction: while it runs
(and after a failure) readers of the target see part of the graph; push again to complete it.

The graph is streamed as N-Triples batches of ``batch_triples`` triples, read straight from the
Oxigraph store, so memory holds one batch and never the whole graph.

Blank nodes: ``kg/graph/triples.py`` mints none, so our graphs have none. Should a store hold some, a batch
boundary would cut them apart (every request body is a document of its own, and a blank node label
means a fresh node in each), so they are *skolemized*: each becomes the IRI
``SKOLEM_BASE<generation>/<label>``, the same IRI wherever the node occurs in this push. This also
makes every request idempotent (the triples are ground), which is what lets a failed request be sent
again safely.

HTTP: the one client of :mod:`kg.http` (standard library only). TLS certificates are always verified
(the system CA store; ``SSL_CERT_FILE`` is honoured); redirects are not followed (a redirected POST would
silently turn into a GET and lose its body), they are reported. Every request has a timeout; refused
or dropped connections, time-outs and 429/5xx answers are retried with exponential back-off, other
4xx answers never. Credentials come from :class:`PushAuth` (see :meth:`PushAuth.from_env`), never
from the URL or the command line.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import logging
import os
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import ConfigError, PushError, StoreError
from kg.export.batches import batches, lookahead
from kg.http import Advice, HttpClient
from kg.store import generations as kg_store

logger = logging.getLogger(__name__)

PROTOCOLS = ("gsp", "update")
DEFAULT_BATCH = 50_000
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 0.5
SKOLEM_BASE = "https://w3id.org/abstracta/genid/"
ENV_TOKEN = "ABSTRACTA_PUSH_TOKEN"
ENV_USER = "ABSTRACTA_PUSH_USER"
ENV_PASSWORD = "ABSTRACTA_PUSH_PASSWORD"
ENV_SCHEME = "ABSTRACTA_PUSH_AUTH"
_NTRIPLES = "application/n-triples"
_SPARQL_UPDATE = "application/sparql-update"
# the server's answer to a push is a status line and a few words; more is not read
_MAX_ANSWER_BYTES = 1024 * 1024
_CREDENTIALS_HINT = f"{ENV_TOKEN}, or {ENV_USER} and {ENV_PASSWORD}"
_ADVICE = Advice(unreachable="is the server running and the URL right?",
                 timeout="raise --timeout or push smaller batches (--batch)",
                 failing="is the server overloaded or restarting? see its log, then push again")

Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True, slots=True)
class PushAuth:
    """Credentials for the target: a bearer token, or a user and password (HTTP basic or digest)."""

    token: str | None = None
    user: str | None = None
    password: str | None = None
    scheme: str = "basic"

    def __post_init__(self) -> None:
        if self.token and self.user:
            raise ConfigError(f"give either a token ({ENV_TOKEN}) or a user ({ENV_USER}), not both")
        if self.user and self.password is None:
            raise ConfigError(f"user {self.user!r} has no password; set {ENV_PASSWORD}")
        if self.scheme not in ("basic", "digest"):
            raise ConfigError(f"unknown authentication scheme {self.scheme!r} in {ENV_SCHEME}; "
                              "use 'basic' or 'digest'")

    def __repr__(self) -> str:  # never print secrets
        who = "token" if self.token else f"user {self.user!r} ({self.scheme})" if self.user else "none"
        return f"PushAuth({who})"

    @property
    def present(self) -> bool:
        return bool(self.token or self.user)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PushAuth:
        """Credentials from ``ABSTRACTA_PUSH_TOKEN`` (bearer token) or ``ABSTRACTA_PUSH_USER`` and
        ``ABSTRACTA_PUSH_PASSWORD`` (HTTP basic; ``ABSTRACTA_PUSH_AUTH=digest`` for digest).

        >>> PushAuth.from_env({"ABSTRACTA_PUSH_TOKEN": "s3cret"})
        PushAuth(token)
        >>> PushAuth.from_env({}).present
        False
        """
        env = os.environ if environ is None else environ
        return cls(token=env.get(ENV_TOKEN) or None, user=env.get(ENV_USER) or None,
                   password=env.get(ENV_PASSWORD), scheme=(env.get(ENV_SCHEME) or "basic").strip().lower())


@dataclass(frozen=True, slots=True)
class PushSummary:
    """What one push sent."""

    target: str
    protocol: str
    triples: int
    requests: int
    seconds: float
    graphs: tuple[tuple[str, int], ...]  # (graph on the target, or "default"; triples sent)
    skolemized: int = 0  # blank-node occurrences replaced by IRIs

    @property
    def triples_per_s(self) -> float:
        return self.triples / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        return {"target": self.target, "protocol": self.protocol, "triples": self.triples,
                "requests": self.requests, "seconds": round(self.seconds, 3),
                "triples_per_s": round(self.triples_per_s, 1), "graphs": [list(g) for g in self.graphs],
                "skolemized": self.skolemized}


@dataclass(frozen=True, slots=True)
class _Endpoint:
    target: str
    protocol: str
    auth: PushAuth
    client: HttpClient


def _check_target(target: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"push target {target!r} is not an http(s) URL; "
                          "give one like http://127.0.0.1:7878/store")
    if parts.username or parts.password:
        raise ConfigError(f"push target {parts.hostname}: put credentials in {ENV_USER}/{ENV_PASSWORD} "
                          f"(or a token in {ENV_TOKEN}), not in the URL")
    if parts.fragment:
        raise ConfigError(f"push target {target!r} has a #fragment; drop it")
    return parts


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _endpoint(target: str, protocol: str, auth: PushAuth | None, timeout_s: float, retries: int,
              backoff_s: float) -> _Endpoint:
    parts = _check_target(target)
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown push protocol {protocol!r}; use one of: {', '.join(PROTOCOLS)}")
    if not timeout_s > 0:
        raise ConfigError(f"timeout {timeout_s!r} must be more than 0 seconds")
    if retries < 0:
        raise ConfigError(f"retries {retries!r} must be 0 or more")
    auth = auth or PushAuth()
    handlers: list[urllib.request.BaseHandler] = []
    if auth.user and auth.scheme == "digest":
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, target, auth.user, auth.password or "")
        handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
    if auth.present and parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        logger.warning("sending credentials to %s over plain http; anyone on the way can read them (use https)",
                       parts.hostname)
    # redirects are reported, not followed: urllib would turn a redirected POST into a GET and lose its body
    client = HttpClient(timeout_s=timeout_s, max_tries=retries + 1, backoff_s=backoff_s, https_only=False,
                        follow_redirects=False, error=PushError, advice=_ADVICE, handlers=handlers,
                        max_response_bytes=_MAX_ANSWER_BYTES)
    return _Endpoint(target, protocol, auth, client)


def _hint(ep: _Endpoint, status: int, batch: int, location: str | None) -> str:
    if status in (401, 403):
        if ep.auth.present:
            return f"check the credentials ({_CREDENTIALS_HINT}) and that they may write"
        return f"the server wants credentials: set {_CREDENTIALS_HINT}"
    if 300 <= status < 400:
        return f"the server redirects to {location}; push to that URL instead" if location else \
            "the server redirects; push to the URL it names instead"
    if status == 404:
        return ("check the URL: --protocol gsp wants the graph store endpoint (e.g. http://HOST:7878/store), "
                "--protocol update the update endpoint (e.g. http://HOST:7878/update)")
    if status in (405, 415, 501):
        other = "update" if ep.protocol == "gsp" else "gsp"
        return f"this URL does not take {ep.protocol} requests; check the URL, or try --protocol {other}"
    if status == 413:
        return f"a batch of {batch} triples is too large for the server; push with a smaller --batch"
    return "see the server's log"


def _send(ep: _Endpoint, method: str, url: str, body: bytes, content_type: str, batch: int) -> None:
    """One request, retried by the client on refused or dropped connections, time-outs and 429/5xx answers.

    Raises:
        PushError: the server cannot be reached or answered with an error.
    """
    headers = {"Content-Type": content_type}
    if ep.auth.token:
        headers["Authorization"] = f"Bearer {ep.auth.token}"
    elif ep.auth.user and ep.auth.scheme == "basic":
        pair = f"{ep.auth.user}:{ep.auth.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    ep.client.request(method, url, data=body, headers=headers,
                      hint=lambda status, answer: _hint(ep, status, batch, answer.get("Location")))
    logger.debug("%s %s: %d triples, %d bytes", method, url, batch, len(body))


def _gsp_url(target: str, graph: str | None) -> str:
    """
    >>> _gsp_url("http://h/store", None)
    'http://h/store?default'
    >>> _gsp_url("http://h/ds/data?x=1", "https://w3id.org/g#1")
    'http://h/ds/data?x=1&graph=https%3A%2F%2Fw3id.org%2Fg%231'
    """
    join = "&" if "?" in target else "?"
    return target + join + ("default" if graph is None else "graph=" + urllib.parse.quote(graph, safe=""))


def _push_graph(ep: _Endpoint, store: ox.Store, source: ox.DefaultGraph | ox.NamedNode, graph: str | None,
                batch: int, skolem_prefix: str, total: int | None,
                progress: Progress | None) -> tuple[int, int, int]:
    """Replace ``graph`` on the target (None: its default graph) with ``source``: (triples, requests, skolemized)."""
    label = "the default graph" if graph is None else f"graph <{graph}>"
    what = "the knowledge graph" if isinstance(source, ox.DefaultGraph) else f"graph {source}"
    logger.info("pushing %s to %s of %s (%s)", what, label, ep.target, ep.protocol)
    sent = requests = skolemized = 0
    if ep.protocol == "gsp":
        url = _gsp_url(ep.target, graph)
        with contextlib.closing(lookahead(batches(store, source, batch, skolem_prefix))) as chunks:
            for n, body, sk in chunks:
                _send(ep, "PUT" if requests == 0 else "POST", url, body, _NTRIPLES, n)
                sent, requests, skolemized = sent + n, requests + 1, skolemized + sk
                if progress:
                    progress(sent, total)
        if requests == 0:  # an empty graph still replaces what the target held
            _send(ep, "PUT", url, b"", _NTRIPLES, 0)
            requests = 1
    else:
        name = "DEFAULT" if graph is None else f"GRAPH {ox.NamedNode(graph)}"
        _send(ep, "POST", ep.target, f"DROP SILENT {name}\n".encode(), _SPARQL_UPDATE, 0)
        requests = 1
        head, tail = (b"INSERT DATA {\n", b"}\n") if graph is None else \
            (f"INSERT DATA {{ GRAPH {ox.NamedNode(graph)} {{\n".encode(), b"} }\n")
        with contextlib.closing(lookahead(batches(store, source, batch, skolem_prefix))) as chunks:
            for n, body, sk in chunks:
                _send(ep, "POST", ep.target, head + body + tail, _SPARQL_UPDATE, n)
                sent, requests, skolemized = sent + n, requests + 1, skolemized + sk
                if progress:
                    progress(sent, total)
    if skolemized:
        logger.warning("replaced %d blank-node occurrences in %s by IRIs under %s", skolemized, label, skolem_prefix)
    logger.info("pushed %d triples to %s in %d requests", sent, label, requests)
    return sent, requests, skolemized


def _open(source: str | Path | kg_store.Generation | ox.Store) -> tuple[ox.Store, str, int | None]:
    """The store, a name for skolem IRIs, and the triple count of its default graph when known."""
    if isinstance(source, ox.Store):
        return source, "store", None
    if isinstance(source, kg_store.Generation):
        try:
            store = ox.Store.read_only(str(source.db_path))
        except OSError as e:
            raise StoreError(f"cannot open the graph in {source.db_path}: {e}") from e
        gen = source
    else:
        gen, store = kg_store.open_current(source)
    return store, gen.name, gen.summary().get("triples")


def push_store(source: str | Path | kg_store.Generation | ox.Store, target: str, *, protocol: str = "gsp",
               graph: str | None = None, with_ontology: bool = False, batch_triples: int = DEFAULT_BATCH,
               auth: PushAuth | None = None, timeout_s: float = DEFAULT_TIMEOUT_S, retries: int = DEFAULT_RETRIES,
               backoff_s: float = DEFAULT_BACKOFF_S, progress: Progress | None = None) -> PushSummary:
    """Replace a graph of the SPARQL server at ``target`` with our knowledge graph.

    ``source`` is a store directory (its published generation is read), a :class:`kg.store.generations.Generation`
    or an open ``pyoxigraph.Store``. The knowledge graph (the store's default graph) goes to the target's
    default graph, or to the named graph ``graph``. ``with_ontology`` also pushes the ontology and the
    build provenance into named graphs of their own (``ONTOLOGY_GRAPH``, ``BUILDS_GRAPH`` of ``kg.store.generations``).
    ``progress(triples_sent, total_or_None)`` is called after each batch of the knowledge graph.

    Raises:
        ConfigError: a bad argument (URL, protocol, graph IRI, batch size, credentials).
        StoreError: no published graph in ``source``.
        PushError: the server cannot be reached or refused a request.
    """
    ep = _endpoint(target, protocol, auth, timeout_s, retries, backoff_s)
    if batch_triples < 1:
        raise ConfigError(f"batch size {batch_triples!r} must be at least 1 triple")
    if graph is not None:
        try:
            ox.NamedNode(graph)
        except ValueError as e:
            raise ConfigError(f"graph {graph!r} is not an absolute IRI ({e}); give one like "
                              "https://example.org/abstracta") from e
        if with_ontology and graph in (kg_store.ONTOLOGY_GRAPH, kg_store.BUILDS_GRAPH):
            raise ConfigError(f"graph {graph} is where --with-ontology puts the ontology or build records; "
                              "choose another graph IRI")
    started = time.perf_counter()
    store, name, total = _open(source)
    skolem_prefix = f"{SKOLEM_BASE}{name}/"
    plan: list[tuple[ox.DefaultGraph | ox.NamedNode, str | None]] = [(ox.DefaultGraph(), graph)]
    if with_ontology:
        plan += [(ox.NamedNode(g), g) for g in (kg_store.ONTOLOGY_GRAPH, kg_store.BUILDS_GRAPH)]
    done: list[tuple[str, int]] = []
    triples = requests = skolemized = 0
    for i, (src, dst) in enumerate(plan):
        n, r, sk = _push_graph(ep, store, src, dst, batch_triples, skolem_prefix, total if i == 0 else None,
                               progress if i == 0 else None)
        done.append((dst or "default", n))
        triples, requests, skolemized = triples + n, requests + r, skolemized + sk
    summary = PushSummary(target=target, protocol=protocol, triples=triples, requests=requests,
                          seconds=time.perf_counter() - started, graphs=tuple(done), skolemized=skolemized)
    logger.info("push done: %s", summary.as_dict())
    return summary
