"""The SPARQL 1.1 Protocol endpoint over HTTP (Starlette, served by uvicorn).

Holds the application (``endpoint``), the request side of the protocol (``protocol``) and the two
lanes of query workers that keep long queries from shutting out quick ones (``lanes``). May import
the kg core, ``kg.query``, ``kg.store`` and ``kg.read``.
"""
