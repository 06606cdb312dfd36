"""The dashboard (app.py and its pages in app_pages/) under Streamlit's AppTest.

Every page is driven headless against the seed graph; no browser is needed.
Curation tests rebuild a private copy of the seed graph, never the shared one.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kg.config import DEFAULT_MIN_CONFIDENCE, Settings
from kg.graph.orchestrate import build_from_inputs
from kg.query.examples import load_examples
from kg.query.runner import execute
from kg.read.curation import entity_catalogue
from kg.read.leaderboard import RESULT_COLUMNS
from kg.read.paper import papers
from kg.read.projection import paper_entity_graph
from kg.store.generations import open_current
from tests._app_fixtures import (
    APP,
    IMAGENET,
    MRL_CODE,
    MRL_TITLE,
    PAGES,
    QUERIES_DIR,
    STORE_ENV,
    element_types,
    iframes,
    median_link_confidence,
    table,
)
from tests.conftest import SEED_FILE

EXAMPLES = sorted(QUERIES_DIR.glob("*.rq"))
SEED_INPUTS = Path(__file__).parent / "fixtures" / "inputs"
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
    """Run the app (unless ``at`` already ran) and switch to the page titled ``page``."""
    at = at or _app().run()
    assert not at.exception, at.exception
    at.switch_page(PAGES[page]).run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def _entities(settings: Settings) -> dict[str, dict]:
    """The seed graph's entities by IRI, as the Curate page lists them."""
    _, store = open_current(settings.store_dir)
    return {e["iri"]: e for e in entity_catalogue(paper_entity_graph(store))}


@pytest.fixture(scope="module")
def mrl_iri(seed_store) -> str:
    return next(p["iri"] for p in papers(seed_store) if p["title"] == MRL_TITLE)


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
    at.switch_page(PAGES["SPARQL"]).run()
    at.text_area(key="sparql_text").input("ASK { ?s ?p ?o }").run()
    at.switch_page(PAGES["Explore"]).run()
    assert at.text_input(key="explore_q").value == "ImageNet" and at.slider(key="explore_hops").value == 1
    assert at.selectbox(key="explore_entity").value == IMAGENET
    at.switch_page(PAGES["SPARQL"]).run()
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
    t = math.floor(100 * median_link_confidence(paper_entity_graph(seed_store))) / 100
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
    assert list(board.columns) == list(RESULT_COLUMNS)
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


def test_examples_are_loaded_once_for_app_and_endpoint(tmp_path):
    loaded = load_examples(QUERIES_DIR)
    assert [text for _, text in loaded] == [p.read_text(encoding="utf-8") for p in EXAMPLES]
    assert loaded[6][0] == "Entity counts by type"  # the title comes from the '# title:' line
    (tmp_path / "b.rq").write_text("SELECT * WHERE { ?s ?p ?o }  # title: not on a comment line\n", encoding="utf-8")
    (tmp_path / "a.rq").write_text("", encoding="utf-8")
    assert [title for title, _ in load_examples(tmp_path)] == ["a", "b"]  # no title line: the file's stem
    assert load_examples(None) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_query_returns_rows(seed_store, path: Path):
    text = path.read_text(encoding="utf-8")
    assert re.match(r"# title: \S", text), "first line must be '# title: ...'"
    result = execute(seed_store, text, 10_000)
    assert result.kind == "select" and len(result.rows) > 0


def test_paper_and_explore_pages_show_entity_relations_with_evidence(app_env, seed_store):
    noisyquant = next(p["iri"] for p in papers(seed_store) if p["title"].startswith("NoisyQuant"))
    at = _open("Paper")
    at.selectbox(key="paper_iri").select(noisyquant).run()
    rel = next(f.value for f in at.dataframe if "sentence" in f.value.columns)
    row = rel[(rel["subject"] == "NoisyQuant") & (rel["predicate"] == "evaluatedOn")].iloc[0]
    assert row["object"] == "ImageNet" and 0 < row["confidence"] <= 1 and "NoisyQuant improves" in row["sentence"]
    _open("Explore", at)
    at.text_input(key="explore_q").input("NoisyQuant").run()
    rel = next(f.value for f in at.dataframe if "sentence" in f.value.columns)
    assert ((rel["subject"] == "NoisyQuant") & (rel["object"] == "ImageNet")).any() and not at.exception
