"""A build's graph phase: resolved records in, a loaded and published generation out, on both cores.

Three workers share the machine:

- the main thread writes every triple as N-Quads text (``kg.graph.triples``, ``kg.store.quads``);
- the bulk loader's thread (``kg.store.loader``) loads that text, in Rust, without the GIL;
- a second Python thread derives from the same records the link graph (``kg.graph.derive``) and
  computes the analytics, whose triples close the stream; then it writes what the dashboard reads to
  the snapshot.

Where the published generation was made by a build, the main thread instead writes only what
changed (:mod:`kg.graph.delta`) into a copy of it. The loader then has little to do, so from
``FORK_MIN_PAPERS`` papers on the snapshot is written by a forked child process: it shares the
records without pickling them, and runs beside the main thread rather than taking turns with it for
the GIL. Nothing is read back from the store. Each step's
time and the peak memory so far are recorded (:class:`Step`); steps run in the second thread are
marked ``alongside`` and are not part of the phase's wall time.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.config import Settings
from kg.errors import StoreError
from kg.graph import delta, derive, triples
from kg.graph.cache import FILE as CACHE_FILE
from kg.graph.canon import EntityTable
from kg.graph.relations import Statement, statements
from kg.model import Extraction
from kg.read import analytics as metrics
from kg.read import snapshot
from kg.store import generations as store
from kg.store.loader import bulk_load_stream
from kg.store.quads import encode

try:
    import resource
except ImportError:  # Windows
    resource = None

logger = logging.getLogger(__name__)


# From this many papers, a build writing changes has its snapshot written by a child process, on a core of its
# own. A full build does not: there the loader keeps the second core busy, and the child's copied pages cost memory.
FORK_MIN_PAPERS = 10_000
DELTA_SEGMENT_LINES = 50_000  # lines per bulk load into a graph that is already large: less memory per load


def _private_memory() -> str:
    """This process's own memory (Linux): a forked child's resident size also counts the pages it shares."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:])
        private = sum(int(fields[k].split()[0]) for k in ("Private_Clean", "Private_Dirty"))
    except (OSError, KeyError, ValueError):
        return "private memory unknown"
    return f"{private / 1024:,.0f} MB private"


def in_child(work: Callable[[], None], what: str) -> None:
    """Run ``work`` in a forked child process and wait for it (the calling thread releases the GIL meanwhile).

    The child shares this process's memory copy-on-write, so nothing is pickled; it runs only ``work``,
    which must communicate through files, and leaves with ``os._exit``.

    Raises:
        StoreError: ``work`` raised in the child (its message is passed on) or the child died.
    """
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that a child forked from a threaded process may find a lock held by another
        # thread. This child takes none of theirs: it runs ``work`` on data already in memory, writes its own
        # file and leaves by os._exit.
        warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks", category=DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        code = 0
        try:
            work()
            logger.info("%s: done in a child process, %s", what, _private_memory())
        except BaseException as e:  # reported to the parent, which raises it
            os.write(write_end, f"{type(e).__name__}: {e}".encode("utf-8", "replace")[:4000])
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        message = fh.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise StoreError(f"{what} failed: {message or f'the child process ended with status {code}'}")


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


def _shared(phase: Phase, base: str, links: Sequence[Sequence[triples.Link]], found: Sequence[Statement],
            analysed: Future[metrics.Analytics]) -> Iterator[bytes]:
    """The shared triples as N-Quads (:mod:`kg.graph.delta`): those no single paper owns, the analytics last."""
    yield from encode(triples.shared_triples(phase.extractions, base, phase.table, links, found))
    yield from encode(metrics.analytics_triples(analysed.result(), base))  # waits for the second thread
    yield from encode(triples.replacement_triples(phase.replaced, base))


def publish_graph(extractions: Sequence[Extraction], resolve: Callable[[], Phase], settings: Settings, clock: Clock,
                  *, name: str, summary: Callable[[], dict], cache_path: Path,
                  full: bool = False) -> tuple[store.Generation, bool]:
    """Write the graph of ``extractions`` into the new generation ``name`` of the settings' store and publish it.

    Where the published generation was made by a build with the same writer, only the differences are
    written (:mod:`kg.graph.delta`), unless ``full``. Otherwise the whole graph is loaded: the papers' own triples
    (:func:`kg.graph.triples.paper_own_triples`) depend on no other paper, so they stream first and load
    while ``resolve`` decides entity identity across all papers (the build's :class:`Phase`). ``summary``
    is called once the graph is loaded. Returns the generation, and whether it was written as changes.

    Raises:
        StoreError: the store is not writable, or the loader rejects the text.
    """
    root, base = Path(settings.store_dir), settings.base_iri
    snap = root / f".snapshot-{os.getpid()}.sqlite"
    state_file, shared_file = root / f".state-{os.getpid()}.sqlite", root / f".shared-{os.getpid()}.nq"
    attach = {CACHE_FILE: cache_path, snapshot.FILE: snap, delta.STATE_FILE: state_file,
              delta.SHARED_FILE: shared_file}
    beside: list[Step] = []  # the second thread's steps
    streamed = _LineCount()
    pool = ThreadPoolExecutor(1, thread_name_prefix="abstracta-snapshot")
    writer = delta.fingerprint(base)
    previous = store.current_generation(root)
    prior = delta.read_state(previous.path) if previous and not full else None

    def analyse(phase: Phase, linked: list[derive.PaperLinks], found: list[Statement],
                ready: Future[metrics.Analytics]) -> None:
        clock_beside = Clock(alongside=True)
        try:
            links = derive.link_graph(linked, phase.table, base)
            years = derive.paper_years(phase.extractions, base)
            clock_beside.lap("link graph, from the records")
            analysed = metrics.compute(links, years)
            clock_beside.lap("analytics")
        except BaseException as e:
            ready.set_exception(e)
            raise
        ready.set_result(analysed)  # the main thread writes the analytics triples while the snapshot is written

        def write() -> None:
            snapshot.write(snap, links, analysed, years,
                           snapshot.count_rows(derive.confidences(phase.extractions, linked)),
                           derive.results(phase.extractions, phase.table, base),
                           derive.documents(phase.extractions, linked, links, base),
                           derive.statement_rows(found, base))

        forked = prior_usable and len(phase.extractions) >= FORK_MIN_PAPERS and hasattr(os, "fork")
        if forked:
            in_child(write, f"writing the snapshot {snap}")
        else:
            write()
        clock_beside.lap("snapshot: tables, leaderboard, full-text index" + (" (a child process)" if forked else ""))
        beside.extend(clock_beside.steps)

    def resolved() -> tuple[Phase, list[derive.PaperLinks], list[Statement], Future[metrics.Analytics], Future]:
        phase = resolve()
        clock.lap("identity: entity table" + ("" if prior_usable else " (the papers' own triples loading meanwhile)"))
        linked = derive.linked_papers(phase.extractions, phase.table, base)
        found = list(statements(phase.extractions, phase.table, phase.support_per_paper))
        clock.lap("entity links of every paper, relation statements")
        ready: Future[metrics.Analytics] = Future()
        return phase, linked, found, ready, pool.submit(analyse, phase, linked, found, ready)

    def the_rest() -> Iterator[bytes]:
        own = streamed.lines
        clock.lap("the papers' own triples (metadata), written", own)
        phase, linked, found, analysed, snapshot_written = resolved()
        links = [p.links for p in linked]
        yield from encode(itertools.chain.from_iterable(
            triples.extraction_triples(ex, phase.table, base, paper, metadata=False)
            for ex, paper in zip(phase.extractions, links, strict=True)))
        with shared_file.open("wb") as fh:  # kept for the next build to compare with
            for chunk in _shared(phase, base, links, found, analysed):
                fh.write(chunk)
                yield chunk
        yield from encode(triples.build_triples(phase.builds, base), graph=store.BUILDS_GRAPH)
        streamed.rest = streamed.lines - own
        delta.write_state(state_file, name, writer, delta.signatures(phase.extractions, links, phase.table))
        snapshot_written.result()

    def change(db: ox.Store, _folder: Path) -> None:
        phase, linked, found, analysed, snapshot_written = resolved()
        links = [p.links for p in linked]
        blocks = delta.signatures(phase.extractions, links, phase.table)
        redo = [(ex, paper) for ex, paper in zip(phase.extractions, links, strict=True)
                if prior.blocks.get(ex.paper.key) != blocks[ex.paper.key]]
        stale = [ex.paper.key for ex, _ in redo if ex.paper.key in prior.blocks]
        clock.lap(f"signatures: the blocks of {len(redo)} of {len(blocks)} papers to write")
        gone = delta.delete_blocks(db, base, [*stale, *(k for k in prior.blocks if k not in blocks)])
        clock.lap(f"blocks deleted: {len(stale) + len(prior.blocks.keys() - blocks.keys())} papers, {gone} triples")
        shared = delta.diff_shared(prior.shared, _shared(phase, base, links, found, analysed), shared_file)
        clock.lap(f"shared triples written and compared: {shared.lines:,}, {len(shared.added):,} new")
        delta.delete_lines(db, shared.removed)
        db.clear_graph(ox.NamedNode(store.BUILDS_GRAPH))
        clock.lap(f"shared triples deleted: {len(shared.removed):,}")
        text = streamed.count(itertools.chain(
            encode(itertools.chain.from_iterable(
                itertools.chain(triples.paper_own_triples(ex, base),
                                triples.extraction_triples(ex, phase.table, base, paper, metadata=False))
                for ex, paper in redo)),
            [b"".join(line + b"\n" for line in shared.added)],
            encode(triples.build_triples(phase.builds, base), graph=store.BUILDS_GRAPH)))
        bulk_load_stream(db, text, lenient=True, segment_lines=DELTA_SEGMENT_LINES)
        clock.lap("changed triples added", streamed.lines)
        uncompacted = prior.uncompacted + 1
        if uncompacted >= delta.COMPACT_AFTER:
            store.compact(db)
            uncompacted = 0
            clock.lap(f"database compacted (every {delta.COMPACT_AFTER} builds written as changes)")
        delta.write_state(state_file, name, writer, blocks, uncompacted)
        snapshot_written.result()
        clock.lap("waited for the snapshot")

    prior_usable = delta.usable(prior, previous.name if previous else None, writer)
    try:
        if prior_usable:
            gen = store.publish_changes(root, previous, change, summary, name=name, attach=attach)
        else:
            nquads = streamed.count(itertools.chain(
                encode(itertools.chain.from_iterable(triples.paper_own_triples(ex, base) for ex in extractions)),
                the_rest()))
            # trusted: every IRI is a kg.iri slug under the checked base IRI, or a link checked by triples.valid_iri
            gen = store.publish(root, nquads, summary, name=name, trusted=True, attach=attach,
                                finish=lambda _db, _folder: clock.lap("the other triples generated and bulk-loaded "
                                                                      "(streamed)", streamed.rest))
    finally:
        pool.shutdown(wait=True)
        for path in (snap, state_file, shared_file):
            path.unlink(missing_ok=True)
    clock.steps.extend(beside)
    clock.lap("count and publish" if prior_usable else "compact, count and publish")
    return gen, prior_usable
