"""Evaluation: structured results from claims against NLP-TDMS (Task, Dataset, Metric, Score) tuples.

Usage: python bench/results_eval.py [PAPER_ABSTRACTS_JSONL]
(default: ../shared/data/tdmsci/NLP-TDMS/paper_abstracts.jsonl; Hou et al., ACL 2019, Apache-2.0)

A predicted result matches a gold tuple of the same paper when the values are
equal (to 0.01, or one is the other x100 for fractions vs per cent), and:
 - strict: the dataset and the metric both match;
 - lenient: the dataset or the metric matches.
Names match when one's canonical key contains the other's (``entity_key``).
Gold tuples mostly come from result tables, which an abstract does not hold, so
recall is also given against the "reachable" gold: tuples whose score is a
number written in the abstract.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract import Extractor
from extract.rules import find_numbers
from kg.iri import entity_key, paper_key
from kg.model import Paper

DEFAULT = ROOT.parent / "shared" / "data" / "tdmsci" / "NLP-TDMS" / "paper_abstracts.jsonl"


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) < 0.01 or abs(a * 100 - b) < 0.01 or abs(a - b * 100) < 0.01


def _same_name(ours: str | None, gold: str) -> bool:
    if not ours:
        return False
    a, b = entity_key(ours), entity_key(gold.replace("_", " "))
    return bool(a and b) and (a in b or b in a)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    extractor = Extractor()
    predicted = gold_n = reachable_n = 0
    hits = {"strict": [0, 0, 0], "lenient": [0, 0, 0]}  # matched predictions, matched gold, matched reachable
    for row in rows:
        paper = Paper(key=paper_key(row["title"], row["paper_id"]), title=row["title"], abstract=row["abstract"])
        results = [r for c in extractor.extract(paper).claims for r in c.results]
        gold = []
        for t in row["tdms"]:
            try:
                gold.append((t["dataset"], t["metric"], float(t["score"])))
            except ValueError:
                continue  # "-": no score reported
        written = [n.value for n in find_numbers(row["abstract"])]
        reachable = [g for g in gold if any(_same_value(v, g[2]) for v in written)]
        predicted += len(results)
        gold_n += len(gold)
        reachable_n += len(reachable)
        for mode in hits:
            def match(r, g, mode=mode) -> bool:
                if not _same_value(r.quantity.value, g[2]):
                    return False
                d, m = _same_name(r.dataset, g[0]), _same_name(r.metric, g[1])
                return (d and m) if mode == "strict" else (d or m)

            hits[mode][0] += sum(1 for r in results if any(match(r, g) for g in gold))
            hits[mode][1] += sum(1 for g in gold if any(match(r, g) for r in results))
            hits[mode][2] += sum(1 for g in reachable if any(match(r, g) for r in results))
    print(f"{path.name}: {len(rows)} papers, {gold_n} gold tuples with a score "
          f"({reachable_n} reachable from the abstract), {predicted} predicted results\n")
    print("| match | precision | recall (all gold) | recall (reachable gold) |\n|---|---|---|---|")
    for mode, (mp, mg, mr) in hits.items():
        p = mp / predicted if predicted else 0.0
        print(f"| {mode} | {p:.3f} ({mp}/{predicted}) | {mg / gold_n:.3f} ({mg}/{gold_n}) | "
              f"{(mr / reachable_n if reachable_n else 0):.3f} ({mr}/{reachable_n}) |")


if __name__ == "__main__":
    main()
