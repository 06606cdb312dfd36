"""Read-only SPARQL over a published generation, with the limits enforced in one place.

Holds the query runner and its sandboxed worker processes (``runner``, ``worker``, ``sandbox``), the
linear-time check of a request's text (``check``), the W3C result formats (``formats``) and the
example queries shipped in ``seeds/queries`` (``examples``). May import the kg core and ``kg.store``.
"""
