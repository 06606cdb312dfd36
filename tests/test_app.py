"""The dashboard (app.py) under Streamlit's AppTest, and kg.read.queries behind it.

Every page is driven headless against the seed graph; no browser is needed.
Curation tests rebuild a private copy of the seed graph, never the shared one.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from kg.config import DEFAULT_MIN_CONFIDENCE, Settings
from kg.errors import StoreError
from kg.graph.orchestrate import build_from_inputs
from kg.query.runner import execute
from kg.read import queries
from kg.read.projection import neighbourhood, paper_entity_graph
from kg.read.queries import Span
from kg.read.viz import evidence_table, link_tip, marked, node_tip
from kg.store.generations import open_current
from tests._app_fixtures import APP, MRL_CODE, QUERIES_DIR, STORE_ENV, element_types, iframes, table
from tests.conftest import SEED_FILE

EXAMPLES = sorted(QUERIES_DIR.glob("*.rq"))
SEED_INPUTS = Path(__file__).parent / "fixtures" / "inputs"
IMAGENET = "https://w3id.org/abstracta/entity/imagenet"
ENTITY = "https://w3id.org/abstracta/entity/"
NOISYQUANT_CLAIM = "1.7%, 1.1% and 0.5%"


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def app_env(monkeypatch, seed_settings):
    """Point the app at the session's seed store, with default limits."""
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(seed_settings.store_dir))
    return monkeypatch


@pytest.fixture
def curate_env(monkeypatch, tmp_path) -> Settings:
    """A private store built from the seed papers, and a corrections file of its own."""
    settings = Settings(store_dir=tmp_path / "store", corrections_path=tmp_path / "corrections.tsv")
    build_from_inputs([SEED_FILE], settings)
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ABSTRACTA_STORE", str(settings.store_dir))
    monkeypatch.setenv("ABSTRACTA_CORRECTIONS", str(settings.corrections_file))
    return settings


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _open(page: str, at: AppTest | None = None) -> AppTest:
    at = at or _app().run()
    assert not at.exception, at.exception
    at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def _entities(settings: Settings) -> dict[str, dict]:
    """The seed graph's entities by IRI, as the Curate page lists them."""
    _, store = open_current(settings.store_dir)
    return {e["iri"]: e for e in queries.entity_catalogue(queries.link_graph(store))}


@pytest.fixture(scope="module")
def mrl_iri(seed_store) -> str:
    return next(p["iri"] for p in queries.papers(seed_store) if p["title"] == "Matryoshka Representation Learning")


# --------------------------------------------------------------------- pages


def test_overview_shows_counts_and_charts(app_env):
    at = _app().run()
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Papers"] == 60 and metrics["Entities"] > 100 and metrics["Code links"] == 13
    assert metrics["Links"] > 150 and metrics["Evidence records"] > metrics["Links"]  # at the default threshold
    assert at.sidebar.slider(key="min_confidence").value == DEFAULT_MIN_CONFIDENCE
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
    neighbours = table(at, "hops")
    assert len(neighbours) > 5 and "Paper" in set(neighbours["type"])
    links = table(at, "predicate")
    assert set(links["predicate"][:3]) == {"evaluatesOn"} and (links["confidence"] > 0).all()
    assert not at.exception and not at.error


def test_explore_controls_change_the_view(app_env):
    at = _open("Explore")
    at.text_input(key="explore_q").input("ImageNet").run()
    at.slider(key="explore_hops").set_value(1).run()
    one_hop = table(at, "hops")
    assert set(one_hop["type"]) == {"Paper"} and set(one_hop["hops"]) == {1}
    at.slider(key="explore_hops").set_value(3).run()
    at.slider(key="explore_cap").set_value(20).run()
    assert len(table(at, "hops")) <= 19
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


def test_long_lists_get_a_filter_box_and_never_send_more_than_the_cap(app_env, mrl_iri):
    app_env.setenv("ABSTRACTA_LIST_CAP", "20")
    at = _open("Paper")
    box = at.selectbox(key="paper_iri")
    assert len(box.options) == 20  # 60 papers, capped
    assert any("Showing the first 20 of 60" in c.value for c in at.caption)
    at.text_input(key="paper_iri_filter").input("matryoshka representation").run()
    box = at.selectbox(key="paper_iri")
    assert box.value == mrl_iri and len(box.options) <= 20 and not at.exception
    at.text_input(key="paper_iri_filter").input("zzz no such title").run()
    assert at.info and "Nothing matches" in at.info[0].value and not at.exception
    _open("Curate", at)
    assert len(at.selectbox(key="curate_keep").options) == 20 and not at.exception


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
    entities = table(at, "mentions")
    row = entities[entities["label"] == "Matryoshka Representation Learning"].iloc[0]
    assert row["predicate"] == "proposes" and row["mentions"] >= 2 and 0 < row["confidence"] <= 1


def test_paper_page_escapes_text(monkeypatch, tmp_path):
    """Markup in titles and abstracts is shown as text, never interpreted."""
    from kg.config import Settings
    from kg.graph.orchestrate import build_from_inputs

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


def test_confidence_slider_filters_every_page(app_env, mrl_iri, seed_store):
    t = math.floor(100 * _median_link_confidence(queries.link_graph(seed_store))) / 100
    at = _app().run()
    everything = _metrics(at)
    at.sidebar.slider(key="min_confidence").set_value(t).run()
    confident = _metrics(at)
    assert 0 < confident["Links"] < everything["Links"] and confident["Entities"] < everything["Entities"]
    assert confident["Evidence records"] < everything["Evidence records"]
    assert confident["Papers"] == everything["Papers"] and confident["Triples"] == everything["Triples"]
    assert any(f"{t:.2f}" in c.value for c in at.caption)

    _open("Explore", at).text_input(key="explore_q").input("imagenet").run()
    assert (table(at, "predicate")["confidence"] >= t).all()
    at.sidebar.slider(key="min_confidence").set_value(0.0).run()
    assert (table(at, "predicate")["confidence"] < t).any()  # the threshold did hide links

    _open("Paper", at).selectbox(key="paper_iri").select(mrl_iri).run()
    everyone = table(at, "mentions")
    middle = round(float(everyone["confidence"].median()), 2)  # the paper's links are spread around it
    at.sidebar.slider(key="min_confidence").set_value(middle).run()
    kept = table(at, "mentions")
    assert 0 < len(kept) < len(everyone) and (kept["confidence"] >= middle).all()
    assert any("hidden" in c.value for c in at.caption) and not at.exception


def test_leaderboard_shows_noisyquant_results(app_env):
    at = _open("Leaderboard")
    board = table(at, "claim")
    assert list(board.columns) == list(queries.RESULT_COLUMNS)
    assert "ImageNet" in at.selectbox(key="lb_dataset").options
    at.selectbox(key="lb_dataset").select("ImageNet").run()
    at.selectbox(key="lb_metric").select("top-1 accuracy").run()
    board = table(at, "claim")
    noisy = board[board["method"] == "NoisyQuant"]
    assert list(noisy["value"]) == [1.7, 1.1, 0.5] and set(noisy["unit"]) == {"%"}
    top = noisy.iloc[0]
    assert top["dataset"] == "ImageNet" and top["metric"] == "top-1 accuracy" and top["direction"] == "increase"
    assert top["paper"].startswith("NoisyQuant") and NOISYQUANT_CLAIM in top["claim"] and top["condition"] == "ViT"
    at.sidebar.slider(key="min_confidence").set_value(0.95).run()
    assert at.info and "No results" in at.info[0].value and not at.exception


def test_explore_link_selection_shows_its_evidence(app_env):
    at = _open("Explore")
    at.text_input(key="explore_q").input("imagenet").run()
    assert any("Select a link" in c.value for c in at.caption)
    links = table(at, "predicate")
    at.session_state["explore_links"] = {"selection": {"rows": [0], "columns": []}}  # a click on the first row
    at.run()
    body = next(h.proto.body for h in at.get("html") if "abx-evidence" in h.proto.body)
    assert f"<b>Evidence ({links['evidence'][0]})</b>" in body and "evaluatesOn" in body
    assert body.count("<mark>ImageNet</mark>") >= 1 and "gazetteer" in body and not at.exception
    page = iframes(at)[0]
    assert "abxTip" in page and "evidence record(s)" in page and r"\u003cmark\u003e" in page


def test_curate_merge_survives_a_rebuild(curate_env):
    at = _open("Curate")
    assert at.radio(key="curate_verb").value == "merge"
    assert any("No corrections yet" in c.value for c in at.caption)
    catalogue = _entities(curate_env)
    methods = sorted((i for i, e in catalogue.items() if e["type"] == "Method"),
                     key=lambda i: (-catalogue[i]["papers"], i))
    keep, other = methods[0], methods[1]  # the two methods of most papers
    keep_name, other_name = catalogue[keep]["name"], catalogue[other]["name"]
    other_label = catalogue[other]["label"]
    at.selectbox(key="curate_keep").select(keep).run()
    at.selectbox(key="curate_other").select(other).run()
    at.button(key="curate_go_merge").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success and f"Applied merge “{keep_name}”, “{other_name}”" in at.success[0].value
    assert str(curate_env.corrections_file) in at.success[0].value
    assert f"merge\t{keep_name}\t{other_name}\n" in curate_env.corrections_file.read_text(encoding="utf-8")
    assert f"merge\t{keep_name}\t{other_name}" in at.code[0].value
    assert at.get("download_button")[0].label == "Download corrections.tsv"
    merged = _entities(curate_env)
    assert other_label in merged[keep]["alt"] and other not in merged
    assert at.selectbox(key="curate_keep").value == keep  # the page shows the new graph
    assert not [o for o in at.selectbox(key="curate_other").options if o.startswith(f"{other_label} (")]
    build_from_inputs([SEED_FILE], curate_env)  # a full rebuild outside the app keeps the merge
    assert other_label in _entities(curate_env)[keep]["alt"]


def test_curate_reject_removes_the_entity(curate_env):
    at = _open("Curate")
    at.radio(key="curate_verb").set_value("reject").run()
    catalogue = _entities(curate_env)
    iri = max(catalogue, key=lambda i: (catalogue[i]["papers"], i))  # the entity of most papers
    label = catalogue[iri]["label"]
    assert any(o.startswith(f"{label} (") for o in at.selectbox(key="curate_reject_entity").options)
    at.selectbox(key="curate_reject_entity").select(iri).run()
    at.button(key="curate_go_reject").click().run()
    assert not at.exception and not at.error and at.success
    assert f"reject\t{catalogue[iri]['name']}\n" in curate_env.corrections_file.read_text(encoding="utf-8")
    assert iri not in _entities(curate_env)
    assert not [o for o in at.selectbox(key="curate_reject_entity").options if o.startswith(f"{label} (")]


def test_curate_errors_are_shown_and_nothing_is_written(app_env, tmp_path):
    corrections_file = tmp_path / "corrections.tsv"
    app_env.setenv("ABSTRACTA_CORRECTIONS", str(corrections_file))
    at = _open("Curate")
    at.radio(key="curate_verb").set_value("rename").run()
    at.text_input(key="curate_label").input("bad # label").run()
    at.button(key="curate_go_rename").click().run()
    assert not at.exception and len(at.error) == 1 and "cannot contain" in at.error[0].value
    assert not corrections_file.exists()
    at.radio(key="curate_verb").set_value("split").run()
    entity = at.selectbox(key="curate_split_entity").value
    assert at.selectbox(key="curate_split_form").options  # only entities with other surface forms are listed
    assert entity and not at.exception


def test_sparql_runs_an_example_with_downloads(app_env):
    at = _open("SPARQL")
    titles = at.selectbox(key="sparql_example").options
    assert len(titles) == len(EXAMPLES)
    at.selectbox(key="sparql_example").select("Entity counts by type").run()
    assert "abx:paperCount" in at.text_area(key="sparql_text").value
    at.button(key="sparql_run").click().run()
    assert not at.exception and not at.error
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["type", "entities", "paper_links"]
    assert set(frame["type"]) == {"Method", "Dataset", "Task", "Metric"}  # generic terms are no entities
    assert any("10 s per query" in c.value and "10,000 rows" in c.value for c in at.caption)
    assert any(f"{len(frame)} row(s)" in c.value for c in at.caption)
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
    from kg.graph.orchestrate import build_from_inputs
    from kg.store.generations import current_generation

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


def test_there_are_six_to_twelve_examples():
    assert 6 <= len(EXAMPLES) <= 12  # enough to learn from, few enough for one select box


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_returns_rows(seed_store, path: Path):
    text = path.read_text(encoding="utf-8")
    assert re.match(r"# title: \S", text), "first line must be '# title: ...'"
    result = execute(seed_store, text, 10_000)
    assert result.kind == "select" and len(result.rows) > 0


# ---------------------------------------------------------------- kg.read.queries


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
    improves = next(c for c in d.claims if c.kind == "result" and "14" in c.text)
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


def _median_link_confidence(g) -> float:
    """A threshold that keeps about half the links of a link graph (its confidences are calibrated, so spread)."""
    values = sorted(d["confidence"] for _, _, d in g.edges(data=True))
    return values[len(values) // 2]


def test_link_graph_and_confidence_threshold(seed_store):
    g = queries.link_graph(seed_store)
    plain = paper_entity_graph(seed_store)
    assert set(g.edges) == set(plain.edges) and set(g.nodes) == set(plain.nodes)
    assert all(0 < d["confidence"] <= 1 and d["evidence"] >= 1 and d["rules"] for _, _, d in g.edges(data=True))
    imagenet_1k = g.nodes[ENTITY + "imagenet-1-k"]
    assert imagenet_1k["variant_of"] == ("ImageNet",) and 0 < imagenet_1k["confidence"] <= 1
    assert "LLM" in g.nodes[ENTITY + "large-language-model"]["alt"]
    assert queries.at_confidence(g, 0.0) is g
    t = _median_link_confidence(g)
    high = queries.at_confidence(g, t)
    assert 0 < high.number_of_edges() < g.number_of_edges()
    assert all(d["confidence"] >= t for _, _, d in high.edges(data=True))
    assert all(high.degree(n) for n, d in high.nodes(data=True) if d["kind"] != "Paper")  # no isolated entities
    assert sum(1 for _, d in high.nodes(data=True) if d["kind"] == "Paper") == 60  # papers always stay
    assert all(d["papers"] == high.in_degree(n) <= d["papers_all"]
               for n, d in high.nodes(data=True) if d["kind"] != "Paper")
    assert g.nodes[IMAGENET].get("papers_all") is None  # the full graph was not touched


def test_top_entities_and_counts_at_a_threshold(seed_store):
    assert queries.top_entities(seed_store, "Dataset", 3) == queries.top_entities(
        queries.link_graph(seed_store), "Dataset", 3)
    t = _median_link_confidence(queries.link_graph(seed_store))
    low, high = (sum(e["papers"] for e in queries.top_entities(seed_store, "Task", 50, c)) for c in (0, t))
    assert high < low
    best = max(d["confidence"] for _, _, d in queries.link_graph(seed_store).edges(data=True))
    counts = [queries.confidence_counts(seed_store, c) for c in (0.0, t, best)]
    assert counts[0]["claims"] >= 100 and counts[0]["results"] >= 30
    assert counts[0]["evidence"] > counts[1]["evidence"] > counts[2]["evidence"] > 0
    assert counts[2]["claims"] < counts[0]["claims"]


def test_link_evidence_marks_the_span(seed_store, mrl_iri):
    link = (mrl_iri, ENTITY + "imagenet-1-k")
    (found,) = queries.link_evidence(seed_store, [link]).values()
    assert found and all(ev.sentence[ev.mark[0]:ev.mark[1]] == ev.surface for ev in found)
    assert all(ev.section == "abstract" and ev.rules and 0 < ev.confidence <= 1 for ev in found)
    assert queries.link_evidence(seed_store, [(mrl_iri, ENTITY + "no-such")]) == {(mrl_iri, ENTITY + "no-such"): []}
    with pytest.raises(StoreError):
        queries.link_evidence(seed_store, [("not an iri> {", IMAGENET)])


def test_paper_detail_at_a_threshold(seed_store, mrl_iri):
    full = queries.paper_detail(seed_store, mrl_iri)
    t = sorted(e["confidence"] for e in full.entities)[len(full.entities) // 2]  # about half the links stay
    part = queries.paper_detail(seed_store, mrl_iri, t)
    assert full.hidden == 0 and part.hidden > 0
    assert 0 < len(part.entities) < len(full.entities) and all(e["confidence"] >= t for e in part.entities)
    assert all(s.confidence >= t for s in part.spans) and all(c.confidence >= t for c in part.claims)
    assert part.hidden == (len(full.spans) + len(full.claims) + len(full.entities)
                           - len(part.spans) - len(part.claims) - len(part.entities))


def test_results_are_sorted_and_filtered(seed_store):
    rows = queries.results(seed_store)
    with_metric = [r for r in rows if r["metric"]]
    assert rows[: len(with_metric)] == with_metric  # rows without a metric last
    for a, b in zip(with_metric, with_metric[1:], strict=False):
        assert (a["metric"].casefold(), -a["value"]) <= (b["metric"].casefold(), -b["value"])
    noisy = queries.results(seed_store, dataset="ImageNet", metric="top-1 accuracy")
    assert [(r["method"], r["value"], r["condition"]) for r in noisy] == [
        ("NoisyQuant", 1.7, "ViT"), ("NoisyQuant", 1.1, "DeiT"), ("NoisyQuant", 0.5, "Swin Transformer")]
    assert all(r["baseline"] == "state of the art" for r in noisy)
    top = max(r["confidence"] for r in rows)
    assert len(queries.results(seed_store, top)) == sum(r["confidence"] >= top for r in rows) > 0
    assert queries.results(seed_store, min(1.0, top + 0.01)) == []
    facets = queries.result_facets(rows)
    assert "ImageNet" in facets["dataset"] and "top-1 accuracy" in facets["metric"]


def test_correction_names_normalise_to_the_entity_key():
    assert queries.correction_name("ImageNet-1K", (), "imagenet 1 k") == "ImageNet-1K"
    assert queries.correction_name("My Fancy Name", ("LLMs",), "large language model") == "large language model"
    assert queries.correction_name("My Fancy Name", ("Large Language Models",), "large language model") \
        == "Large Language Models"
    assert queries.correction_name("x", (), "") == "x"


def test_tooltips_and_evidence_table_escape_text():
    ev = queries.Evidence("p", "e", "uses", "abstract", 10, 15, "<b>X", "We use <b>X</b> & more.", (7, 11),
                          ("gazetteer",), 0.9, 0.95)
    assert marked(ev.sentence, ev.mark) == "We use <mark>&lt;b&gt;X</mark>&lt;/b&gt; &amp; more."
    assert marked("a" * 50 + "XY" + "b" * 50, (50, 52), window=5) == "…aaaaa<mark>XY</mark>bbbbb…"
    tip = link_tip("Paper <i>", "X<script>", {"predicate": "uses", "confidence": 0.95, "rules": ("gazetteer",)},
                   [ev] * 5)
    assert "<script>" not in tip and "Paper &lt;i&gt;" in tip and tip.count("<li>") == 3 and "2 more" in tip
    node = node_tip({"label": "A&B", "kind": "Method", "confidence": 0.5, "papers": 2, "papers_all": 3,
                     "alt": ("a<b",), "variant_of": ("Base",)})
    assert "A&amp;B" in node and "a&lt;b" in node and "variant of: Base" in node and "3 at any confidence" in node
    table_html = evidence_table([ev])
    assert "<mark>&lt;b&gt;X</mark>" in table_html and "10–15" in table_html and "0.90" in table_html


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


def test_paper_and_explore_pages_show_entity_relations_with_evidence(app_env, seed_store):
    noisyquant = next(p["iri"] for p in queries.papers(seed_store) if p["title"].startswith("NoisyQuant"))
    at = _open("Paper")
    at.selectbox(key="paper_iri").select(noisyquant).run()
    rel = next(f.value for f in at.dataframe if "sentence" in f.value.columns)
    row = rel[(rel["subject"] == "NoisyQuant") & (rel["predicate"] == "evaluatedOn")].iloc[0]
    assert row["object"] == "ImageNet" and 0 < row["confidence"] <= 1 and "NoisyQuant improves" in row["sentence"]
    _open("Explore", at)
    at.text_input(key="explore_q").input("NoisyQuant").run()
    rel = next(f.value for f in at.dataframe if "sentence" in f.value.columns)
    assert ((rel["subject"] == "NoisyQuant") & (rel["object"] == "ImageNet")).any() and not at.exception
