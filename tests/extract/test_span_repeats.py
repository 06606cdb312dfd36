"""``abx_span_repeats``: a name the heads tag once is tagged at its other occurrences in the document."""

from __future__ import annotations

from functools import cache

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc, Span

import extract.components  # noqa: F401 - registers the factories

WORDS = ["graph", "matching", "and", "the", "3", "Graph", "kernels", "of", "methods"]


@cache
def _nlp():
    nlp = spacy.blank("en")
    return nlp, nlp.add_pipe("abx_span_repeats", config={"span_keys": ["scierc"]})


def _doc(nlp, sentences: list[list[str]]) -> Doc:
    words = [w for s in sentences for w in s]
    starts = [i == 0 for s in sentences for i in range(len(s))]
    return Doc(nlp.vocab, words=words, sent_starts=starts)


def test_other_occurrences_get_the_first_label_longest_first():
    nlp, repeats = _nlp()
    doc = _doc(nlp, [["We", "use", "graph", "matching", "and", "graph", "kernels", "3", "."],
                     ["Graph", "matching", "is", "fast", "."],          # the longer name wins over "graph"
                     ["A", "graph", "helps", "and", "3", "helps", "."],  # "graph" repeats; "and" and "3" never
                     ["Sparse", "graph", "matching", "too", "."]])       # "graph" is taken by a span: untouched
    doc.spans["scierc"] = [Span(doc, 2, 4, label="Method"),    # graph matching
                           Span(doc, 5, 6, label="Generic"),   # graph
                           Span(doc, 4, 5, label="Task"),      # and: stop words only
                           Span(doc, 7, 8, label="Metric"),    # 3: no letter
                           Span(doc, 21, 23, label="Task")]    # Sparse graph
    doc.spans["scier"] = [Span(doc, 2, 4, label="Method")]    # not a configured key
    doc = repeats(doc)
    got = sorted((s.start, s.end, s.text, s.label_) for s in doc.spans["scierc"])
    assert got == [(2, 4, "graph matching", "Method"), (4, 5, "and", "Task"), (5, 6, "graph", "Generic"),
                   (7, 8, "3", "Metric"), (9, 11, "Graph matching", "Method"), (15, 16, "graph", "Generic"),
                   (21, 23, "Sparse graph", "Task")]
    assert [s.text for s in doc.spans["scier"]] == ["graph matching"]


def test_a_name_never_crosses_a_sentence_end():
    nlp, repeats = _nlp()
    doc = _doc(nlp, [["graph", "matching", "works", "graph"], ["matching", "."]])
    doc.spans["scierc"] = [Span(doc, 0, 2, label="Method")]
    assert [(s.start, s.end) for s in repeats(doc).spans["scierc"]] == [(0, 2)]


def test_without_sentence_starts_the_document_is_one_sentence():
    nlp, repeats = _nlp()
    doc = nlp.make_doc("graph kernels beat graph kernels")
    doc.spans["scierc"] = [Span(doc, 0, 2, label="Method")]
    assert [(s.start, s.end, s.label_) for s in repeats(doc).spans["scierc"]] == [(0, 2, "Method"),
                                                                                  (3, 5, "Method")]


def test_no_spans_no_change():
    nlp, repeats = _nlp()
    doc = _doc(nlp, [["graph", "matching"]])
    assert "scierc" not in repeats(doc).spans


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8), min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 40), st.integers(1, 3), st.sampled_from(["Method", "Task"])),
                max_size=6))
def test_repeats_keep_the_spans_and_add_only_clean_copies(sentences, raw):
    nlp, repeats = _nlp()
    doc = _doc(nlp, sentences)
    spans, taken = [], set()
    for start, length, label in raw:  # non-overlapping input spans, as a NER head makes
        end = min(start + length, len(doc))
        if start < end and taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            spans.append(Span(doc, start, end, label=label))
    doc.spans["scierc"] = spans
    names = {tuple(t.lower_ for t in s): s.label_ for s in sorted(spans, key=lambda s: -s.start)}
    before = {(s.start, s.end, s.label_) for s in spans}
    after = [(s.start, s.end, s.label_) for s in repeats(doc).spans.get("scierc", [])]
    assert before <= set(after)
    covered: set[int] = set()
    for start, end, label in after:
        assert covered.isdisjoint(range(start, end))  # nothing overlaps
        covered.update(range(start, end))
        if (start, end, label) not in before:
            words = tuple(t.lower_ for t in doc[start:end])
            assert names[words] == label  # the first span of those words gave the label
            assert doc[start].sent == doc[end - 1].sent
            assert any(w not in nlp.Defaults.stop_words and w.isalpha() for w in words)
