"""A user's path through the dashboard in a real Chromium: search -> entity -> concept map -> re-centre ->
paper -> its evidence, and a copied concept-map URL that reopens the same view in a new page.

Fixtures (one ``streamlit run`` over the seed store and one Chromium per module, a fresh page per test) are
in ``conftest.py``. Each test starts from an address, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import re
import time
import urllib.parse

import pytest

from tests.app._browser import load
from tests.app._fixtures import ARTIFACTS, IMAGENET

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_MS = 60_000  # a page's first run on a busy machine (the two-core CI runners) can take a while


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


def _no_exception(pg) -> None:
    assert pg.get_by_test_id("stException").count() == 0


def _wait_address(pg, predicate) -> str:
    """Poll the address bar until ``predicate(url)`` holds; return the URL, or fail naming the address it
    stopped at."""
    deadline = time.monotonic() + LONG_MS / 1000
    while not predicate(pg.url):
        assert time.monotonic() < deadline, f"the address did not settle: {pg.url}"
        pg.wait_for_timeout(200)
    return pg.url


def _wait_query(pg, name: str, predicate) -> str:
    """Wait until the address bar's query parameter ``name`` satisfies ``predicate``; return its value."""
    return _query(_wait_address(pg, lambda u: predicate(_query(u).get(name))))[name]


def _concept_controls(pg):
    """The concept map's Centre select box (a combobox whose value is the chosen entity) and its Edges and
    Colour radios."""
    return (pg.get_by_role("combobox", name="Centre", exact=True),
            pg.get_by_test_id("stRadio").filter(has_text="Edges").first,
            pg.get_by_test_id("stRadio").filter(has_text="Colour by").first)


def _open_link_cell(pg, grid, row: int = 0):
    """Click the link in the last column of the ``row``-th data row of a table (a canvas grid: no DOM link to
    click, so the cell is hit by position); a LinkColumn opens its target in a new tab, which is returned."""
    cells = grid.locator('[role="row"]').nth(row + 1).locator('[role="gridcell"]')
    cells.last.wait_for(state="attached")
    href = cells.last.inner_text()  # the grid's accessible copy of the cell holds the link's target
    box = grid.bounding_box()
    header_px, row_px = 35, 35
    x, y = box["x"] + box["width"] - 30, box["y"] + header_px + row_px * row + row_px / 2
    pg.mouse.move(x, y)
    with pg.context.expect_page(timeout=LONG_MS) as opened:
        pg.mouse.click(x, y)
    return href, opened.value


def test_search_entity_concept_map_paper(page, server):
    from playwright.sync_api import expect

    # search: the query in the URL fills the box; the Entities tab lists ImageNet
    load(page, f"{server}/search?q=imagenet")
    page.get_by_role("tab", name=re.compile(r"^Entities \(\d+\)")).click()
    hit = page.get_by_role("tabpanel").get_by_role("link", name="ImageNet", exact=True)
    hit.click()

    # entity page
    page.wait_for_url(re.compile(r"/entity\?"), timeout=LONG_MS)
    page.get_by_role("heading", name="ImageNet (Dataset)").wait_for(timeout=LONG_MS)
    assert _query(page.url)["iri"] == IMAGENET
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "flow-entity.png"))

    # its concept map, centred on it
    page.get_by_role("link", name=re.compile("Concept map centred here")).click()
    page.wait_for_url(re.compile(r"/concepts\?"), timeout=LONG_MS)
    page.get_by_role("heading", name="Concept map").wait_for(timeout=LONG_MS)
    assert _wait_query(page, "centre", bool) == IMAGENET
    centre, edges, colour = _concept_controls(page)
    expect(centre).to_have_value(re.compile(r"^ImageNet \(Dataset"), timeout=LONG_MS)
    page.frame_locator("iframe").first.locator("#mynetwork canvas").wait_for(timeout=LONG_MS)
    _no_exception(page)

    # re-centre through the select box under the map: the URL's centre follows
    page.get_by_role("combobox", name="Centre the map on one of its entities").click()
    option = page.get_by_role("option").filter(has_not_text="choose an entity").first
    label = option.inner_text().strip()
    option.click()
    new_centre = _wait_query(page, "centre", lambda v: bool(v) and v != IMAGENET)
    expect(centre).to_have_value(re.compile("^" + re.escape(label) + r" \("), timeout=LONG_MS)
    page.get_by_text(re.compile(r"\d+ entities and \d+ edges around")).first.wait_for(timeout=LONG_MS)

    # other edges and colours: the URL keeps them
    edges.get_by_text("relations", exact=True).click()
    _wait_query(page, "edges", lambda v: v == "relations")
    colour.get_by_text("type", exact=True).click()
    _wait_query(page, "colour", lambda v: v == "type")
    # the address settles with all three (CI once caught it between two updates, without the centre)
    _wait_address(page, lambda u: _query(u).get("centre") == new_centre and _query(u).get("colour") == "type"
                  and _query(u).get("edges") == "relations")
    _no_exception(page)
    shared = page.url

    # a copied URL reopens the same view in a new page (a new app session)
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1500})
    try:
        again = other.new_page()
        again.set_default_timeout(30_000)
        load(again, shared)
        c2, e2, k2 = _concept_controls(again)
        expect(c2).to_have_value(re.compile("^" + re.escape(label) + r" \("), timeout=LONG_MS)
        assert e2.get_by_role("radio", name="relations").is_checked()
        assert k2.get_by_role("radio", name="type").is_checked()
        again.frame_locator("iframe").first.locator("#mynetwork canvas").wait_for(timeout=LONG_MS)
        assert _query(again.url) == _query(shared)
        _no_exception(again)
        again.screenshot(path=str(ARTIFACTS / "flow-concepts-shared.png"))
    finally:
        other.close()


def test_entity_paper_evidence(page, server):
    # the entity page's papers table links each paper; its link cell opens the paper page
    load(page, f"{server}/entity?iri={urllib.parse.quote(IMAGENET, safe='')}")
    page.get_by_role("heading", name=re.compile(r"^Papers \(\d+\)")).wait_for(timeout=LONG_MS)
    papers = page.get_by_test_id("stDataFrame").filter(
        has=page.locator('[role="columnheader"]', has_text="title")).first
    href, paper = _open_link_cell(page, papers)
    assert href.startswith("paper?iri=")
    try:
        paper.set_default_timeout(30_000)
        paper.get_by_role("heading", name="Paper", exact=True).wait_for(timeout=LONG_MS)
        assert paper.url.endswith("/" + href)
        iri = _query(paper.url)["iri"]
        title = paper.locator("h3").first
        title.wait_for(timeout=LONG_MS)
        assert title.inner_text().strip()
        # its evidence: ImageNet's mention is marked in the abstract, with the link's confidence in the tooltip
        paper.locator('mark.abx-span[title*="ImageNet"]').first.wait_for(timeout=LONG_MS)
        paper.get_by_role("heading", name=re.compile(r"^Claims \(\d+\)")).wait_for()
        paper.get_by_role("heading", name=re.compile(r"^Entities \(\d+\)")).wait_for()
        assert paper.get_by_text(f"IRI: {iri}").count() == 1
        _no_exception(paper)
        paper.screenshot(path=str(ARTIFACTS / "flow-paper.png"))
    finally:
        paper.close()


def test_the_same_link_twice_in_one_session(page, server):
    """Entity -> its concept map -> the Entity page from the sidebar -> the same concept-map link again: the map
    is still centred on the entity (Streamlit forgot the map's widgets in between; the URL must win again)."""
    from playwright.sync_api import expect

    from tests.app._browser import goto

    load(page, f"{server}/entity?iri={urllib.parse.quote(IMAGENET, safe='')}")
    for _ in range(2):
        page.get_by_role("heading", name="ImageNet (Dataset)").wait_for(timeout=LONG_MS)
        page.get_by_role("link", name=re.compile("Concept map centred here")).click()
        page.get_by_role("heading", name="Concept map").wait_for(timeout=LONG_MS)
        assert _wait_query(page, "centre", bool) == IMAGENET
        expect(page.get_by_role("combobox", name="Centre", exact=True)).to_have_value(
            re.compile(r"^ImageNet \(Dataset"), timeout=LONG_MS)
        goto(page, "Entity")  # the entity page keeps the entity last shown
    _no_exception(page)
