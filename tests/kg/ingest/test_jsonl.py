"""Writing fetched records as JSON Lines: deduplicated, appended, atomic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.ingest import jsonl
from kg.ingest.jsonl import WriteCounts, write_jsonl
from kg.ingest.records import FeedError

# ------------------------------------------------------------------ writing JSON Lines


def test_write_jsonl_deduplicates_within_the_batch_and_against_the_file(tmp_path: Path) -> None:
    out = tmp_path / "papers.jsonl"
    out.write_text('{"id": "arXiv:2205.13147v1", "title": "Old copy", "abstract": "A."}\nnot json\n', encoding="utf-8")
    records = [
        {"id": "arXiv:2205.13147", "title": "Matryoshka", "abstract": "B."},  # in the file (other version)
        {"id": "2401.00001", "title": "New", "abstract": "C."},
        {"id": "arXiv:2401.00001", "title": "New again", "abstract": "C."},  # same id, other spelling
        {"title": "No  Id", "abstract": "D."},
        {"title": "no id", "abstract": "D."},  # same normalised title
    ]
    assert write_jsonl(records, out) == WriteCounts(new=2, duplicate=3)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ['{"id": "arXiv:2205.13147v1", "title": "Old copy", "abstract": "A."}', "not json"]
    assert [json.loads(line)["title"] for line in lines[2:]] == ["New", "No  Id"]


def test_write_jsonl_appends_to_a_file_without_final_newline(tmp_path: Path) -> None:
    out = tmp_path / "papers.jsonl"
    out.write_text('{"title": "First", "abstract": "A."}', encoding="utf-8")
    write_jsonl([{"title": "Second", "abstract": "B."}], out)
    assert [json.loads(line)["title"] for line in out.read_text(encoding="utf-8").splitlines()] == ["First", "Second"]


def test_write_jsonl_keeps_unicode_readable(tmp_path: Path) -> None:
    out = tmp_path / "papers.jsonl"
    write_jsonl([{"title": "Über-Netze für Éléments", "abstract": "ß."}], out)
    assert "Über-Netze für Éléments" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("existing", [pytest.param(None, id="new-file"), pytest.param("old\n", id="existing-file")])
def test_write_jsonl_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: str | None) -> None:
    out = tmp_path / "papers.jsonl"
    if existing is not None:
        out.write_text(existing, encoding="utf-8")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jsonl.os, "fsync", disk_full)
    with pytest.raises(FeedError, match=r"cannot write .*papers\.jsonl: No space left on device; check"):
        write_jsonl([{"title": "T", "abstract": "A"}], out)
    assert (out.read_text(encoding="utf-8") if out.exists() else None) == existing
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if existing is None else ["papers.jsonl"])


def test_write_jsonl_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match=r"folder '.*missing' does not exist; create it"):
        write_jsonl([{"title": "T", "abstract": "A"}], tmp_path / "missing" / "papers.jsonl")


def test_write_jsonl_refuses_to_overwrite_a_binary_file(tmp_path: Path) -> None:
    out = tmp_path / "papers.jsonl"
    out.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(FeedError, match="is not UTF-8 JSON Lines"):
        write_jsonl([{"title": "T", "abstract": "A"}], out)
    assert out.read_bytes() == b"\xff\xfe\x00binary"
