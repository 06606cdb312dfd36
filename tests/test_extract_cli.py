"""``python -m extract run`` prints one JSON object per paper."""

from __future__ import annotations

import json

from extract.cli import main
from tests.conftest import TESTS_DIR


def test_run_prints_json_lines(capsys):
    assert main(["run", str(TESTS_DIR / "fixtures" / "inputs" / "papers.jsonl")]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert records and all(r["extractor"] == "abstracta" for r in records)
    assert {"paper", "mentions", "claims", "code_links", "abbreviations"} <= set(records[0])
    assert "skipped papers.jsonl:" in err


def test_missing_input_is_one_line_error(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "none.jsonl" in err
