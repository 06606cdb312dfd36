"""CLI verbs: exit codes, messages, and bad inputs that never touch the stored graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kg.cli import main
from kg.config import PROJECT_ROOT
from kg.store.generations import current_generation

GOOD = {"title": "Matryoshka Representation Learning",
        "abstract": "Our main contribution is Matryoshka Representation Learning (MRL) which encodes "
                    "information at different granularities. MRL improves accuracy by up to 2% on ImageNet."}


@pytest.fixture()
def built(tmp_path):
    """A store with a one-paper graph built from JSONL."""
    src = tmp_path / "one.jsonl"
    src.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    store = tmp_path / "store"
    assert main(["build", str(src), "--store", str(store)]) == 0
    return store


def _bad_inputs(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "truncated.jsonl").write_text('{"title": "A", "abstract": "trunc')
    (tmp_path / "noabstract.csv").write_text("title,year\nA paper,2024\n")
    (tmp_path / "huge.jsonl").write_text(json.dumps({"title": "Huge", "abstract": "word " * 210_000}) + "\n")
    return ["empty.jsonl", "binary.txt", "truncated.jsonl", "noabstract.csv", "huge.jsonl"]


def test_bad_inputs_fail_clearly_and_leave_the_store_alone(built, tmp_path, capsys):
    before = current_generation(built)
    for name in _bad_inputs(tmp_path):
        capsys.readouterr()
        code = main(["build", str(tmp_path / name), "--store", str(built)])
        err = capsys.readouterr().err
        assert code == 1, name
        assert err.startswith("error: ") and name in err, (name, err)
        assert err.count("\n") == 1, err  # one line
        assert current_generation(built) == before


def test_huge_abstract_is_reported_with_its_size(tmp_path, capsys):
    _bad_inputs(tmp_path)
    main(["build", str(tmp_path / "huge.jsonl"), "--store", str(tmp_path / "s")])
    assert "abstract is 1,049,999 characters, over the 20,000 limit" in capsys.readouterr().err


def test_query_formats(built, capsys):
    assert main(["query", "--store", str(built), "--format", "json",
                 "SELECT ?l WHERE { ?e skos:altLabel ?l }"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [b["l"]["value"] for b in data["results"]["bindings"]] == ["MRL"]
    assert main(["query", "--store", str(built), "--format", "csv", "ASK { ?s ?p ?o }"]) == 0
    assert capsys.readouterr().out == "boolean\r\ntrue\r\n"  # CSV lines end in CRLF (SPARQL 1.1 CSV, RFC 4180)


def test_query_from_file_and_errors(built, tmp_path, capsys):
    q = tmp_path / "q.rq"
    q.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?p a abx:Paper }")
    assert main(["query", "--store", str(built), "--file", str(q)]) == 0
    assert "1 row(s)" in capsys.readouterr().out
    assert main(["query", "--store", str(built), "SELECT WHERE {"]) == 1
    assert "syntax error" in capsys.readouterr().err
    assert main(["query", "--store", str(built), "--file", str(tmp_path / "nope.rq")]) == 1
    assert "nope.rq" in capsys.readouterr().err


def test_stats_and_missing_store(built, tmp_path, capsys):
    assert main(["stats", "--store", str(built), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["papers"] == 1 and stats["entities"]["Dataset"] >= 1  # ImageNet
    assert main(["stats", "--store", str(tmp_path / "nothing")]) == 1
    assert "python -m kg build" in capsys.readouterr().err


def test_wrong_arguments_exit_2():
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "xls", "--out", "x"])
    assert exc.value.code == 2


def test_real_process_exit_codes(built, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    ok = subprocess.run([sys.executable, "-m", "kg", "stats", "--store", str(built)],
                        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert ok.returncode == 0 and "papers: 1" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "kg", "query", "--store", str(built), "DELETE WHERE {?s ?p ?o}"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert bad.returncode == 1 and "read-only" in bad.stderr and "Traceback" not in bad.stderr


def test_a_second_build_writes_the_changes_unless_told_full(built, tmp_path, capsys):
    src = tmp_path / "two.jsonl"
    src.write_text(json.dumps({"title": "Another paper", "abstract": "We evaluate BERT on SQuAD."}) + "\n",
                   encoding="utf-8")
    capsys.readouterr()
    assert main(["build", str(src), "--store", str(built)]) == 0
    assert "graph: only the changes written" in capsys.readouterr().out
    assert main(["build", str(src), "--store", str(built), "--full"]) == 0
    out = capsys.readouterr().out
    assert "graph: written in full" in out and "papers: 2" in out
