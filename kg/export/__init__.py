"""Export: the graph out, to files (``files``; one drawn view: ``views``) and to external SPARQL triplestores
(``push``, over ``kg.http``, sending the N-Triples batches of ``batches``).

May import the kg core (``kg.model``, ``kg.errors``, ``kg.iri``, ``kg.vocab``, ``kg.config``,
``kg.http``), ``kg.store``, ``kg.query`` and ``kg.read`` (``projection``, ``concepts``); never ``kg.ingest``,
``kg.graph`` or ``kg.serve``.
"""
