"""Benchmark: triples per paper by kind, to see what makes a graph large.

Usage: python bench/graph_kinds.py --store DIR [--by-predicate]

Reads every triple of the store's default graph and sorts it by what its
subject is, from the shape of our IRIs (``kg.iri``): the paper itself, an
entity-link evidence record, a claim, quantity or result, an entity's
description, its analytics (degree, PageRank, rank, community, years), a
co-occurrence or year record, an entity-entity relation (the direct triple,
the statement node, its evidence), a community, the extractor. Prints the
triples of each kind and per paper. It reads the whole graph in Python
(about 80k triples/s), so take a store of a few thousand papers.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox

from kg.config import Settings
from kg.store.generations import open_current
from kg.vocab import ABX, RDF

_ANALYTICS = {"degree", "pageRank", "rankInType", "community", "firstYear", "yearCount", "cooccurrence"}
_RELATIONS = {"usedFor", "evaluatedOn", "measuredBy", "benchmarkFor", "partOf", "kindOf", "comparedWith",
              "trainedOn", "broader"}


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


def kind(subject: str, predicate: str, base: str) -> str:
    """What a triple describes, from its subject's IRI (see the module's docstring)."""
    rest = subject[len(base):] if subject.startswith(base) else ""
    head, _, tail = rest.partition("/")
    if head == "paper":
        if "/" not in tail:
            return "paper"
        for marker, name in (("/evidence/", "link evidence"), ("/relation/", "relation evidence"),
                             ("/result-", "result"), ("/quantity-", "quantity"), ("/claim/", "claim")):
            if marker in tail:
                return name
        return "paper (other)"
    if head == "entity":
        if "/cooccurrence/" in tail:
            return "analytics: co-occurrence records"
        if "/year/" in tail:
            return "analytics: year records"
        name = _local(predicate)
        if name in _ANALYTICS:
            return "analytics: entity metrics"
        if name in _RELATIONS:
            return "relation: direct triple"
        return "entity description"
    return {"relation": "relation statement", "community": "analytics: communities", "tally": "tallies",
            "extractor": "extractor"}.get(head, f"other ({head or subject[:30]})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--by-predicate", action="store_true", help="also count each kind's predicates")
    args = ap.parse_args()
    base = Settings().base_iri
    _, store = open_current(args.store)
    papers = sum(1 for _ in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(ABX.Paper)),
                                                    ox.DefaultGraph()))
    kinds: Counter[str] = Counter()
    predicates: Counter[tuple[str, str]] = Counter()
    for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        k = kind(q.subject.value, q.predicate.value, base)
        kinds[k] += 1
        if args.by_predicate:
            predicates[(k, _local(q.predicate.value))] += 1
    total = sum(kinds.values())
    print(f"{papers:,} papers, {total:,} triples ({total / max(papers, 1):.1f} per paper)\n")
    print("| kind | triples | per paper | share |\n|---|---|---|---|")
    for k, n in kinds.most_common():
        print(f"| {k} | {n:,} | {n / max(papers, 1):.1f} | {n / total:.1%} |")
    if args.by_predicate:
        print("\n| kind | predicate | per paper |\n|---|---|---|")
        for (k, pred), n in sorted(predicates.items(), key=lambda t: (t[0][0], -t[1])):
            print(f"| {k} | {pred} | {n / max(papers, 1):.2f} |")


if __name__ == "__main__":
    main()
