"""A build written as changes to the published graph (kg.graph.delta) gives the graph a full build gives."""

from __future__ import annotations

import dataclasses

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.config import Settings
from kg.errors import StoreError
from kg.graph import delta, phase
from kg.graph.build import build_store
from kg.ingest.readers import read_file
from kg.read import snapshot
from kg.store.generations import current_generation, fork_generation, open_current
from tests.conftest import SEED_FILE

pytestmark = pytest.mark.slow


def _default_graph(store_dir) -> Graph:
    _, st = open_current(store_dir)
    return Graph().parse(data=st.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()), format="nt")


def _took_delta(summary) -> bool:
    assert summary.as_changes == any(step.name.startswith("signatures: ") for step in summary.steps)
    return summary.as_changes


@pytest.fixture(scope="module")
def rounds(extractor):
    """Three rounds of input: 40 seed papers; 30 more with one of the first changed; 12, to prune to."""
    seeds = read_file(SEED_FILE).papers
    changed = dataclasses.replace(seeds[3], abstract=seeds[3].abstract + " We also evaluate BERT on SQuAD.")
    return [seeds[:40], [changed, *seeds[30:60]], seeds[48:60]]


def _builds(store_dir, rounds, extractor, *, full: bool) -> list:
    """Build the rounds one after another (the last one pruning); ``full`` removes the delta's state first."""
    settings, out = Settings(store_dir=store_dir), []
    for n, papers in enumerate(rounds):
        if full and n:
            (current_generation(store_dir).path / delta.STATE_FILE).unlink()
        out.append(build_store(papers, extractor.extract_many, settings, version=extractor.version,
                               prune=n == len(rounds) - 1))
    return out


def _snapshot(store_dir) -> tuple:
    path = snapshot.find(current_generation(store_dir).path)
    graph = snapshot.load_graph(path)
    return (sorted(graph.nodes(data=True)), sorted(graph.edges(data=True)), snapshot.papers(path),
            snapshot.results(path), snapshot.statements(path), snapshot.search(path, "transformer"))


def test_changes_give_the_graph_a_full_build_gives(tmp_path, rounds, extractor, monkeypatch):
    whole = _builds(tmp_path / "full", rounds, extractor, full=True)
    monkeypatch.setattr(phase, "FORK_MIN_PAPERS", 0)  # and the delta's snapshots are written by a child process
    changed = _builds(tmp_path / "delta", rounds, extractor, full=False)
    assert [_took_delta(s) for s in changed] == [False, True, True]
    assert not any(_took_delta(s) for s in whole)
    assert changed[1].changes["changed"] == 1 and changed[2].changes["removed"] == 48
    for a, b in zip(changed, whole, strict=True):
        assert (a.papers, a.triples, a.entities) == (b.papers, b.triples, b.entities)
    assert isomorphic(_default_graph(tmp_path / "delta"), _default_graph(tmp_path / "full"))
    assert _snapshot(tmp_path / "delta") == _snapshot(tmp_path / "full")
    assert any(s.name.endswith("(a child process)") for s in changed[1].steps)
    assert not any(s.name.endswith("(a child process)") for s in whole[1].steps)
    # the second round rewrote the changed paper and the new ones, not the 10 it kept unchanged
    step = next(s.name for s in changed[1].steps if s.name.startswith("signatures: "))
    assert step.startswith("signatures: the blocks of ") and int(step.split()[4]) < 31


def test_a_graph_changed_by_an_update_is_written_in_full(tmp_path, rounds, extractor):
    settings = Settings(store_dir=tmp_path / "s")
    build_store(rounds[0], extractor.extract_many, settings, version=extractor.version)
    with fork_generation(settings.store_dir) as gen:
        st = ox.Store(str(gen.db_path))
        st.update("INSERT DATA { <https://example.org/a> <https://example.org/b> 'added by hand' }")
        del st
    assert not (current_generation(settings.store_dir).path / delta.STATE_FILE).exists()  # not copied by the update
    again = build_store(rounds[1], extractor.extract_many, settings, version=extractor.version)
    assert not _took_delta(again)
    _, st = open_current(settings.store_dir)
    assert not list(st.quads_for_pattern(ox.NamedNode("https://example.org/a"), None, None))


def test_deleting_shared_lines_reads_every_literal_as_written(tmp_path):
    from rdflib import Literal, URIRef

    from kg.store.quads import encode

    s = URIRef("https://example.org/s")
    odd = ['say "hi"', "back\\slash", "two\nlines", "tab\there", "é ✓ 😀", "\r", "{ } DELETE DATA", ""]
    text = b"".join(encode([(s, URIRef(f"https://example.org/p{i}"), Literal(v)) for i, v in enumerate(odd)]))
    st = ox.Store(str(tmp_path / "db"))
    st.load(text, format=ox.RdfFormat.N_QUADS)
    assert len(st) == len(odd)
    delta.delete_lines(st, [line for line in text.split(b"\n") if line])
    assert len(st) == 0


def test_shared_text_is_compared_line_by_line(tmp_path):
    previous, out = tmp_path / "old.nq", tmp_path / "new.nq"
    previous.write_bytes(b"<a> <b> <c> .\n<a> <b> <d> .\n<a> <b> <d> .\n")  # a line may repeat
    diff = delta.diff_shared(previous, [b"<a> <b> <d> .\n<a> <b> <e> .\n", b"<a> <b> <e> .\n"], out)
    assert diff.removed == [b"<a> <b> <c> ."] and diff.lines == 3
    assert set(diff.added) == {b"<a> <b> <e> ."}
    assert out.read_bytes() == b"<a> <b> <d> .\n<a> <b> <e> .\n<a> <b> <e> .\n"


def test_work_in_a_child_process_reports_its_failure(tmp_path):
    out = tmp_path / "written"
    phase.in_child(lambda: out.write_text("by the child"), "writing a file")
    assert out.read_text() == "by the child"

    def fail() -> None:
        raise ValueError("no room on the disk")

    with pytest.raises(StoreError, match=r"writing the snapshot failed: ValueError: no room on the disk"):
        phase.in_child(fail, "writing the snapshot")


def test_a_damaged_state_means_a_full_build(tmp_path, caplog):
    folder = tmp_path / "gen"
    folder.mkdir()
    assert delta.read_state(folder) is None  # a generation without state (an update's, an older build's)
    (folder / delta.STATE_FILE).write_bytes(b"not a database")
    (folder / delta.SHARED_FILE).write_bytes(b"")
    assert delta.read_state(folder) is None and "is unreadable" in caplog.text
    delta.write_state(folder / delta.STATE_FILE, "gen-1", "writer", {"paper-a": "sig"})
    state = delta.read_state(folder)
    assert state is not None and state.blocks == {"paper-a": "sig"}
    assert delta.usable(state, "gen-1", "writer")
    assert not delta.usable(state, "gen-2", "writer")  # published since by something else
    assert not delta.usable(state, "gen-1", "changed writer")
    assert not delta.usable(None, "gen-1", "writer")


def test_shared_text_against_an_empty_previous_text(tmp_path):
    previous, out = tmp_path / "old.nq", tmp_path / "new.nq"
    previous.write_bytes(b"")
    diff = delta.diff_shared(previous, [b"<a> <b> <c> .\n"], out)
    assert (diff.added, diff.removed, diff.lines) == ([b"<a> <b> <c> ."], [], 1)


def test_every_few_builds_written_as_changes_compact_the_database(tmp_path, rounds, extractor, monkeypatch):
    monkeypatch.setattr(delta, "COMPACT_AFTER", 2)
    settings, uncompacted, compacted = Settings(store_dir=tmp_path / "s"), [], []
    for papers in (rounds[0], rounds[0][:30], rounds[1], rounds[2]):
        summary = build_store(papers, extractor.extract_many, settings, version=extractor.version)
        uncompacted.append(delta.read_state(current_generation(settings.store_dir).path).uncompacted)
        compacted.append(any(s.name.startswith("database compacted") for s in summary.steps))
    assert uncompacted == [0, 1, 0, 1] and compacted == [False, False, True, False]


def test_a_build_failing_halfway_through_its_changes_leaves_the_published_graph(tmp_path, rounds, extractor,
                                                                                 monkeypatch):
    settings = Settings(store_dir=tmp_path / "s")
    build_store(rounds[0], extractor.extract_many, settings, version=extractor.version)
    published, before = current_generation(settings.store_dir), _default_graph(settings.store_dir)
    real = delta.delete_lines

    def delete_then_fail(db, lines):
        real(db, lines)  # the copy has lost triples when the build fails
        raise OSError("No space left on device")

    monkeypatch.setattr(delta, "delete_lines", delete_then_fail)
    with pytest.raises(StoreError, match="No space left on device"):
        build_store(rounds[1], extractor.extract_many, settings, version=extractor.version)
    assert current_generation(settings.store_dir) == published
    assert isomorphic(_default_graph(settings.store_dir), before)  # the checkpoint's deletions stayed in the copy
    assert [p.name for p in (tmp_path / "s").glob("gen-*")] == [published.name]
    assert [p.name for p in (tmp_path / "s").glob(".*-*")] == []  # no cache, snapshot, state or shared text left
    monkeypatch.setattr(delta, "delete_lines", real)
    assert build_store(rounds[1], extractor.extract_many, settings, version=extractor.version).as_changes
