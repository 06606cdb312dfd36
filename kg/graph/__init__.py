"""Graph building: extractions to canonical entities and triples, published as a new generation.

Holds the build (``build``: papers in, a published generation out, with any extractor passed in as a
function), its orchestration (``orchestrate``: the one module of kg that imports ``extract``, for
local, parallel and Dask runs), the extraction cache that makes builds incremental (``cache``,
``codec``), canonical entities and human corrections (``canon``, ``corrections``), relation policy
(``relations``) and the triples themselves (``triples``). May import the kg core, ``kg.ingest``,
``kg.store`` and ``kg.read.snapshot`` (the read model a build writes at publish time).
"""
