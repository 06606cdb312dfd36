"""Calibration of link confidence: draw a sample to check by hand, then tabulate it.

    python bench/calibration.py sample --store DIR --out docs/notes/calibration-sample.tsv [--per-band 10]
    (fill the `correct` column with 1 or 0 by reading each sentence)
    python bench/calibration.py table docs/notes/calibration-sample.tsv

A link is correct when the surface form names a real method, dataset, task,
metric or concept of the stated type, and the predicate fits the sentence.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.store.generations import open_current
from kg.vocab import sparql_prefixes

BANDS = [(0.0, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 0.97), (0.97, 1.01)]
QUERY = sparql_prefixes() + """
SELECT ?ev ?conf ?form ?type ?pred ?sentence WHERE {
  ?ev a abx:Evidence ; abx:confidence ?conf ; abx:surfaceForm ?form ; abx:sentenceText ?sentence ;
      rdf:predicate ?pred ; rdf:object ?e .
  ?e a ?type . FILTER(?type IN (abx:Method, abx:Dataset, abx:Task, abx:Metric, abx:Concept))
} ORDER BY ?ev"""
FIELDS = ["band", "confidence", "surface_form", "type", "predicate", "sentence", "correct"]


def _band(c: float) -> str:
    lo, hi = next(b for b in BANDS if b[0] <= c < b[1])
    return f"{lo:.2f}-{min(hi, 1.0):.2f}"


def sample(store_dir: str, out: str, per_band: int, seed: int) -> None:
    _, store = open_current(store_dir)
    rows = [{"confidence": float(r["conf"].value), "surface_form": r["form"].value,
             "type": r["type"].value.rsplit("#", 1)[-1], "predicate": r["pred"].value.rsplit("#", 1)[-1],
             "sentence": r["sentence"].value} for r in store.query(QUERY)]
    rng = random.Random(seed)
    picked = []
    for lo, hi in BANDS:
        band = [r for r in rows if lo <= r["confidence"] < hi]
        picked += rng.sample(band, min(per_band, len(band)))
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, FIELDS, delimiter="\t")
        w.writeheader()
        for r in picked:
            w.writerow({**r, "band": _band(r["confidence"]), "correct": ""})


def table(path: str) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["correct"] in ("0", "1")]
    print("| confidence band | links checked | correct | fraction correct | mean confidence |\n|---|---|---|---|---|")
    for lo, hi in BANDS:
        band = [r for r in rows if lo <= float(r["confidence"]) < hi]
        if band:
            ok = sum(int(r["correct"]) for r in band)
            mean = sum(float(r["confidence"]) for r in band) / len(band)
            print(f"| {lo:.2f}-{min(hi, 1.0):.2f} | {len(band)} | {ok} | {ok / len(band):.2f} | {mean:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--store", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--per-band", type=int, default=10)
    s.add_argument("--seed", type=int, default=7)
    t = sub.add_parser("table")
    t.add_argument("path")
    args = ap.parse_args()
    if args.verb == "sample":
        sample(args.store, args.out, args.per_band, args.seed)
    else:
        table(args.path)


if __name__ == "__main__":
    main()
