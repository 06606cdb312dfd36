"""The input formats one by one: the daily-papers text dump, JSON Lines, CSV and Atom."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.ingest.readers import ReadResult, read_file
from kg.iri import paper_key
from kg.model import Skipped
from tests.kg.ingest._inputs import FIXTURES, SEEDS_FILE
from tests.kg.ingest._inputs import write as _write

# ------------------------------------------------------------------ daily-papers text


def test_seeds_file_yields_all_60_papers() -> None:
    result = read_file(SEEDS_FILE)
    assert isinstance(result, ReadResult)
    assert len(result.papers) == 60
    assert result.skipped == ()
    first, last = result.papers[0], result.papers[-1]
    assert first.title.startswith("Stationary Representations: Optimally Approximating")
    assert first.line == 11
    assert first.abstract.startswith("Learning compatible representations enables")
    assert last.title == (
        "Revisiting the Parameter Efficiency of Adapters from the Perspective of "
        "Precision Redundancy"
    )
    # The file has no trailing newline: the last abstract must still be read whole.
    assert not SEEDS_FILE.read_bytes().endswith(b"\n")
    assert last.abstract.endswith("Code: https://github.com/JieShibo/PETL-ViT")
    assert {p.source for p in result.papers} == {SEEDS_FILE.name}
    assert len({p.key for p in result.papers}) == 60
    assert all(p.key == paper_key(p.title) and p.identifier is None for p in result.papers)
    assert not any("trending" in p.title or p.title == "Subscribe" for p in result.papers)


def test_seeds_file_line_endings_do_not_matter(tmp_path: Path) -> None:
    original = read_file(SEEDS_FILE)
    text = SEEDS_FILE.read_text(encoding="utf-8")
    crlf = read_file(_write(tmp_path / "crlf.txt", text.replace("\n", "\r\n") + "\r\n\r\n"))
    assert [(p.title, p.abstract, p.line) for p in crlf.papers] == [
        (p.title, p.abstract, p.line) for p in original.papers
    ]


def test_daily_text_skips_stray_blocks_with_reasons() -> None:
    result = read_file(FIXTURES / "daily.txt")
    assert [(p.title, p.line) for p in result.papers] == [
        ("Sparse Mixture of Experts at Scale", 9),
        ("Retrieval-Augmented Generation for Knowledge-Intensive Tasks", 15),
    ]
    assert [(s.line, s.reason.split(":")[0]) for s in result.skipped] == [
        (13, "title with no abstract after it"),
        (19, "text after 'Short Abstract Paper' is too short for an abstract"),
        (23, "title with no abstract after it"),
    ]
    assert "Trailing Title Without Abstract" in result.skipped[-1].reason


def test_daily_text_joins_wrapped_abstract_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "wrapped.txt", "A Title\n\nfirst half of the abstract\n"
                  "second   half of it, long enough now to count as an abstract for sure, "
                  "with plenty of words in it overall.")
    (paper,) = read_file(path).papers
    assert paper.abstract.startswith("first half of the abstract second half of it,")
    assert "\n" not in paper.abstract and "  " not in paper.abstract


# ------------------------------------------------------------------ JSON Lines


def test_jsonl_reads_good_lines_and_skips_bad_ones(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="kg.ingest"):
        result = read_file(FIXTURES / "papers.jsonl")
    mrl, attention, resnet = result.papers
    assert mrl.title == "Matryoshka Representation Learning"  # whitespace collapsed
    assert mrl.identifier == "arXiv:2205.13147"  # arXiv URL with version -> canonical id
    assert mrl.key == "id:arxiv:2205.13147"
    assert (mrl.date, mrl.year, mrl.line) == ("2022-05-26", 2022, 1)
    assert mrl.authors == ("Aditya Kusupati", "Gantavya Bhatt", "Aniket Rege")
    assert mrl.url == "https://arxiv.org/abs/2205.13147"
    assert (attention.line, attention.year, attention.date) == (3, 2017, None)
    assert attention.authors == ("Ashish Vaswani", "Noam Shazeer")
    # Case-insensitive names, 'summary' alias, year from the date when 'year' is junk,
    # "Last, First; ..." authors, and a url that is not one dropped.
    assert resnet.title == "Deep Residual Learning for Image Recognition"
    assert resnet.abstract == "Deeper neural networks are more difficult to train."
    assert (resnet.date, resnet.year, resnet.url) == ("2015-12-10", 2015, None)
    assert resnet.authors == ("He, Kaiming", "Zhang, Xiangyu")
    reasons = {s.line: s.reason for s in result.skipped}
    assert set(reasons) == {4, 5, 6}
    assert reasons[4] == "truncated JSON (Unterminated string starting at column 43)"
    assert reasons[5] == "missing 'abstract'"
    assert "not an object" in reasons[6]
    assert all(s.source == "papers.jsonl" for s in result.skipped)
    assert "papers.jsonl:4: skipped: truncated JSON" in caplog.text
    assert "papers.jsonl:5: skipped: missing 'abstract'" in caplog.text


def test_jsonl_truncated_object_and_wrong_types(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.jsonl", '{"title": "T", "abstract": "A"\n'
                  '{"title": 3, "abstract": "A"}\n{"title": "T", "abstract": "   "}\n'
                  '{"title": "T", "abstract": "A", "year": "1e9", "date": "2021-13-45",'
                  ' "authors": 7, "id": true}\n')
    result = read_file(path)
    assert [s.reason for s in result.skipped] == [
        "truncated JSON (Expecting ',' delimiter at column 31)",
        "'title' is int, not text",
        "empty abstract",
    ]
    (paper,) = result.papers
    assert (paper.date, paper.year, paper.authors, paper.identifier) == (None, 2021, (), None)


# ------------------------------------------------------------------ CSV


def test_csv_reads_rows_with_multiline_fields() -> None:
    result = read_file(FIXTURES / "papers.csv")
    ddpm, gpt3 = result.papers
    assert ddpm.authors == ("Jonathan Ho", "Ajay Jain", "Pieter Abbeel")
    assert (ddpm.year, ddpm.url, ddpm.line) == (2020, "https://arxiv.org/abs/2006.11239", 2)
    assert gpt3.line == 3
    assert gpt3.abstract == (
        "Recent work has demonstrated substantial gains on many NLP tasks. Here we show "
        "that scaling up language models greatly improves few-shot performance."
    )
    # The multi-line record occupies lines 3-4, so the next row starts on line 5.
    assert result.skipped == (Skipped("papers.csv", 5, "empty abstract"),)


def test_csv_with_bom_upper_case_header_and_summary_alias() -> None:
    (paper,) = read_file(FIXTURES / "summary_bom.csv").papers
    assert paper.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert paper.abstract.startswith("We propose Low-Rank Adaptation")
    assert paper.identifier == "arXiv:2106.09685"
    assert (paper.date, paper.year) == ("2021-06-17", 2021)


def test_csv_without_abstract_column_is_an_input_error() -> None:
    with pytest.raises(InputError) as err:
        read_file(FIXTURES / "no_abstract.csv")
    message = str(err.value)
    assert "no_abstract.csv" in message
    assert "CSV has no 'abstract' column (found: title, authors, venue)" in message
    assert "\n" not in message


def test_csv_with_runaway_quote_is_an_input_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.csv", 'title,abstract\nT,"' + "x" * 200_000 + "\n")
    with pytest.raises(InputError, match=r"q\.csv: malformed CSV .*quot"):
        read_file(path)


# ------------------------------------------------------------------ Atom


def test_atom_feed_parses_identifier_date_authors() -> None:
    mrl, old = read_file(FIXTURES / "arxiv.atom").papers
    assert mrl.identifier == "arXiv:2205.13147"
    assert mrl.key == "id:arxiv:2205.13147"
    assert (mrl.date, mrl.year) == ("2022-05-26", 2022)
    assert mrl.title == "Matryoshka Representation Learning"
    assert mrl.abstract.startswith("Learned representations are a central component")
    assert mrl.authors == ("Aditya Kusupati", "Gantavya Bhatt")
    assert mrl.url == "http://arxiv.org/abs/2205.13147v3"
    assert (mrl.source, mrl.line) == ("arxiv.atom", 6)
    assert (old.identifier, old.year, old.line) == ("arXiv:hep-th/9901001", 1999, 25)
    assert old.url == "http://arxiv.org/abs/hep-th/9901001v1"


def test_malformed_xml_is_a_one_line_input_error() -> None:
    with pytest.raises(InputError) as err:
        read_file(FIXTURES / "malformed.xml")
    assert "malformed.xml: malformed XML (" in str(err.value)
    assert "line 6" in str(err.value)
    assert "\n" not in str(err.value)


def test_xml_entity_declarations_are_refused(tmp_path: Path) -> None:
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<feed>&lol2;</feed>\n')
    with pytest.raises(InputError, match="DOCTYPE/ENTITY"):
        read_file(_write(tmp_path / "bomb.xml", bomb))


def test_xml_that_is_not_atom_and_arxiv_error_entries(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"root is <rss>, not an Atom <feed>"):
        read_file(_write(tmp_path / "rss.xml", "<rss><channel/></rss>"))
    error_feed = ('<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
                  "<id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>"
                  "<title>Error</title><summary>incorrect id format for 1234</summary>"
                  "</entry></feed>")
    result = read_file(_write(tmp_path / "err.atom", error_feed))
    assert result.papers == ()
    assert result.skipped[0].reason == "arXiv API error: incorrect id format for 1234"
