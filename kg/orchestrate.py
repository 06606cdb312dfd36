"""Build orchestration: the one module of ``kg`` that wires in the extractor.

``kg``'s library modules never import ``extract``; this module does so only
inside its functions, which ``python -m kg build`` and the dashboard's
first-start build both call.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kg.build import BuildSummary, Progress, build_store
from kg.config import Settings
from kg.model import Extraction, Paper

logger = logging.getLogger(__name__)

_CHUNK = 128
_worker_extractor = None  # one per worker process


def _init_worker(seeds_dir: str) -> None:
    global _worker_extractor
    from extract import Extractor

    _worker_extractor = Extractor(Path(seeds_dir))


def _extract_chunk(papers: list[Paper]) -> list[Extraction]:
    return list(_worker_extractor.extract_many(papers))


def _extract_many(seeds_dir: Path, workers: int):  # noqa: ANN202 - an ExtractMany
    """Extraction over papers, building the pipeline only if there is something to extract."""

    def run(papers: Iterable[Paper]) -> Iterator[Extraction]:
        papers = list(papers)
        if not papers:
            return
        if workers <= 1 or len(papers) < 2 * _CHUNK:
            from extract import Extractor

            yield from Extractor(seeds_dir).extract_many(papers)
            return
        chunks = [papers[i:i + _CHUNK] for i in range(0, len(papers), _CHUNK)]
        # spawn, not fork: the parent may hold threads (a server, a progress bar)
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                 initargs=(str(seeds_dir),)) as pool:
            for result in pool.map(_extract_chunk, chunks):
                yield from result

    return run


def build_from_inputs(inputs: Sequence[str | Path], settings: Settings, *, progress: Progress | None = None,
                      prune: bool = False, workers: int = 1) -> BuildSummary:
    """Read ``inputs`` (files or directories), extract what is new or changed, publish the graph.

    Raises:
        InputError: an input is missing or unreadable, or no papers were found.
        ExtractionError: the rule files are missing or invalid.
        StoreError: the store is locked or not writable.
    """
    from extract import read_inputs
    from extract.extractor import extractor_version

    inputs = list(inputs) or [settings.seeds_dir]
    read = read_inputs(inputs, max_abstract_chars=settings.max_abstract_chars)
    for s in read.skipped:
        logger.warning("%s:%d: skipped: %s", s.source, s.line, s.reason)
    return build_store(read.papers, _extract_many(settings.seeds_dir, workers), settings,
                       version=extractor_version(settings.seeds_dir), skipped=read.skipped, progress=progress,
                       inputs=[str(i) for i in inputs], prune=prune)
