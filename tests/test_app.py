"""The dashboard (app.py) under Streamlit's AppTest, and kg.queries behind it.

Every page is driven headless against the seed graph; no browser is needed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from kg import queries
from kg.analytics import neighbourhood, paper_entity_graph
from kg.errors import StoreError
from kg.queries import Span
from kg.sparql import execute
from tests._app_fixtures import APP, MRL_CODE, QUERIES_DIR, STORE_ENV, element_types, iframes

EXAMPLES = sorted(QUERIES_DIR.glob("*.rq"))
SEED_INPUTS = Path(__file__).parent / "fixtures" / "inputs"
IMAGENET = "https://w3id.org/abstracta/entity/imagenet"


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def app_env(monkeypatch, seed_settings):
    """Point the app at the session's seed store, with default limits."""
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(seed_settings.store_dir))
    return monkeypatch


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _open(page: str) -> AppTest:
    at = _app().run()
    assert not at.exception, at.exception
    at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def mrl_iri(seed_store) -> str:
    return next(p["iri"] for p in queries.papers(seed_store) if p["title"] == "Matryoshka Representation Learning")


# --------------------------------------------------------------------- pages


def test_overview_shows_counts_and_charts(app_env):
    at = _app().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Papers"] == "60"
    assert int(metrics["Entities"]) > 100 and int(metrics["Code links"].replace(",", "")) == 13
    assert {s.value for s in at.subheader} == {
        "Top methods by papers", "Top datasets by papers", "Top tasks by papers", "Top metrics by papers"}
    assert element_types(at).count("vega_lite_chart") == 4
    assert not at.error


def test_explore_renders_offline_network_of_chosen_entity(app_env):
    at = _open("Explore")
    at.text_input(key="explore_q").input("imagenet").run()
    box = at.selectbox(key="explore_entity")
    assert box.value == IMAGENET  # the exact match ranks first
    html_pages = iframes(at)
    assert len(html_pages) == 1
    page = html_pages[0]
    assert "vis-network" in page and "#mynetwork" in page
    assert '"ImageNet"' in page or "ImageNet" in page
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=\"https://", page)
    neighbours = at.dataframe[0].value
    assert len(neighbours) > 5 and "Paper" in set(neighbours["type"])
    assert not at.exception and not at.error


def test_explore_controls_change_the_view(app_env):
    at = _open("Explore")
    at.text_input(key="explore_q").input("ImageNet").run()
    at.slider(key="explore_hops").set_value(1).run()
    one_hop = at.dataframe[0].value
    assert set(one_hop["type"]) == {"Paper"} and set(one_hop["hops"]) == {1}
    at.slider(key="explore_hops").set_value(3).run()
    at.slider(key="explore_cap").set_value(20).run()
    assert len(at.dataframe[0].value) <= 19
    at.multiselect(key="explore_kinds").set_value(["Dataset"]).run()
    assert at.info and "Paper" in at.info[0].value  # no edges without papers: say so
    assert not at.exception


def test_choices_survive_a_page_switch(app_env):
    at = _open("Explore")
    at.text_input(key="explore_q").input("ImageNet").run()
    at.slider(key="explore_hops").set_value(1).run()
    at.sidebar.radio(key="page").set_value("SPARQL").run()
    at.text_area(key="sparql_text").input("ASK { ?s ?p ?o }").run()
    at.sidebar.radio(key="page").set_value("Explore").run()
    assert at.text_input(key="explore_q").value == "ImageNet" and at.slider(key="explore_hops").value == 1
    assert at.selectbox(key="explore_entity").value == IMAGENET
    at.sidebar.radio(key="page").set_value("SPARQL").run()
    assert at.text_area(key="sparql_text").value == "ASK { ?s ?p ?o }"
    at.button(key="sparql_run").click().run()
    assert at.success and "true" in at.success[0].value
    assert not at.exception and not at.warning


def test_explore_search_by_abbreviation_and_no_match(app_env):
    at = _open("Explore")
    at.text_input(key="explore_q").input("LLM").run()
    assert "large-language-model" in at.selectbox(key="explore_entity").value
    at.text_input(key="explore_q").input("zzz-no-such-entity").run()
    assert at.warning and "zzz-no-such-entity" in at.warning[0].value
    assert not iframes(at) and not at.exception


def test_paper_page_highlights_spans_claims_and_code(app_env, mrl_iri):
    at = _open("Paper")
    at.selectbox(key="paper_iri").select(mrl_iri).run()
    assert not at.exception
    bodies = [h.proto.body for h in at.get("html")]
    abstract = next(b for b in bodies if "Learned representations" in b)
    assert abstract.count("<mark") >= 10
    assert 'class="abx-span abx-Method"' in abstract and "abx-Dataset" in abstract
    assert ">MRL</mark>" in abstract and ">ImageNet-1K</mark>" in abstract
    claims = next(b for b in bodies if b.startswith("<ul>"))
    assert "<code>up to 14x</code>" in claims and "<code>up to 2%</code>" in claims
    assert [b.proto.url for b in at.get("link_button")] == [MRL_CODE]
    entities = at.dataframe[0].value
    row = entities[entities["label"] == "Matryoshka Representation Learning"].iloc[0]
    assert row["predicate"] == "proposes" and row["mentions"] >= 2


def test_paper_page_escapes_text(monkeypatch, tmp_path):
    """Markup in titles and abstracts is shown as text, never interpreted."""
    from kg.config import Settings
    from kg.orchestrate import build_from_inputs

    src = tmp_path / "hostile.jsonl"
    src.write_text(json.dumps({
        "title": "FooNet <script>alert(1)</script> & friends",
        "abstract": "We propose FooNet, a <b>bold</b> network & more for image classification. "
                    "We evaluate FooNet on ImageNet and CIFAR-10 with convolutional neural networks "
                    "and transformers. FooNet achieves 91.5% top-1 accuracy on ImageNet, "
                    "outperforming ResNet-50 by 2.3 points while using 3x fewer parameters.",
    }) + "\n", encoding="utf-8")
    build_from_inputs([src], Settings(store_dir=tmp_path / "store"))
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(tmp_path / "store"))
    at = _open("Paper")
    bodies = "".join(h.proto.body for h in at.get("html"))
    assert "<script>" not in bodies and "<b>bold</b>" not in bodies
    assert "&lt;script&gt;" in bodies and "&lt;b&gt;bold&lt;/b&gt;" in bodies and "&amp; more" in bodies
    assert "<mark" in bodies and not at.exception
    assert "<code>91.5%</code>" in bodies and "<code>by 2.3 points</code>" in bodies


def test_sparql_runs_an_example_with_downloads(app_env):
    at = _open("SPARQL")
    titles = at.selectbox(key="sparql_example").options
    assert len(titles) == len(EXAMPLES)
    at.selectbox(key="sparql_example").select("Entity counts by type").run()
    assert "abx:paperCount" in at.text_area(key="sparql_text").value
    at.button(key="sparql_run").click().run()
    assert not at.exception and not at.error
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["type", "entities", "paper_links"] and len(frame) == 5
    assert any("10 s per query" in c.value and "10,000 rows" in c.value for c in at.caption)
    assert any("5 row(s)" in c.value for c in at.caption)
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSON"]


def test_sparql_errors_are_inline(app_env):
    at = _open("SPARQL")
    for text, expected in [("SELECT ?s WHERE { ?s ?p ", "syntax error"),
                           ("INSERT DATA { abx:a abx:b abx:c }", "updates are not allowed"),
                           ("   ", "query is empty")]:
        at.text_area(key="sparql_text").input(text).run()
        at.button(key="sparql_run").click().run()
        assert not at.exception
        assert len(at.error) == 1 and expected in at.error[0].value, [e.value for e in at.error]
        assert not at.dataframe


def test_sparql_timeout_is_inline(app_env):
    app_env.setenv("ABSTRACTA_QUERY_TIMEOUT", "0.5")
    at = _open("SPARQL")
    assert any("0.5 s per query" in c.value for c in at.caption)
    at.text_area(key="sparql_text").input("ASK { ?s ?p ?o }").run()
    at.button(key="sparql_run").click().run()  # starts the worker, so the next query gets no start-up grace
    at.text_area(key="sparql_text").input("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }").run()
    at.button(key="sparql_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "longer than 0.5 s" in at.error[0].value


def test_sparql_reports_truncation(app_env):
    app_env.setenv("ABSTRACTA_MAX_ROWS", "5")
    at = _open("SPARQL")
    at.text_area(key="sparql_text").input("SELECT ?p WHERE { ?p a abx:Paper }").run()
    at.button(key="sparql_run").click().run()
    assert len(at.dataframe[0].value) == 5
    assert at.warning and "truncated" in at.warning[0].value
    assert any("5 rows" in c.value for c in at.caption)


def test_export_offers_a_download(app_env):
    at = _open("Export")
    assert not at.get("download_button")
    at.selectbox(key="export_fmt").select("ntriples").run()
    at.button(key="export_go").click().run()
    assert not at.exception and not at.error
    (button,) = at.get("download_button")
    assert "abstracta.nt" in button.label and "bytes" in button.label


def test_first_start_builds_the_graph(monkeypatch, tmp_path):
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(tmp_path / "fresh"))
    at = _app().run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Papers"] == "60"
    assert at.status[0].label.startswith("Built the graph: 60 papers")
    assert at.get("progress")[0].proto.value == 100
    assert (tmp_path / "fresh" / "CURRENT").exists()


def test_a_rebuild_is_picked_up(monkeypatch, tmp_path):
    from kg.config import Settings
    from kg.orchestrate import build_from_inputs
    from kg.store import current_generation

    settings = Settings(store_dir=tmp_path / "store")
    build_from_inputs([SEED_INPUTS / "papers.jsonl"], settings)
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(settings.store_dir))
    at = _app().run()
    small = int({m.label: m.value for m in at.metric}["Papers"])
    build_from_inputs([SEED_INPUTS / "papers.jsonl", SEED_INPUTS / "papers.csv"], settings)
    at.run()
    assert int({m.label: m.value for m in at.metric}["Papers"]) > small
    assert any(current_generation(settings.store_dir).name in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("env,expected", [
    ({"ABSTRACTA_MAX_ROWS": "lots"}, "ABSTRACTA_MAX_ROWS"),
    ({"ABSTRACTA_STORE": "{tmp}"}, "missing generation"),
])
def test_expected_errors_are_shown_not_raised(monkeypatch, tmp_path, env, expected):
    (tmp_path / "CURRENT").write_text("gen-gone\n", encoding="utf-8")
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    at = _app().run()
    assert not at.exception
    assert len(at.error) == 1 and expected in at.error[0].value


# ------------------------------------------------------------ example queries


def test_there_are_six_to_eight_examples():
    assert 6 <= len(EXAMPLES) <= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_returns_rows(seed_store, path: Path):
    text = path.read_text(encoding="utf-8")
    assert re.match(r"# title: \S", text), "first line must be '# title: ...'"
    result = execute(seed_store, text, 10_000)
    assert result.kind == "select" and len(result.rows) > 0


# ---------------------------------------------------------------- kg.queries


def test_papers_are_sorted_titles(seed_store):
    rows = queries.papers(seed_store)
    assert len(rows) == 60 and set(rows[0]) == {"iri", "title"}
    assert [r["title"].casefold() for r in rows] == sorted(r["title"].casefold() for r in rows)


def test_paper_detail(seed_store, mrl_iri):
    d = queries.paper_detail(seed_store, mrl_iri)
    assert d.title == "Matryoshka Representation Learning" and d.code == (MRL_CODE,)
    assert d.abstract.startswith("Learned representations")
    for s in d.spans:
        text = d.title if s.section == "title" else d.abstract
        assert 0 <= s.start < s.end <= len(text) and s.type in queries.ENTITY_TYPES
    assert {"MRL", "ImageNet-1K"} <= {d.abstract[s.start:s.end] for s in d.spans}
    improves = next(c for c in d.claims if c.kind == "improves")
    assert d.abstract[improves.start:improves.end] == improves.text
    assert [(q["qualifier"], q["value"], q["unit"]) for q in improves.quantities] == [
        ("up to", "14", "x"), ("up to", "14", "x"), ("up to", "2", "%")]
    preds = {e["label"]: e["predicate"] for e in d.entities}
    assert preds["Matryoshka Representation Learning"] == "proposes" and preds["ImageNet-1K"] == "evaluatesOn"


def test_paper_detail_unknown_and_invalid(seed_store):
    assert queries.paper_detail(seed_store, "https://example.org/no-such-paper") is None
    with pytest.raises(StoreError):
        queries.paper_detail(seed_store, "not an iri> { }")


def test_top_entities(seed_store):
    top = queries.top_entities(seed_store, "Dataset", 3)
    assert len(top) == 3 and top[0]["label"] == "ImageNet"
    assert [t["papers"] for t in top] == sorted((t["papers"] for t in top), reverse=True)
    with pytest.raises(ValueError, match="unknown entity type"):
        queries.top_entities(seed_store, "Paper", 3)


def test_search_entities_in_store_and_graph(seed_store):
    by_alt = queries.search_entities(seed_store, "llm", 5)
    assert by_alt[0]["label"] == "large language models" and by_alt[0]["type"] == "Method"
    g = paper_entity_graph(seed_store)
    hits = queries.search_entities(g, "imagenet", 10)
    assert hits[0]["iri"] == IMAGENET and all("imagenet" in h["label"].casefold() for h in hits)
    assert len(queries.search_entities(g, "", 3)) == 3
    assert queries.search_entities(seed_store, "zzz-none", 3) == []


def test_neighbour_table(seed_store):
    g = paper_entity_graph(seed_store)
    sub = neighbourhood(g, IMAGENET, hops=2, cap=40)
    rows = queries.neighbour_table(g, sub, IMAGENET)
    assert len(rows) == sub.number_of_nodes() - 1
    assert all(r["hops"] in (1, 2) for r in rows) and rows[0]["hops"] == 1
    assert {r["link"] for r in rows if r["hops"] == 1} == {"evaluatesOn"}
    assert queries.neighbour_table(g, nx.DiGraph(), "nowhere") == []


def _span(start: int, end: int, kind: str = "Method") -> Span:
    return Span("abstract", start, end, f"e{start}", f"L{start}", kind, "uses")


def test_segments_overlapping_nested_adjacent_and_invalid():
    text = "abcdefghij"
    a, b, c = _span(0, 4), _span(2, 6, "Dataset"), _span(6, 8)
    bad = [_span(8, 20), _span(5, 5)]
    segs = queries.segments(text, [a, b, c, *bad])
    assert "".join(piece for piece, _ in segs) == text
    assert [(p, len(cover)) for p, cover in segs] == [("ab", 1), ("cd", 2), ("ef", 1), ("gh", 1), ("ij", 0)]
    assert segs[3][1] == (c,)  # adjacent to b, not merged with it


@given(st.text(max_size=30), st.lists(st.tuples(st.integers(-3, 35), st.integers(-3, 35)), max_size=8))
def test_segments_cover_text_exactly(text, bounds):
    spans = [_span(s, e) for s, e in bounds]
    segs = queries.segments(text, spans)
    assert "".join(p for p, _ in segs) == text
    pos = 0
    for piece, cover in segs:
        assert piece
        for s in spans:
            inside = s.start <= pos and pos + len(piece) <= s.end and 0 <= s.start < s.end <= len(text)
            assert (s in cover) == inside
        pos += len(piece)
