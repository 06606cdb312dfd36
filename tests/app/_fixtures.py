"""Helpers shared by the dashboard tests (test_app*.py, test_read.py and test_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from streamlit.testing.v1 import AppTest

from kg.config import PROJECT_ROOT

ROOT = PROJECT_ROOT
APP = ROOT / "app.py"
QUERIES_DIR = ROOT / "seeds" / "queries"
ARTIFACTS = ROOT / "test-artifacts"
MRL_CODE = "https://github.com/RAIVNLab/MRL"
MRL_TITLE = "Matryoshka Representation Learning"
ENTITY = "https://w3id.org/abstracta/entity/"
IMAGENET = ENTITY + "imagenet"
# The dashboard's pages as app.py registers them with st.navigation: title -> module (relative to app.py).
PAGES = {"Overview": "app_pages/overview.py", "Explore": "app_pages/explore.py", "Paper": "app_pages/paper.py",
         "Leaderboard": "app_pages/leaderboard.py", "Curate": "app_pages/curate.py", "SPARQL": "app_pages/sparql.py",
         "Export": "app_pages/export.py"}
STORE_ENV = ("ABSTRACTA_STORE", "ABSTRACTA_MAX_ROWS", "ABSTRACTA_QUERY_TIMEOUT", "ABSTRACTA_BASE_IRI",
             "ABSTRACTA_LIST_CAP", "ABSTRACTA_CORRECTIONS")


def walk(node) -> Iterator:
    """Every node of an AppTest element tree, depth first."""
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from walk(child)


def iframes(at) -> list[str]:
    """The ``srcdoc`` of every ``st.iframe`` on the page (AppTest has no accessor)."""
    return [n.proto.srcdoc for n in walk(at._tree)
            if type(n).__name__ == "UnknownElement" and n.type == "iframe"]


def element_types(at) -> list[str]:
    return [getattr(n, "type", "") for n in walk(at._tree)]


def table(at, column: str):
    """The first ``st.dataframe`` on the page that has ``column``."""
    for frame in at.dataframe:
        value = frame.value
        if column in value.columns:
            return value
    raise AssertionError(f"no table with a {column!r} column; tables: {[list(f.value.columns) for f in at.dataframe]}")


def median_link_confidence(g: nx.DiGraph) -> float:
    """A threshold that keeps about half the links of a paper-entity graph (its confidences are calibrated)."""
    values = sorted(d["confidence"] for _, _, d in g.edges(data=True))
    return values[len(values) // 2]


def use_store(monkeypatch: pytest.MonkeyPatch, store_dir: str | Path, **env: str) -> None:
    """Point the app at ``store_dir`` with default limits, plus the variables in ``env``."""
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(store_dir))
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def app_test() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def open_page(page: str, at: AppTest | None = None) -> AppTest:
    """Run the app (unless ``at`` already ran) and switch to the page titled ``page``."""
    at = at or app_test().run()
    assert not at.exception, at.exception
    at.switch_page(PAGES[page]).run()
    assert not at.exception, at.exception
    return at


def open_at(page: str, **params: str) -> AppTest:
    """Start the app at an address: ``page`` (a path in app_pages/) with the query parameters ``params``."""
    at = app_test()
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
