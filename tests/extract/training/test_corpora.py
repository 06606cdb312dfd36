"""Tests for extract.training.corpora (benchmark readers) and the DocBin conversion in extract.training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from extract.training.corpora import (
    AnnotatedDoc,
    Entity,
    Relation,
    data_dir,
    map_labels,
    read_scier,
    read_scierc,
    read_split,
    read_tdmsci,
)
from extract.training.locate import locate_entities
from extract.training.prepare import annotated_to_doc, corpus_to_docs
from extract.training.spans import gold_spans, score_spans
from kg.errors import ConfigError


def _jsonl(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


SCIERC_DOC = {
    "doc_key": "X_1",
    "sentences": [["We", "use", "deep", "nets", "."], ["It", "beats", "SVMs", "on", "MNIST", "."]],
    "ner": [[[2, 3, "Method"]], [[5, 5, "Generic"], [7, 7, "Method"], [9, 9, "Material"]]],
    "relations": [[], [[7, 7, 9, 9, "USED-FOR"]]],
    "clusters": [],
}


def test_scierc_converts_doc_level_inclusive_to_sentence_level_exclusive(tmp_path: Path) -> None:
    corpus = read_scierc(_jsonl(tmp_path / "train.json", SCIERC_DOC))
    (doc,) = corpus.docs
    assert doc.doc_id == "X_1"
    assert doc.sentences[1] == ("It", "beats", "SVMs", "on", "MNIST", ".")
    assert doc.entities == (
        Entity(0, 2, 4, "Method"),
        Entity(1, 0, 1, "Generic"),
        Entity(1, 2, 3, "Method"),
        Entity(1, 4, 5, "Material"),
    )
    assert [doc.entity_tokens(e) for e in doc.entities] == [("deep", "nets"), ("It",), ("SVMs",), ("MNIST",)]
    assert doc.relations == (Relation(1, 2, 3, 4, 5, "USED-FOR"),)
    assert corpus.n_sentences == 2 and corpus.n_entities == 4 and corpus.n_relations == 1


def test_scierc_rejects_an_entity_outside_its_sentence(tmp_path: Path) -> None:
    bad = dict(SCIERC_DOC, ner=[[[4, 5, "Method"]], []])  # crosses the sentence boundary
    with pytest.raises(ValueError, match="outside sentence"):
        read_scierc(_jsonl(tmp_path / "bad.json", bad))


def test_scier_plm_format(tmp_path: Path) -> None:
    rec = {
        "doc_id": "1",
        "doc_tokens": ["A", "CNN", "for", "object", "detection", ".", "On", "COCO", "."],
        "sentences": [["A", "CNN", "for", "object", "detection", "."], ["On", "COCO", "."]],
        "ner": [[[1, 1, "Method"], [3, 4, "Task"]], [[7, 7, "Dataset"]]],
        "relations": [[[1, 1, 3, 4, "Used-For"]], []],
    }
    (doc,) = read_scier(_jsonl(tmp_path / "dev.jsonl", rec)).docs
    assert doc.entities == (Entity(0, 1, 2, "Method"), Entity(0, 3, 5, "Task"), Entity(1, 1, 2, "Dataset"))
    assert doc.relations == (Relation(0, 1, 2, 3, 5, "Used-For"),)


def test_scier_llm_format_locates_surfaces_and_groups_sentences(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "train.jsonl",
        {
            "doc_id": "7",
            "sentence": "3D CNNs extend 2D CNNs ; CNNs rule .",
            "ner": [["CNNs", "Method"], ["2D CNNs", "Method"], ["3D CNNs", "Method"], ["GANs", "Method"]],
            "rel": [["2D CNNs", "Part-Of", "3D CNNs"], ["GANs", "Used-For", "CNNs"]],
        },
        {"doc_id": "7", "sentence": "On MS COCO .", "ner": [["MS COCO", "Dataset"]], "rel": []},
        {"doc_id": "8", "sentence": "Nothing here .", "ner": [], "rel": []},
    )
    corpus = read_scier(path)
    assert [d.doc_id for d in corpus] == ["7", "8"]
    doc = corpus.docs[0]
    assert len(doc.sentences) == 2
    # "CNNs" listed once: placed on its first free occurrence, not inside "2D CNNs" / "3D CNNs"
    assert doc.entities == (
        Entity(0, 0, 2, "Method"),
        Entity(0, 3, 5, "Method"),
        Entity(0, 6, 7, "Method"),
        Entity(1, 1, 3, "Dataset"),
    )
    assert doc.relations == (Relation(0, 3, 5, 0, 2, "Part-Of"),)
    assert [(u.surface, u.reason) for u in corpus.unlocated] == [("GANs", "not found")]
    assert corpus.unlocated_relations == 1


def test_locate_entities_repeated_listing_places_repeated_occurrences() -> None:
    spans, missing = locate_entities(("x", "and", "x", "and", "x"), [("x", "Task"), ("x", "Task")])
    assert spans == [(0, 1, "Task"), (2, 3, "Task")] and missing == []


def test_tdmsci_inclusive_sentence_offsets_and_label_mapping(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "train.jsonl",
        {
            "id": "train-1",
            "tokens": ["We", "measure", "prediction", "accuracy", "on", "SQuAD", "."],
            "entities": [
                {"start": 2, "end": 2, "type": "TASK", "text": "prediction"},
                {"start": 3, "end": 3, "type": "METRIC", "text": "accuracy"},
                {"start": 5, "end": 5, "type": "DATASET", "text": "SQuAD"},
            ],
        },
    )
    corpus = read_tdmsci(path)
    assert corpus.docs[0].entities == (Entity(0, 2, 3, "TASK"), Entity(0, 3, 4, "METRIC"), Entity(0, 5, 6, "DATASET"))
    mapped = map_labels(corpus, {"TASK": "Task", "DATASET": "Dataset", "METRIC": None})
    assert mapped.docs[0].entities == (Entity(0, 2, 3, "Task"), Entity(0, 5, 6, "Dataset"))


def test_conversion_to_spacy_doc_keeps_tokens_sentences_and_longest_nested_entity() -> None:
    vocab = spacy.blank("en").vocab
    doc = AnnotatedDoc(
        "d",
        (("Deep", "belief", "nets", "."), ("Fine", ".")),
        (Entity(0, 0, 3, "Method"), Entity(0, 1, 3, "Method"), Entity(1, 0, 1, "Generic")),
    )
    sdoc, dropped = annotated_to_doc(vocab, doc)
    assert [t.text for t in sdoc] == ["Deep", "belief", "nets", ".", "Fine", "."]
    assert [s.text for s in sdoc.sents] == ["Deep belief nets .", "Fine ."]
    assert [(e.text, e.label_) for e in sdoc.ents] == [("Deep belief nets", "Method"), ("Fine", "Generic")]
    assert dropped == 1
    assert gold_spans(doc) == {(0, 3, "Method"), (1, 3, "Method"), (4, 5, "Generic")}


def test_long_documents_are_chunked_with_reindexed_entities() -> None:
    vocab = spacy.blank("en").vocab
    sents = tuple((f"w{i}", ".") for i in range(5))
    doc = AnnotatedDoc("d", sents, (Entity(0, 0, 1, "Task"), Entity(4, 0, 1, "Task")))
    docs = corpus_to_docs(vocab, [doc], max_sents=2)
    assert [len(list(d.sents)) for d in docs] == [2, 2, 1]
    assert [(e.text, e.label_) for d in docs for e in d.ents] == [("w0", "Task"), ("w4", "Task")]


def test_score_spans_micro_and_per_label() -> None:
    micro, per = score_spans([{(0, 1, "A")}, {(2, 3, "B")}], [{(0, 1, "A")}, {(2, 4, "B")}])
    assert (micro.tp, micro.fp, micro.fn) == (1, 1, 1)
    assert per["A"].f == 1.0 and per["B"].f == 0.0


# ------------------------------------------------------------------ the real files (skipped where absent)

def _data_present() -> bool:
    try:
        return (data_dir() / "scierc" / "train.json").is_file()
    except ConfigError:
        return False


needs_data = pytest.mark.skipif(not _data_present(), reason="ABSTRACTA_DATA not set or without scierc/")


@needs_data
@pytest.mark.parametrize(
    ("key", "docs", "sentences", "entities", "relations"),
    [
        ("scierc:train", 350, 1861, 5598, 3219),
        ("scierc:dev", 50, 275, 811, 455),
        ("scierc:test", 100, 551, 1685, 974),
        ("scier:dev", 10, 713, 2234, 1132),
        ("scier:test", 10, 854, 2948, 1626),
        ("scier:test_ood", 6, 580, 1295, 582),
        ("tdmsci:train", 1523, 1523, 2175, 0),
    ],
)
def test_real_counts_match_the_readmes(key: str, docs: int, sentences: int, entities: int, relations: int) -> None:
    corpus = read_split(key)
    assert (len(corpus), corpus.n_sentences, corpus.n_entities, corpus.n_relations) == (
        docs,
        sentences,
        entities,
        relations,
    )


@needs_data
def test_scier_llm_train_every_entity_located() -> None:
    corpus = read_split("scier:train")
    assert (len(corpus), corpus.n_sentences, corpus.n_entities, corpus.n_relations) == (80, 5575, 18041, 8743)
    assert corpus.label_counts() == {"Method": 11424, "Task": 3397, "Dataset": 3220}
    assert corpus.unlocated == () and corpus.unlocated_relations == 0


@needs_data
def test_scier_llm_dev_agrees_with_plm_offsets() -> None:
    plm, llm = read_split("scier:dev"), read_scier(data_dir() / "scier" / "LLM" / "dev.jsonl")
    agree = total = 0
    for a, b in zip(plm, llm, strict=True):
        for i, toks in enumerate(a.sentences):
            if any(not t.strip() for t in toks):  # the LLM format drops whitespace tokens
                continue
            ea = {e for e in a.entities if e.sent == i}
            eb = {e for e in b.entities if e.sent == i}
            agree += len(ea & eb)
            total += len(ea)
    assert agree / total > 0.999


# ------------------------------------------------------------------ the keyed NER heads (extract.components.keyed_ner)


@pytest.mark.slow
def test_keyed_heads_learn_their_own_scheme_and_leave_doc_ents_alone() -> None:
    from spacy.tokens import Span
    from spacy.training import Example

    from extract.components.keyed_ner import DEFAULT_NER_MODEL

    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}
    for key in ("a", "b"):
        nlp.add_pipe(
            "abx_keyed_ner",
            name=f"ner_{key}",
            config={"spans_key": key, "model": {**DEFAULT_NER_MODEL, "tok2vec": listener}},
        )
    vocab = nlp.vocab
    examples = []
    for key, label, start in (("a", "Method", 2), ("b", "Dataset", 4)):
        doc = AnnotatedDoc("x", (("We", "use", "BERT", "on", "SQuAD", "."),), (Entity(0, start, start + 1, label),))
        ref, _ = annotated_to_doc(vocab, doc, spans_key=key)
        examples.append(Example(nlp.make_doc(ref.text), ref))
    optimizer = nlp.initialize(lambda: examples)
    assert nlp.get_pipe("ner_a").labels == ("Method",) and nlp.get_pipe("ner_b").labels == ("Dataset",)
    for _ in range(30):
        nlp.update(examples, sgd=optimizer)
    doc = nlp.make_doc("We use BERT on SQuAD .")
    doc.ents = [Span(doc, 0, 1, label="RULE")]
    doc = nlp(doc)
    assert [(s.text, s.label_) for s in doc.spans["a"]] == [("BERT", "Method")]
    assert [(s.text, s.label_) for s in doc.spans["b"]] == [("SQuAD", "Dataset")]
    assert [(e.text, e.label_) for e in doc.ents] == [("We", "RULE")]
    scores = nlp.evaluate(examples)
    assert scores["a_f"] == 1.0 and scores["b_f"] == 1.0
