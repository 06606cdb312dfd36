"""The dashboard's pages that act, under Streamlit's AppTest: Curate, SPARQL (and its example queries), Export.

Curation tests rebuild a private copy of the seed graph, never the shared one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.config import Settings
from kg.graph.orchestrate import build_from_inputs
from kg.query.examples import load_examples
from kg.query.runner import execute
from kg.read.curation import entity_catalogue
from kg.read.projection import paper_entity_graph
from kg.store.generations import open_current
from tests.app._fixtures import QUERIES_DIR, open_page, use_store
from tests.conftest import SEED_FILE

EXAMPLES = sorted(QUERIES_DIR.glob("*.rq"))



@pytest.fixture
def curate_env(monkeypatch, tmp_path) -> Settings:
    """A private store built from the seed papers, and a corrections file of its own."""
    settings = Settings(store_dir=tmp_path / "store", corrections_path=tmp_path / "corrections.tsv")
    build_from_inputs([SEED_FILE], settings)
    use_store(monkeypatch, settings.store_dir, ABSTRACTA_CORRECTIONS=str(settings.corrections_file))
    return settings


def _entities(settings: Settings) -> dict[str, dict]:
    """The seed graph's entities by IRI, as the Curate page lists them."""
    _, store = open_current(settings.store_dir)
    return {e["iri"]: e for e in entity_catalogue(paper_entity_graph(store))}


# --------------------------------------------------------------------- curate


def test_curate_merge_survives_a_rebuild(curate_env):
    at = open_page("Curate")
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
    at = open_page("Curate")
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
    at = open_page("Curate")
    at.radio(key="curate_verb").set_value("rename").run()
    at.text_input(key="curate_label").input("bad # label").run()
    at.button(key="curate_go_rename").click().run()
    assert not at.exception and len(at.error) == 1 and "cannot contain" in at.error[0].value
    assert not corrections_file.exists()
    at.radio(key="curate_verb").set_value("split").run()
    entity = at.selectbox(key="curate_split_entity").value
    assert at.selectbox(key="curate_split_form").options  # only entities with other surface forms are listed
    assert entity and not at.exception


# --------------------------------------------------------------------- SPARQL


def test_sparql_runs_an_example_with_downloads(app_env):
    at = open_page("SPARQL")
    titles = at.selectbox(key="sparql_example").options
    assert len(titles) == len(EXAMPLES)
    at.selectbox(key="sparql_example").select("Entity counts by type").run()
    assert "abx:Tally" in at.text_area(key="sparql_text").value
    at.button(key="sparql_run").click().run()
    assert not at.exception and not at.error
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["type", "entities", "papers"]
    assert set(frame["type"]) == {"Method", "Dataset", "Task", "Metric"}  # generic terms are no entities
    assert any("10 s per query" in c.value and "10,000 rows" in c.value for c in at.caption)
    assert any(f"{len(frame)} row(s)" in c.value for c in at.caption)
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSON"]


def test_sparql_errors_are_inline(app_env):
    at = open_page("SPARQL")
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
    at = open_page("SPARQL")
    assert any("0.5 s per query" in c.value for c in at.caption)
    at.text_area(key="sparql_text").input("ASK { ?s ?p ?o }").run()
    at.button(key="sparql_run").click().run()  # starts the worker, so the next query gets no start-up grace
    at.text_area(key="sparql_text").input("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }").run()
    at.button(key="sparql_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "longer than 0.5 s" in at.error[0].value


def test_sparql_reports_truncation(app_env):
    app_env.setenv("ABSTRACTA_MAX_ROWS", "5")
    at = open_page("SPARQL")
    at.text_area(key="sparql_text").input("SELECT ?p WHERE { ?p a abx:Paper }").run()
    at.button(key="sparql_run").click().run()
    assert len(at.dataframe[0].value) == 5
    assert at.warning and "truncated" in at.warning[0].value
    assert any("5 rows" in c.value for c in at.caption)


# --------------------------------------------------------------------- export


def test_export_offers_a_download(app_env):
    at = open_page("Export")
    assert not at.get("download_button")
    at.selectbox(key="export_fmt").select("ntriples").run()
    at.button(key="export_go").click().run()
    assert not at.exception and not at.error
    (button,) = at.get("download_button")
    assert "abstracta.nt" in button.label and "bytes" in button.label


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


def test_curate_undo_restores_the_entity_and_clears_the_gone_one(curate_env):
    at = open_page("Curate")
    assert "curate_undo" not in [b.key for b in at.button]  # no corrections yet: nothing to undo
    at.radio(key="curate_verb").set_value("reject").run()
    catalogue = _entities(curate_env)
    iri = max(catalogue, key=lambda i: (catalogue[i]["papers"], i))
    name, label = catalogue[iri]["name"], catalogue[iri]["label"]
    at.selectbox(key="curate_reject_entity").select(iri).run()
    at.button(key="curate_go_reject").click().run()
    assert not at.exception and not at.error and at.success
    box = at.selectbox(key="curate_reject_entity")
    assert box.value != iri and not [o for o in box.options if o.startswith(f"{label} (")]
    undo = at.button(key="curate_undo")
    assert f"reject {name}" in undo.label
    undo.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success and f"Undid reject “{name}”" in at.success[0].value
    assert str(curate_env.corrections_file) in at.success[0].value
    assert f"reject\t{name}" not in curate_env.corrections_file.read_text(encoding="utf-8")
    assert iri in _entities(curate_env)  # the rebuilt graph has it again, and so does the selector
    assert [o for o in at.selectbox(key="curate_reject_entity").options if o.startswith(f"{label} (")]
    assert not [b for b in at.button if b.key == "curate_undo"]  # nothing left to undo
