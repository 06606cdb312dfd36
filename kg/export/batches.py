"""A graph of an Oxigraph store as N-Triples batches, for pushing (:mod:`kg.export.push`).

Each batch is a document of its own, so a blank node cut apart by a batch boundary would become two
nodes: blank nodes are *skolemized* into IRIs under a prefix, the same IRI wherever a node occurs.
The next batch is read in a worker thread while the caller sends the current one.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pyoxigraph as ox

T = TypeVar("T")


def _skolem(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
            prefix: str) -> ox.NamedNode | ox.Literal | ox.Triple:
    return ox.NamedNode(prefix + term.value) if isinstance(term, ox.BlankNode) else term


def batches(store: ox.Store, source: ox.DefaultGraph | ox.NamedNode, size: int,
            skolem_prefix: str) -> Generator[tuple[int, bytes, int], None, None]:
    """(triples, N-Triples body, blank nodes skolemized) for each batch of ``source``."""
    quads = store.quads_for_pattern(None, None, None, source)
    named = not isinstance(source, ox.DefaultGraph)
    while True:
        chunk = list(itertools.islice(quads, size))
        if not chunk:
            return
        items: list = [q.triple for q in chunk] if named else chunk
        body = ox.serialize(items, format=ox.RdfFormat.N_TRIPLES)
        skolemized = 0
        if b"_:" in body:  # cheap test first; the text may also sit inside a literal
            fixed = []
            for q in chunk:
                s, o = q.subject, q.object
                skolemized += isinstance(s, ox.BlankNode) + isinstance(o, ox.BlankNode)
                fixed.append(ox.Triple(_skolem(s, skolem_prefix), q.predicate, _skolem(o, skolem_prefix)))
            if skolemized:
                body = ox.serialize(fixed, format=ox.RdfFormat.N_TRIPLES)
        yield len(chunk), body, skolemized


def lookahead(items: Generator[T, None, None]) -> Generator[T, None, None]:
    """The items of ``items``, the next one computed in a worker thread while the caller uses this one.

    Reading and serialising a batch then overlaps with the server ingesting the previous one; at most
    two batches are in memory. ``items`` is advanced, and closed, only ever by that one worker thread:
    pyoxigraph's store iterators must stay on the thread that created them.

    >>> list(lookahead(x for x in range(3)))
    [0, 1, 2]
    """
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-read") as pool:
        pending = pool.submit(next, items, done)
        try:
            while (item := pending.result()) is not done:
                pending = pool.submit(next, items, done)
                yield item
        finally:
            pool.submit(items.close).result()  # runs after ``pending``: one worker, first in first out
