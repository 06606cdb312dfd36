"""Build orchestration: the one module of ``kg`` that wires in the extractor.

``kg``'s library modules never import ``extract``; this module does so only
inside ``build_from_inputs``, which ``python -m kg build`` and the dashboard's
first-start build both call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from kg.build import BuildSummary, Progress, build_store
from kg.config import Settings

logger = logging.getLogger(__name__)


def build_from_inputs(inputs: Sequence[str | Path], settings: Settings, *,
                      progress: Progress | None = None) -> BuildSummary:
    """Read ``inputs`` (files or directories), extract, and publish a new graph.

    Raises:
        InputError: an input is missing or unreadable, or no papers were found.
        ExtractionError: the rule files are missing or invalid.
        StoreError: the store is locked or not writable.
    """
    from extract import Extractor, read_inputs

    inputs = list(inputs) or [settings.seeds_dir]
    read = read_inputs(inputs, max_abstract_chars=settings.max_abstract_chars)
    for s in read.skipped:
        logger.warning("%s:%d: skipped: %s", s.source, s.line, s.reason)
    extractor = Extractor(settings.seeds_dir)
    return build_store(read.papers, extractor.extract_many, settings, skipped=read.skipped, progress=progress,
                       inputs=[str(i) for i in inputs])
