"""Our spaCy components, one module each, registered with ``@Language.factory`` on import.

Each component reads its rules from data files under ``seeds/`` (paths come from its config) and
writes its results onto the ``Doc``: sentence starts, ``doc.spans`` groups and ``doc._`` extensions.
``extract.convert`` is the only code that turns those into domain objects. Importing this package
registers every factory (the shipped models' configs and ``extract.pipeline`` name them).
Run-time code: may import spaCy, ``extract.rules``, ``extract.relations`` and kg's core, never
``extract.training``.
"""

from extract.components import (  # noqa: F401 - each import registers its factory
    abbreviations,
    claims,
    entities,
    keyed_ner,
    model_mentions,
    proposals,
    relations,
    sentences,
    span_edges,
    span_repeats,
    urls,
)
