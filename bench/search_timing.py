"""Benchmark: full-text search latency (kg.read.search.search_all) on any built store.

Usage: python bench/search_timing.py --store /tmp/big [--repeat 20] [--query "vision transformer" ...]

Times the search the Search page runs (one query per kind, 25 hits each, as
``app_pages/search.py`` asks) straight on the generation's snapshot, without
Streamlit's cache: the median and the worst of ``--repeat`` runs per query,
and the size of the full-text index. Also times the label-only fallback on the
store (a generation without a snapshot) for comparison.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.read import fulltext, snapshot
from kg.read.search import search_all
from kg.store.generations import open_current

QUERIES = ("imagenet", "vision transformer", "contrastive learning", "quantization noise", "LLM",
           "state of the art results on", "zzz no such words", '"NEAR( OR *')


def _time(source, text: str, repeat: int) -> tuple[float, float, int]:
    seconds, found = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        found = sum(len(search_all(source, text, limit=25, kinds=(k,))) for k in fulltext.KINDS)
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), max(seconds), found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--query", action="append", help="a query to time (repeatable); default: a fixed mix")
    args = ap.parse_args()
    gen, store = open_current(Path(args.store))
    found = snapshot.find(gen.path)
    if found is None or not fulltext.available(found):
        raise SystemExit(f"{gen.path} has no snapshot with a full-text index: rebuild it")
    db = sqlite3.connect(found)
    counts = dict(db.execute(f"SELECT kind, count(*) FROM {fulltext.TABLE} GROUP BY kind").fetchall())
    db.close()
    print(f"store: {args.store} ({gen.name}); snapshot {found.stat().st_size / 2**20:.1f} MiB; "
          f"indexed: {counts}\n")
    print("| query | source | hits | median ms | worst ms |\n|---|---|---|---|---|")
    for text in args.query or QUERIES:
        for name, source in (("full text", found), ("labels (store)", store)):
            median, worst, hits = _time(source, text, args.repeat if name == "full text" else max(1, args.repeat // 5))
            print(f"| {text} | {name} | {hits} | {1000 * median:.1f} | {1000 * worst:.1f} |")


if __name__ == "__main__":
    main()
