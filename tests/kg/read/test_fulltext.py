"""Full-text search (kg.read.fulltext, kg.read.search.search_all) over the seed graph's snapshot."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import StoreError
from kg.read import fulltext, snapshot
from kg.read.fulltext import MARK_END, MARK_START, fts_query, snippet_html, snippet_text
from kg.read.paper import papers
from kg.read.projection import paper_entity_graph
from kg.read.search import search_all
from kg.store.generations import open_current_generation
from tests.app._fixtures import IMAGENET, MRL_TITLE

HOSTILE = ['"', "*", "NEAR(", "OR", "AND", "NOT", '"a" OR', "a*b", "(x", "^y", "col:x", "-", "'", ":", "{a b}",
           "NEAR(a b, 3)", "\x00", "\\", "%_", "é", "🙂", "a" * 5000, " ".join(["w"] * 200)]


@pytest.fixture(scope="module")
def snap(seed_settings):
    found = snapshot.find(open_current_generation(seed_settings.store_dir).path)
    assert found is not None and fulltext.available(found)
    return found


@pytest.fixture(scope="module")
def old_snap(snap, tmp_path_factory):
    """A snapshot as builds wrote them before the full-text index."""
    path = tmp_path_factory.mktemp("old-snapshot") / snapshot.FILE
    shutil.copy(snap, path)
    db = sqlite3.connect(path)
    db.execute(f"DROP TABLE {fulltext.TABLE}")
    db.commit()
    db.close()
    return path


def test_the_index_holds_every_paper_entity_and_distinct_evidence_sentence(snap, seed_store):
    db = sqlite3.connect(snap)
    counts = dict(db.execute(f"SELECT kind, count(*) FROM {fulltext.TABLE} GROUP BY kind").fetchall())
    assert counts["paper"] == len(papers(seed_store)) == 60
    assert counts["entity"] == db.execute("SELECT count(*) FROM node WHERE kind != 'Paper'").fetchone()[0]
    assert counts["evidence"] > 100
    dupes = db.execute(f"SELECT count(*) FROM (SELECT iri, body FROM {fulltext.TABLE} WHERE kind = 'evidence' "
                       "GROUP BY iri, body HAVING count(*) > 1)").fetchone()[0]
    assert dupes == 0  # one row per (paper, sentence), however many entities it links
    db.close()
    fresh = sqlite3.connect(":memory:")
    assert fulltext.write_index(fresh, fulltext.entity_documents(paper_entity_graph(seed_store))) == counts["entity"]


def test_search_ranks_and_snippets_each_kind(snap, seed_store):
    mrl = next(p["iri"] for p in papers(seed_store) if p["title"] == MRL_TITLE)
    hits = search_all(snap, "matryoshka representation", limit=20)
    assert hits and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert {h.kind for h in hits} == {"paper", "entity", "evidence"}
    paper = next(h for h in hits if h.kind == "paper" and h.iri == mrl)
    assert paper.label == MRL_TITLE and paper.type == "Paper"
    assert f"{MARK_START}Matryoshka{MARK_END}" in paper.snippet
    evidence = [h for h in hits if h.kind == "evidence"]
    assert all(h.entities and h.label and h.iri.startswith("https://") for h in evidence)
    entity = search_all(snap, "imagenet", kinds=("entity",), limit=3)
    assert entity[0].iri == IMAGENET and entity[0].type == "Dataset" and {h.kind for h in entity} == {"entity"}


def test_alternative_labels_stems_and_prefixes_match(snap):
    assert any(h.label == "large language models" for h in search_all(snap, "LLM", kinds=("entity",)))
    assert search_all(snap, "transformers", kinds=("paper",))  # stemmed: transformer, transformers
    assert search_all(snap, "matry", kinds=("entity",))  # the last word matches as a prefix


def test_any_word_when_no_document_has_all(snap):
    assert search_all(snap, "imagenet zzzqqqxxx", limit=5)  # falls back to any word
    assert search_all(snap, "zzzqqqxxx yyyqqqzzz") == []


def test_evidence_below_the_threshold_is_left_out(snap):
    everything = search_all(snap, "imagenet", kinds=("evidence",), limit=500)
    assert everything and all(h.confidence is not None for h in everything)
    t = sorted(h.confidence for h in everything)[len(everything) // 2]
    confident = search_all(snap, "imagenet", kinds=("evidence",), limit=500, threshold=t)
    assert 0 < len(confident) < len(everything) and all(h.confidence >= t for h in confident)


def test_empty_text_kinds_and_limit(snap):
    assert search_all(snap, "") == [] and search_all(snap, "   ") == []
    assert search_all(snap, "imagenet", kinds=()) == [] and search_all(snap, "imagenet", limit=0) == []
    assert len(search_all(snap, "imagenet", limit=2)) == 2


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_searched_as_words(snap, text):
    hits = search_all(snap, text, limit=5)
    assert all(h.kind in fulltext.KINDS for h in hits)


def test_older_snapshots_and_stores_fall_back_to_labels(old_snap, seed_store):
    assert not fulltext.available(old_snap)
    for source in (old_snap, seed_store):
        hits = search_all(source, "imagenet", limit=3)
        assert hits[0].iri == IMAGENET and hits[0].kind == "entity" and hits[0].score == 0.0
        assert snippet_text(hits[0].snippet) == "ImageNet"
        assert search_all(source, "imagenet", kinds=("paper", "evidence")) == []
        for text in HOSTILE:
            search_all(source, text, limit=3)
    with pytest.raises(StoreError):
        fulltext.search(old_snap, "imagenet")


def test_snippets_escape_html():
    text = f"a <b>{MARK_START}x & y{MARK_END}</b>"
    assert snippet_html(text) == "a &lt;b&gt;<mark>x &amp; y</mark>&lt;/b&gt;"
    assert snippet_text(text) == "a <b>x & y</b>"


def test_fts_query_quotes_every_word():
    assert fts_query('NEAR( "vision" OR trans*') == '"NEAR" "vision" "OR" "trans"*'
    assert fts_query("a b", any_word=True) == '"a" OR "b"*'
    assert fts_query('"*)(:^') is None and fts_query("") is None
    assert len(fts_query(" ".join(["w"] * 100)).split()) == fulltext.MAX_TOKENS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_makes_a_valid_fts_query(text):
    query = fts_query(text)
    if query is None:
        assert not any(ch.isalnum() for ch in text)
        return
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')")
    db.execute("INSERT INTO t VALUES ('some words, NEAR OR AND NOT * \" ( )')")
    db.execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()  # never a syntax error
    db.execute("SELECT * FROM t WHERE t MATCH ?", (fts_query(text, any_word=True),)).fetchall()


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from('"*():^-+{}NEAROT ,.\'\\ab'), max_size=30))
def test_hostile_text_never_raises_on_the_snapshot(snap, text):
    search_all(snap, text, limit=3)
