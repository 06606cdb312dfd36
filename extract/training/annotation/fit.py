"""Fit the paper-level decisions (:mod:`extract.decisions`) on our train annotations.

Candidates come from the extractor without decisions, its NER cross-fitted: each train paper's
candidates are found by a NER trained on the other half of train (``--ner-folds A B``), so the
decisions learn how far to trust a NER on papers it never saw. Six classifiers are fitted
(entities, roles, claims, results, and which name is a result's metric and which its method; the last is
kept only where it beats the subject rule of :mod:`extract.results` on the held-out papers); their probabilities
on the held-out papers choose the thresholds and fit the calibration tables (isotonic, per fact kind)
written to ``settings.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from extract import rules
from extract.decision_features import (
    Group,
    group_features,
    groups,
    mentions_in,
    method_candidates,
    metric_candidates,
    norm,
    number_features,
    role_features,
    sentence_features,
)
from extract.decisions import Calibration, Decider, SettingNumbers, dataset_names
from extract.linear import LinearModel
from extract.training.annotation.predict import to_record
from extract.training.annotation.score import forms, name_aliases, result_outcomes
from extract.training.relations.fit import _design, fit_softmax
from kg.model import Extraction, Role, Section

log = logging.getLogger(__name__)

ENTITY_CLASSES = ("none", "Method", "Dataset", "Task", "Metric")
ROLE_CLASSES = ("used", "proposed")
CLAIM_CLASSES = ("none", "result", "theory", "finding")
RESULT_CLASSES = ("none", "score", "gain", "reduction", "ratio", "other")
METRIC_CLASSES = ("other", "metric")
METHOD_CLASSES = ("other", "method")
Example = tuple[list[str], int]
# the L2 strength of each decision (the mean cross-entropy's penalty, ``fit_softmax``), chosen on held papers in the
# tenth session: a tenth to a thirtieth of the earlier 0.003 / 0.01 for all but metrics (which stays), the strength
# that had held the claims decision at F1 0.79 (docs/notes/annotations-2026-12-07.md, "Tenth session")
L2 = {"entities": 1e-4, "roles": 1e-3, "claims": 3e-4, "results": 1e-3, "metrics": 1e-2, "methods": 1e-2}
# a result's best metric (and method) candidate is taken at or above one of these probabilities (chosen on held
# papers)
METRIC_THRESHOLDS = (0.2, 0.3, 0.35, 0.4, 0.5)


def _gold_entity(g: Group, gold: Mapping[str, Any]) -> dict[str, Any] | None:
    keys = {g.key} | {norm(m.span.text) for m in g.mentions}
    return next((e for e in gold["entities"] if keys & forms(e)), None)


def examples(ex: Extraction, gold: Mapping[str, Any]) -> dict[str, list[Example]]:
    """Labelled feature lists of one paper for each of the six decisions."""
    texts = {Section.TITLE: ex.paper.title, Section.ABSTRACT: ex.paper.abstract}
    out: dict[str, list[Example]] = {k: [] for k in CLASSES}
    for g in groups(ex):
        e = _gold_entity(g, gold)
        label = ENTITY_CLASSES.index(e["type"]) if e else 0
        out["entities"].append((group_features(g, texts, len(ex.sentences)), label))
        known = e is not None and e["type"] in ("Method", "Dataset")
        out["roles"].append((role_features(g, texts), int(e["role"] == "proposed") if known else -1))
    abstract = [s for s in ex.sentences if s.section is Section.ABSTRACT]
    result_spans = {(r["span"][1], r["span"][2]): r["kind"] for r in gold["results"]}
    aliases = name_aliases(gold)  # a result's metric answers to every form of the gold entity so named
    metric_forms = {(r["span"][1], r["span"][2]): aliases.get(norm(r.get("metric")), {norm(r.get("metric"))}) - {""}
                    for r in gold["results"]}
    method_forms = {(r["span"][1], r["span"][2]): aliases.get(norm(r.get("method")), {norm(r.get("method"))}) - {""}
                    for r in gold["results"]}
    proposed = next((m.long_form or m.span.text for m in ex.mentions if m.role is Role.PROPOSES), None)
    for i, s in enumerate(abstract):
        kind = next((c["kind"] for c in gold["claims"] if _overlap(c["start"], c["end"], s.start, s.end) >= 0.5), None)
        label = CLAIM_CLASSES.index(kind) if kind else 0
        out["claims"].append((sentence_features(s.text, i, len(abstract), mentions_in(ex, s)), label))
        for n in rules.find_numbers(s.text):
            a, b = s.start + n.start, s.start + n.end
            rk = next((k for (x, y), k in result_spans.items() if x < b and a < y), None)
            label = RESULT_CLASSES.index(rk) if rk and kind else 0
            out["results"].append((number_features(s.text, n.start, n.end, n.unit, n.qualifier), label))
            if rk and kind:
                wanted = next(f for (x, y), f in metric_forms.items() if x < b and a < y)
                numbers = [(s.start + o.start, s.start + o.end) for o in rules.find_numbers(s.text)]
                for m, feats in metric_candidates(s, a, b, mentions_in(ex, s), numbers):
                    right = bool(wanted & {norm(m.span.text), norm(m.long_form)})
                    out["metrics"].append((feats, int(right)))
                wanted = next(f for (x, y), f in method_forms.items() if x < b and a < y)
                for m, feats in method_candidates(s, a, b, mentions_in(ex, s), proposed):
                    names = {norm(proposed)} if m is None else {norm(m.span.text), norm(m.long_form)}
                    out["methods"].append((feats, int(bool(wanted & names))))
    return out


def _overlap(a0: int, a1: int, b0: int, b1: int) -> float:
    inter = min(a1, b1) - max(a0, b0)
    union = max(a1, b1) - min(a0, b0)
    return inter / union if union > 0 else 0.0


def fit_linear(data: Sequence[Example], classes: Sequence[str], *, l2: float, min_count: int = 2) -> LinearModel:
    """Multinomial logistic regression over the features seen at least ``min_count`` times
    (examples labelled -1 are left out)."""
    data = [d for d in data if d[1] >= 0]
    counts: dict[str, int] = {}
    for feats, _ in data:
        for f in set(feats):
            counts[f] = counts.get(f, 0) + 1
    index = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= min_count))}
    design = _design([feats for feats, _ in data], index)
    y = np.array([label for _, label in data])
    w = fit_softmax(design, y, len(classes), l2=l2)
    names = sorted(index, key=index.__getitem__)
    weights = {f: w[i] for i, f in enumerate(names) if np.abs(w[i]).max() >= 1e-3}
    return LinearModel(tuple(classes), w[-1], weights)


def predict_all(model: LinearModel, data: Sequence[Example]) -> np.ndarray:
    """Class probabilities of each example, in the model's class order."""
    probs = np.zeros((len(data), len(model.classes)))
    for i, (feats, _) in enumerate(data):
        p = model.proba(feats)
        probs[i] = [p[c] for c in model.classes]
    return probs


def isotonic(scores: Sequence[float], right: Sequence[bool],
             bins: int | None = None) -> tuple[list[float], list[float]]:
    """A monotone map from score to frequency right: pool-adjacent-violators over score-sorted
    outcomes, returned as breakpoints (mean score, smoothed frequency) of its blocks for linear
    interpolation."""
    order = np.argsort(scores, kind="stable")
    xs = list(np.asarray(scores, dtype=float)[order])
    ys = list(np.asarray(right, dtype=float)[order])
    blocks: list[list[float]] = []  # [sum_x, sum_y, n]
    for x, y in zip(xs, ys, strict=True):
        blocks.append([x, y, 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            x2, y2, n2 = blocks.pop()
            blocks[-1] = [blocks[-1][0] + x2, blocks[-1][1] + y2, blocks[-1][2] + n2]
    # merge small blocks so that no step rests on a handful of facts: at most 8 steps, each of 40 facts or more
    bins = bins or max(1, min(8, len(xs) // 40))
    min_n = max(1.0, len(xs) / bins)
    merged: list[list[float]] = []
    for b in blocks:
        if merged and merged[-1][2] < min_n:
            merged[-1] = [merged[-1][0] + b[0], merged[-1][1] + b[1], merged[-1][2] + b[2]]
        else:
            merged.append(b)
    if len(merged) > 1 and merged[-1][2] < min_n:
        last = merged.pop()
        merged[-1] = [merged[-1][0] + last[0], merged[-1][1] + last[1], merged[-1][2] + last[2]]
    px = [round(b[0] / b[2], 4) for b in merged]
    # Laplace's rule of succession: a block of n facts, all right, says (n + 1) / (n + 2), never certainty
    py = [round((b[1] + 1) / (b[2] + 2), 4) for b in merged]
    return [0.0, *px, 1.0], [py[0] if px[0] > 0 else 0.0, *py, py[-1]]


def best_threshold(probs: Sequence[float], right: Sequence[bool], n_gold: int,
                   grid: Iterable[float] = tuple(x / 20 for x in range(1, 19))) -> float:
    """The threshold with the best F1 of the facts kept (``right``: each candidate would be right if kept)."""
    probs, right = np.asarray(probs), np.asarray(right, dtype=bool)
    best, best_f = 0.5, -1.0
    for t in grid:
        kept = probs >= t
        tp = int((kept & right).sum())
        p = tp / max(int(kept.sum()), 1)
        r = tp / max(n_gold, 1)
        f = 2 * p * r / (p + r) if p + r else 0.0
        if f > best_f:
            best, best_f = t, f
    return float(best)


def save(out: Path, models: Mapping[str, LinearModel], settings: Mapping[str, float],
         calibration: Mapping[str, tuple[list[float], list[float]]], report: Mapping[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, model in models.items():
        (out / f"{name}.json").write_text(model.to_json() + "\n", encoding="utf-8")
    if "methods" not in models:  # a method decision of an earlier fit must not outlive this one's choice
        (out / "methods.json").unlink(missing_ok=True)
    (out / "settings.json").write_text(json.dumps({"settings": dict(settings), "calibration": dict(calibration),
                                                   "fit": dict(report)}, indent=1) + "\n", encoding="utf-8")


def _collect(pairs: Sequence[tuple[Extraction, Mapping[str, Any]]]) -> dict[str, list[Example]]:
    """Examples of every decision over ``pairs``."""
    data: dict[str, list[Example]] = {k: [] for k in CLASSES}
    for ex, gold in pairs:
        for k, found in examples(ex, gold).items():
            data[k] += found
    return data


CLASSES = {"entities": ENTITY_CLASSES, "roles": ROLE_CLASSES, "claims": CLAIM_CLASSES, "results": RESULT_CLASSES,
           "metrics": METRIC_CLASSES, "methods": METHOD_CLASSES}


def fit_decisions(fit_pairs: Sequence[tuple[Extraction, Mapping[str, Any]]],
                  held_pairs: Sequence[tuple[Extraction, Mapping[str, Any]]], out: Path, *,
                  l2: Mapping[str, float] | None = None, setting_numbers: Path | None = None,
                  gazetteer: Path | None = None) -> dict[str, Any]:
    """Fit the six decisions on ``fit_pairs`` (candidates, gold record); choose their thresholds and fit the
    calibration tables on ``held_pairs`` (papers neither the NER nor the decisions were fitted on); write
    them to ``out``. Returns the report also stored in ``settings.json``."""
    l2 = {**L2, **(l2 or {})}
    data = _collect(fit_pairs)
    models = {k: fit_linear(data[k], CLASSES[k], l2=l2[k]) for k in CLASSES}
    held = _collect(held_pairs)
    probs = {k: predict_all(models[k], held[k]) for k in CLASSES}
    n_gold = {"entities": sum(len(g["entities"]) for _, g in held_pairs),
              "claims": sum(len(g["claims"]) for _, g in held_pairs),
              "results": sum(len(g["results"]) for _, g in held_pairs)}
    # entities: the best non-none class, right when it is the gold class
    ent_p = probs["entities"][:, 1:]
    ent_label = np.array([y for _, y in held["entities"]])
    ent_best = ent_p.argmax(axis=1) + 1
    ent_right = ent_best == ent_label
    # one threshold per type: each type's F1 on held papers is best at its own (Metric and Task candidates are
    # rarer and surer than Method ones)
    gold_types = [e["type"] for _, g in held_pairs for e in g["entities"]]
    thresholds = {}
    for k, etype in enumerate(ENTITY_CLASSES[1:], start=1):
        mine = ent_best == k
        thresholds[etype] = best_threshold(ent_p.max(axis=1)[mine], ent_right[mine], gold_types.count(etype))
    settings: dict[str, Any] = {"entity_thresholds": thresholds}
    role_y = np.array([y for _, y in held["roles"]])
    prop = probs["roles"][:, 1]
    known = role_y >= 0
    settings["proposed_threshold"] = best_threshold(prop[known], role_y[known] == 1, int((role_y == 1).sum()))
    claim_y = np.array([y for _, y in held["claims"]])
    claim_p = 1.0 - probs["claims"][:, 0]
    settings["claim_threshold"] = best_threshold(claim_p, claim_y > 0, n_gold["claims"])
    res_y = np.array([y for _, y in held["results"]])
    res_p = 1.0 - probs["results"][:, 0]
    settings["result_threshold"] = best_threshold(res_p, res_y > 0, n_gold["results"])
    # calibration of the scores the decisions publish, on the facts they keep
    is_md = np.isin(ent_best, [1, 2])
    proposed = prop >= settings["proposed_threshold"]
    p_role = np.where(is_md, np.where(proposed, prop, 1.0 - prop), 1.0)
    role_right = np.where(is_md & (role_y >= 0), proposed == (role_y == 1), True)
    keep = ent_p.max(axis=1) >= np.array([thresholds[ENTITY_CLASSES[k]] for k in ent_best])
    link_score = ent_p.max(axis=1) * p_role
    link_right = ent_right & role_right
    calibration = {"link": isotonic(link_score[keep], link_right[keep])}
    keep_c = claim_p >= settings["claim_threshold"]
    calibration["claim"] = isotonic(claim_p[keep_c], (claim_y > 0)[keep_c])
    # a result is right when its value comes with the right metric (what the graph's leaderboard shows), so
    # its table is fitted on the held-out results the decisions really produce, metric attachment included
    def produce(threshold: str, value: float, with_method: bool = False, rule_method: bool = False,
                ) -> list[tuple[float, bool]]:
        chosen = {**models, "methods": None} if rule_method else models
        provisional = Decider(**chosen, calibration=Calibration(calibration), settings={**settings, threshold: value},
                              setting_numbers=SettingNumbers.load(setting_numbers),
                              known_datasets=dataset_names(gazetteer))
        produced = [to_record(provisional.apply(ex)) for ex, _ in held_pairs]
        return result_outcomes(produced, [g for _, g in held_pairs], with_method)

    # the metric threshold: most held-out results right (a result's value with its metric); ties: the lower
    by_threshold = {t: produce("metric_threshold", t) for t in METRIC_THRESHOLDS}
    settings["metric_threshold"] = max(METRIC_THRESHOLDS, key=lambda t: (sum(r for _, r in by_threshold[t]), -t))
    outcomes = by_threshold[settings["metric_threshold"]]
    # then the method threshold: most held-out results right with their method too; the method decision is kept
    # only where it gets more of them right than the subject rule of extract.results does
    with_method = {t: sum(r for _, r in produce("method_threshold", t, True)) for t in METRIC_THRESHOLDS}
    settings["method_threshold"] = max(METRIC_THRESHOLDS, key=lambda t: (with_method[t], -t))
    by_rule = sum(r for _, r in produce("method_threshold", 0.5, True, rule_method=True))
    method_right = with_method[settings["method_threshold"]]
    if method_right <= by_rule:
        log.info("the method decision gets %d held-out results right with their method, the rule %d: not kept",
                 method_right, by_rule)
        models = {k: v for k, v in models.items() if k != "methods"}
        del settings["method_threshold"]
    calibration["result"] = isotonic([c for c, _ in outcomes], [r for _, r in outcomes])
    report = {"fit_papers": len(fit_pairs), "held_papers": len(held_pairs), "l2": l2,
              "examples": {k: len(v) for k, v in data.items()},
              "held": {"links_kept": int(keep.sum()), "links_right": int((link_right & keep).sum()),
                       "claims_kept": int(keep_c.sum()), "claims_right": int(((claim_y > 0) & keep_c).sum()),
                       "results_kept": len(outcomes), "results_right": sum(r for _, r in outcomes),
                       "results_right_with_method": {"decision": method_right, "rule": by_rule},
                       "gold": n_gold}}
    save(out, models, settings, calibration, report)
    log.info("decisions written to %s: %s", out, settings)
    return report
