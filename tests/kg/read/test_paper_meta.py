"""The paper view's metadata (authors, date, identifier, links) read back from a store built from the input fixtures."""

from __future__ import annotations

import json

import pytest

from kg.config import Settings
from kg.graph.orchestrate import build_from_inputs
from kg.read.paper import paper_detail, paper_links, papers
from kg.store.generations import open_current
from tests.conftest import TESTS_DIR

INPUTS = TESTS_DIR / "fixtures" / "inputs"


@pytest.fixture(scope="module")
def meta_store(tmp_path_factory):
    """A store of the JSONL, CSV and Atom fixtures, plus one paper with a DOI."""
    tmp = tmp_path_factory.mktemp("meta")
    doi = tmp / "doi.jsonl"
    doi.write_text(json.dumps({"id": "doi:10.1000/abc.42", "title": "A Paper With a DOI",
                               "abstract": "We propose FooNet for image classification on ImageNet.",
                               "year": 2019, "authors": ["Zed Last", "Ann First"]}) + "\n", encoding="utf-8")
    settings = Settings(store_dir=tmp / "store")
    build_from_inputs([INPUTS / "papers.jsonl", INPUTS / "papers.csv", INPUTS / "arxiv.atom", doi], settings)
    _, store = open_current(settings.store_dir)
    return store


def _detail(store, title: str):
    iri = next(p["iri"] for p in papers(store) if p["title"] == title)
    return paper_detail(store, iri)


def test_arxiv_paper_has_authors_date_and_arxiv_links(meta_store):
    d = _detail(meta_store, "Matryoshka Representation Learning")
    assert d.identifier == "arXiv:2205.13147" and d.date == "2022-05-26" and d.year == 2022
    assert {"Aditya Kusupati", "Gantavya Bhatt"} <= set(d.authors)
    assert d.links[:2] == (("arXiv abstract", "https://arxiv.org/abs/2205.13147"),
                           ("PDF", "https://arxiv.org/pdf/2205.13147"))
    assert d.source


def test_csv_paper_has_year_and_url_only(meta_store):
    d = _detail(meta_store, "Denoising Diffusion Probabilistic Models")
    assert d.year == 2020 and d.identifier == "" and d.date == ""
    assert set(d.authors) >= {"Jonathan Ho"}
    assert d.links == (("Paper", "https://arxiv.org/abs/2006.11239"),)


def test_doi_becomes_a_doi_link(meta_store):
    d = _detail(meta_store, "A Paper With a DOI")
    assert d.year == 2019 and d.authors == ("Ann First", "Zed Last")
    assert d.links == (("DOI", "https://doi.org/10.1000/abc.42"),)


def test_paper_without_metadata_has_empty_fields(meta_store):
    d = _detail(meta_store, "Attention Is All You Need")
    assert d.year == 2017 and d.url == "" and d.links == ()


def test_claims_carry_their_iri(meta_store):
    for p in papers(meta_store):
        for c in paper_detail(meta_store, p["iri"]).claims:
            assert c.iri.startswith(p["iri"] + "/claim/")


@pytest.mark.parametrize("identifier,url,expected", [
    ("", "", ()),
    ("arXiv:hep-th/9901001", "", (("arXiv abstract", "https://arxiv.org/abs/hep-th/9901001"),
                                  ("PDF", "https://arxiv.org/pdf/hep-th/9901001"))),
    ("https://doi.org/10.1145/3292500.3330701", "https://example.org/x",
     (("DOI", "https://doi.org/10.1145/3292500.3330701"), ("Paper", "https://example.org/x"))),
    ("ISBN 123", "", ()),
])
def test_paper_links(identifier, url, expected):
    assert paper_links(identifier, url) == expected
