"""The leaderboard's best rows (kg.read.leaderboard.best_results) and metric directions, on crafted rows."""

from __future__ import annotations

import json
import math
import re

import pytest

from kg.errors import ConfigError
from kg.read.leaderboard import (
    BEST_COLUMNS,
    BEST_EXTRA,
    HIGHER,
    LOWER,
    DirectionRules,
    best_results,
    is_score,
    load_direction_rules,
)

PAPER = "https://w3id.org/abstracta/paper/"


def _row(method: str, value: float, *, dataset: str = "ImageNet", metric: str = "top-1 accuracy", unit: str = "%",
         kind: str = "score", direction: str = "", confidence: float = 0.8, paper: str = "P",
         start: int | None = 10) -> dict:
    iri = PAPER + paper.lower()
    return {"metric": metric, "value": value, "unit": unit, "qualifier": "", "method": method, "dataset": dataset,
            "condition": "", "baseline": "", "direction": direction, "confidence": confidence, "paper": paper,
            "claim": f"{method} reaches {value}{unit}.", "paper_iri": iri,
            "datasets": [dataset] if dataset else [], "metrics": [metric] if metric else [], "kind": kind,
            "claim_iri": f"{iri}/claim/abstract-{start}-99", "claim_start": start}


def _ranked(rows: list[dict]) -> list[tuple[int, str, float]]:
    return [(r["rank"], r["method"], r["value"]) for r in rows]


def test_one_best_row_per_method_ranked_highest_first():
    board = [_row("A", 80.1), _row("A", 82.0, paper="Q"), _row("B", 85.0), _row("C", 79.0)]
    found = best_results(board)
    assert _ranked(found) == [(1, "B", 85.0), (2, "A", 82.0), (3, "C", 79.0)]
    assert list(found[0]) == [*BEST_COLUMNS, *BEST_EXTRA]
    a = found[1]
    assert a["paper"] == "Q" and a["paper_iri"] == PAPER + "q" and a["claim_iri"].startswith(PAPER + "q/claim/")
    assert a["claim_start"] == 10 and a["better"] == HIGHER and a["claim"] == "A reaches 82.0%."


def test_lower_is_better_metrics_rank_lowest_first():
    board = [_row(m, v, metric="word error rate") for m, v in (("A", 5.2), ("B", 3.1), ("B", 4.0), ("C", 9.9))]
    assert _ranked(best_results(board)) == [(1, "B", 3.1), (2, "A", 5.2), (3, "C", 9.9)]
    assert {r["better"] for r in best_results(board)} == {LOWER}


def test_ties_share_a_rank_and_the_surer_row_is_kept():
    board = [_row("A", 90.0, confidence=0.6, paper="P1"), _row("A", 90.0, confidence=0.9, paper="P2"),
             _row("B", 90.0), _row("C", 70.0)]
    found = best_results(board)
    assert _ranked(found) == [(1, "A", 90.0), (1, "B", 90.0), (3, "C", 70.0)]
    assert found[0]["paper"] == "P2" and found[0]["confidence"] == 0.9
    assert best_results(list(reversed(board))) == found  # the input order decides nothing


def test_rows_below_the_threshold_changes_and_incomplete_rows_are_left_out():
    board = [_row("A", 99.0, confidence=0.3), _row("A", 80.0, confidence=0.7),
             _row("B", 5.0, kind="gain", direction="increase"), _row("C", 14.0, kind="ratio"),
             _row("", 95.0), _row("D", 93.0, dataset=""), _row("E", 93.0, metric=""), _row("F", math.nan)]
    assert _ranked(best_results(board, 0.5)) == [(1, "A", 80.0)]
    assert _ranked(best_results(board)) == [(1, "A", 99.0)]
    assert best_results(board, 0.95) == []


def test_missing_units_are_kept_and_compared_as_stated():
    board = [_row("A", 63.1, metric="average score", unit=""), _row("B", 60.0, metric="average score")]
    found = best_results(board)
    assert _ranked(found) == [(1, "A", 63.1), (2, "B", 60.0)] and found[0]["unit"] == ""


def test_groups_are_per_dataset_and_metric_and_filters_pick_one():
    board = [_row("A", 80.0), _row("B", 81.0), _row("A", 2.0, metric="top-1 error"), _row("B", 3.0, dataset="COCO")]
    found = best_results(board)
    assert [(r["dataset"], r["metric"], r["method"]) for r in found] == [
        ("COCO", "top-1 accuracy", "B"), ("ImageNet", "top-1 accuracy", "B"), ("ImageNet", "top-1 accuracy", "A"),
        ("ImageNet", "top-1 error", "A")]
    assert _ranked(best_results(board, dataset="ImageNet", metric="top-1 accuracy")) == [(1, "B", 81.0), (2, "A", 80.0)]
    assert best_results(board, metric="top-1 error")[0]["better"] == LOWER


def test_a_row_naming_two_datasets_counts_for_each():
    row = {**_row("A", 70.0), "dataset": "CIFAR-10, ImageNet", "datasets": ["CIFAR-10", "ImageNet"]}
    assert [r["dataset"] for r in best_results([row])] == ["CIFAR-10", "ImageNet"]


def test_rows_without_a_kind_count_as_scores_unless_they_state_a_direction():
    assert is_score({"kind": "score", "direction": "increase"}) and not is_score({"kind": "gain"})
    assert is_score({"direction": ""}) and not is_score({"kind": "", "direction": "increase"})


@pytest.mark.parametrize(("metric", "better"), [
    ("accuracy", HIGHER), ("top-1 accuracy", HIGHER), ("BLEU", HIGHER), ("F1", HIGHER), ("mAP", HIGHER),
    ("throughput", HIGHER), ("speedup", HIGHER), ("error rate reduction", HIGHER), ("Inception Score", HIGHER),
    ("error rate", LOWER), ("top-1 error", LOWER), ("word error rate", LOWER), ("WER", LOWER), ("CER", LOWER),
    ("perplexity", LOWER), ("validation loss", LOWER), ("FID", LOWER), ("latency", LOWER), ("RMSE", LOWER),
    ("MAE", LOWER), ("EER", LOWER), ("FLOPs", LOWER), ("parameters", LOWER), ("training time", LOWER)])
def test_seed_rules_give_each_metric_its_direction(metric, better):
    assert load_direction_rules().direction(metric) == better


def test_rules_come_from_the_file_first_match_wins(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"default": "lower", "rules": [{"pattern": "acc", "direction": "higher"},
                                                              {"pattern": "accuracy", "direction": "lower"}]}))
    rules = load_direction_rules(path)
    assert rules.direction("Accuracy") == HIGHER and rules.direction("BLEU") == LOWER
    board = [_row("A", 1.0, metric="BLEU"), _row("B", 2.0, metric="BLEU")]
    assert _ranked(best_results(board, rules=rules)) == [(1, "A", 1.0), (2, "B", 2.0)]
    assert DirectionRules(((re.compile("x"), LOWER),)).direction("y") == HIGHER


@pytest.mark.parametrize("text", ["{", '{"rules": [{"pattern": "("}]}', '{"rules": [{"pattern": "x"}]}',
                                  '{"rules": [{"pattern": "x", "direction": "up"}]}'])
def test_a_broken_rule_file_is_a_config_error(tmp_path, text):
    path = tmp_path / "rules.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match="rules.json"):
        load_direction_rules(path)
