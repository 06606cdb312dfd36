"""Read-only SPARQL over the store, with the limits enforced in one place.

Queries run in a worker process that holds the store open read-only.
pyoxigraph cannot interrupt a running query, so a query that overruns its
time limit is stopped by ending the worker; a fresh one is started for the
next query. The row cap is applied while results stream out of the engine.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import re
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kg.errors import QueryError, QueryTimeout
from kg.vocab import PREFIXES

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 100_000
_UPDATE_RE = re.compile(r"^\s*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)
_PROLOGUE_RE = re.compile(r"^\s*(?:(?:BASE\s*<[^>]*>)|(?:PREFIX\s+[\w.-]*:\s*<[^>]*>))", re.IGNORECASE)
_SERVICE_RE = re.compile(r"(?<![?$:\w-])SERVICE\s+(?:SILENT\s+)?(?:<|\?|\$|[\w-]*:)", re.IGNORECASE)
# What can hide a keyword without being one: comments, strings and IRIs.
_NOISE_RE = re.compile(r"#[^\n]*|\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>")


@dataclass(frozen=True, slots=True)
class Term:
    """An RDF term in a result row, as plain values."""

    kind: str  # "iri" | "literal" | "bnode" | "triple"
    value: str
    datatype: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class QueryResult:
    kind: str  # "select" | "ask" | "graph"
    columns: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]
    boolean: bool | None
    truncated: bool
    elapsed_s: float


def check_query(query: str) -> str:
    """Refuse what a read-only public endpoint must never run.

    Raises:
        QueryError: empty or oversized query, an update, or a SERVICE call.
    """
    if not query or not query.strip():
        raise QueryError("the query is empty; write a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query):,} characters, over the {MAX_QUERY_CHARS:,} limit")
    bare = _NOISE_RE.sub(lambda m: "<>" if m.group(0).startswith("<") else " ", query)
    body = bare
    while (m := _PROLOGUE_RE.match(body)) is not None:
        body = body[m.end():]
    if _UPDATE_RE.match(body):
        raise QueryError("SPARQL updates are not allowed: the graph is read-only; use python -m kg build to change it")
    if _SERVICE_RE.search(bare):
        raise QueryError("SERVICE (federated query) is refused: this endpoint makes no requests to other hosts")
    return query


def _term(t) -> Term | None:  # noqa: ANN001 - pyoxigraph term
    import pyoxigraph as ox

    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return Term("iri", t.value)
    if isinstance(t, ox.Literal):
        return Term("literal", t.value, t.datatype.value if t.datatype else None, t.language)
    if isinstance(t, ox.BlankNode):
        return Term("bnode", t.value)
    return Term("triple", str(t))


def execute(store, query: str, max_rows: int) -> QueryResult:  # noqa: ANN001 - pyoxigraph.Store
    """Run one checked query on an open pyoxigraph store (in the calling thread)."""
    import pyoxigraph as ox

    check_query(query)
    start = time.perf_counter()
    try:
        result = store.query(query, prefixes=PREFIXES)
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ask", (), (), bool(result), False, time.perf_counter() - start)
        if isinstance(result, ox.QuerySolutions):
            columns = tuple(v.value for v in result.variables)
            kind, make = "select", (lambda sol: tuple(_term(sol[c]) for c in columns))
        else:
            columns = ("subject", "predicate", "object")
            kind, make = "graph", (lambda t: (_term(t.subject), _term(t.predicate), _term(t.object)))
        rows, truncated = [], False
        for item in result:
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append(make(item))
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from e
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"query failed: {e}") from e
    return QueryResult(kind, columns, tuple(rows), None, truncated, time.perf_counter() - start)


def _worker_main(conn: Connection, db_path: str) -> None:
    import pyoxigraph as ox

    store = ox.Store.read_only(db_path)
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        query, max_rows = request
        try:
            conn.send(("ok", execute(store, query, max_rows)))
        except QueryError as e:
            conn.send(("error", str(e)))
        except Exception as e:  # the worker must answer, never die silently
            logger.exception("query worker failed")
            conn.send(("error", f"query failed: {type(e).__name__}: {e}"))


class QueryRunner:
    """Runs queries against one store database with a time limit and a row cap.

    Thread-safe: one query at a time per runner.
    """

    def __init__(self, db_path: str | Path, *, timeout_s: float, max_rows: int) -> None:
        self.db_path = str(db_path)
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._fresh_worker = False

    def _start(self) -> Connection:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(child, self.db_path), daemon=True,
                           name="abstracta-query-worker")
        proc.start()
        child.close()
        self._proc, self._conn, self._fresh_worker = proc, parent, True
        return parent

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def run(self, query: str, *, timeout_s: float | None = None, max_rows: int | None = None) -> QueryResult:
        """Run a read-only query.

        Raises:
            QueryError: the query is refused or malformed.
            QueryTimeout: it ran past the time limit (the worker is restarted).
        """
        check_query(query)
        timeout = self.timeout_s if timeout_s is None else min(timeout_s, self.timeout_s)
        rows = self.max_rows if max_rows is None else min(max_rows, self.max_rows)
        with self._lock:
            conn = self._conn if self._proc is not None and self._proc.is_alive() else self._start()
            try:
                conn.send((query, rows))
                # The first query also waits for the worker to start.
                ready = conn.poll(timeout + (5.0 if self._fresh_worker else 0.0))
                if not ready:
                    self._stop()
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped; "
                                       f"add a LIMIT or make it more selective")
                status, payload = conn.recv()
                self._fresh_worker = False
            except (EOFError, OSError, BrokenPipeError) as e:
                self._stop()
                raise QueryError(f"the query worker stopped unexpectedly ({e}); try again") from e
        if status == "error":
            raise QueryError(payload)
        return payload

    def __enter__(self) -> QueryRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
