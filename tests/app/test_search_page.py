"""The Search page under Streamlit's AppTest: full-text hits with snippets and links, state in the URL."""

from __future__ import annotations

import shutil
import sqlite3
import urllib.parse

from kg.read import fulltext, snapshot
from kg.store.generations import current_generation
from tests.app._fixtures import IMAGENET, app_test, use_store

SEARCH = "app_pages/search.py"



def _open(at=None):
    at = at or app_test().run()
    assert not at.exception, at.exception
    at.switch_page(SEARCH).run()
    assert not at.exception, at.exception
    return at


def _bodies(at) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def test_search_lists_hits_of_every_kind_with_links_and_snippets(app_env):
    at = _open()
    assert not at.get("html") and at.caption  # no text yet: a hint, no results
    at.text_input(key="search_q").input("imagenet").run()
    assert not at.exception and not at.error
    assert at.query_params["q"] == "imagenet"
    labels = [t.label for t in at.tabs]
    assert labels[0].startswith("All (") and any(x.startswith("Papers (") for x in labels)
    assert any(x.startswith("Entities (") for x in labels) and any(x.startswith("Evidence sentences (") for x in labels)
    html = "".join(_bodies(at))
    assert f'href="{"entity?iri=" + urllib.parse.quote(IMAGENET, safe="")}"' in html
    assert 'href="paper?iri=https%3A%2F%2Fw3id.org%2Fabstracta%2Fpaper%2F' in html
    assert "<mark>ImageNet</mark>" in html and "(evidence" in html and "(Dataset)" in html


def test_the_url_sets_the_search(app_env):
    at = app_test()
    at.query_params["q"] = "matryoshka"
    at.run()
    at.switch_page(SEARCH)
    at.query_params["q"] = "matryoshka"
    at.run()
    assert not at.exception
    assert at.text_input(key="search_q").value == "matryoshka"
    assert "<mark>Matryoshka</mark>" in "".join(_bodies(at))


def test_hostile_and_empty_queries_do_not_break_the_page(app_env):
    at = _open()
    for text in ['"', "*", "NEAR(", "OR", '") OR *', "<script>alert(1)</script>", "zzzqqq-nothing"]:
        at.text_input(key="search_q").input(text).run()
        assert not at.exception and not at.error, text
        assert "<script>" not in "".join(_bodies(at))
    assert at.warning and "zzzqqq-nothing" in at.warning[0].value
    at.text_input(key="search_q").set_value("").run()
    assert not at.exception and "q" not in at.query_params


def test_a_new_search_replaces_the_one_in_the_url(app_env):
    at = _open()
    for text in ("imagenet", "matryoshka", "quantization", "transformer"):
        at.text_input(key="search_q").input(text).run()
        assert at.text_input(key="search_q").value == text and at.query_params["q"] == text  # no snap back


def test_a_generation_without_the_index_searches_labels(monkeypatch, seed_settings, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(seed_settings.store_dir, store, ignore=shutil.ignore_patterns(".lock"))
    path = snapshot.find(current_generation(store).path)
    db = sqlite3.connect(path)
    db.execute(f"DROP TABLE {fulltext.TABLE}")
    db.commit()
    db.close()
    use_store(monkeypatch, store)
    at = _open()
    at.text_input(key="search_q").input("imagenet").run()
    assert not at.exception and not at.error
    assert at.info and "no full-text index" in at.info[0].value
    assert "entity?iri=" in "".join(_bodies(at))


def _counts(at) -> dict[str, int]:
    return {t.label.rsplit(" (", 1)[0]: int(t.label.rsplit("(", 1)[1].rstrip(")")) for t in at.tabs}


def test_the_confidence_slider_filters_entities_and_evidence(app_env):
    at = _open()
    at.sidebar.slider(key="min_confidence").set_value(0.0).run()
    at.text_input(key="search_q").input("image").run()
    everything = _counts(at)
    at.sidebar.slider(key="min_confidence").set_value(0.9).run()
    confident = _counts(at)
    assert confident["Papers"] == everything["Papers"] > 0  # papers always stay
    assert confident["Entities"] < everything["Entities"] and confident["Evidence sentences"] < everything[
        "Evidence sentences"]
    assert any("0.90" in c.value for c in at.caption) and not at.exception
