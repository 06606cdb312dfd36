"""Explore in the URL, links from Explore's and SPARQL's tables into the app, and the views' downloads (AppTest)."""

from __future__ import annotations

from app_pages._links import url
from tests.app._fixtures import ENTITY, IMAGENET, PAGES, iframes, open_at, open_page, table

EXPLORE = "app_pages/explore.py"
CONCEPTS = "app_pages/concepts.py"
LLM = ENTITY + "large-language-model"





def _param(at, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def _downloads(at) -> list[str]:
    """The labels of the download buttons on the page."""
    return sorted(b.label for b in at.get("download_button"))


def test_explore_opens_from_its_url(app_env):
    at = open_at(EXPLORE, centre=LLM, hops="1", kinds="Paper,Method")
    assert at.selectbox(key="explore_entity").value == LLM
    assert at.slider(key="explore_hops").value == 1
    assert at.multiselect(key="explore_kinds").value == ["Paper", "Method"]
    nodes = table(at, "hops")
    assert len(nodes) > 3 and set(nodes["type"]) == {"Paper"} and set(nodes["hops"]) == {1}
    assert nodes["page"].str.startswith("paper?iri=").all()
    links = table(at, "paper_page")
    assert links["paper_page"].str.startswith("paper?iri=https%3A%2F%2Fw3id.org%2Fabstracta%2Fpaper%2F").all()
    assert (links["entity_page"] == url("entity", iri=LLM)).all()
    assert len(iframes(at)) == 1 and not at.warning and not at.error


def test_explore_writes_its_view_into_the_url(app_env):
    at = open_page("Explore")
    at.text_input(key="explore_q").input("imagenet").run()
    assert _param(at, "centre") == IMAGENET and _param(at, "hops") == "2" and _param(at, "kinds") is None
    at.slider(key="explore_hops").set_value(3).run()
    at.multiselect(key="explore_kinds").set_value(["Paper", "Dataset"]).run()
    assert _param(at, "hops") == "3" and _param(at, "kinds") == "Paper,Dataset"
    nodes = table(at, "hops")
    entities = nodes[nodes["type"] == "Dataset"]
    assert len(entities) and entities["page"].str.startswith("entity?iri=").all()
    at.text_input(key="explore_q").input("LLM").run()  # a new search leaves the centre the URL gave
    assert "large-language-model" in _param(at, "centre") and not at.exception


def test_explore_with_bad_parameters(app_env):
    at = open_at(EXPLORE, centre=ENTITY + "no-such-thing", hops="9", kinds="Nothing")
    assert at.warning and "no-such-thing" in at.warning[0].value
    assert at.slider(key="explore_hops").value == 3 and len(at.multiselect(key="explore_kinds").value) == 6
    assert _param(at, "centre") == at.selectbox(key="explore_entity").value and not at.exception


def test_explore_and_concept_map_offer_their_downloads(app_env):
    at = open_at(EXPLORE, centre=IMAGENET)
    assert _downloads(at) == ["GraphML", "HTML", "JSON"]
    at = open_at(CONCEPTS, centre=ENTITY + "diffusion-model")
    assert _downloads(at) == ["GraphML", "HTML", "JSON"] and not at.exception


def test_sparql_results_link_papers_and_entities(app_env):
    at = open_page("SPARQL")
    at.text_area(key="sparql_text").input(
        "SELECT ?p ?e ?ev ?label WHERE { ?p abx:hasEvidence ?ev . ?ev rdf:object ?e . "
        "?e skos:prefLabel ?label } ORDER BY ?ev LIMIT 5").run()
    at.button(key="sparql_run").click().run()
    assert not at.exception and not at.error
    frame = table(at, "ev")
    assert list(frame.columns) == ["p", "p ↗", "e", "e ↗", "ev", "label"]  # evidence IRIs and labels stay text
    assert frame["p ↗"].str.startswith("paper?iri=https%3A%2F%2Fw3id.org%2Fabstracta%2Fpaper%2F").all()
    assert frame["e ↗"].str.startswith("entity?iri=https%3A%2F%2Fw3id.org%2Fabstracta%2Fentity%2F").all()
    at.text_area(key="sparql_text").input("SELECT ?x WHERE { VALUES ?x { <https://example.org/entity/a> 1 } }").run()
    at.button(key="sparql_run").click().run()
    assert list(table(at, "x").columns) == ["x"]


def test_page_registry_still_lists_explore():
    assert PAGES["Explore"] == EXPLORE
