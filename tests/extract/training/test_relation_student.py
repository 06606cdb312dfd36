"""The relation student with a hidden layer: trained with torch (skipped where the training extras are absent)."""

from __future__ import annotations

import numpy as np
import pytest

from extract.relations.model import RelationModel
from extract.training.relations.evaluate import evaluate, predict_doc
from tests.extract.test_relations import _toy_docs

pytest.importorskip("torch")

from extract.training.relation_student import train_relation_student


def _train(out):
    return train_relation_student(out, "scierc", train=_toy_docs(), dev=_toy_docs(5), hidden=8, epochs=12,
                                  batch_size=4, lr=5e-2, min_count=1, dropout=0.0)


def test_the_student_learns_the_toy_set_and_ships_as_numpy(tmp_path) -> None:
    model = _train(tmp_path / "a")
    assert model.hidden == 8 and model.output.shape == (9, len(model.classes))
    assert evaluate(model, _toy_docs(5)).boundaries.f == 1.0
    history = model.settings["history"]
    assert len(history) == 12 and history[-1]["loss"] < history[0]["loss"]
    loaded = RelationModel.load(tmp_path / "a")
    for doc in _toy_docs(3):
        assert predict_doc(loaded, doc.sentences, doc.entities) == predict_doc(model, doc.sentences, doc.entities)


def test_a_second_run_gives_the_same_weights(tmp_path) -> None:
    a, b = _train(tmp_path / "a"), _train(tmp_path / "b")
    assert a.features == b.features and a.threshold == b.threshold
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.output, b.output)


def test_gold_weight_is_recorded_and_a_weighted_mean(tmp_path) -> None:
    """With gold pairs only, weighting every pair by 3 is still their mean: the same fit up to rounding."""
    plain = _train(tmp_path / "a")
    weighted = train_relation_student(tmp_path / "b", "scierc", train=_toy_docs(), dev=_toy_docs(5), hidden=8,
                                      epochs=12, batch_size=4, lr=5e-2, min_count=1, dropout=0.0, gold_weight=3.0)
    assert "gold_weight" not in plain.settings and weighted.settings["gold_weight"] == 3.0
    assert np.allclose(plain.weights, weighted.weights, atol=1e-3)
    assert evaluate(weighted, _toy_docs(5)).boundaries.f == 1.0
