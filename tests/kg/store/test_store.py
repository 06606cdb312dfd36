"""Store generations: atomic publish, failed builds leave the graph intact, locking."""

from __future__ import annotations

import fcntl

import pyoxigraph as ox
import pytest

from kg.errors import StoreError
from kg.store import generations as store


def _quads(n: int):
    """N-Quads text of ``n`` triples, one chunk each, as a build streams them."""
    for i in range(n):
        yield f'<http://ex.org/s{i}> <http://ex.org/p> "v{i}" .\n'.encode()


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


def test_the_stream_is_loaded_as_it_comes_with_named_graphs_kept_out_of_the_count(tmp_path):
    def chunks():
        yield from _quads(3)
        yield b'<http://ex.org/s0> <http://ex.org/p> "v0" .\n'  # a repeated triple is stored once
        yield b'<http://ex.org/b> <http://ex.org/p> "escaped \\" \\\\ \\n" <http://ex.org/g> .\n'

    gen = store.publish(tmp_path, chunks(), {})
    assert gen.summary()["triples"] == 3
    _, st = store.open_current(tmp_path)
    [named] = st.quads_for_pattern(None, None, None, ox.NamedNode("http://ex.org/g"))
    assert named.object.value == 'escaped " \\ \n'


@pytest.mark.parametrize("text", [b'<http://ex.org/s> <http://ex.org/p> "no end\n', b"<not an iri> <p> <o> .\n"])
def test_text_the_loader_rejects_is_a_store_error_and_the_graph_stays(tmp_path, text):
    store.publish(tmp_path, _quads(2), {})
    with pytest.raises(StoreError, match="rejected the generated N-Quads"):
        store.publish(tmp_path, iter([*_quads(5000), text, *_quads(5)]), {})
    assert _count(tmp_path) == 2
    assert len(list(tmp_path.glob("gen-*"))) == 1


def test_a_failure_before_anything_is_written_does_not_hang(tmp_path):
    def nothing():
        raise RuntimeError("no triples at all")
        yield b""

    with pytest.raises(RuntimeError, match="no triples"):
        store.publish(tmp_path, nothing(), {})
    assert store.current_generation(tmp_path) is None


def test_a_long_stream_is_loaded_in_segments(tmp_path):
    from kg.store.loader import bulk_load_stream

    st = ox.Store(str(tmp_path / "db"))
    bulk_load_stream(st, (f'<http://ex.org/s{i}> <http://ex.org/p> "{i}" .\n'.encode() for i in range(2500)),
                     segment_lines=100)
    assert len(st) == 2500

