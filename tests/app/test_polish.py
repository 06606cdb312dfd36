"""Dashboard polish: the toolbar a reader sees, and the Overview's chart labels shown in full."""

from __future__ import annotations

import json
import tomllib

from streamlit import config

from tests.app._fixtures import ROOT, app_test, use_store


def test_the_developer_toolbar_is_hidden():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["toolbarMode"] == "viewer"
    for section, options in settings.items():  # every option is one this Streamlit knows
        for name in options:
            assert f"{section}.{name}" in config._config_options_template, f"{section}.{name}"


def test_overview_chart_labels_are_not_truncated(monkeypatch, seed_settings):
    use_store(monkeypatch, seed_settings.store_dir)
    at = app_test().run()
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 4
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert spec["encoding"]["y"]["field"] == "label"
        assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0


def test_relation_tables_put_the_sentence_before_the_numbers(monkeypatch, seed_settings):
    from tests.app._fixtures import open_page, table

    use_store(monkeypatch, seed_settings.store_dir)
    at = open_page("Paper")
    assert list(table(at, "sentence").columns[:4]) == ["subject", "predicate", "object", "sentence"]
