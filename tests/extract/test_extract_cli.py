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


def test_python_m_extract_offers_the_runtime_verb_only(capsys):
    """Evaluation, training and the gazetteer are ``python -m extract.training`` verbs."""
    import pytest

    with pytest.raises(SystemExit) as e:
        main(["evaluate", "--format", "scierc", "dev.json"])
    assert e.value.code == 2 and "invalid choice: 'evaluate'" in capsys.readouterr().err


def test_the_training_cli_hands_relations_verbs_on(capsys):
    from extract.training.cli import main as training_main

    assert training_main(["relations", "--help"]) == 0
    assert "train SCHEME" in capsys.readouterr().out
