"""Extraction on a Dask cluster (``build --scheduler``) gives the graph a local build gives.

One ``distributed.LocalCluster`` with two worker processes serves the module (one without
workers checks the no-workers error).
"""

from __future__ import annotations

import logging
import socket

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.cli import main
from kg.config import SEEDS_DIR, Settings
from kg.errors import ExtractionError
from kg.export.files import export
from kg.graph.orchestrate import _dask_extract_many, build_from_inputs
from kg.model import Paper
from kg.store.generations import current_generation, open_current
from tests.conftest import SEED_FILE


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    # ":0": the scheduler's HTTP server on any free port, not 8787, which another cluster may hold
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _default_graph(store_dir, out) -> Graph:
    """The default graph (not the builds graph, whose timestamps differ between builds)."""
    _, st = open_current(store_dir)
    return Graph().parse(export(st, "ntriples", out), format="nt")


def _counts(summary: dict) -> dict:
    return {k: summary[k] for k in ("papers", "entities", "claims", "code_links", "triples", "changes")}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # about 11 s on 2 cores: a local build, then the same on two worker processes
def test_cluster_build_gives_the_local_graph_and_then_re_extracts_nothing(scheduler, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kg.graph.orchestrate")
    local = build_from_inputs([SEED_FILE], Settings(store_dir=tmp_path / "local"))
    store = tmp_path / "cluster"
    assert main(["build", str(SEED_FILE), "--store", str(store), "--scheduler", scheduler,
                 "--partition-size", "8"]) == 0
    assert "60 papers on tcp://127.0.0.1" in caplog.text and "8 partitions of up to 8 papers" in caplog.text
    assert _counts(current_generation(store).summary()) == _counts(local.as_dict())
    assert isomorphic(_default_graph(local.store, tmp_path / "local.nt"), _default_graph(store, tmp_path / "c.nt"))

    again = build_from_inputs([SEED_FILE], Settings(store_dir=store), scheduler=scheduler, partition_size=8)
    assert again.changes["extracted"] == 0 and again.changes["unchanged"] == 60
    assert again.triples == local.triples


def test_a_failing_task_names_its_partition_and_the_workers_error(scheduler):
    from extract.extractor import extractor_version

    papers = [Paper("p1", "A title", "An abstract."), Paper("p2", "Another title", None)]  # type: ignore[arg-type]
    run = _dask_extract_many(SEEDS_DIR, scheduler, extractor_version(SEEDS_DIR), 1, None)
    with pytest.raises(ExtractionError, match=r"^partition 2 of 2 \(papers 2-2, first 'p2'\) failed on the Dask "
                                              r"cluster: \w+Error: .*; the worker's log has the traceback$"):
        list(run(papers))


def test_a_scheduler_without_workers_fails_after_the_timeout():
    from distributed import LocalCluster


    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        run = _dask_extract_many(SEEDS_DIR, empty.scheduler_address, "v", None, 1.0)
        with pytest.raises(ExtractionError, match=r"has no workers after 1 s; start some: `PYTHONPATH=.* dask worker "):
            list(run([Paper("p1", "A title", "An abstract.")]))


def test_unreachable_scheduler_and_bad_arguments_fail_in_one_line(tmp_path, capsys):
    import dask

    address = f"tcp://127.0.0.1:{_closed_port()}"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert main(["build", str(SEED_FILE), "--store", str(tmp_path / "s"), "--scheduler", address]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: cannot reach the Dask scheduler at " + address)
    assert main(["build", str(SEED_FILE), "--store", str(tmp_path / "s"), "--scheduler", address,
                 "--workers", "2"]) == 1
    assert "exclude each other" in capsys.readouterr().err
    assert main(["build", str(SEED_FILE), "--store", str(tmp_path / "s"), "--scheduler", "localhost"]) == 1
    assert "invalid scheduler address 'localhost'" in capsys.readouterr().err
    assert current_generation(tmp_path / "s") is None
