"""Reading files and folders: whole-file problems, sniffing, duplicates, Unicode, and properties of any input."""

from __future__ import annotations

import json
import logging
import shutil
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import ConfigError, InputError
from kg.ingest import readers
from kg.ingest.readers import SUPPORTED_SUFFIXES, ReadResult, read_file, read_inputs
from kg.iri import paper_key
from kg.model import Paper, Skipped
from tests.kg.ingest._inputs import FIXTURES, LONG_ABSTRACT
from tests.kg.ingest._inputs import jsonl as _jsonl
from tests.kg.ingest._inputs import write as _write

# ------------------------------------------------------------------ whole-file problems


@pytest.mark.parametrize("content", [b"", b"  \n\n\t \r\n"])
def test_empty_file_is_an_input_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"empty\.jsonl is empty; expected"):
        read_file(path)


def test_binary_files_are_input_errors(tmp_path: Path) -> None:
    png = tmp_path / "image.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="NUL bytes"):
        read_file(png)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Caf\u00e9 paper\n\nabstract".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.txt is not UTF-8 text \(binary file\?\)"):
        read_file(latin1)


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_MAX_FILE_BYTES", 100)
    path = _jsonl(tmp_path / "big.jsonl", {"title": "T", "abstract": "A" * 200})
    with pytest.raises(InputError, match=r"big\.jsonl is 2\d\d bytes, over the 100 limit"):
        read_file(path)


def test_huge_abstract_is_skipped_with_length_and_limit(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "huge.jsonl", {"title": "Huge", "abstract": "a" * 1_048_576},
                  {"title": "Fine", "abstract": "short"})
    result = read_file(path)
    assert [p.title for p in result.papers] == ["Fine"]
    assert result.skipped == (Skipped("huge.jsonl", 1, "abstract is 1,048,576 characters, "
                                      "over the 20,000 limit; split or trim it"),)
    tight = read_file(path, max_abstract_chars=3)
    assert tight.papers == () and len(tight.skipped) == 2
    with pytest.raises(ConfigError):
        read_file(path, max_abstract_chars=0)


def test_directory_or_missing_path_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        read_file(tmp_path)
    with pytest.raises(InputError, match=r"nope\.jsonl does not exist"):
        read_file(tmp_path / "nope.jsonl")


def test_text_file_without_pairs_warns_and_yields_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(tmp_path / "notes.txt", "just a note\n\nanother short note\n")
    with caplog.at_level(logging.WARNING, logger="kg.ingest.readers"):
        result = read_file(path)
    # Without a single title/abstract pair everything counts as header boilerplate.
    assert result == ReadResult((), ())
    assert "notes.txt: no papers found in this .txt file" in caplog.text
    one_block = read_file(_write(tmp_path / "block.txt", "line one\nline two\n"))
    assert one_block.papers == ()


# ------------------------------------------------------------------ sniffing


def test_sniffing_files_without_a_known_suffix(tmp_path: Path) -> None:
    (paper,) = read_file(FIXTURES / "papers_noext").papers
    assert paper.title == "Sniffed Without a Suffix" and paper.source == "papers_noext"
    csv_paper = read_file(_write(tmp_path / "export", "Title,Abstract\nT,Some abstract\n"))
    assert [p.title for p in csv_paper.papers] == ["T"]
    shutil.copy(FIXTURES / "arxiv.atom", tmp_path / "feed.dat")
    atom = read_file(tmp_path / "feed.dat")
    assert [p.identifier for p in atom.papers] == ["arXiv:2205.13147", "arXiv:hep-th/9901001"]
    text = read_file(_write(tmp_path / "dump", f"Title\n\n{LONG_ABSTRACT}"))
    assert [p.title for p in text.papers] == ["Title"]


def test_unrecognised_content_in_an_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"notes\.md: format not recognised"):
        read_file(_write(tmp_path / "notes.md", "# Notes\n\nnothing to see\n"))
    with pytest.raises(InputError, match=r"JSON array; write one object per line"):
        read_file(_write(tmp_path / "papers.json", '[{"title": "T", "abstract": "A"}]'))


# ------------------------------------------------------------------ read_inputs


def test_duplicates_across_inputs_keep_the_first() -> None:
    result = read_inputs([FIXTURES / "papers.jsonl", FIXTURES / "arxiv.atom"])
    keys = [p.key for p in result.papers]
    assert len(keys) == len(set(keys)) == 4
    mrl = next(p for p in result.papers if p.key == "id:arxiv:2205.13147")
    assert mrl.source == "papers.jsonl"
    dup = [s for s in result.skipped if s.source == "arxiv.atom"]
    assert dup == [Skipped("arxiv.atom", 6, "duplicate of papers.jsonl:1")]


def test_duplicates_within_one_file(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "d.jsonl", {"title": "Same  Title", "abstract": "a"},
                  {"title": "same title", "abstract": "b"})
    result = read_file(path)
    assert [p.abstract for p in result.papers] == ["a"]
    assert result.skipped == (Skipped("d.jsonl", 2, "duplicate of d.jsonl:1"),)


def test_directory_reads_supported_top_level_files_only(tmp_path: Path) -> None:
    for name in ("papers.jsonl", "arxiv.atom", "papers.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    _write(tmp_path / "README.md", "# not papers\n")
    _write(tmp_path / "notes.json", "[1, 2]")
    (tmp_path / "patterns").mkdir()
    _jsonl(tmp_path / "patterns" / "nested.jsonl", {"title": "Nested", "abstract": "x"})
    _jsonl(tmp_path / ".hidden.jsonl", {"title": "Hidden", "abstract": "x"})
    result = read_inputs([tmp_path])
    assert [p.source for p in result.papers] == [
        "arxiv.atom", "arxiv.atom", "papers.csv", "papers.csv", "papers.jsonl", "papers.jsonl",
    ]
    titles = {p.title for p in result.papers}
    assert "Nested" not in titles and "Hidden" not in titles
    # Sorted by name, so the Atom copy of the duplicate comes first this time.
    assert Skipped("papers.jsonl", 1, "duplicate of arxiv.atom:6") in result.skipped
    # A file named both directly and through its directory is read once.
    again = read_inputs([tmp_path, tmp_path / "arxiv.atom"])
    assert again == result
    # A single path (not a list) is accepted too.
    assert read_inputs(str(tmp_path)) == result


def test_missing_path_and_no_papers_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does-not-exist.txt"):
        read_inputs([FIXTURES / "papers.jsonl", tmp_path / "does-not-exist.txt"])
    _write(tmp_path / "README.md", "# nothing here\n")
    with pytest.raises(InputError, match=r"no papers found in .*no supported files.*expected"):
        read_inputs([tmp_path])
    bad = _jsonl(tmp_path / "bad.jsonl", {"title": "T"})
    with pytest.raises(InputError, match=r"no papers found in .*bad\.jsonl \(skipped bad\.jsonl:1: .*abstract"):
        read_inputs([bad])
    with pytest.raises(InputError, match="no papers found"):
        read_inputs([])


# ------------------------------------------------------------------ Unicode


def test_weird_unicode_survives_cleaning(tmp_path: Path) -> None:
    title = "Cafe\u0301\u200b Net\x07works\u00a0for\tSearch"  # combining accent, ZWSP, BEL
    abstract = ("\u05e9\u05dc\u05d5\u05dd \u200f\u0645\u0631\u062d\u0628\u0627\u200e "  # RTL
                "\U0001f468\u200d\U0001f4bb uses a ZWJ;\r\nline\x0bbreaks\x00and\x1bescapes.")
    result = read_file(_jsonl(tmp_path / "u.jsonl", {"title": title, "abstract": abstract}))
    (paper,) = result.papers
    assert paper.title == "Caf\u00e9 Networks for Search"
    assert unicodedata.is_normalized("NFC", paper.title)
    assert paper.abstract == ("\u05e9\u05dc\u05d5\u05dd \u200f\u0645\u0631\u062d\u0628\u0627"
                              "\u200e \U0001f468\u200d\U0001f4bb uses a ZWJ; line breaks"
                              "andescapes.")
    assert paper.key == "title:caf\u00e9 networks for search"


# ------------------------------------------------------------------ properties


def _oracle(text: str) -> str:
    """What cleaning promises: printable characters only, single spaces, NFC."""
    kept = "".join(c for c in text if c not in "\u200b\ufeff\ufffe\uffff"
                   and (c.isspace() or unicodedata.category(c) != "Cc"))
    return unicodedata.normalize("NFC", " ".join(kept.split()))


_non_blank = st.text(max_size=300).filter(lambda s: s.strip())
# tmp_path is shared by all examples of one test; each example overwrites its file.
_PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_PROPERTY
@given(title=_non_blank, abstract=_non_blank, ascii_only=st.booleans())
def test_jsonl_round_trip_gives_cleaned_strings(
    tmp_path: Path, title: str, abstract: str, ascii_only: bool
) -> None:
    path = tmp_path / "prop.jsonl"
    record = json.dumps({"title": title, "abstract": abstract}, ensure_ascii=ascii_only)
    path.write_text(record + "\n", encoding="utf-8")
    try:
        result = read_file(path)
    except InputError:
        return  # the only exception allowed
    want_title, want_abstract = _oracle(title), _oracle(abstract)
    if want_title and want_abstract:
        (paper,) = result.papers
        assert isinstance(paper, Paper)
        assert (paper.title, paper.abstract) == (want_title, want_abstract)
        assert paper.key == paper_key(want_title)
        assert (paper.source, paper.line) == ("prop.jsonl", 1)
    else:
        assert result.papers == ()
        assert result.skipped[0].reason.startswith("empty")


@_PROPERTY
@given(content=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)),
       suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES) + ["", ".dat"]))
def test_arbitrary_content_raises_only_input_error(
    tmp_path: Path, content: bytes, suffix: str
) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    try:
        result = read_file(path)
    except InputError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert all(p.title and p.abstract and p.source == path.name for p in result.papers)


def test_gzip_inputs_are_read_by_their_inner_suffix(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"title": "Zipped", "abstract": "An abstract that was compressed."}\n'))
    (paper,) = read_inputs([tmp_path]).papers
    assert (paper.title, paper.source) == ("Zipped", "papers.jsonl.gz")
    (tmp_path / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="broken.jsonl.gz is not a readable gzip file"):
        read_file(tmp_path / "broken.jsonl.gz")
