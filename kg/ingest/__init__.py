"""Ingestion: papers in from files (``readers``, ``formats``) and from feeds (``feeds``, ``arxiv``, ``hf_daily``).

Also here: the one Atom parser (``atom``), arXiv identifiers (``ids``), the records feeds write
(``records``, ``jsonl``). May import the kg core only: ``kg.model``, ``kg.errors``, ``kg.iri``,
``kg.config``, ``kg.http``; never another kg subpackage, nor ``extract``.
"""
