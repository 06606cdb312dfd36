"""Abstracta's NLP layer at run time: titles and abstracts in, plain domain objects (``kg.model``) out.

Holds what constructing and running :class:`extract.Extractor` needs: the spaCy pipeline
(``pipeline``, one module per component under ``components``), the relation model
(``relations``), the trained decisions (``decisions``) and the conversion to domain objects.
It may import kg's core only (``kg.model``, ``kg.errors``, ``kg.iri``, ``kg.config``); the CLI
(``python -m extract run``) may also use ``kg.ingest.readers``. Training, benchmark corpora and
evaluation live in ``extract.training``, which the runtime never imports.

Public API (imported lazily, so that importing a submodule stays light): ``Extractor``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS = {"Extractor": "extract.extractor"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'extract' has no attribute {name!r}")
