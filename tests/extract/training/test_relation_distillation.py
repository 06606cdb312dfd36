"""Distilling the relation teacher into the linear model: typed entity markers, soft targets, silver files.

The teacher itself needs the training extras (torch, transformers), which CI does not install; what
these tests cover does not, and it decides what the teacher reads and what the linear model learns.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse

from extract.relations.model import NONE, SCHEMES
from extract.training.corpora import AnnotatedDoc, Entity, Relation
from extract.training.relation_teacher import decide, mark, score_pairs
from extract.training.relations.fit import (
    _classes,
    fit_softmax,
    labelled_pairs,
    silver_examples,
    train_relations,
    training_examples,
)
from kg.errors import ExtractionError

CLASSES = _classes(("USED-FOR", "CONJUNCTION"))


def test_mark_wraps_both_arguments_with_their_types() -> None:
    m = mark(("We", "use", "BERT", "for", "NER", "."), (2, 3, "Method"), (4, 5, "Task"))
    assert m.words == ("We", "use", "@", "*", "method", "*", "BERT", "@", "for", "#", "^", "task", "^", "NER", "#", ".")
    assert (m.words[m.first], m.words[m.second]) == ("@", "#")
    assert mark(("a", "b"), (0, 1, "OtherScientificTerm"), (1, 2, None)).words[2] == "term"


def test_mark_refuses_overlapping_or_reversed_arguments() -> None:
    with pytest.raises(ExtractionError, match="must end before the second starts"):
        mark(("a", "b", "c"), (0, 2, "Task"), (1, 3, "Task"))
    with pytest.raises(ExtractionError):
        mark(("a", "b", "c"), (2, 3, "Task"), (0, 1, "Task"))


@given(st.integers(1, 12), st.data())
def test_removing_the_markers_gives_back_the_sentence(n, data) -> None:
    a0 = data.draw(st.integers(0, n - 1))
    a1 = data.draw(st.integers(a0 + 1, n))
    if a1 == n:
        return
    b0 = data.draw(st.integers(a1, n - 1))
    b1 = data.draw(st.integers(b0 + 1, n))
    tokens = tuple(f"w{k}" for k in range(n))
    m = mark(tokens, (a0, a1, "Method"), (b0, b1, "Task"))
    assert len(m.words) == n + 10
    assert m.words[m.first : m.first + 4] == ("@", "*", "method", "*")
    assert m.words[m.second : m.second + 4] == ("#", "^", "task", "^")
    inner = m.words[m.first + 4 : m.first + 4 + (a1 - a0)]
    assert inner == tokens[a0:a1] and m.words[m.first + 4 + (a1 - a0)] == "@"
    kept = [w for k, w in enumerate(m.words)
            if not (m.first <= k < m.first + 4 or k == m.first + 4 + (a1 - a0)
                    or m.second <= k < m.second + 4 or k == m.second + 4 + (b1 - b0))]
    assert tuple(kept) == tokens


def test_decide_and_score_pairs() -> None:
    assert decide([0.2, 0.1, 0.7, 0.0, 0.0], CLASSES, 0.5) == 2
    assert decide([0.6, 0.3, 0.1, 0.0, 0.0], CLASSES, 0.35) == 0
    prf = score_pairs([0, 1, 2, 0], [1, 1, 0, 0])  # one wrong positive, one right, one missed
    assert (prf.tp, prf.fp, prf.fn) == (1, 1, 1)


def _docs() -> list[AnnotatedDoc]:
    docs = []
    for k in range(12):
        sents = ((f"m{k}", "for", f"t{k}", "."), (f"m{k}", "and", f"n{k}", "."))
        ents = (Entity(0, 0, 1, "Method"), Entity(0, 2, 3, "Task"),
                Entity(1, 0, 1, "Method"), Entity(1, 2, 3, "Method"))
        docs.append(AnnotatedDoc(f"d{k}", sents, ents, (Relation(0, 0, 1, 2, 3, "USED-FOR"),
                                                        Relation(1, 0, 1, 2, 3, "CONJUNCTION"))))
    return docs


def test_labelled_pairs_give_the_classes_training_examples_use() -> None:
    pairs = list(labelled_pairs(_docs()[:1], CLASSES, 8))
    assert [(p.sent, p.a[:2], p.b[:2], CLASSES[p.label]) for p in pairs] == [
        (0, (0, 1), (2, 3), "USED-FOR>"), (1, (0, 1), (2, 3), "CONJUNCTION>")]
    _, y, missed = training_examples(_docs()[:1], CLASSES, 8)
    assert y == [p.label for p in pairs] and missed == 0


def test_soft_targets_and_weights_match_one_hot_and_duplicated_rows() -> None:
    rng = np.random.default_rng(0)
    x = sparse.csr_matrix((rng.random((40, 6)) > 0.6).astype(float))
    y = rng.integers(0, 3, 40)
    hard = fit_softmax(x, y, 3, l2=1e-2)
    onehot = np.eye(3)[y]
    assert np.allclose(fit_softmax(x, onehot, 3, l2=1e-2), hard, atol=1e-5)
    # weight 2 on the first row is the same objective as that row twice
    w = np.ones(40)
    w[0] = 2
    weighted = fit_softmax(x, y, 3, l2=1e-2, sample_weight=w)
    doubled = fit_softmax(sparse.vstack([x[:1], x]).tocsr(), np.concatenate([y[:1], y]), 3, l2=1e-2)
    assert np.allclose(weighted, doubled, atol=1e-3)
    assert not np.allclose(weighted, hard, atol=1e-3)


def _silver(path, classes=CLASSES, probs=(0.1, 0.0, 0.0, 0.9, 0.0)):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"classes": list(classes)}) + "\n")
        for k in range(20):
            fh.write(json.dumps({"tokens": [f"x{k}", "with", f"y{k}", "."],
                                 "spans": [[0, 1, "Method"], [2, 3, "Method"]],
                                 "pairs": [[0, 1, *probs]]}) + "\n")
    return path


def test_silver_examples_read_features_and_normalised_targets(tmp_path) -> None:
    rows, y = silver_examples(_silver(tmp_path / "s.jsonl.gz", probs=(1, 0, 0, 3, 0)), CLASSES, 8)
    assert len(rows) == 20 and "bs=with" in rows[0]
    assert np.allclose(y[0], [0.25, 0, 0, 0.75, 0])
    with pytest.raises(ExtractionError, match="not the model's"):
        silver_examples(_silver(tmp_path / "t.jsonl.gz", classes=(NONE, "X>", "X<")), CLASSES, 8)
    with pytest.raises(ExtractionError, match="line 2: not a readable silver relation file"):
        silver_examples(_silver(tmp_path / "u.jsonl.gz", probs=(0.5, 0.5)), CLASSES, 8)
    (tmp_path / "v.jsonl.gz").write_bytes(b"plain text, not gzip")
    with pytest.raises(ExtractionError, match="rel-teacher-label"):
        silver_examples(tmp_path / "v.jsonl.gz", CLASSES, 8)


def test_silver_pairs_teach_the_linear_model_what_gold_never_showed(tmp_path) -> None:
    scierc = _classes(SCHEMES["scierc"]["labels"])
    probs = [0.0] * len(scierc)
    probs[0], probs[scierc.index("USED-FOR<")] = 0.1, 0.9
    # gold has Method-Method pairs only as "X and Y" conjunctions; the teacher reads "X with Y" as USED-FOR(Y, X)
    silver = _silver(tmp_path / "s.jsonl.gz", classes=scierc, probs=probs)
    spans = [(0, 1, "Method"), (2, 3, "Method")]
    gold_only = train_relations(_docs(), "scierc", l2=1e-3, min_count=1, prune=0)
    with_silver = train_relations(_docs(), "scierc", l2=1e-3, min_count=1, prune=0, silver=[silver])
    assert with_silver.settings["silver_pairs"] == 20 and with_silver.settings["train_pairs"] == 24
    assert [x[:3] for x in gold_only.predict_relations(("a", "with", "b"), spans)] == [(0, 1, "CONJUNCTION")]
    [(h, t, label, p)] = with_silver.predict_relations(("a", "with", "b"), spans, threshold=0.5)
    assert (h, t, label) == (1, 0, "USED-FOR") and p > 0.5


def test_student_command_names_a_missing_silver_file_and_exits_2(tmp_path, caplog) -> None:
    from extract.training.cli import main

    missing = tmp_path / "none.jsonl.gz"
    assert main(["rel-student-train", str(tmp_path / "out"), "--silver", str(missing)]) == 2
    assert f"no silver file {missing}" in caplog.text and "rel-teacher-label" in caplog.text
    assert not (tmp_path / "out").exists()


def test_without_torch_the_student_says_what_to_install(monkeypatch, tmp_path) -> None:
    import sys

    from extract.training.relation_student import train_relation_student

    monkeypatch.setitem(sys.modules, "torch", None)  # import fails as if not installed
    with pytest.raises(ExtractionError, match="relation student needs the training extras.*requirements-train.txt"):
        train_relation_student(tmp_path / "s", train=[], dev=[])


def test_rescoring_averages_or_replaces_a_silver_files_probabilities(monkeypatch, tmp_path) -> None:
    from types import SimpleNamespace

    import extract.training.relation_teacher as rt

    classes = ["NONE", "USED-FOR>", "USED-FOR<"]
    src = tmp_path / "silver.jsonl.gz"
    sents = [{"tokens": ["BERT", "for", "NER", "and", "POS"],
              "spans": [[0, 1, "Method"], [2, 3, "Task"], [4, 5, "Task"]],
              "pairs": [[0, 1, 0.2, 0.8, 0.0], [0, 2, 1.0, 0.0, 0.0], [1, 2, 0.6, 0.2, 0.2]]}]
    with gzip.open(src, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"classes": classes}) + "\n" + json.dumps(sents[0]) + "\n")
    seen = []

    def fake_scores(teacher, pairs):
        seen.append([(p.words[p.first + 4], p.words[p.second + 4]) for p in pairs])
        return [teacher.row] * len(pairs)

    teachers = {"a": [0.0, 1.0, 0.0], "b": [0.4, 0.2, 0.4]}
    monkeypatch.setattr(rt, "_torch", lambda **_: SimpleNamespace(set_num_threads=lambda n: None))
    monkeypatch.setattr(rt, "_predict_all", fake_scores)
    monkeypatch.setattr(rt.RelationTeacher, "load", classmethod(lambda cls, p: SimpleNamespace(
        classes=classes if p.name != "other" else classes[:2], row=teachers.get(p.name), encoder=SimpleNamespace(
            eval=lambda: None))))
    out = tmp_path / "out.jsonl.gz"
    info = rt.rescore_silver(src, [tmp_path / "a", tmp_path / "b"], out)
    assert info["pairs"] == 3 and info["teachers"] == 3
    assert seen[0] == [("BERT", "NER"), ("BERT", "POS"), ("NER", "POS")]
    lines = [json.loads(x) for x in gzip.open(out, "rt", encoding="utf-8")]
    assert lines[0] == {"classes": classes}
    assert lines[1]["tokens"] == sents[0]["tokens"] and lines[1]["spans"] == sents[0]["spans"]
    assert lines[1]["pairs"] == [[0, 1, 0.2, 0.6667, 0.1333], [0, 2, 0.4667, 0.4, 0.1333], [1, 2, 0.3333, 0.4667, 0.2]]
    replaced = tmp_path / "replaced.jsonl.gz"
    assert rt.rescore_silver(src, [tmp_path / "b"], replaced, replace=True)["teachers"] == 1
    lines = [json.loads(x) for x in gzip.open(replaced, "rt", encoding="utf-8")]
    assert lines[1]["pairs"] == [[0, 1, 0.4, 0.2, 0.4], [0, 2, 0.4, 0.2, 0.4], [1, 2, 0.4, 0.2, 0.4]]
    with pytest.raises(ExtractionError, match="at least one relation teacher"):
        rt.rescore_silver(src, [], tmp_path / "none.jsonl.gz", replace=True)
    with pytest.raises(ExtractionError, match="same scheme"):
        rt.rescore_silver(src, [tmp_path / "other"], tmp_path / "x.jsonl.gz")
    with pytest.raises(ExtractionError, match="rel-teacher-label"):
        rt.rescore_silver(tmp_path / "missing.jsonl.gz", [tmp_path / "a"], tmp_path / "y.jsonl.gz")
    broken = tmp_path / "broken.jsonl.gz"  # a pair naming a span the sentence does not have
    with gzip.open(broken, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"classes": classes}) + "\n" + json.dumps({**sents[0], "pairs": [[0, 7, 1.0, 0.0, 0.0]]}))
    with pytest.raises(ExtractionError, match="broken.jsonl.gz.*label it again"):
        rt.rescore_silver(broken, [tmp_path / "a"], tmp_path / "z.jsonl.gz")
    assert not (tmp_path / "z.jsonl.gz").exists()


def test_a_relation_teacher_refuses_a_folder_without_an_encoder_and_a_scheme_it_cannot_mix_in(tmp_path) -> None:
    from extract.training.relation_teacher import train_relation_teacher

    (tmp_path / "t1").mkdir()
    with pytest.raises(ExtractionError, match=r"t1 holds no saved encoder.*build/teacher/t1/encoder"):
        train_relation_teacher(tmp_path / "out", encoder_dir=tmp_path / "t1")
    assert not (tmp_path / "out").exists()
    for bad in ("scierc", "tdmsci"):
        with pytest.raises(ExtractionError, match=f"cannot mix in scheme '{bad}': choose another of"):
            train_relation_teacher(tmp_path / "out", "scierc", also=bad)
