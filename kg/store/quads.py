"""rdflib triples -> pyoxigraph quads, the form the store bulk-loads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import Literal, URIRef

Triple = tuple[URIRef, URIRef, URIRef | Literal]


def to_oxigraph(triples: Iterable[Triple], graph: str | None = None) -> Iterator[ox.Quad]:
    """pyoxigraph quads (in the default graph, or the named ``graph``) for bulk loading."""
    cache: dict[str, ox.NamedNode] = {}
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()

    def node(term: URIRef) -> ox.NamedNode:
        found = cache.get(term)
        if found is None:
            found = cache[term] = ox.NamedNode(str(term))
        return found

    for s, p, o in triples:
        if isinstance(o, Literal):
            if o.language:
                obj = ox.Literal(str(o), language=o.language)
            else:
                obj = ox.Literal(str(o), datatype=node(o.datatype) if o.datatype else None)
        else:
            obj = node(o)
        yield ox.Quad(node(s), node(p), obj, target)
