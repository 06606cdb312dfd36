"""Fixtures of the dashboard tests: the app on the seed store (AppTest), and for the real-browser tests
(test_browser*.py) one server and one Chromium per module."""

from __future__ import annotations

import os

import pytest

from tests.app._browser import CHROMIUM, INSTALL, ServerError, chromium_browser, load, streamlit_app
from tests.app._fixtures import ARTIFACTS, use_store


@pytest.fixture
def app_env(monkeypatch, seed_settings):
    """Point the app at the session's seed store, with default limits."""
    use_store(monkeypatch, seed_settings.store_dir)
    return monkeypatch


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing on CI; install it with: {INSTALL}")
        pytest.skip(f"{CHROMIUM} is missing; install it with: {INSTALL}")
    pytest.importorskip("playwright.sync_api")
    return CHROMIUM


@pytest.fixture(scope="module")
def server(chromium, seed_settings, tmp_path_factory):
    """`streamlit run app.py` on a free port over the seed store; always stopped afterwards."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    try:
        with streamlit_app(seed_settings.store_dir, log) as url:
            yield url
    except ServerError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def browser(chromium):
    """One headless Chromium for the module; every test opens its own page (its own app session) in it."""
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_browser(chromium) as launched:
        yield launched


@pytest.fixture
def outside() -> list[str]:
    """Requests that left the machine during one test: the app must work offline."""
    return []


@pytest.fixture
def page(browser, server, outside):
    """A fresh browser page on the app's default page (Overview), closed after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    try:
        pg = context.new_page()
        pg.on("request", lambda r: outside.append(r.url)
              if not r.url.startswith((server, "data:", "blob:", "about:")) else None)
        pg.set_default_timeout(30_000)
        load(pg, server)
        yield pg
    finally:
        context.close()
