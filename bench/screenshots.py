"""Screenshots of every dashboard page, 1400 px wide, for the README.

Usage: python bench/screenshots.py --store DIR [--out docs/screenshots] [--entity ImageNet] [--paper TITLE]
       [--query imagenet] [--pages curate sparql]

Starts ``streamlit run app.py`` over ``DIR`` and opens each page in headless Chromium (Debian's
``/usr/bin/chromium``) at a meaningful address: a search, the entity page and concept map of a hub entity,
a paper with claims, the leaderboard's largest dataset x metric group. Writes ``<page>.png`` per page: the
viewport (1400 x 900), not the full page, so the files stay small.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._views import address, resolve
from tests.app._browser import chromium_browser, load, settled, streamlit_app

WIDTH, HEIGHT = 1400, 900
SETTLE_MS = 2500  # charts and the network layout keep moving a little after the script run ends


def _views(args) -> list[tuple[str, str, str]]:
    """(file stem, relative URL, what to wait for: a CSS selector or text) for each page."""
    found = resolve(Path(args.store), args.entity, args.paper)
    views = [("overview", "", '[data-testid="stMetric"]'),
             ("search", address("search", {"q": args.query}), "ol.abx-search a"),
             ("entity", address("entity", found["entity"]), '[data-testid="stDataFrame"]'),
             ("concepts", address("concepts", found["concepts"]), "iframe"),
             ("paper", address("paper", found["paper"]), "mark.abx-span"),
             ("explore", "explore", "iframe")]
    if "leaderboard" in found:
        views.append(("leaderboard", address("leaderboard", found["leaderboard"]), '[data-testid="stDataFrame"]'))
    views += [("curate", "curate", "button:has-text('Merge')"), ("sparql", "sparql", '[data-testid="stTextArea"]'),
              ("export", "export", "button:has-text('Generate file')")]
    return views


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--entity", default="ImageNet", help="label of the hub entity (entity page, concept map)")
    ap.add_argument("--paper", default=None, help="title of the paper shown (default: the one with most claims)")
    ap.add_argument("--query", default="imagenet", help="what the search page searches")
    ap.add_argument("--pages", nargs="*", help="only these (file stems: overview, search, entity, ...)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    views = [v for v in _views(args) if not args.pages or v[0] in args.pages]
    log = Path(tempfile.mkdtemp(prefix="abx-shots-")) / "streamlit.log"
    with streamlit_app(Path(args.store).resolve(), log) as base, chromium_browser() as browser:
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        for stem, url, ready in views:
            t0 = time.perf_counter()
            pg = context.new_page()
            pg.set_default_timeout(120_000)
            load(pg, f"{base}/{url}")
            pg.locator(ready).first.wait_for()
            settled(pg)
            if pg.get_by_test_id("stException").count():
                raise SystemExit(f"{stem}: the page raised an exception")
            pg.wait_for_timeout(SETTLE_MS)
            target = out / f"{stem}.png"
            pg.screenshot(path=str(target))
            heading = " ".join(pg.get_by_role("heading").nth(1).inner_text().split())
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
                  f"{target.stat().st_size / 1024:.0f} KB, {heading!r}, /{url} "
                  f"({time.perf_counter() - t0:.1f} s)")
            pg.close()
        context.close()


if __name__ == "__main__":
    main()
