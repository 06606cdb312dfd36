"""Benchmark: building the graph from an input, against spaCy tokenizer-only.

Usage: python bench/build_seeds.py [INPUT ...] [--repeat N]

Prints a Markdown table: extraction throughput of our full pipeline and of
the bare tokenizer on the same texts (and their ratio, which is what
survives machine noise), end-to-end build time and peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import spacy

from extract import Extractor
from kg.config import SEEDS_DIR, Settings
from kg.graph.orchestrate import build_from_inputs
from kg.ingest.readers import read_inputs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="*", default=[str(SEEDS_DIR / "000_1ff9c41d867ee307.txt")])
    ap.add_argument("--repeat", type=int, default=5, help="passes over the papers for throughput")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = build_from_inputs(args.inputs, Settings(store_dir=Path(tmp) / "store"))
        build_s = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    papers = read_inputs(args.inputs).papers
    texts = [t for p in papers for t in (p.title, p.abstract)]
    extractor = Extractor()
    tokenizer = spacy.blank("en")
    list(extractor.extract_many(papers))  # warm both caches alike
    list(tokenizer.pipe(texts))
    full_s = tok_s = 0.0
    for _ in range(args.repeat):  # passes alternate, so a slow spell of the machine hits both sides
        t0 = time.perf_counter()
        list(extractor.extract_many(papers))
        full_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        list(tokenizer.pipe(texts))
        tok_s += time.perf_counter() - t0
    n = len(papers) * args.repeat
    rows = [
        ("papers", f"{len(papers)}"),
        ("triples", f"{summary.triples:,}"),
        ("entities", ", ".join(f"{k} {v}" for k, v in summary.entities.items())),
        ("claims", f"{summary.claims}"),
        ("build wall time (read + extract + load, incl. pipeline set-up)", f"{build_s:.2f} s"),
        ("peak RSS of the process", f"{peak_mb:.0f} MB"),
        ("full extraction pipeline", f"{n / full_s:,.0f} abstracts/s"),
        ("spaCy tokenizer only, same texts", f"{n / tok_s:,.0f} abstracts/s"),
        ("ratio full / tokenizer-only", f"{tok_s / full_s:.4f}"),
    ]
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
