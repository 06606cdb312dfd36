"""Parsing both feeds (arXiv Atom, Hugging Face daily papers JSON) into build records.

Fixture formats and their sources: ``tests/fixtures/feeds/README.md``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kg.errors import HttpError, InputError
from kg.ingest.arxiv import fetch_arxiv, parse_arxiv_atom
from kg.ingest.hf_daily import parse_hf_daily
from kg.ingest.jsonl import WriteCounts, write_jsonl
from kg.ingest.readers import read_file
from kg.ingest.records import FeedError
from tests.kg.ingest._fakes import (
    ARXIV_ATOM,
    ARXIV_ERROR,
    FIXTURES,
    HF_JSON,
    FakeServer,
    FakeTime,
    client_for,
    http_error,
)

# ------------------------------------------------------------------ parsing arXiv


def test_arxiv_fixture_parses_into_build_records() -> None:
    page = parse_arxiv_atom(ARXIV_ATOM)
    assert page.entries == 3 and page.total == 3
    first, second, old = page.records
    assert first == {
        "id": "arXiv:2205.13147",  # version suffix dropped
        "title": "Matryoshka Representation Learning",  # line break folded
        "abstract": first["abstract"],
        "authors": ["Aditya Kusupati", "Gantavya Bhatt", "Aniket Rege"],
        "date": "2022-05-26",
        "year": 2022,
        "url": "https://arxiv.org/abs/2205.13147",
        "feed": "arxiv",
    }
    assert first["abstract"].startswith("Learned representations are") and "\n" not in first["abstract"]
    assert (second["id"], second["authors"], second["year"]) == ("arXiv:2106.09685", ["Edward J. Hu"], 2021)
    assert old["id"] == "arXiv:hep-th/9901001" and old["url"] == "https://arxiv.org/abs/hep-th/9901001"


def test_arxiv_records_round_trip_through_the_project_reader(tmp_path: Path) -> None:
    out = tmp_path / "arxiv.jsonl"
    write_jsonl(parse_arxiv_atom(ARXIV_ATOM).records, out)
    result = read_file(out)
    assert not result.skipped
    assert [p.identifier for p in result.papers] == ["arXiv:2205.13147", "arXiv:2106.09685", "arXiv:hep-th/9901001"]
    mrl = result.papers[0]
    assert mrl.title == "Matryoshka Representation Learning"
    assert mrl.authors == ("Aditya Kusupati", "Gantavya Bhatt", "Aniket Rege")
    assert (mrl.date, mrl.year, mrl.url) == ("2022-05-26", 2022, "https://arxiv.org/abs/2205.13147")


def test_arxiv_error_feed_raises_with_arxivs_message() -> None:
    with pytest.raises(FeedError, match=r"arXiv API error: incorrect id format for 1234\.12345; fix"):
        parse_arxiv_atom(ARXIV_ERROR)


def test_arxiv_error_feed_in_an_http_400_answer_is_quoted() -> None:
    time = FakeTime()
    server = FakeServer(http_error(400, body=ARXIV_ERROR), time=time)
    with pytest.raises(FeedError, match="incorrect id format for 1234.12345"):
        fetch_arxiv(ids=["2205.13147"], client=client_for(server, time))
    assert len(server.requests) == 1  # a 400 is not retried


def test_entry_without_abstract_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    xml = ('<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id>'
           "<title>No abstract here</title></entry></feed>")
    with caplog.at_level(logging.WARNING, logger="kg.ingest.arxiv"):
        page = parse_arxiv_atom(xml)
    assert page.records == [] and page.entries == 1
    assert "2401.00001" in caplog.text and "no abstract" in caplog.text


@pytest.mark.parametrize(("name", "message"), [
    pytest.param("malformed.atom", "malformed XML", id="truncated"),
    pytest.param("doctype.atom", "DOCTYPE/ENTITY declarations is refused", id="entities"),
])
def test_bad_arxiv_xml_is_refused(name: str, message: str) -> None:
    with pytest.raises(FeedError, match=message) as info:
        parse_arxiv_atom((FIXTURES / name).read_bytes())
    assert "\n" not in str(info.value)


def test_entities_hidden_by_utf16_are_refused_too() -> None:
    bomb = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE f [<!ENTITY a "aaaa">]><feed>&a;</feed>'
    with pytest.raises(FeedError, match=r"^export.arxiv.org: XML with NUL bytes \(UTF-16 or UTF-32\?\) is refused"):
        parse_arxiv_atom(bomb.encode("utf-16"))


def test_xml_that_is_not_an_atom_feed_is_refused() -> None:
    with pytest.raises(FeedError, match=r"root is <html>, not an Atom <feed>"):
        parse_arxiv_atom(b"<html><body>Rate exceeded.</body></html>")


def test_feed_errors_are_input_errors() -> None:
    assert issubclass(FeedError, InputError)  # the CLI reports them as one line, exit code 1
    assert issubclass(FeedError, HttpError)  # the one HTTP client raises them with status and body


# ------------------------------------------------------------------ parsing HF daily papers


def test_hf_fixture_parses_into_build_records() -> None:
    first, second, third = parse_hf_daily(HF_JSON)
    assert first == {
        "id": "arXiv:2205.13147",
        "title": "Matryoshka Representation Learning",
        "abstract": first["abstract"],
        "authors": ["Aditya Kusupati", "Gantavya Bhatt", "Aniket Rege"],
        "date": "2022-05-26",  # the paper's date, not the day it was listed (2024-02-09)
        "year": 2022,
        "url": "https://arxiv.org/abs/2205.13147",
        "feed": "hf-daily",
    }
    assert "\n" not in first["abstract"]
    assert second["authors"] == ["Edward J. Hu", "Yelong Shen"]
    # title and date only at the top level of the item
    assert (third["title"], third["date"]) == ("A Paper Listed Only With A Top-Level Title", "2024-02-02")


def test_hf_records_round_trip_through_the_project_reader(tmp_path: Path) -> None:
    out = tmp_path / "daily.jsonl"
    write_jsonl(parse_hf_daily(HF_JSON), out)
    result = read_file(out)
    assert not result.skipped
    assert [p.identifier for p in result.papers] == ["arXiv:2205.13147", "arXiv:2106.09685", "arXiv:2402.01234"]
    assert result.papers[1].authors == ("Edward J. Hu", "Yelong Shen")
    assert result.papers[2].year == 2024


def test_same_paper_from_both_feeds_has_the_same_key(tmp_path: Path) -> None:
    out = tmp_path / "both.jsonl"
    write_jsonl(parse_arxiv_atom(ARXIV_ATOM).records, out)
    assert write_jsonl(parse_hf_daily(HF_JSON), out) == WriteCounts(new=1, duplicate=2)


@pytest.mark.parametrize(("data", "message"), [
    pytest.param((FIXTURES / "malformed.json").read_bytes(), "malformed JSON", id="truncated"),
    pytest.param(b"\xff\xfe[]", "malformed JSON", id="not-utf8"),
    pytest.param(b'{"papers": []}', "a JSON dict, not the array of daily papers", id="object"),
    pytest.param(b'{"error": "Invalid date"}', "answered with an error: Invalid date", id="api-error"),
])
def test_bad_hf_json_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message) as info:
        parse_hf_daily(data)
    assert "\n" not in str(info.value)


def test_hf_items_without_paper_or_summary_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    data = json.dumps([{"title": "no paper object"}, {"paper": {"id": "2401.00002", "title": "No summary"}},
                       {"paper": {"id": "2401.00003", "title": "Kept", "summary": "An abstract."}}])
    with caplog.at_level(logging.WARNING, logger="kg.ingest.hf_daily"):
        records = parse_hf_daily(data)
    assert [r["id"] for r in records] == ["arXiv:2401.00003"]
    assert "item 1: no 'paper' object" in caplog.text and "2401.00002" in caplog.text
