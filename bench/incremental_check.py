"""Benchmark: the incremental-ingest acceptance check of issue 6.

Usage: python bench/incremental_check.py NEW_PAPERS.jsonl [--store /tmp/inc]

Builds the seed corpus into a fresh store, adds ``NEW_PAPERS`` with
``python -m kg build`` (timed with /usr/bin/time), and compares the seed
papers' paper-entity links before and after: how many are identical, how many
are identical once retired entity IRIs are followed through
``dcterms:isReplacedBy``, and how many changed predicate (an entity's type is
a vote over all papers).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.store.generations import open_current
from kg.vocab import sparql_prefixes

LINKS = sparql_prefixes() + """SELECT ?p ?r ?e WHERE { ?p a abx:Paper ; ?r ?e .
    FILTER(?r IN (abx:proposes, abx:uses, abx:evaluatesOn, abx:addresses, abx:reportsMetric, abx:mentions)) }"""
REPLACED = sparql_prefixes() + "SELECT ?old ?new WHERE { ?old dcterms:isReplacedBy ?new }"


def _links(store: Path) -> set[tuple[str, str, str]]:
    _, st = open_current(store)
    return {(r["p"].value, r["r"].value, r["e"].value) for r in st.query(LINKS)}


def _replaced(store: Path) -> dict[str, str]:
    _, st = open_current(store)
    return {r["old"].value: r["new"].value for r in st.query(REPLACED)}


def _pairs(links) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for p, r, e in links:
        out.setdefault((p, e), set()).add(r)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("new_input")
    ap.add_argument("--store", default=str(Path(tempfile.gettempdir()) / "abstracta-incremental"))
    args = ap.parse_args()
    store = Path(args.store)
    shutil.rmtree(store, ignore_errors=True)
    py = [sys.executable, "-m", "kg", "build", "--store", str(store)]
    subprocess.run(py, check=True, cwd=ROOT, capture_output=True)
    before = _links(store)
    seeds = {p for p, _, _ in before}
    done = subprocess.run(["/usr/bin/time", "-f", "%e s wall, %M KB peak", *py, args.new_input], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    print(done.stdout.strip())
    print(done.stderr.strip().splitlines()[-1])
    replaced = _replaced(store)
    after = {t for t in _links(store) if t[0] in seeds}
    b, a = _pairs((p, r, replaced.get(e, e)) for p, r, e in before), _pairs(after)
    same = b.keys() & a.keys()
    print(f"\nseed paper-entity pairs: {len(_pairs(before))} before, {len(a)} after")
    print(f"identical: {sum(1 for k in _pairs(before).keys() & a.keys() if _pairs(before)[k] == a[k])}")
    print(f"identical once {len(replaced)} retired IRIs are followed (dcterms:isReplacedBy): "
          f"{sum(1 for k in same if b[k] == a[k])}")
    print(f"predicate changed (entity type re-voted): {sum(1 for k in same if b[k] != a[k])}")
    print(f"pairs gone / new: {sorted(b.keys() - a.keys())} / {sorted(a.keys() - b.keys())}")
    print(f"retired IRIs: {sorted(replaced.items())}")


if __name__ == "__main__":
    main()
