"""Benchmark: the build's extraction phase with 1 and 2 local workers, against spaCy tokenizer-only.

Usage: python bench/extract_parallel.py [INPUT] [--sample 3000] [--repeat 2] [--workers 1 2]

Takes the first ``--sample`` papers of INPUT (default: the 55k ML conference
abstracts under ``$ABSTRACTA_DATA``, read in place) and measures, each run in a fresh child process so
imports, pipeline set-up and worker start-up count as they do in a build:

* ``tokenizer``: ``spacy.blank("en")`` over the same titles and abstracts in
  one process, set-up left out (the reference of ``bench/build_seeds.py``);
* ``N worker(s)``: the build's extraction phase, as ``kg.graph.build`` runs it:
  ``kg.graph.orchestrate._extract_many(SEEDS_DIR, N)`` consumed record by record
  with progress, then the records put into a scratch extraction cache.

Runs alternate (tokenizer, 1, 2, tokenizer, 1, 2, ...) so a slow spell of the
machine hits every side; the table gives each run with the load average when it
started and the cores other processes used meanwhile (from ``/proc/stat``), then
the medians: abstracts/s, CPU utilisation (user+sys time of the process and its
workers over wall time, in cores), the speed-up of each worker count over 1
worker and the ratio of its throughput to tokenizer-only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ABSTRACTS = Path("abstracts") / "ml_conference_abstracts.jsonl.gz"  # under $ABSTRACTA_DATA


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process, and of it with its (finished) workers."""
    t = os.times()
    return t.user + t.system, t.user + t.system + t.children_user + t.children_system


def _busy() -> float:
    """CPU seconds all processes of the machine have used since boot (from /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _one(args: argparse.Namespace) -> None:
    """Child process: one measurement; prints a JSON line."""
    from kg.ingest.readers import read_inputs

    papers = list(read_inputs([args.input]).papers[: args.sample])
    marks: dict[str, float] = {}
    if args.mode == "tokenizer":  # its set-up (half a second) is left out, as in bench/build_seeds.py
        import spacy

        tokenizer = spacy.blank("en")
    t0, c0, b0 = time.perf_counter(), _cpu(), _busy()
    if args.mode == "tokenizer":
        for _ in tokenizer.pipe(t for p in papers for t in (p.title, p.abstract)):
            pass
        marks["extracted"] = time.perf_counter()
    else:
        from kg.config import SEEDS_DIR
        from kg.graph.cache import ExtractionCache
        from kg.graph.orchestrate import _extract_many

        fresh = []
        for n, ex in enumerate(_extract_many(SEEDS_DIR, int(args.mode))(papers), start=1):
            fresh.append(ex)
            if n == 1:
                marks["first"] = time.perf_counter()
        marks["extracted"] = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            cache = ExtractionCache(Path(tmp) / "cache.sqlite")
            cache.put(fresh)
            cache.close()
        assert len(fresh) == len(papers)
    wall, (own, cpu), busy = time.perf_counter() - t0, _cpu(), _busy() - b0
    own, cpu = own - c0[0], cpu - c0[1]
    print(json.dumps({"mode": args.mode, "n": len(papers), "wall": wall, "cpu": cpu, "own": own, "others": busy - cpu,
                      "extract": marks["extracted"] - t0, "first": marks.get("first", t0) - t0}))


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", nargs="?", help="papers to extract (default: $ABSTRACTA_DATA/" + str(ABSTRACTS) + ")")
    ap.add_argument("--sample", type=int, default=3000, help="the first N papers of the input")
    ap.add_argument("--repeat", type=int, default=2, help="rounds of (tokenizer, each worker count)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--mode", help=argparse.SUPPRESS)  # internal: one measurement in this process
    args = ap.parse_args()
    if args.input is None:
        if "ABSTRACTA_DATA" not in os.environ:
            ap.error(f"give the input file, or set ABSTRACTA_DATA to the data folder holding {ABSTRACTS}")
        args.input = str(Path(os.environ["ABSTRACTA_DATA"]) / ABSTRACTS)
    if args.mode:
        _one(args)
        return
    modes = ["tokenizer", *map(str, args.workers)]
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    print(f"{args.sample} papers of {Path(args.input).name}, {os.cpu_count()} CPUs\n")
    print("| run | load avg (1/5/15 min) | wall s | to first record s | extraction s | abstracts/s "
          "| CPU cores used (main process) | CPU ms/abstract | other processes' cores |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for _ in range(args.repeat):
        for mode in modes:
            load = _load()
            out = subprocess.run([sys.executable, __file__, args.input, "--sample", str(args.sample), "--mode", mode],
                                 capture_output=True, text=True, check=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
            r = json.loads(out.stdout.strip().splitlines()[-1])
            runs[mode].append(r)
            label = mode if mode == "tokenizer" else f"{mode} worker(s)"
            print(f"| {label} | {load} | {r['wall']:.1f} | {r['first']:.1f} | {r['extract']:.1f} | "
                  f"{r['n'] / r['wall']:,.1f} | {r['cpu'] / r['wall']:.2f} ({r['own'] / r['wall']:.2f}) | "
                  f"{1000 * r['cpu'] / r['n']:.2f} | {max(r['others'], 0) / r['wall']:.2f} |",
                  flush=True)

    def rate(mode: str) -> float:
        return statistics.median(r["n"] / r["wall"] for r in runs[mode])

    tok = rate("tokenizer")
    base = rate(modes[1])
    print(f"\nmedians over {args.repeat} round(s); tokenizer-only {tok:,.0f} abstracts/s\n")
    print(f"| workers | abstracts/s | CPU cores used | CPU ms/abstract | speed-up over {modes[1]} worker(s) "
          "| ratio to tokenizer-only |\n|---|---|---|---|---|---|")
    for mode in modes[1:]:
        util = statistics.median(r["cpu"] / r["wall"] for r in runs[mode])
        per = statistics.median(1000 * r["cpu"] / r["n"] for r in runs[mode])
        print(f"| {mode} | {rate(mode):,.1f} | {util:.2f} | {per:.2f} | {rate(mode) / base:.2f} | "
              f"{rate(mode) / tok:.4f} |")


if __name__ == "__main__":
    main()
