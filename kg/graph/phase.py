"""A build's graph phase: resolved records in, a loaded and published generation out, on both cores.

Three workers share the machine:

- the main thread writes every triple as N-Quads text (``kg.graph.triples``, ``kg.store.quads``);
- the bulk loader's thread (``kg.store.loader``) loads that text, in Rust, without the GIL;
- a second Python thread derives from the same records what the dashboard reads
  (``kg.graph.derive``), computes the analytics and writes the snapshot, in the time the main
  thread waits for the loader; the analytics triples close the stream.

Nothing is read back from the store. Each step's time and the peak memory so far are recorded
(:class:`Step`); steps run in the second thread are marked ``alongside`` and are not part of the
phase's wall time.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kg.config import Settings
from kg.graph import derive, triples
from kg.graph.cache import FILE as CACHE_FILE
from kg.graph.canon import EntityTable
from kg.graph.relations import Statement, statements
from kg.model import Extraction
from kg.read import analytics as metrics
from kg.read import snapshot
from kg.store import generations as store
from kg.store.quads import encode

try:
    import resource
except ImportError:  # Windows
    resource = None

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a build's graph phase: how long it took, what it streamed, the peak memory so far."""

    name: str
    seconds: float
    triples: int = 0  # triples written in this step (as generated: a repeated triple counts twice)
    peak_rss_mb: float = 0.0  # this process's peak resident memory at the end of the step
    alongside: bool = False  # ran in the second thread, during the streaming step

    def as_dict(self) -> dict:
        return {"name": self.name, "seconds": round(self.seconds, 2), "triples": self.triples,
                "peak_rss_mb": round(self.peak_rss_mb), "alongside": self.alongside}


def _peak_rss_mb() -> float:
    if resource is None:  # not on this platform
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


class Clock:
    """Times the steps of one thread."""

    def __init__(self, *, alongside: bool = False) -> None:
        self.steps: list[Step] = []
        self._alongside = alongside
        self._last = time.perf_counter()

    def lap(self, name: str, triples: int = 0) -> None:
        now = time.perf_counter()
        self.steps.append(Step(name, now - self._last, triples, _peak_rss_mb(), self._alongside))
        logger.info("graph phase: %s, %.1f s%s", name, now - self._last, " (alongside)" if self._alongside else "")
        self._last = now


class _LineCount:
    """Counts the lines of N-Quads chunks as they pass on to the loader."""

    def __init__(self) -> None:
        self.lines = 0
        self.rest = 0  # lines after the papers' own triples

    def count(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.lines += chunk.count(b"\n")
            yield chunk


@dataclass(frozen=True, slots=True)
class Phase:
    """What the graph phase writes: the resolved records and what the build adds beside them."""

    extractions: Sequence[Extraction]
    table: EntityTable
    replaced: dict[str, str]  # retired entity key -> the key standing for it
    builds: list[tuple[str, dict]]  # every build of the store so far, this one included
    support_per_paper: float


def publish_graph(extractions: Sequence[Extraction], resolve: Callable[[], Phase], settings: Settings, clock: Clock,
                  *, name: str, summary: Callable[[], dict], cache_path: Path) -> store.Generation:
    """Write the graph of ``extractions`` into the new generation ``name`` of the settings' store and publish it.

    The papers' own triples (:func:`kg.graph.triples.paper_own_triples`) depend on no other paper, so
    they stream first and load while ``resolve`` decides entity identity across all papers (the
    build's :class:`Phase`); ``summary`` is called once the graph is loaded.

    Raises:
        StoreError: the store is not writable, or the loader rejects the text.
    """
    root, base = Path(settings.store_dir), settings.base_iri
    snap = root / f".snapshot-{os.getpid()}.sqlite"
    beside: list[Step] = []  # the second thread's steps
    streamed = _LineCount()
    pool = ThreadPoolExecutor(1, thread_name_prefix="abstracta-snapshot")

    def analyse(phase: Phase, linked: list[derive.PaperLinks], found: list[Statement]) -> metrics.Analytics:
        clock_beside = Clock(alongside=True)
        links = derive.link_graph(linked, phase.table, base)
        years = derive.paper_years(phase.extractions, base)
        clock_beside.lap("link graph, from the records")
        analysed = metrics.compute(links, years)
        clock_beside.lap("analytics")
        snapshot.write(snap, links, analysed, years,
                       snapshot.count_rows(derive.confidences(phase.extractions, linked)),
                       derive.results(phase.extractions, phase.table, base),
                       derive.documents(phase.extractions, linked, links, base), derive.statement_rows(found, base))
        clock_beside.lap("snapshot: tables, leaderboard, full-text index")
        beside.extend(clock_beside.steps)
        return analysed

    def the_rest() -> Iterator[bytes]:
        own = streamed.lines
        clock.lap("the papers' own triples (metadata), written", own)
        phase = resolve()
        clock.lap("identity: entity table (the papers' own triples loading meanwhile)")
        linked = derive.linked_papers(phase.extractions, phase.table, base)
        found = list(statements(phase.extractions, phase.table, phase.support_per_paper))
        clock.lap("entity links of every paper, relation statements")
        analysed = pool.submit(analyse, phase, linked, found)
        yield from encode(triples.graph_triples(phase.extractions, base, support_per_paper=phase.support_per_paper,
                                                table=phase.table, links=[p.links for p in linked], metadata=False,
                                                found=found))
        yield from encode(metrics.analytics_triples(analysed.result(), base))  # waits for the second thread
        yield from encode(triples.replacement_triples(phase.replaced, base))
        yield from encode(triples.build_triples(phase.builds, base), graph=store.BUILDS_GRAPH)
        streamed.rest = streamed.lines - own

    try:
        nquads = streamed.count(itertools.chain(
            encode(itertools.chain.from_iterable(triples.paper_own_triples(ex, base) for ex in extractions)),
            the_rest()))
        # trusted: every IRI is a kg.iri slug under the checked base IRI, or a link checked by triples.valid_iri
        gen = store.publish(root, nquads, summary, name=name, trusted=True,
                            attach={CACHE_FILE: cache_path, snapshot.FILE: snap},
                            finish=lambda _db, _folder: clock.lap("the other triples generated and bulk-loaded "
                                                                  "(streamed)", streamed.rest))
    finally:
        pool.shutdown(wait=True)
        snap.unlink(missing_ok=True)
    clock.steps.extend(beside)
    clock.lap("count and publish")
    return gen
