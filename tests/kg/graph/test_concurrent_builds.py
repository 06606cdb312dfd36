"""Builds on one store, one at a time: a second build waits (--wait) or is refused in one line, and
never publishes over the first one's papers; a killed build's leftovers are cleaned; input problems
are reported once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from kg.config import PROJECT_ROOT
from kg.ingest.readers import read_file
from kg.store import generations as kg_store
from tests.conftest import SEED_FILE

ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
KG = [sys.executable, "-m", "kg"]


def _papers(path, first: int, n: int) -> None:
    seeds = read_file(SEED_FILE).papers
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(first, first + n):
            p = seeds[i % len(seeds)]
            fh.write(json.dumps({"title": f"{p.title} (copy {i})", "abstract": p.abstract}) + "\n")


def _papers_in(store) -> int:
    out = subprocess.run([*KG, "stats", "--store", str(store), "--json"], env=ENV, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["papers"]


def test_a_second_build_is_refused_in_one_clear_line(tmp_path):
    a = tmp_path / "a.jsonl"
    _papers(a, 0, 3)
    store = tmp_path / "store"
    with kg_store.build_lock(store):
        out = subprocess.run([*KG, "build", str(a), "--store", str(store)], env=ENV, capture_output=True,
                             text=True, timeout=300)
    assert out.returncode != 0
    lines = [ln for ln in out.stderr.splitlines() if "another build" in ln]
    assert len(lines) == 1 and f"pid {os.getpid()}" in lines[0] and "--wait" in lines[0]
    assert kg_store.current_generation(store) is None


@pytest.mark.slow
def test_two_builds_at_once_keep_both_sets_of_papers(tmp_path):
    """The issue's case: builds started seconds apart; with --wait the second queues behind the first."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _papers(a, 0, 40)
    _papers(b, 100, 12)
    store = tmp_path / "store"
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:  # both builds start while a third holder has the store, as they would behind a build
        with kg_store.build_lock(store):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    procs = [subprocess.Popen([*KG, "build", str(p), "--store", str(store), "--wait", "300"], env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in (a, b)]
    time.sleep(3)
    release.set()
    holder.join()
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    assert _papers_in(store) == 52


def test_a_killed_builds_cache_is_removed_by_the_next_build(tmp_path):
    a = tmp_path / "a.jsonl"
    _papers(a, 0, 2)
    store = tmp_path / "store"
    store.mkdir()
    stale = store / ".cache-4194301.sqlite"
    stale.write_bytes(b"left by a killed build")
    out = subprocess.run([*KG, "build", str(a), "--store", str(store)], env=ENV, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert not stale.exists() and list(store.glob(".cache-*")) == []


def test_each_skipped_record_is_reported_once(tmp_path):
    a = tmp_path / "a.jsonl"
    _papers(a, 0, 2)
    with open(a, "a", encoding="utf-8") as fh:
        fh.write('{"title": "cut short", "abstract": "no end\n')
    out = subprocess.run([*KG, "build", str(a), "--store", str(tmp_path / "store")], env=ENV, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (out.stdout + out.stderr).count("a.jsonl:3") == 1


def test_a_csv_field_over_the_csv_limit_skips_that_record_only(tmp_path):
    path = tmp_path / "papers.csv"
    huge = "word " * 40_000  # 200,000 characters, over csv's default field limit of 131,072
    path.write_text(f'title,abstract\nA fine paper,"We propose a method."\nA huge one,"{huge}"\n'
                    f'Another paper,"We study a task."\n', encoding="utf-8")
    read = read_file(path)
    assert [p.title for p in read.papers] == ["A fine paper", "Another paper"]
    assert len(read.skipped) == 1 and read.skipped[0].line == 3 and "abstract" in read.skipped[0].reason
