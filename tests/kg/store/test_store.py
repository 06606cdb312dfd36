"""Store generations: atomic publish, failed builds leave the graph intact, locking."""

from __future__ import annotations

import fcntl

import pyoxigraph as ox
import pytest

from kg.errors import StoreError
from kg.store import generations as store


def _quads(n: int):
    for i in range(n):
        yield ox.Quad(ox.NamedNode(f"http://ex.org/s{i}"), ox.NamedNode("http://ex.org/p"),
                      ox.Literal(f"v{i}"), ox.DefaultGraph())


def _count(root) -> int:
    _, st = store.open_current(root)
    return sum(1 for _ in st.quads_for_pattern(None, None, None, ox.DefaultGraph()))


def test_empty_directory_has_no_graph(tmp_path):
    assert store.current_generation(tmp_path) is None
    with pytest.raises(StoreError, match="python -m kg build"):
        store.open_current(tmp_path)


def test_publish_then_replace(tmp_path):
    first = store.publish(tmp_path, _quads(3), {"papers": 3})
    assert _count(tmp_path) == 3
    assert first.summary()["triples"] == 3
    second = store.publish(tmp_path, _quads(5), {"papers": 5})
    assert store.current_generation(tmp_path) == second
    assert _count(tmp_path) == 5
    # the ontology is kept apart from the data, in its own named graph
    _, st = store.open_current(tmp_path)
    assert any(True for _ in st.quads_for_pattern(None, None, None, ox.NamedNode(store.ONTOLOGY_GRAPH)))


def test_failed_build_leaves_previous_graph(tmp_path):
    store.publish(tmp_path, _quads(4), {})

    def broken():
        yield from _quads(2)
        raise RuntimeError("extractor crashed mid-build")

    with pytest.raises(RuntimeError):
        store.publish(tmp_path, broken(), {})
    assert _count(tmp_path) == 4
    assert len(list(tmp_path.glob("gen-*"))) == 1  # the half-built generation was removed


def test_old_generations_are_removed_but_previous_is_kept(tmp_path):
    for n in (1, 2, 3):
        store.publish(tmp_path, _quads(n), {})
    assert len(list(tmp_path.glob("gen-*"))) == 2


def test_concurrent_build_is_refused(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="another build"):
            store.publish(tmp_path, _quads(1), {})


def test_dangling_current_pointer_is_a_clear_error(tmp_path):
    (tmp_path / "CURRENT").write_text("gen-missing\n")
    with pytest.raises(StoreError, match="rebuild"):
        store.open_current(tmp_path)


@pytest.mark.parametrize("text", ['{"papers": 3', "[1, 2]", "\udcff"])
def test_corrupt_summary_is_named_not_swallowed(tmp_path, text):
    gen = store.publish(tmp_path, _quads(2), {"papers": 2})
    (gen.path / "summary.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(StoreError, match=r"summary\.json .*python -m kg build"):
        gen.summary()
    # the graph itself is still readable
    assert _count(tmp_path) == 2
