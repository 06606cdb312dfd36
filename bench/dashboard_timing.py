"""Benchmark: how long each dashboard page takes to compute, on any built store.

Usage: python bench/dashboard_timing.py --store /tmp/big [--entity Transformer] [--paper-filter diffusion]

Drives ``app.py`` headless with Streamlit's AppTest (the script runs exactly
as under ``streamlit run``, minus the browser), in one process, like one
server: the first run pays for loading the store and the snapshot (once per
server process and graph generation), every later page view is timed as a
user would meet it: the first visit to each page, then a second visit, then
typical interactions (search an entity, raise the confidence slider, filter
papers). Rendering in the browser is not included; the headless browser test
covers that the page renders at all.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest

PAGES = ("Overview", "Explore", "Paper", "Leaderboard", "Curate", "SPARQL", "Export")


def _timed(label: str, action, rows: list) -> None:
    t0 = time.perf_counter()
    at = action()
    seconds = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"{label}: the page raised {at.exception[0].value}")
    rows.append((label, seconds))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--entity", default="Transformer", help="entity searched on the Explore page")
    ap.add_argument("--paper-filter", default="diffusion", help="text typed into the Paper page's filter")
    args = ap.parse_args()
    os.environ["ABSTRACTA_STORE"] = str(Path(args.store).resolve())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    rows: list[tuple[str, float]] = []
    _timed("first run after server start: Overview (loads store + snapshot)", at.run, rows)
    for visit in ("first", "second"):
        for page in PAGES:
            _timed(f"{page}, {visit} visit", lambda p=page: at.sidebar.radio(key="page").set_value(p).run(), rows)
    at.sidebar.radio(key="page").set_value("Explore").run()
    _timed(f"Explore: search {args.entity!r}", lambda: at.text_input(key="explore_q").set_value(args.entity).run(),
           rows)
    _timed("Explore: 1 hop, cap 150", lambda: at.slider(key="explore_hops").set_value(1).run(), rows)
    _timed("Explore: 3 hops, cap 500", lambda: (at.slider(key="explore_hops").set_value(3),
                                                at.slider(key="explore_cap").set_value(500))[1].run(), rows)
    _timed("confidence slider to 0.5 (Explore)", lambda: at.sidebar.slider(key="min_confidence").set_value(0.5).run(),
           rows)
    _timed("Overview at confidence 0.5", lambda: at.sidebar.radio(key="page").set_value("Overview").run(), rows)
    at.sidebar.slider(key="min_confidence").set_value(0.0).run()
    at.sidebar.radio(key="page").set_value("Paper").run()
    filters = [t for t in at.text_input if t.key == "paper_iri_filter"]
    if filters:
        _timed(f"Paper: filter titles by {args.paper_filter!r}",
               lambda: filters[0].set_value(args.paper_filter).run(), rows)
    print(f"store: {args.store}\n")
    print("| dashboard step | seconds |\n|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")
    print(f"\nslowest after the first run: {max(s for _, s in rows[1:]):.2f} s")


if __name__ == "__main__":
    main()
