"""Benchmark: SPARQL latency over HTTP (our endpoint) against a plain rdflib in-memory graph.

Usage:
    python bench/endpoint_latency.py                      # the seed corpus
    python bench/endpoint_latency.py PAPERS.jsonl.gz --limit 6000   # a graph of ~1M triples
    python bench/endpoint_latency.py --store DIR --examples --rdflib-runs 0   # every seeds/queries/*.rq

Builds a store from the input, starts ``python -m kg serve`` on a free
loopback port, runs five typical queries N times each over HTTP, then runs
the same queries on an rdflib ``Graph()`` loaded from the same triples, and
prints p50/p95 per query and the ratio. The input is never copied anywhere.
With ``--examples`` it times every example query the dashboard and the endpoint offer
(``seeds/queries/*.rq``, each must answer in under 200 ms p95) instead of the built-in ones.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _serve import serving
from rdflib import Graph

from extract import Extractor
from kg.config import SEEDS_DIR, Settings
from kg.export.files import export
from kg.graph.build import build_store
from kg.ingest.readers import read_inputs
from kg.query.examples import load_examples
from kg.store.generations import open_current
from kg.vocab import PREFIXES

# The five benchmark queries. "top methods" and "co-occurring with" read the analytics each build
# materialises (kg.read.analytics: abx:rankInType, abx:cooccurrence); AD_HOC holds the same two questions
# computed from the links at query time, timed for reference.
QUERIES = {
    "entity lookup": 'SELECT ?e ?type WHERE { ?e skos:prefLabel|skos:altLabel "BERT" ; a ?type }',
    "papers using a dataset": 'SELECT ?p ?t WHERE { ?d skos:prefLabel|skos:altLabel "ImageNet" . '
                              '?p abx:evaluatesOn ?d ; dcterms:title ?t }',
    # ranks as VALUES: 20 index lookups (a FILTER(?r <= 20) makes Oxigraph scan every rank: ~0.8 s at 55k)
    "top methods (materialised)": "SELECT ?m ?l ?n WHERE { VALUES ?r { 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
                                  "19 20 } ?m abx:rankInType ?r ; a abx:Method ; skos:prefLabel ?l ; "
                                  "abx:paperCount ?n } ORDER BY ?r",
    "co-occurring with Transformer (materialised)":
        'SELECT ?o ?l ?n WHERE { ?m skos:prefLabel "Transformer" ; abx:cooccurrence ?c . ?c abx:cooccursWith ?o ; '
        "abx:sharedPapers ?n . ?o skos:prefLabel ?l } ORDER BY DESC(?n) ?l LIMIT 50",
    "claims with numbers": 'SELECT ?t ?text ?v WHERE { ?p abx:hasClaim ?c ; dcterms:title ?t . '
                           '?c abx:sentenceText ?text ; abx:hasQuantity ?q . ?q schema:value ?v ; '
                           'schema:unitText "%" } LIMIT 100',
}
AD_HOC = {
    "counts per method (ad hoc)": "SELECT ?m ?l (COUNT(?p) AS ?n) WHERE { ?m a abx:Method ; skos:prefLabel ?l . "
                                  "?p abx:uses|abx:proposes ?m } GROUP BY ?m ?l ORDER BY DESC(?n) LIMIT 20",
    "2-hop neighbourhood (ad hoc)": 'SELECT ?o ?l (COUNT(DISTINCT ?p) AS ?n) WHERE { ?m skos:prefLabel "Transformer" . '
                                    "?p ?r ?m . ?p ?r2 ?o . ?o a skos:Concept ; skos:prefLabel ?l FILTER(?o != ?m) } "
                                    "GROUP BY ?o ?l ORDER BY DESC(?n) LIMIT 50",
}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_times(port: int, query: str, runs: int) -> tuple[list[float], int]:
    url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": query})
    req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    times, body = [], b""
    for _ in range(runs + 1):  # the first run warms the worker
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=120) as r:
            body = r.read()
        times.append(time.perf_counter() - t0)
    return times[1:], len(json.loads(body)["results"]["bindings"])


def _serve(store_dir: Path, queries: dict[str, str], runs: int) -> dict[str, tuple[list[float], int]]:
    with serving(store_dir, "--timeout", "120") as port:
        return {name: _http_times(port, q, runs) for name, q in queries.items()}


def _rdflib_times(nt: Path, queries: dict[str, str], runs: int) -> tuple[dict[str, tuple[list[float], int]], float]:
    t0 = time.perf_counter()
    g = Graph()
    g.parse(nt, format="nt")
    load_s = time.perf_counter() - t0
    g.query("ASK { ?s ?p ?o }")  # rdflib's SPARQL plugin import, once
    local = {}
    for name, q in queries.items():
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = list(g.query(q, initNs=PREFIXES))
            times.append(time.perf_counter() - t0)
        local[name] = (times, len(rows))
    return local, load_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="*", default=[str(SEEDS_DIR / "000_1ff9c41d867ee307.txt")])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N papers")
    ap.add_argument("--store", metavar="DIR", help="time an already built store instead of building one")
    ap.add_argument("--runs", type=int, default=30, help="HTTP runs per query")
    ap.add_argument("--rdflib-runs", type=int, default=10, help="rdflib runs per query (0: skip rdflib)")
    ap.add_argument("--examples", nargs="?", const=str(SEEDS_DIR / "queries"), metavar="DIR",
                    help="time the example queries (every *.rq in DIR, default seeds/queries) instead of the "
                         "built-in ones")
    args = ap.parse_args()
    if args.examples:
        paths = sorted(Path(args.examples).glob("*.rq"))
        queries = {f"{p.stem}: {title}": text for p, (title, text) in zip(paths, load_examples(args.examples),
                                                                          strict=True)}
    else:
        queries = {**QUERIES, **AD_HOC}

    with tempfile.TemporaryDirectory() as tmp:
        if args.store:
            store_dir, build_s = Path(args.store), None
        else:
            store_dir = Path(tmp) / "store"
            papers = read_inputs(args.inputs).papers
            papers = papers[: args.limit] if args.limit else papers
            t0 = time.perf_counter()
            build_store(papers, Extractor().extract_many, Settings(store_dir=store_dir))
            build_s = time.perf_counter() - t0
        gen, store = open_current(store_dir)
        summary = gen.summary()
        nt = export(store, "ntriples", Path(tmp) / "kg.nt") if args.rdflib_runs else None
        del store
        http = _serve(store_dir, queries, args.runs)
        local, rdflib_load_s = _rdflib_times(nt, queries, args.rdflib_runs) if nt else ({}, None)

    print(f"graph: {summary.get('papers', 0):,} papers, {summary.get('triples', 0):,} triples"
          + (f"; build {build_s:.1f} s" if build_s is not None else "")
          + (f"; rdflib load {rdflib_load_s:.1f} s" if rdflib_load_s is not None else "") + "\n")
    print("| query | HTTP p50 ms | HTTP p95 ms | rdflib p50 ms | rdflib p95 ms | rdflib p50 / HTTP p50 |")
    print("|---|---|---|---|---|---|")
    for name in queries:
        h, rows = http[name]
        r = local.get(name, ([], 0))[0]
        rd = (f"{_pct(r, .5):.1f} | {_pct(r, .95):.1f} | {statistics.median(r) / statistics.median(h):.1f}x"
              if r else "– | – | –")
        print(f"| {name} ({rows} rows) | {_pct(h, .5):.1f} | {_pct(h, .95):.1f} | {rd} |")
    slow = [name for name in queries if _pct(http[name][0], .95) >= 200]
    if args.examples:
        print(f"\n{len(queries) - len(slow)}/{len(queries)} example queries under 200 ms p95 over HTTP"
              + (f"; over: {', '.join(slow)}" if slow else ""))


if __name__ == "__main__":
    main()
