"""Abstracta's NLP layer: titles and abstracts in, plain domain objects out.

Public API (imported lazily so that ``import kg.ingest.readers`` stays light):
``Extractor``, ``read_inputs``, ``read_file``, ``ReadResult``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS = {
    "Extractor": "extract.extractor",
    "read_inputs": "kg.ingest.readers",
    "read_file": "kg.ingest.readers",
    "ReadResult": "kg.ingest.readers",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'extract' has no attribute {name!r}")
