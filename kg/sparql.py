"""Read-only SPARQL over the store, with the limits enforced in one place.

Queries run in a worker process (``kg._query_worker``) that holds the store open read-only.
pyoxigraph cannot interrupt a running query, so a query that overruns its
time limit is stopped by ending the worker; a fresh one is started for the
next query. The row cap is applied while results stream out of the engine.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import re
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kg.errors import QueryError, QueryTimeout
from kg.vocab import PREFIXES

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 100_000
_UPDATE_RE = re.compile(r"^\s*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)
_PROLOGUE_RE = re.compile(r"^\s*(?:(?:BASE\s*<[^>]*>)|(?:PREFIX\s+[\w.-]*:\s*<[^>]*>))", re.IGNORECASE)
_SERVICE_RE = re.compile(r"(?<![?$:\w-])SERVICE\s+(?:SILENT\s+)?(?:<|\?|\$|[\w-]*:)", re.IGNORECASE)
# What can hide a keyword without being one: comments, strings and IRIs.
_NOISE_RE = re.compile(
    r"#[^\n]*|\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>"
)


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


def _bare(text: str) -> tuple[str, str]:
    """``text`` with comments, strings and IRIs blanked, and the same after its prologue."""
    bare = _NOISE_RE.sub(lambda m: "<>" if m.group(0).startswith("<") else " ", text)
    body = bare
    while (m := _PROLOGUE_RE.match(body)) is not None:
        body = body[m.end():]
    return bare, body


def is_update(text: str) -> bool:
    """Is ``text`` a SPARQL update (INSERT, DELETE, LOAD, ...) rather than a query?"""
    return bool(_UPDATE_RE.match(_bare(text)[1]))


def check_query(query: str) -> str:
    """Refuse what a read-only public endpoint must never run.

    Raises:
        QueryError: empty or oversized query, an update, or a SERVICE call.
    """
    if not query or not query.strip():
        raise QueryError("the query is empty; write a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(query):,} characters, over the {MAX_QUERY_CHARS:,} limit")
    bare, body = _bare(query)
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


def _send(stream, obj: object) -> None:  # noqa: ANN001 - binary stream
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def _recv(stream) -> object:  # noqa: ANN001 - binary stream
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("query worker closed its pipe")
    (size,) = struct.unpack(">Q", header)
    return pickle.loads(stream.read(size))  # our own child process: trusted


def serve_worker(db_path: str, stdin, stdout) -> None:  # noqa: ANN001 - binary streams
    """Worker loop: answer ``(query, max_rows)`` requests until stdin closes."""
    import pyoxigraph as ox

    store = ox.Store.read_only(db_path)
    while True:
        try:
            query, max_rows = _recv(stdin)
        except EOFError:
            return
        try:
            _send(stdout, ("ok", execute(store, query, max_rows)))
        except QueryError as e:
            _send(stdout, ("error", str(e)))
        except Exception as e:  # the worker must answer, never die silently
            logger.exception("query worker failed")
            _send(stdout, ("error", f"query failed: {type(e).__name__}: {e}"))


class QueryRunner:
    """Runs queries against one store database with a time limit and a row cap.

    The worker is a separate interpreter (``python -m kg._query_worker``), so
    it never re-imports the caller's main script, whatever that is (a
    Streamlit app, a CLI, a test). Thread-safe: one query at a time per runner.
    """

    def __init__(self, db_path: str | Path, *, timeout_s: float, max_rows: int) -> None:
        self.db_path = str(db_path)
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._fresh_worker = False

    def _start(self) -> subprocess.Popen:
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "kg._query_worker", self.db_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=root,
        )
        self._fresh_worker = True
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait(timeout=5)
            for stream in (proc.stdin, proc.stdout):
                stream.close()

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
            proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
            try:
                _send(proc.stdin, (query, rows))
                # The first query also waits for the worker to start.
                grace = 10.0 if self._fresh_worker else 0.0
                ready, _, _ = select.select([proc.stdout], [], [], timeout + grace)
                if not ready:
                    self._stop()
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped; "
                                       f"add a LIMIT or make it more selective")
                status, payload = _recv(proc.stdout)
                self._fresh_worker = False
            except (EOFError, OSError, pickle.UnpicklingError) as e:
                self._stop()
                raise QueryError(f"the query worker stopped unexpectedly ({e}); try again") from e
        if status == "error":
            raise QueryError(payload)
        return payload

    def __enter__(self) -> QueryRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class QueryService:
    """Read-only queries on a store directory's published graph, through a pool of workers.

    Each worker runs one query at a time; a rebuild (a new generation) is
    picked up on the next query, and workers of the old one are retired as
    they finish. Requests wait for a free worker at most ``timeout_s``.
    """

    def __init__(self, root: str | Path, *, timeout_s: float, max_rows: int, workers: int = 2) -> None:
        if workers < 1:
            raise QueryError(f"workers={workers} must be at least 1")
        self.root = Path(root)
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.workers = workers
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._idle: queue.LifoQueue[QueryRunner] = queue.LifoQueue()
        self._closed = False

    def generation(self):  # noqa: ANN201 - kg.store.Generation
        from kg.store import open_current_generation

        return open_current_generation(self.root)

    def _checkout(self) -> tuple[QueryRunner, str]:
        gen = self.generation()
        with self._lock:
            if self._closed:
                raise QueryError("the query service is shut down")
            if gen.name != self._generation:
                old, self._idle = self._idle, queue.LifoQueue()
                self._generation = gen.name
                for _ in range(self.workers):
                    self._idle.put(QueryRunner(gen.db_path, timeout_s=self.timeout_s, max_rows=self.max_rows))
                _drain(old)
            pool, name = self._idle, gen.name
        try:
            return pool.get(timeout=self.timeout_s), name
        except queue.Empty:
            raise QueryTimeout(f"all {self.workers} query workers stayed busy for {self.timeout_s:g} s; "
                               f"try again shortly") from None

    def run(self, query: str, *, timeout_s: float | None = None, max_rows: int | None = None) -> QueryResult:
        """Run a read-only query (see ``QueryRunner.run`` for the errors raised)."""
        check_query(query)
        runner, name = self._checkout()
        try:
            return runner.run(query, timeout_s=timeout_s, max_rows=max_rows)
        finally:
            with self._lock:
                if name == self._generation and not self._closed:
                    self._idle.put(runner)
                else:
                    runner.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            _drain(self._idle)


def _drain(pool: queue.Queue) -> None:
    while True:
        try:
            pool.get_nowait().close()
        except queue.Empty:
            return


_LOAD_RE = re.compile(r"(?<![?$:\w-])LOAD\b", re.IGNORECASE)


def check_update(update: str) -> str:
    """Refuse updates that reach other hosts (LOAD, SERVICE) or are not updates.

    Raises:
        QueryError: empty, oversized, a query rather than an update, LOAD or SERVICE.
    """
    if not update or not update.strip():
        raise QueryError("the update is empty; write an INSERT DATA, DELETE DATA, DELETE/INSERT WHERE, ... request")
    if len(update) > MAX_QUERY_CHARS:
        raise QueryError(f"the update is {len(update):,} characters, over the {MAX_QUERY_CHARS:,} limit")
    bare, body = _bare(update)
    if not _UPDATE_RE.match(body):
        raise QueryError("this is a query, not an update; send it as `query`, not `update`")
    if _LOAD_RE.search(bare) or _SERVICE_RE.search(bare):
        raise QueryError("LOAD and SERVICE are refused: this endpoint makes no requests to other hosts")
    return update


def run_update(root: str | Path, update: str, *, timeout_s: float) -> int:
    """Apply a SPARQL update to a copy of the published graph and publish the copy.

    The update runs in its own process so that a runaway one can be stopped;
    the graph changes all at once or not at all. Returns the new triple count.

    Raises:
        QueryError: the update is refused or malformed.
        QueryTimeout: it ran past ``timeout_s`` (nothing was changed).
        StoreError: no graph, or a build or another update holds the store.
    """
    from kg.store import fork_generation

    check_update(update)
    root_dir = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root_dir, os.environ.get("PYTHONPATH")]))}
    with fork_generation(root) as gen:
        try:
            done = subprocess.run([sys.executable, "-m", "kg._query_worker", "--update", str(gen.db_path)],
                                  input=update.encode("utf-8"), capture_output=True, timeout=timeout_s,
                                  env=env, cwd=root_dir)
        except subprocess.TimeoutExpired as e:
            raise QueryTimeout(f"the update ran longer than {timeout_s:g} s and was stopped; "
                               f"nothing was changed") from e
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["unknown error"]
            raise QueryError(message[-1])
        return int(done.stdout.decode().strip() or 0)


def apply_update_in_worker(db_path: str, update: str) -> int:
    """Worker side of ``run_update``: apply and flush; returns the triple count."""
    import pyoxigraph as ox

    store = ox.Store(db_path)
    try:
        store.update(update, prefixes=PREFIXES)
    except SyntaxError as e:
        raise QueryError(f"SPARQL syntax error: {e}") from e
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"update failed: {e}") from e
    store.flush()
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
