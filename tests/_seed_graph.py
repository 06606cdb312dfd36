"""The seed corpus's graph as recorded, for the test that says a change left it as it was.

``python -m tests._seed_graph`` rewrites the record (``tests/fixtures/seed-graph.nq.gz``) from a fresh
build of the seed corpus: run it when a change is meant to alter the graph, and commit the new record
with that change. The build's own provenance (the ``builds`` named graph: times, counts of what this
build added) is left out, since it differs between any two builds.
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox

RECORD = Path(__file__).resolve().parent / "fixtures" / "seed-graph.nq.gz"
BUILDS_GRAPH = ox.NamedNode("https://w3id.org/abstracta/builds")


def graph_lines(store: ox.Store) -> list[str]:
    """Every quad but the build provenance, as sorted N-Quads lines."""
    return sorted(f"{q} ." for q in store if q.graph_name != BUILDS_GRAPH)


def read_record() -> list[str]:
    return gzip.decompress(RECORD.read_bytes()).decode("utf-8").splitlines()


def main() -> int:
    from kg.config import Settings
    from kg.graph.orchestrate import build_from_inputs
    from kg.store.generations import open_current
    from tests.conftest import SEED_FILE

    with tempfile.TemporaryDirectory() as d:
        settings = Settings(store_dir=Path(d) / "store")
        build_from_inputs([SEED_FILE], settings)
        _, store = open_current(settings.store_dir)
        lines = graph_lines(store)
    # mtime=0: the same graph gives the same bytes, so git sees a change only when the graph changed
    RECORD.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    sys.stderr.write(f"{RECORD}: {len(lines)} quads\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
