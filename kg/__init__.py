"""Abstracta's knowledge graph: from papers to a published, queryable graph.

The modules at this level are the core every stage shares and may import: the domain model
(``model``), the one error hierarchy (``errors``), canonical keys and IRIs (``iri``), the closed
vocabulary (``vocab``, ``ontology.ttl``, ``shapes.ttl``), settings (``config``) and the HTTP client
(``http``). The core imports no stage. The stages, in the order data flows: ``ingest`` (input
files and feeds to papers), ``graph`` (extractions to triples; the build), ``store`` (published
generations), ``query`` (read-only SPARQL with limits), ``read`` (the dashboard's read model),
``serve`` (the SPARQL endpoint) and ``export`` (files and pushes). ``cli`` dispatches to all of
them. Only ``graph.orchestrate`` imports the extractor (``extract``); see docs/architecture.md.
"""
