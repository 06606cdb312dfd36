"""The relation classifier: features, candidates, training, persistence, scoring."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from extract.relations.features import candidate_pairs, pair_features
from extract.relations.model import MODELS_DIR, NONE, RelationModel, _from_q8, _q8
from extract.training.corpora import AnnotatedDoc, Entity, Relation
from extract.training.relations.evaluate import evaluate, predict_doc
from extract.training.relations.fit import train_relations

SENT = ("We", "apply", "a", "CNN", "(", "convolutional", "network", ")", "for", "parsing", "such", "as", "SRL", ".")
SPANS = [(3, 4, "Method"), (5, 7, "Method"), (9, 10, "Task"), (12, 13, "Task")]


def test_pair_features_on_a_crafted_sentence():
    f = set(pair_features(SENT, SPANS[0], SPANS[2], 1, inner=[SPANS[1]]))
    assert {"tp=Method|Task", "ha=cnn", "hb=parsing", "ne=1", "bw=for", "bl=for", "bf=("} <= f
    assert "bm=( <Method> ) for|Method|Task" in f  # inner entity replaced by its type
    assert "nb=5-6" in f  # 5 words between
    g = set(pair_features(SENT, SPANS[0], SPANS[1], 0))
    assert {"b_in_paren", "bs=(", "b_after_paren"} <= g and "adjacent" not in g and "a_in_paren" not in g
    assert "adjacent" in pair_features(("a", "b"), (0, 1, "X"), (1, 2, "Y"), 0)
    h = set(pair_features(SENT, SPANS[2], SPANS[3], 0))
    assert "cue=such as" in h and "bs=such as" in h
    untyped = pair_features(SENT, (3, 4), (9, 10), 0)
    assert "tp=ENT|ENT" in untyped


def test_head_word_stops_before_of():
    f = pair_features(("accuracy", "of", "parsers", "on", "WSJ"), (0, 3, "Metric"), (4, 5, "Material"), 0)
    assert "ha=accuracy" in f and "hb=wsj" in f


def test_candidate_pairs_skip_overlaps_and_far_pairs():
    spans = [(0, 2, "A"), (1, 2, "B"), (3, 4, "C"), (5, 6, "D"), (7, 8, "E")]
    pairs = {(i, j): (n, inner) for i, j, n, inner in candidate_pairs(spans, max_between=1)}
    assert (0, 1) not in pairs  # nested
    assert pairs[(0, 2)] == (0, [])
    assert pairs[(0, 3)] == (1, [2])
    assert (0, 4) not in pairs  # two entities between > max_between
    assert pairs[(1, 3)] == (1, [2])


def _toy_docs(n: int = 30) -> list[AnnotatedDoc]:
    """X for Y -> USED-FOR(X, Y); X and Y -> CONJUNCTION(X, Y); Y of X -> PART-OF(Y, X); X on Y -> none."""
    docs = []
    for k in range(n):
        x, y = f"m{k % 7}", f"t{k % 5}"
        sents = (
            (x, "for", y, "."),
            (x, "and", y, "."),
            (y, "of", x, "."),
            (x, "on", y, "."),
        )
        ents = tuple(Entity(s, i, i + 1, lab) for s in range(4) for i, lab in ((0, "Method"), (2, "Task")))
        rels = (
            Relation(0, 0, 1, 2, 3, "USED-FOR"),
            Relation(1, 0, 1, 2, 3, "CONJUNCTION"),
            Relation(2, 2, 3, 0, 1, "PART-OF"),
        )
        docs.append(AnnotatedDoc(f"d{k}", sents, ents, rels))
    return docs


@pytest.fixture(scope="module")
def toy_model() -> RelationModel:
    return train_relations(_toy_docs(), "scierc", l2=1e-3, min_count=1)


def test_tiny_synthetic_set_is_learned(toy_model):
    assert toy_model.classes[0] == NONE and "USED-FOR>" in toy_model.classes and "USED-FOR<" in toy_model.classes
    spans = [(0, 2, "Method"), (3, 4, "Task")]
    assert [(h, t, lab) for h, t, lab, _ in toy_model.predict_relations(("deep", "nets", "for", "t1"), spans)] == [
        (0, 1, "USED-FOR")
    ]
    # direction: "Y of X" puts the later entity as head
    out = toy_model.predict_relations(("t9", "of", "m9"), [(0, 1, "Task"), (2, 3, "Method")])
    assert [(h, t, lab) for h, t, lab, _ in out] == [(1, 0, "PART-OF")]
    assert toy_model.predict_relations(("m1", "on", "t1"), [(0, 1, "Method"), (2, 3, "Task")]) == []
    assert toy_model.predict_relations(("m1",), [(0, 1, "Method")]) == []
    res = evaluate(toy_model, _toy_docs(5))
    assert res.boundaries.f == 1.0 and res.strict.f == 1.0


def test_training_is_deterministic(toy_model):
    again = train_relations(_toy_docs(), "scierc", l2=1e-3, min_count=1)
    assert again.features == toy_model.features
    assert np.array_equal(again.weights, toy_model.weights)


def test_save_load_round_trip_gives_identical_predictions(toy_model, tmp_path):
    toy_model.threshold = 0.3
    loaded = RelationModel.load(toy_model.save(tmp_path / "m"))
    assert loaded.classes == toy_model.classes and loaded.threshold == 0.3
    assert np.array_equal(loaded.weights, toy_model.weights)
    for doc in _toy_docs(3):
        assert predict_doc(loaded, doc.sentences, doc.entities) == predict_doc(toy_model, doc.sentences, doc.entities)
    assert not list((tmp_path / "m").glob("*.pkl"))


def test_evaluate_counts_direction_and_predicted_entities(toy_model):
    doc = _toy_docs(1)[0]
    # predicted entities with a wrong boundary on sentence 0 and a wrong type on sentence 1
    pred = [e for e in doc.entities if e.sent >= 1]
    pred = [Entity(1, 0, 1, "Task") if (e.sent, e.start) == (1, 0) else e for e in pred]
    pred += [Entity(0, 0, 2, "Method"), Entity(0, 2, 3, "Task")]
    res = evaluate(toy_model, [doc], [pred])
    assert (res.boundaries.tp, res.boundaries.fn) == (2, 1)  # sentence 0 lost: "m0 for" is not the gold span
    assert res.strict.tp == 1  # the CONJUNCTION's head has the wrong type
    # the ceiling: gold relations with both argument spans among the entities (types do not matter)
    assert res.both_arguments_found == 2 and res.as_dict()["gold"] == 3
    assert evaluate(toy_model, [doc]).both_arguments_found == 3  # gold entities: every relation reachable
    assert evaluate(toy_model, [doc], [[]]).both_arguments_found == 0


@pytest.mark.parametrize("scheme", ["scierc", "scier"])
def test_committed_models_load_and_predict(scheme):
    path = MODELS_DIR / f"relations-{scheme}"
    # the shipped models are committed: a missing one is a broken checkout, not a reason to skip
    assert (path / "model.json").is_file(), f"{path} is missing; it is committed with the repository"
    model = RelationModel.load(path)
    assert model.scheme == scheme
    out = model.predict_relations(
        ("We", "use", "BERT", "for", "named", "entity", "recognition", "."), [(2, 3, "Method"), (4, 7, "Task")]
    )
    assert len(out) <= 1
    for h, t, label, p in out:
        assert {h, t} == {0, 1} and label in model.labels and 0 <= p <= 1


def _hidden_model() -> RelationModel:
    rng = np.random.default_rng(7)
    classes = (NONE, "USED-FOR>", "USED-FOR<")
    feats = ("tp=Method|Task", "bw=for", "bw=of")
    return RelationModel("scierc", classes, feats, rng.normal(size=(4, 5)), threshold=0.2,
                         output=rng.normal(size=(6, 3)))


def test_a_hidden_layer_model_scores_relu_then_the_output_layer():
    m = _hidden_model()
    _, probs = m.predict_proba(("CNN", "for", "parsing"), [(0, 1, "Method"), (2, 3, "Task")])
    h = np.maximum(m.weights[0] + m.weights[1] + m.weights[-1], 0.0)  # tp= and bw=for are present, bw=of is not
    z = h @ m.output[:-1] + m.output[-1]
    expect = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert m.hidden == 5 and np.allclose(probs[0], expect, atol=1e-6)
    assert _hidden_model().hidden == 5 and RelationModel("scierc", m.classes, (), np.zeros((1, 3))).hidden == 0


def test_a_hidden_layer_model_round_trips_in_its_own_format(tmp_path):
    import json

    m = _hidden_model()
    loaded = RelationModel.load(m.save(tmp_path / "h"))
    assert json.loads((tmp_path / "h" / "model.json").read_text())["format"] == "abstracta-relations/2"
    assert np.array_equal(loaded.output, m.output) and np.array_equal(loaded.weights, m.weights)
    tokens, spans = ("CNN", "of", "parsing", "for", "x"), [(0, 1, "Method"), (2, 3, "Task"), (4, 5, "Task")]
    assert np.array_equal(loaded.predict_proba(tokens, spans)[1], m.predict_proba(tokens, spans)[1])


def test_weights_that_do_not_fit_the_classes_are_refused():
    with pytest.raises(ValueError, match="do not fit hidden width"):
        RelationModel("scierc", (NONE, "USED-FOR>", "USED-FOR<"), ("a",), np.zeros((2, 5)), output=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="columns for 3 classes"):
        RelationModel("scierc", (NONE, "USED-FOR>", "USED-FOR<"), ("a",), np.zeros((2, 4)))


@given(arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 5)),
              elements=st.floats(-50, 50, width=32, allow_subnormal=False)))
def test_int8_rows_are_close_and_quantising_twice_changes_nothing(a):
    once = _from_q8(*_q8(a))
    assert np.array_equal(_from_q8(*_q8(once)), once)
    top = np.abs(a).max(axis=1, keepdims=True)
    assert np.all(np.abs(once - a) <= top / 127 + 1e-6)  # within one step, the step at most twice top / 127
