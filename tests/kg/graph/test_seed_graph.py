"""The seed corpus gives the graph on record: a change that alters it must say so by re-recording it.

The record is ``tests/fixtures/seed-graph.nq.gz``; ``python -m tests._seed_graph`` rewrites it.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic

from tests._seed_graph import graph_lines, read_record


def _graphs(lines: list[str]) -> dict[str, Graph]:
    """N-Quads lines -> one rdflib graph per graph name."""
    triples: dict[str, list[str]] = defaultdict(list)
    for q in ox.parse("\n".join(lines), format=ox.RdfFormat.N_QUADS):
        triples[str(q.graph_name)].append(f"{ox.Triple(q.subject, q.predicate, q.object)} .")
    return {name: Graph().parse(data="\n".join(ts), format="nt") for name, ts in triples.items()}


def test_the_seed_graph_is_the_recorded_one(seed_store):
    built = graph_lines(seed_store)
    assert "_:" not in "".join(built)  # no blank nodes: equal sets of quads are isomorphic graphs
    now, recorded = _graphs(built), _graphs(read_record())
    assert sorted(now) == sorted(recorded)
    for name, graph in now.items():
        if not isomorphic(graph, recorded[name]):
            _, only_now, only_recorded = graph_diff(graph, recorded[name])
            raise AssertionError(
                f"graph {name}: {len(only_now)} triples not on record (e.g. {sorted(only_now)[:3]}), "
                f"{len(only_recorded)} on record missing (e.g. {sorted(only_recorded)[:3]}); if the change is "
                f"meant, re-record with 'python -m tests._seed_graph'")
