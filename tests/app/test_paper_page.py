"""The Paper page's address (``?iri=``, ``?claim=``), metadata and entity links, under Streamlit's AppTest."""

from __future__ import annotations

import pytest

from kg.config import Settings
from kg.graph.orchestrate import build_from_inputs
from kg.read.paper import paper_detail, papers
from kg.store.generations import open_current
from tests.app._fixtures import MRL_TITLE, PAGES, app_test, open_page, table, use_store
from tests.conftest import TESTS_DIR

INPUTS = TESTS_DIR / "fixtures" / "inputs"



@pytest.fixture(scope="module")
def meta_settings(tmp_path_factory) -> Settings:
    """A store of the input fixtures, whose papers have authors, dates, identifiers and URLs."""
    settings = Settings(store_dir=tmp_path_factory.mktemp("paper-meta") / "store")
    build_from_inputs([INPUTS / "papers.jsonl", INPUTS / "papers.csv", INPUTS / "arxiv.atom"], settings)
    return settings


def _iri(settings: Settings, title: str, prefix: bool = False) -> str:
    _, store = open_current(settings.store_dir)
    return next(p["iri"] for p in papers(store) if (p["title"].startswith(title) if prefix else p["title"] == title))


def _param(at, name: str) -> str | None:
    """A query parameter of the app's URL after a run (AppTest gives a string or a list of them)."""
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def _open_at(params: dict[str, str]):
    at = app_test().run()
    at.query_params.update(params)
    at.switch_page(PAGES["Paper"]).run()
    assert not at.exception, at.exception
    return at


def test_the_url_selects_the_paper_and_follows_the_selector(app_env, seed_settings):
    mrl = _iri(seed_settings, MRL_TITLE)
    at = _open_at({"iri": mrl})
    assert at.selectbox(key="paper_iri").value == mrl
    assert _param(at, "iri") == mrl
    other = _iri(seed_settings, "NoisyQuant", prefix=True)
    at.selectbox(key="paper_iri").select(other).run()
    assert _param(at, "iri") == other and not at.exception


def test_a_url_paper_past_the_list_cap_is_still_selected(app_env, seed_settings):
    app_env.setenv("ABSTRACTA_LIST_CAP", "5")
    _, store = open_current(seed_settings.store_dir)
    last = papers(store)[-1]["iri"]
    at = _open_at({"iri": last})
    assert at.selectbox(key="paper_iri").value == last


def test_the_claim_in_the_url_comes_first_and_marked(app_env, seed_settings):
    mrl = _iri(seed_settings, MRL_TITLE)
    _, store = open_current(seed_settings.store_dir)
    claims = paper_detail(store, mrl).claims
    assert len(claims) >= 2
    linked = claims[-1]
    at = _open_at({"iri": mrl, "claim": linked.iri})
    body = next(h.proto.body for h in at.get("html") if h.proto.body.startswith("<ul>"))
    assert body.startswith('<ul><li id="abx-linked-claim"') and linked.text.split()[0] in body[:400]
    assert "linked claim" in body and body.count("abx-linked-claim") == 1
    abstract = next(h.proto.body for h in at.get("html") if "Learned representations" in h.proto.body)
    start = abstract.index('class="abx-linked-claim"')  # the sentence is underlaid in the abstract too
    assert linked.text.split()[0] in abstract[start:start + 300]
    assert _param(at, "claim") == linked.iri
    other = _iri(seed_settings, "NoisyQuant", prefix=True)
    at.selectbox(key="paper_iri").select(other).run()
    assert _param(at, "claim") is None  # the claim belongs to the paper left behind


def test_entities_link_to_the_entity_page(app_env, seed_settings):
    at = _open_at({"iri": _iri(seed_settings, MRL_TITLE)})
    entities = table(at, "mentions")
    assert list(entities.columns[:2]) == ["label", "page"]
    assert not any("abx-linked-claim" in h.proto.body for h in at.get("html"))  # no claim in the URL: none marked
    assert all(u.startswith("entity?iri=https%3A%2F%2F") for u in entities["page"])


def test_metadata_and_reading_links(monkeypatch, meta_settings):
    use_store(monkeypatch, meta_settings.store_dir)
    at = _open_at({"iri": _iri(meta_settings, "Matryoshka Representation Learning")})
    assert any("Aditya Kusupati" in m.value and "2022-05-26" in m.value and "arXiv:2205.13147" in m.value
               for m in at.markdown)
    urls = [b.proto.url for b in at.get("link_button")]
    assert urls[:2] == ["https://arxiv.org/abs/2205.13147", "https://arxiv.org/pdf/2205.13147"]
    at.selectbox(key="paper_iri").select(_iri(meta_settings, "Denoising Diffusion Probabilistic Models")).run()
    assert [b.proto.url for b in at.get("link_button")] == ["https://arxiv.org/abs/2006.11239"]
    assert any("Jonathan Ho" in m.value and "2020" in m.value for m in at.markdown)


def test_seed_papers_have_no_metadata_line(app_env):
    at = open_page("Paper")
    assert not at.exception and not at.error
