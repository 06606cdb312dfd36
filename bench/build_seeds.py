"""Benchmark: building the graph from an input, against spaCy tokenizer-only.

Usage: python bench/build_seeds.py [INPUT ...] [--repeat N]

Prints a Markdown table: extraction throughput of our full pipeline and of
the bare tokenizer on the same texts (and their ratio, which is what
survives machine noise), end-to-end build time and peak resident memory.

The tokenizer reads the 60 seed papers in about 10 ms, so one of its passes is
timed as much by the machine's spells as by itself: each pass of the pipeline is
followed by ``--tokenizer-passes`` passes of the tokenizer (20 by default, until
the eleventh session 1), and the ratio is given pooled over all passes and as the
median and range of the per-pass ratios.
"""

from __future__ import annotations

import argparse
import resource
import statistics
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
    ap.add_argument("--tokenizer-passes", type=int, default=20,
                    help="tokenizer passes after each pipeline pass (its passes are short, so noisy)")
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
    if args.repeat < 1 or args.tokenizer_passes < 1:
        ap.error("--repeat and --tokenizer-passes take a whole number of passes, 1 or more")
    full_s = tok_s = 0.0
    ratios, passes = [], []
    for _ in range(args.repeat):  # passes alternate, so a slow spell of the machine hits both sides
        t0 = time.perf_counter()
        list(extractor.extract_many(papers))
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(args.tokenizer_passes):
            list(tokenizer.pipe(texts))
        tok = (time.perf_counter() - t0) / args.tokenizer_passes
        full_s, tok_s = full_s + full, tok_s + tok
        ratios.append(tok / full)
        passes.append(full)
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
        ("fastest pipeline pass (least disturbed by the machine)", f"{min(passes) * 1000:,.0f} ms"),
        ("per-pass ratio: median (min-max)",
         f"{statistics.median(ratios):.4f} ({min(ratios):.4f}-{max(ratios):.4f}), {args.repeat} passes, "
         f"tokenizer {args.tokenizer_passes} times per pass"),
    ]
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
