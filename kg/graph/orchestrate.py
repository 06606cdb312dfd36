"""Build orchestration: the one module of ``kg`` that wires in the extractor.

``kg``'s library modules never import ``extract``; this module does so only
inside its functions, which ``python -m kg build`` and the dashboard's
first-start build both call.

Extraction runs in one of three places: in this process (``workers=1``), in a
local spawn process pool (``workers>1``), or on a Dask cluster
(``scheduler="tcp://HOST:PORT"``, see :func:`_dask_extract_many`). All three
are an ``ExtractMany`` for :func:`kg.graph.build.build_store`, so incremental builds,
the extraction cache and progress reporting are the same whichever runs.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing as mp
import os
import sys
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from kg.config import PROJECT_ROOT, Settings
from kg.errors import ConfigError, ExtractionError
from kg.graph import codec
from kg.model import Extraction, Paper

if TYPE_CHECKING:
    from distributed import Client  # the cluster extra (requirements-cluster.txt), imported only for --scheduler

    # kg.graph.build (the store, the read model, scipy) is imported only where a build runs, not in every
    # extraction worker, which imports this module to find its functions
    from kg.graph.build import BuildSummary, ExtractMany, Progress

logger = logging.getLogger(__name__)

_CHUNK = 128  # papers per task, at most: a worker's result crosses to the parent a chunk at a time
_MIN_CHUNK = 16  # the smallest chunk, at the end of a run, so that the workers finish together
# Thread pools of the numeric libraries, one thread each in a worker: the workers are the parallelism
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_worker_extractor = None  # one per worker process

_MAX_PARTITION = 256
_dask_extractors: dict[str, object] = {}  # on a Dask worker: seeds dir -> Extractor, built on first use
_dask_lock = threading.Lock()  # a worker with several threads builds one pipeline and runs it one partition at a time


def _init_worker(seeds_dir: str) -> None:
    """In a new worker process: one thread per numeric library (before numpy loads), then the pipeline."""
    global _worker_extractor
    for var in _THREAD_VARS:  # a value the user set wins
        os.environ.setdefault(var, "1")
    if "numpy" in sys.modules:  # the parent's main module imported it: its thread pool is already sized
        logger.debug("numpy was loaded before the extraction worker could limit its threads")
    from extract import Extractor

    _worker_extractor = Extractor(Path(seeds_dir))


def _extract_chunk(papers: list[Paper]) -> list[Extraction]:
    # the dataclasses pickle as fast as codec dicts would and unpickle faster than those decode (0.1 ms a paper)
    return list(_worker_extractor.extract_many(papers))


def _chunks(papers: list[Paper], workers: int) -> list[list[Paper]]:
    """``papers`` in order, in chunks of ``_CHUNK`` that shrink towards the end (to about a quarter of
    what is left per worker, at least ``_MIN_CHUNK``), so no worker is left alone with a long last chunk."""
    chunks, i = [], 0
    while i < len(papers):
        size = max(_MIN_CHUNK, min(_CHUNK, math.ceil((len(papers) - i) / (4 * workers))))
        chunks.append(papers[i:i + size])
        i += size
    return chunks


def _extract_many(seeds_dir: Path, workers: int) -> ExtractMany:
    """Extraction over papers, building the pipeline only if there is something to extract.

    With ``workers`` > 1 (and enough papers) the papers are extracted in chunks
    by a pool of spawned processes, each building the pipeline once; records come
    back in input order, as from one process.
    """

    def run(papers: Iterable[Paper]) -> Iterator[Extraction]:
        papers = list(papers)
        if not papers:
            return
        if workers <= 1 or len(papers) < 2 * _CHUNK:
            from extract import Extractor

            yield from Extractor(seeds_dir).extract_many(papers)
            return
        chunks = _chunks(papers, workers)
        # spawn, not fork: the parent may hold threads (a server, a progress bar)
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                 initargs=(str(seeds_dir),)) as pool:
            try:
                for result in pool.map(_extract_chunk, chunks):
                    yield from result
            except BrokenProcessPool as e:
                raise ExtractionError(
                    f"an extraction worker process died ({e}); retry with --workers 1, and if it was killed for "
                    "memory, use fewer workers") from e

    return run


def _extract_partition(seeds_dir: str, papers: list[Paper]) -> bytes:
    """Runs on a Dask worker: extract one partition; the records as zlib-compressed JSON of codec dicts."""
    from extract import Extractor

    with _dask_lock:
        extractor = _dask_extractors.get(seeds_dir)
        if extractor is None:
            extractor = _dask_extractors[seeds_dir] = Extractor(Path(seeds_dir))
        records = [codec.to_dict(ex) for ex in extractor.extract_many(papers)]
    return zlib.compress(json.dumps(records, ensure_ascii=False).encode("utf-8"), 1)


def _root_cause(e: BaseException) -> BaseException:
    """The innermost cause: distributed wraps, e.g., an import error while unpickling a task."""
    while e.__cause__ is not None:
        e = e.__cause__
    return e


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def _dask_modules() -> ModuleType:
    try:
        import distributed
    except ImportError as e:
        raise ConfigError(f"--scheduler needs dask and distributed ({e}); "
                          "install them with `pip install -c constraints.txt -r requirements-cluster.txt`") from e
    return distributed


def _check_scheduler_address(address: str) -> None:
    from distributed.comm import get_address_host_port

    try:
        get_address_host_port(address)
    except ValueError as e:
        raise ConfigError(f"invalid scheduler address {address!r}: {e}; use tcp://HOST:PORT") from e


def _dask_extract_many(seeds_dir: Path, address: str, version: str, partition_size: int | None,
                       connect_timeout_s: float | None) -> ExtractMany:
    """Extraction of the papers on the Dask cluster whose scheduler listens at ``address``.

    The client connects only if there is something to extract. Papers are
    split into partitions (``partition_size`` papers each; by default about two
    per worker, at most 256), one task each. A task runs the same
    ``extract.Extractor(seeds_dir).extract_many`` as a local build, on a
    pipeline built once per worker process and kept for later tasks, and
    returns the partition's extraction records as plain codec dicts
    (zlib-compressed JSON, as the extraction cache stores them; no spaCy
    objects cross the wire). Results are decoded here as partitions complete,
    so progress and the cache work as in a local build.

    Why the workers return records, not N-Triples shards: an entity's IRI,
    merged abbreviations and aliases, and every link's confidence (its support
    across papers) are resolved over all papers of the graph, including those
    kept from the cache, so no partition can write its final triples. Only the
    paper metadata triples are partition-local, and they are cheap and must be
    regenerated for cached papers anyway; writing them on workers would need a
    filesystem shared with the driver and a second code path for the same
    triples. So the workers run the NLP pipeline, the part of a build that
    scales with workers, and the driver regenerates the whole graph from all
    records and bulk-loads it into a new store generation, as a local build
    does; that part stays serial (about 15 s of a 2,000-abstract build). The
    partition results are this design's "shards".

    The scheduler (it unpickles the tasks) and the workers must be able to
    import this checkout's ``kg`` and ``extract`` packages, and the workers
    must read ``seeds_dir`` (and the NER model) at the same path: true for a
    ``distributed.LocalCluster`` and for a cluster started from a shared
    checkout, ``PYTHONPATH=CHECKOUT dask scheduler`` and ``PYTHONPATH=CHECKOUT
    dask worker ADDRESS --nthreads 1`` (the ``dask`` commands do not put the
    working directory on the path; more threads per worker do not help, a
    worker runs one partition at a time).
    Every record must carry this checkout's extractor ``version``; a worker
    running other rules or code fails the build rather than filling the cache
    with records that would be re-extracted next time.
    """

    def run(papers: Iterable[Paper]) -> Iterator[Extraction]:
        papers = list(papers)
        if not papers:
            return
        distributed = _dask_modules()
        import dask
        from dask.utils import parse_timedelta

        timeout = parse_timedelta(connect_timeout_s if connect_timeout_s is not None
                                  else dask.config.get("distributed.comm.timeouts.connect"), default="seconds")
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise ExtractionError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({e}); "
                                  "check the address and that `dask scheduler` runs there, or raise the timeout "
                                  "with DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT") from e
        with client:
            yield from _run_partitions(client, distributed, papers, timeout)

    def _run_partitions(client: Client, distributed: ModuleType, papers: list[Paper],
                        timeout: float) -> Iterator[Extraction]:
        n_workers = len(client.scheduler_info().get("workers", {}))
        if n_workers == 0:
            logger.warning("Dask scheduler %s has no workers yet; waiting up to %g s for one", address, timeout)
            try:
                client.wait_for_workers(1, timeout=timeout)
            except TimeoutError as e:
                raise ExtractionError(f"the Dask scheduler at {address} has no workers after {timeout:g} s; "
                                      f"start some: `PYTHONPATH={PROJECT_ROOT} dask worker {address} --nthreads 1`"
                                      ) from e
            n_workers = len(client.scheduler_info().get("workers", {}))
        size = partition_size or max(1, min(_MAX_PARTITION, math.ceil(len(papers) / (2 * n_workers))))
        parts = [papers[i:i + size] for i in range(0, len(papers), size)]
        logger.info("extracting %d papers on %s: %d partitions of up to %d papers, %d workers",
                    len(papers), address, len(parts), size, n_workers)
        run_id = uuid.uuid4().hex[:8]
        futures = {client.submit(_extract_partition, str(seeds_dir), part, key=f"abstracta-extract-{run_id}-{i}"): i
                   for i, part in enumerate(parts)}
        for future in distributed.as_completed(list(futures), loop=client.loop):
            i = futures.pop(future)
            where = (f"partition {i + 1} of {len(parts)} (papers {i * size + 1}-{i * size + len(parts[i])}, "
                     f"first {parts[i][0].key!r})")
            try:
                blob = future.result()
            except Exception as e:  # the worker's error, re-raised here by distributed
                cause = _root_cause(e)
                hint = (f"the scheduler and the workers need this checkout importable (PYTHONPATH={PROJECT_ROOT}), "
                        f"the workers {seeds_dir} readable at the same path"
                        if isinstance(cause, ImportError | OSError) else "the worker's log has the traceback")
                raise ExtractionError(f"{where} failed on the Dask cluster: {_first_line(cause)}; {hint}") from e
            del future
            for record in json.loads(zlib.decompress(blob)):
                ex = codec.from_dict(record)
                if ex.version != version:
                    raise ExtractionError(f"{where}: a Dask worker extracted with version {ex.version!r}, this "
                                          f"checkout is {version!r}; run the workers from the same checkout")
                yield ex

    return run


def build_from_inputs(inputs: Sequence[str | Path], settings: Settings, *, progress: Progress | None = None,
                      prune: bool = False, workers: int = 1, scheduler: str | None = None,
                      partition_size: int | None = None, connect_timeout_s: float | None = None,
                      wait_s: float = 0.0, full: bool = False) -> BuildSummary:
    """Read ``inputs`` (files or directories), extract what is new or changed, publish the graph.

    With ``scheduler`` (a Dask scheduler address, ``tcp://HOST:PORT``) the
    extraction runs on that cluster, ``partition_size`` papers per task (see
    :func:`_dask_extract_many`); ``connect_timeout_s`` defaults to Dask's
    ``distributed.comm.timeouts.connect``. Otherwise on ``workers`` local
    processes. ``full`` writes the whole graph, not the changes to the published one.

    Raises:
        ConfigError: ``scheduler`` with ``workers`` > 1, a bad scheduler address or partition size, or
            dask/distributed not installed.
        InputError: an input is missing or unreadable, or no papers were found.
        ExtractionError: the rule files are missing or invalid; the scheduler cannot be reached, or a task
            failed on a worker.
        StoreError: another build holds the store past ``wait_s``, or it is not writable.
    """
    from extract.extractor import extractor_version
    from kg.graph.build import build_store
    from kg.ingest.readers import read_inputs

    version = extractor_version(settings.seeds_dir)
    if scheduler is not None:
        if workers > 1:
            raise ConfigError(f"--scheduler {scheduler} and --workers {workers} exclude each other: "
                              "the cluster's workers extract; drop --workers")
        if partition_size is not None and partition_size < 1:
            raise ConfigError(f"partition size must be at least 1, not {partition_size}")
        _dask_modules()
        _check_scheduler_address(scheduler)
        extract_many = _dask_extract_many(settings.seeds_dir.resolve(), scheduler, version, partition_size,
                                          connect_timeout_s)
    else:
        extract_many = _extract_many(settings.seeds_dir, workers)
    inputs = list(inputs) or [settings.seeds_dir]
    read = read_inputs(inputs, max_abstract_chars=settings.max_abstract_chars)
    if read.skipped:  # each one is in the summary's ``skipped``, for the caller to show once
        logger.info("%d input records skipped", len(read.skipped))
    return build_store(read.papers, extract_many, settings, version=version, skipped=read.skipped,
                       progress=progress, inputs=[str(i) for i in inputs], prune=prune, wait_s=wait_s, full=full)
