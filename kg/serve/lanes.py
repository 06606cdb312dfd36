"""Read-only queries for many clients at once: two lanes of workers, so a few long queries cannot shut out
everyone else.

Every query starts in the **quick lane** with a short budget (``quick_s``, 1 s by default). Nearly all
queries finish there. One that runs past it is stopped and finished in the **long lane** (its own
workers, at lower CPU priority), within what is left of the full time limit, and its text is
remembered, so that the next time it goes straight to the long lane. Long queries then queue for the
long lane's workers only (answered 503 when none frees up in time), and the quick lane keeps answering
the rest. This is cost-based admission by observed cost: the engine cannot estimate a query's cost
before running it.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import QueryBusy, QueryError, QueryTimeout
from kg.query.runner import Dataset, QueryResult, QueryRunner, check_query

if TYPE_CHECKING:
    from kg.store.generations import Generation

logger = logging.getLogger(__name__)

LONG_NICE = 10
_REMEMBERED = 4096


@dataclass
class _Lane:
    name: str
    workers: int
    nice: int
    idle: queue.LifoQueue = field(default_factory=queue.LifoQueue)


class QueryService:
    """Read-only queries on a store directory's published graph, through two lanes of worker processes.

    Each worker runs one query at a time; a rebuild (a new generation) is picked up on the next
    query, and workers of the old one are retired as they finish.
    """

    def __init__(self, root: str | Path, *, timeout_s: float, max_rows: int, workers: int = 2,
                 long_workers: int | None = None, quick_s: float = 1.0) -> None:
        if workers < 1:
            raise QueryError(f"workers={workers} must be at least 1")
        self.root = Path(root)
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self.workers = workers
        self.quick_s = quick_s
        self._lanes = (_Lane("quick", workers, 0), _Lane("long", long_workers or max(1, workers // 2), LONG_NICE))
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._long: OrderedDict[str, None] = OrderedDict()
        self._closed = False

    def generation(self) -> Generation:
        from kg.store.generations import open_current_generation

        return open_current_generation(self.root)

    def _renew(self) -> None:
        gen = self.generation()
        with self._lock:
            if self._closed:
                raise QueryError("the query service is shut down")
            if gen.name == self._generation:
                return
            self._generation = gen.name
            for lane in self._lanes:
                old, lane.idle = lane.idle, queue.LifoQueue()
                for _ in range(lane.workers):
                    lane.idle.put(QueryRunner(gen.db_path, timeout_s=self.timeout_s, max_rows=self.max_rows,
                                              nice=lane.nice))
                _drain(old)

    def _run_in(self, lane: _Lane, query: str, *, budget_s: float, wait_s: float, max_rows: int | None,
                dataset: Dataset, skip_key: str | None = None) -> QueryResult | None:
        """Run ``query`` on a worker of ``lane``; None when ``skip_key`` was found long while it waited."""
        with self._lock:
            pool, name = lane.idle, self._generation
        try:
            runner = pool.get(timeout=max(wait_s, 0.0))
        except queue.Empty:
            raise QueryBusy(f"all {lane.workers} workers for {lane.name} queries stayed busy for {wait_s:.1f} s; "
                            f"try again shortly") from None
        try:
            with self._lock:
                if skip_key is not None and skip_key in self._long:
                    return None
            return runner.run(query, timeout_s=budget_s, max_rows=max_rows, dataset=dataset)
        finally:
            with self._lock:
                if name == self._generation and not self._closed:
                    pool.put(runner)
                else:
                    runner.close()

    def run(self, query: str, *, timeout_s: float | None = None, max_rows: int | None = None,
            dataset: Dataset = ((), ())) -> QueryResult:
        """Run a read-only query (see ``QueryRunner.run`` for the errors raised; ``QueryBusy`` when the
        workers of its lane stayed busy)."""
        check_query(query)
        self._renew()
        timeout = self.timeout_s if timeout_s is None else min(timeout_s, self.timeout_s)
        deadline = time.monotonic() + timeout
        key = hashlib.blake2b(repr((" ".join(query.split()), dataset)).encode(), digest_size=16).hexdigest()
        quick, long = self._lanes
        with self._lock:
            known_long = key in self._long
        if not known_long:
            budget = min(self.quick_s, timeout)
            try:
                result = self._run_in(quick, query, budget_s=budget, wait_s=timeout, max_rows=max_rows,
                                      dataset=dataset, skip_key=key)
            except QueryBusy:
                raise
            except QueryTimeout:
                if budget >= timeout:
                    raise
                with self._lock:
                    self._long[key] = None
                    while len(self._long) > _REMEMBERED:
                        self._long.popitem(last=False)
                logger.info("query %s ran past %g s: finished in the long lane", key[:8], self.quick_s)
                result = None
            if result is not None:
                return result
        left = deadline - time.monotonic()
        try:
            result = self._run_in(long, query, budget_s=left, wait_s=left, max_rows=max_rows, dataset=dataset)
        except QueryBusy:
            raise
        except QueryTimeout as e:
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped; "
                               f"add a LIMIT or make it more selective") from e
        assert result is not None  # no skip_key: a result or an error
        return result

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for lane in self._lanes:
                _drain(lane.idle)


def _drain(pool: queue.Queue) -> None:
    while True:
        try:
            pool.get_nowait().close()
        except queue.Empty:
            return
