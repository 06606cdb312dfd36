"""The dashboard in a real headless Chromium, against `streamlit run app.py`.

Needs Debian's chromium (``/usr/bin/chromium``) and the playwright package;
``playwright install`` is not needed. Screenshots go to ``test-artifacts/``.
The server, browser and page fixtures are in ``conftest.py``; the helpers in ``_browser.py``.
"""

from __future__ import annotations

import re

import pytest

from tests.app._browser import goto as _goto
from tests.app._browser import load as _load
from tests.app._fixtures import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _shot(pg, name: str) -> None:
    """The page rendered without an exception; keep a screenshot of it for the CI artifacts."""
    assert pg.get_by_test_id("stException").count() == 0
    pg.wait_for_timeout(1500)  # let charts and the network layout settle
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_overview(page):
    papers = page.get_by_test_id("stMetric").filter(has_text="Papers").first
    papers.wait_for()
    assert papers.inner_text().split() == ["Papers", "60"]
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text("Abstracta", exact=True).count() == 1
    assert sidebar.get_by_text("Minimum confidence").count() == 1
    nav = page.get_by_test_id("stSidebarNav")
    for title in ("Overview", "Explore", "Paper", "Leaderboard", "Curate", "SPARQL", "Export"):
        assert nav.get_by_text(title, exact=True).count() == 1, title
    _shot(page, "overview")


def test_explore_draws_the_network(page):
    _goto(page, "Explore")
    frame = page.frame_locator("iframe").first
    frame.locator("#mynetwork canvas").wait_for()
    assert frame.locator("#mynetwork canvas").count() >= 1
    page.get_by_test_id("stDataFrame").first.wait_for()
    _shot(page, "explore")


def test_a_page_opens_from_its_address(page, server):
    _load(page, server + "/leaderboard")
    page.get_by_role("heading", name="Leaderboard").wait_for()
    page.get_by_test_id("stSidebar").get_by_text("Minimum confidence").wait_for()  # app.py's sidebar is around it
    page.get_by_text(re.compile(r"\d+ row\(s\) in \d+ dataset x metric group")).first.wait_for()
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(ARTIFACTS / "leaderboard-by-address.png"))


def test_explore_opens_from_its_address_and_downloads_the_view(page, server):
    _load(page, server + "/explore?centre=https%3A%2F%2Fw3id.org%2Fabstracta%2Fentity%2Fimagenet&hops=1")
    page.get_by_role("heading", name="Explore the graph").wait_for()
    page.get_by_text(re.compile(r"within 1 hop\(s\) of ImageNet")).first.wait_for()
    from playwright.sync_api import expect

    for label in ("GraphML", "JSON", "HTML"):  # Streamlit draws the three columns one delta at a time
        page.get_by_role("button", name=label, exact=True).wait_for()
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(3)  # retries until the page settles, then fails
    with page.expect_download() as download:
        page.get_by_role("button", name="GraphML", exact=True).click()
    assert download.value.suggested_filename == "abstracta-explore-imagenet.graphml"
    # what the browser saved is a graph tools can read: the view around ImageNet
    import networkx as nx

    view = nx.read_graphml(download.value.path())
    assert "https://w3id.org/abstracta/entity/imagenet" in view and view.number_of_edges() > 0
    assert "imagenet" in page.url and "hops=1" in page.url
    _shot(page, "explore-by-address")


# The middle of the link farthest from every node (so the hover finds the link, not a node), in page pixels.
_LINK_POINT = """() => {
  network.setOptions({physics: false});  // hold the layout still while the mouse moves there
  const pos = network.getPositions(), ids = Object.keys(pos);
  let best = null;
  for (const e of edges.get()) {
    const a = pos[e.from], b = pos[e.to];
    if (!a || !b) continue;
    const m = {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2};
    const clear = Math.min(...ids.map(id => Math.hypot(pos[id].x - m.x, pos[id].y - m.y)));
    if (!best || clear > best.clear) best = {clear, m};
  }
  const dom = network.canvasToDOM(best.m), box = document.getElementById("mynetwork").getBoundingClientRect();
  return {x: box.left + dom.x, y: box.top + dom.y};
}"""


def test_explore_tooltip_shows_evidence(page):
    _goto(page, "Explore")
    iframe = page.locator("iframe").first
    iframe.wait_for()
    frame = iframe.element_handle().content_frame()
    frame.locator("#mynetwork canvas").wait_for()
    page.wait_for_timeout(3000)  # let the layout settle before aiming at a link
    point, box = frame.evaluate(_LINK_POINT), iframe.bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tip = frame.locator(".vis-tooltip")
    tip.get_by_text("evidence record").wait_for(timeout=5000)
    assert tip.locator("mark").count() >= 1 and "confidence" in tip.inner_text()
    iframe.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "explore-tooltip.png"))


def test_paper_highlights(page):
    _goto(page, "Paper")
    page.locator("mark.abx-span").nth(3).wait_for()  # the title's marks come first; wait for the abstract's
    _shot(page, "paper")


def test_paper_opens_from_its_address_with_the_claim_marked(page, server, seed_store):
    import urllib.parse

    from playwright.sync_api import expect

    from kg.read.paper import paper_detail, papers
    from tests.app._fixtures import MRL_TITLE

    mrl = next(p["iri"] for p in papers(seed_store) if p["title"] == MRL_TITLE)
    claim = paper_detail(seed_store, mrl).claims[-1]
    _load(page, f"{server}/paper?{urllib.parse.urlencode({'iri': mrl, 'claim': claim.iri})}")
    page.get_by_text("linked claim").first.wait_for()
    # the title's heading may come after the claims' while the run is still drawing (it did once under load)
    expect(page.locator("h3", has_text=MRL_TITLE).first).to_be_visible()
    assert page.get_by_test_id("stAppDeployButton").count() == 0  # client.toolbarMode = "viewer"
    _shot(page, "paper-by-address")


def test_leaderboard(page):
    from playwright.sync_api import expect

    _goto(page, "Leaderboard")
    page.get_by_text(re.compile(r"\d+ row\(s\) in \d+ dataset x metric group")).first.wait_for()
    # the previous page's tables linger (stale) until the run ends; then the leaderboard's is the only one
    expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
    rows = page.get_by_test_id("stDataFrame").locator('[role="row"]')
    rows.nth(1).wait_for(state="attached")
    _shot(page, "leaderboard")


def test_curate(page):
    _goto(page, "Curate")
    page.get_by_role("button", name="Merge").wait_for()
    _shot(page, "curate")


def test_sparql_runs_the_example(page):
    _goto(page, "SPARQL")
    page.get_by_role("button", name="Run query").click()
    page.get_by_test_id("stDataFrame").wait_for()
    caption = page.get_by_text(re.compile(r"\d+ row\(s\) in \d+ ms")).first
    caption.wait_for()
    assert int(caption.inner_text().split()[0].replace(",", "")) > 0
    rows = page.get_by_test_id("stDataFrame").locator('[role="row"]')
    rows.nth(1).wait_for(state="attached")  # header row + at least one data row in the grid
    assert rows.count() > 1
    _shot(page, "sparql")


def test_export_offers_download(page):
    _goto(page, "Export")
    page.get_by_role("button", name="Generate file").click()
    page.get_by_test_id("stDownloadButton").wait_for()
    _shot(page, "export")


def test_nothing_is_fetched_from_outside(page, outside):
    for name in ("Explore", "Paper", "Leaderboard", "Curate", "SPARQL", "Export", "Overview"):
        _goto(page, name)
        page.wait_for_timeout(500)  # let the page's assets load
    assert outside == []
