"""Local parallel extraction: the same records as one process, in the same order, and a clear error when a
worker dies. Chunks are made tiny so that a few seed papers run through the process pool."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys

import pytest

from kg.config import PROJECT_ROOT, SEEDS_DIR
from kg.errors import ExtractionError
from kg.graph import codec, orchestrate
from kg.ingest.readers import read_file
from kg.model import Paper
from tests.conftest import SEED_FILE


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Chunks of 2 to 4 papers (chunking happens in the parent, so the patch holds), and a pool from 8 papers."""
    monkeypatch.setattr(orchestrate, "_CHUNK", 4)
    monkeypatch.setattr(orchestrate, "_MIN_CHUNK", 2)


def _papers(n: int) -> list[Paper]:
    seeds = read_file(SEED_FILE).papers
    return [dataclasses.replace(p, key=f"{p.key}-{i}", title=f"{p.title} ({i})")
            for i, p in enumerate(seeds[j % len(seeds)] for j in range(n))]


def test_chunks_keep_the_order_and_shrink_towards_the_end():
    papers = _papers(3000)
    chunks = orchestrate._chunks(papers, 2)
    assert [p for c in chunks for p in c] == papers
    sizes = [len(c) for c in chunks]
    assert sizes[0] == orchestrate._CHUNK and sizes == sorted(sizes, reverse=True)
    assert sizes[-2] == orchestrate._MIN_CHUNK  # the last ones are small, so the workers finish together


def test_codec_records_are_dataclasses_asdict(extractor):
    for ex in extractor.extract_many(read_file(SEED_FILE).papers):
        record = codec.to_dict(ex)
        assert record == dataclasses.asdict(ex)
        assert json.dumps(record, ensure_ascii=False) == json.dumps(dataclasses.asdict(ex), ensure_ascii=False)
        assert codec.from_dict(record) == ex


def test_two_workers_give_the_same_records_in_the_same_order_as_one(tiny_chunks, extractor):
    papers = _papers(10)
    parallel = list(orchestrate._extract_many(SEEDS_DIR, 2)(papers))
    assert parallel == list(extractor.extract_many(papers))
    assert [ex.paper for ex in parallel] == papers


def test_a_dead_worker_is_a_clear_extraction_error(tiny_chunks):
    run = orchestrate._extract_many(SEEDS_DIR, 2)(_papers(200))
    next(run)  # the pool is up; most chunks are still to run
    victim = next(p for p in mp.active_children() if p.name.startswith("SpawnProcess"))
    os.kill(victim.pid, signal.SIGKILL)
    with pytest.raises(ExtractionError, match=r"an extraction worker process died .*retry with --workers 1"):
        list(run)


def test_a_worker_loads_the_pipeline_without_the_store_or_the_read_model():
    """A spawned worker imports this module to find its functions: it must not pull in the build's stack."""
    code = ("import sys, kg.graph.orchestrate; "
            "print(sorted(m for m in ('numpy', 'scipy', 'pyoxigraph', 'kg.graph.build') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == "[]"
