"""Benchmark: entity-entity relations in the graph (docs/relations.md, "Relations in the graph").

Usage:
    python bench/relations_graph.py counts STORE            statements and evidence per predicate
    python bench/relations_graph.py sample STORE [--seed 2026] [--n 30]
                                                           a seeded random sample to judge (TSV, correct = "?")
    python bench/relations_graph.py thresholds {scier,scierc}
                                                           dev P/R/F end to end on our pipeline's entities

``STORE`` is a store directory built by ``python -m kg build``. ``thresholds``
reads the dev split beside the checkout (``../shared/data``) and takes a few minutes.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.store.generations import open_current
from kg.vocab import PREFIXES

_COUNTS = """SELECT ?p (COUNT(DISTINCT ?s) AS ?n) (COUNT(DISTINCT ?ev) AS ?e) WHERE {
    ?s a abx:RelationStatement ; rdf:predicate ?p ; abx:supportedBy ?ev } GROUP BY ?p ORDER BY DESC(?n)"""
_STATEMENTS = """SELECT ?s ?hl ?p ?tl ?c ?sentence ?score WHERE {
    ?s a abx:RelationStatement ; rdf:subject ?h ; rdf:predicate ?p ; rdf:object ?t ; abx:confidence ?c ;
       abx:supportedBy ?ev .
    ?h skos:prefLabel ?hl . ?t skos:prefLabel ?tl . ?ev abx:sentenceText ?sentence ; abx:score ?score }"""


def _rows(store_dir: str, query: str) -> list[dict[str, str]]:
    _, store = open_current(Path(store_dir))
    result = store.query(query, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: sol[n].value for n in names} for sol in result]


def counts(store_dir: str) -> None:
    print("| predicate | statements | evidence sentences |\n|---|---|---|")
    for r in _rows(store_dir, _COUNTS):
        print(f"| `abx:{r['p'].rsplit('#', 1)[-1]}` | {r['n']} | {r['e']} |")


def sample(store_dir: str, seed: int, n: int) -> None:
    best: dict[str, dict[str, str]] = {}  # statement -> its best-scoring sentence
    for r in _rows(store_dir, _STATEMENTS):
        if r["s"] not in best or float(r["score"]) > float(best[r["s"]]["score"]):
            best[r["s"]] = r
    print("head\tpredicate\ttail\tconfidence\tcorrect\tsentence")
    for key in random.Random(seed).sample(sorted(best), min(n, len(best))):
        r = best[key]
        print("\t".join([r["hl"], "abx:" + r["p"].rsplit("#", 1)[-1], r["tl"], r["c"], "?",
                         " ".join(r["sentence"].split())]))


def thresholds(scheme: str) -> None:
    from extract.pipeline import ALL_HEADS, NER_JOINT, build_pipeline
    from extract.relations.model import load_model
    from extract.training.corpora import read_split
    from extract.training.evaluate import _to_entities, predict
    from extract.training.relations.evaluate import evaluate
    from extract.training.spans import tokens_doc

    docs = list(read_split(f"{scheme}:dev").docs)
    nlp = build_pipeline(model_dir=NER_JOINT, heads=ALL_HEADS, relations=None)
    entities = []
    for ad in docs:
        doc = tokens_doc(nlp.vocab, ad.sentences)
        for name, proc in nlp.pipeline:
            if name != "abx_sentencizer":  # keep the gold sentence boundaries
                doc = proc(doc)
        starts, n = [], 0
        for sent in ad.sentences:
            starts.append(n)
            n += len(sent)
        entities.append(_to_entities(predict(doc, scheme, "both"), starts))
    model = load_model(scheme)
    print("| threshold | boundaries P / R / F | strict P / R / F |\n|---|---|---|")
    for t in (0.2, 0.3, 0.4, 0.5, 0.6):
        r = evaluate(model, docs, entities, t)
        print(f"| {t} | {r.boundaries} | {r.strict} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("counts").add_argument("store")
    s = sub.add_parser("sample")
    s.add_argument("store")
    s.add_argument("--seed", type=int, default=2026)
    s.add_argument("--n", type=int, default=30)
    sub.add_parser("thresholds").add_argument("scheme", choices=("scier", "scierc"))
    args = ap.parse_args()
    if args.command == "counts":
        counts(args.store)
    elif args.command == "sample":
        sample(args.store, args.seed, args.n)
    else:
        thresholds(args.scheme)


if __name__ == "__main__":
    main()
