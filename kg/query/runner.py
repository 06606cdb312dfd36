"""Read-only SPARQL over the store, with the limits enforced in one place.

Queries run in a worker process (``kg.query.worker``) that holds the store open read-only.
pyoxigraph cannot interrupt a running query, so a query that overruns its
time limit is stopped by ending the worker; a fresh one is started for the
next query. The row cap is applied while results stream out of the engine.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kg.errors import QueryError, QueryTimeout
from kg.query.check import check_query, check_update
from kg.vocab import PREFIXES

if TYPE_CHECKING:
    import pyoxigraph as ox

logger = logging.getLogger(__name__)

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


def _term(t: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> Term | None:
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


Dataset = tuple[tuple[str, ...], tuple[str, ...]]  # the protocol's default-graph-uri and named-graph-uri IRIs


def _graphs(iris: tuple[str, ...], name: str) -> list | None:
    import pyoxigraph as ox

    if not iris:
        return None
    try:
        return [ox.NamedNode(i) for i in iris]
    except ValueError as e:
        raise QueryError(f"{name}: {e}; give absolute IRIs (http://..., urn:...)") from e


def execute(store: ox.Store, query: str, max_rows: int, dataset: Dataset = ((), ())) -> QueryResult:
    """Run one checked query on an open pyoxigraph store (in the calling thread); ``dataset``, when not
    empty, replaces the query's own (FROM, FROM NAMED), as the protocol says."""
    import pyoxigraph as ox

    check_query(query)
    start = time.perf_counter()
    default, named = _graphs(dataset[0], "default-graph-uri"), _graphs(dataset[1], "named-graph-uri")
    if named is not None and default is None:
        default = []  # named graphs only: the default graph is empty
    try:
        result = store.query(query, prefixes=PREFIXES, default_graph=default, named_graphs=named)
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
    except PermissionError as e:  # the sandbox (kg.query.sandbox) refused a socket: a remote SERVICE
        raise QueryError(f"query failed: {e}; this endpoint makes no requests to other hosts (no SERVICE)") from e
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"query failed: {e}") from e
    return QueryResult(kind, columns, tuple(rows), None, truncated, time.perf_counter() - start)


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def _recv(stream: IO[bytes]) -> object:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("query worker closed its pipe")
    (size,) = struct.unpack(">Q", header)
    return pickle.loads(stream.read(size))  # our own child process: trusted


def serve_worker(db_path: str, stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Worker loop: say ready, then answer ``(query, max_rows, dataset)`` requests until stdin closes."""
    import pyoxigraph as ox

    store = ox.Store.read_only(db_path)
    _send(stdout, ("ready", None))
    while True:
        try:
            query, max_rows, dataset = _recv(stdin)
        except EOFError:
            return
        try:
            _send(stdout, ("ok", execute(store, query, max_rows, dataset)))
        except QueryError as e:
            _send(stdout, ("error", str(e)))
        except Exception as e:  # the worker must answer, never die silently
            logger.exception("query worker failed")
            _send(stdout, ("error", f"query failed: {type(e).__name__}: {e}"))


class QueryRunner:
    """Runs queries against one store database with a time limit and a row cap.

    The worker is a separate interpreter (``python -m kg.query.worker``), so
    it never re-imports the caller's main script, whatever that is (a
    Streamlit app, a CLI, a test). Thread-safe: one query at a time per runner.
    ``nice`` lowers the worker's CPU priority (the service's lane for long queries).
    """

    STARTUP_S = 15.0  # a worker's start (interpreter, store opened) is not counted in the query's time

    def __init__(self, db_path: str | Path, *, timeout_s: float, max_rows: int, nice: int = 0) -> None:
        self.db_path = str(db_path)
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.nice = nice
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._ready = False

    def _start(self) -> subprocess.Popen:
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "kg.query.worker", self.db_path,
             *(["--nice", str(self.nice)] if self.nice else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=root,
        )
        self._ready = False
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

    def _await(self, proc: subprocess.Popen, seconds: float) -> bool:
        return bool(select.select([proc.stdout], [], [], seconds)[0])

    def run(self, query: str, *, timeout_s: float | None = None, max_rows: int | None = None,
            dataset: Dataset = ((), ())) -> QueryResult:
        """Run a read-only query.

        Raises:
            QueryError: the query is refused or malformed.
            QueryTimeout: it ran past the time limit (the worker is replaced).
        """
        check_query(query)
        timeout = self.timeout_s if timeout_s is None else min(timeout_s, self.timeout_s)
        rows = self.max_rows if max_rows is None else min(max_rows, self.max_rows)
        with self._lock:
            proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
            try:
                if not self._ready:
                    if not self._await(proc, self.STARTUP_S) or _recv(proc.stdout)[0] != "ready":
                        raise EOFError(f"the worker did not start within {self.STARTUP_S:g} s")
                    self._ready = True
                _send(proc.stdin, (query, rows, dataset))
                if not self._await(proc, timeout):
                    self._stop()
                    self._start()  # the next query finds its worker starting, or started
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped; "
                                       f"add a LIMIT or make it more selective")
                status, payload = _recv(proc.stdout)
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


def run_update(root: str | Path, update: str, *, timeout_s: float) -> int:
    """Apply a SPARQL update to a copy of the published graph and publish the copy.

    The update runs in its own process so that a runaway one can be stopped;
    the graph changes all at once or not at all. Returns the new triple count.

    Raises:
        QueryError: the update is refused or malformed.
        QueryTimeout: it ran past ``timeout_s`` (nothing was changed).
        StoreError: no graph, or a build or another update holds the store.
    """
    from kg.store.generations import fork_generation

    check_update(update)
    root_dir = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root_dir, os.environ.get("PYTHONPATH")]))}
    with fork_generation(root) as gen:
        try:
            done = subprocess.run([sys.executable, "-m", "kg.query.worker", "--update", str(gen.db_path)],
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
    except PermissionError as e:  # the sandbox refused a socket: LOAD or SERVICE
        raise QueryError(f"update failed: {e}; this endpoint makes no requests to other hosts (no LOAD, "
                         f"no SERVICE)") from e
    except (OSError, ValueError, RuntimeError) as e:
        raise QueryError(f"update failed: {e}") from e
    store.flush()
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
