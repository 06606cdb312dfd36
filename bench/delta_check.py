"""Check at scale that a graph written as changes is the graph a full build writes.

    python bench/delta_check.py --store DIR [--work TMPDIR]

The store's published generation must be one a build wrote as changes (``bench/scale.py add``).
The check builds the same records again in full, into the same store (as ``kg build --full`` would),
then dumps both generations' default graphs as N-Triples, sorts them and compares them byte for
byte. It prints the two triple counts and ``identical`` or the first lines that differ. Needs
``sort`` and about 4 GB of free disk per 11 M triples under ``--work``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _sorted_dump(db_path: Path, out: Path) -> int:
    import pyoxigraph as ox

    raw = out.with_suffix(".nt")
    ox.Store.read_only(str(db_path)).dump(str(raw), ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    subprocess.run(["sort", "-S", "1G", "-o", str(out), str(raw)], check=True, env={**os.environ, "LC_ALL": "C"})
    raw.unlink()
    with out.open("rb") as fh:
        return sum(1 for _ in fh)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--work", type=Path, help="folder for the sorted dumps (default: a temporary one)")
    args = parser.parse_args()

    from kg.config import Settings
    from kg.graph.build import build_store
    from kg.graph.cache import FILE, ExtractionCache
    from kg.store.generations import current_generation

    changed = current_generation(args.store)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        cache = ExtractionCache(Path(tmp) / "cache.sqlite", copy_from=changed.path / FILE)
        by_key = {ex.paper.key: ex for ex in cache.load(sorted(cache.index()))}
        cache.close()
        started = time.perf_counter()
        summary = build_store([ex.paper for ex in by_key.values()], lambda ps: (by_key[p.key] for p in ps),
                              Settings(store_dir=args.store), full=True)
        print(f"full build of the same {summary.papers:,} papers: {time.perf_counter() - started:.1f} s, "
              f"{summary.triples:,} triples")
        whole = current_generation(args.store)
        a, b = Path(tmp) / "changes.sorted", Path(tmp) / "full.sorted"
        counts = _sorted_dump(changed.db_path, a), _sorted_dump(whole.db_path, b)
        print(f"triples: written as changes {counts[0]:,}, written in full {counts[1]:,}")
        same = subprocess.run(["cmp", "-s", str(a), str(b)]).returncode == 0
        if same:
            print("identical")
        else:
            diff = subprocess.run(["diff", str(a), str(b)], capture_output=True, text=True).stdout
            print("different:\n" + "\n".join(diff.splitlines()[:20]))
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
