"""Benchmark: how long each dashboard page takes to compute, on any built store.

Usage: python bench/dashboard_timing.py --store /tmp/big [--entity ImageNet] [--paper TITLE]
       [--query imagenet --query "vision transformer"] [--runs 5]

Drives ``app.py`` headless with Streamlit's AppTest (the script runs exactly as under ``streamlit run``,
minus the browser), in one process, like one server. The first run pays for loading the store and the
snapshot (once per server process and graph generation); after it, each view is opened by its address
(page + query parameters, as a shared URL opens it): a paper (``--paper``, by default the one with most
claims), the entity page and the concept map of a hub entity (``--entity``, a label resolved to its IRI),
searches (``--query``), and every page from the sidebar. Each line gives the view's first opening (its
own queries not cached yet) and the median of ``--runs`` more openings. Rendering in the browser is not
included; the browser tests cover that the pages render.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest

from bench._views import resolve

# every page app.py registers with st.navigation, by module (app.PAGES)
PAGES = ("overview", "search", "explore", "concepts", "entity", "paper", "leaderboard", "curate", "sparql",
         "export")


def _open(at: AppTest, module: str, params: dict[str, str]) -> float:
    """Open ``module``'s page at the address with ``params`` (a fresh URL, as a link or a shared address does)."""
    at.query_params.clear()
    at.query_params.update(params)
    at.switch_page(f"app_pages/{module}.py")
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"{module}?{params}: the page raised {at.exception[0].value}")
    return seconds


def _measure(at: AppTest, module: str, params: dict[str, str], runs: int) -> tuple[float, float]:
    """(the first opening, the median of ``runs`` more); another page is opened in between, so each opening
    runs the page afresh from its URL."""
    first = _open(at, module, params)
    again = []
    for _ in range(runs):
        _open(at, "overview", {})
        again.append(_open(at, module, params))
    return first, statistics.median(again)


def _interact(at: AppTest, label: str, action, rows: list) -> None:
    t0 = time.perf_counter()
    action()
    seconds = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"{label}: the page raised {at.exception[0].value}")
    rows.append((label, seconds, None))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--entity", default="ImageNet", help="label of the hub entity (entity page, concept map)")
    ap.add_argument("--paper", default=None, help="title of the paper timed (default: the one with most claims)")
    ap.add_argument("--query", action="append", help="a search timed (repeatable; default: imagenet)")
    ap.add_argument("--runs", type=int, default=5, help="openings after the first, of which the median is given")
    ap.add_argument("--other", action="append", default=[],
                    help="label of another entity whose entity page and concept map are opened once the app is "
                         "warm: what a click to a new entity costs (repeatable)")
    args = ap.parse_args()
    store = Path(args.store).resolve()
    views = resolve(store, args.entity, args.paper)
    os.environ["ABSTRACTA_STORE"] = str(store)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    t0 = time.perf_counter()
    at.run()
    rows: list[tuple[str, float, float | None]] = [
        ("first run after server start: Overview (loads store + snapshot)", time.perf_counter() - t0, None)]
    timed = [(f"paper page (`paper?iri=…{views['paper']['iri'][-24:]}`)", "paper", views["paper"]),
             (f"entity page of {args.entity!r}", "entity", views["entity"]),
             (f"concept map centred on {args.entity!r}", "concepts", views["concepts"])]
    timed += [(f"search {q!r}", "search", {"q": q}) for q in args.query or ["imagenet"]]
    if "leaderboard" in views:
        lb = views["leaderboard"]
        timed.append((f"leaderboard {lb['dataset']!r} x {lb['metric']!r}", "leaderboard", lb))
    timed += [(f"{page} page (no parameters)", page, {}) for page in PAGES]
    for label, module, params in timed:
        rows.append((label, *_measure(at, module, params, args.runs)))
    for label in args.other:  # each opened for the first time, after every one-time load above
        other = resolve(store, label, args.paper)
        rows.append((f"entity page of {label!r}, first opening once warm", _open(at, "entity", other["entity"]), None))
        rows.append((f"concept map centred on {label!r}, first opening once warm",
                     _open(at, "concepts", other["concepts"]), None))
    _open(at, "explore", {})
    _interact(at, f"Explore: search {args.entity!r}",
              lambda: at.text_input(key="explore_q").set_value(args.entity).run(), rows)
    _interact(at, "Explore: 3 hops, cap 500", lambda: (at.slider(key="explore_hops").set_value(3),
                                                       at.slider(key="explore_cap").set_value(500))[1].run(), rows)
    _interact(at, "confidence slider to 0.2 (Explore)",
              lambda: at.sidebar.slider(key="min_confidence").set_value(0.2).run(), rows)
    print(f"store: {args.store}  (one process; seconds of script run, no browser rendering)\n")
    print(f"| dashboard view | first opening, s | median of {args.runs} more, s |\n|---|---|---|")
    for label, first, median in rows:
        print(f"| {label} | {first:.3f} | {'' if median is None else f'{median:.3f}'} |")


if __name__ == "__main__":
    main()
