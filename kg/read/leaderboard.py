"""Leaderboard rows: the structured results (``abx:Result``) read from claim sentences.

``all_results`` gives every result as a row (the list the snapshot keeps); ``best_results`` turns
them into a leaderboard: the best score per method x dataset x metric, ranked by the metric's
direction, which ``seeds/patterns/metric_direction.json`` decides from the metric's name.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.config import SEEDS_DIR
from kg.errors import ConfigError
from kg.read.sparql import conf, local, passes, rows

logger = logging.getLogger(__name__)

_RESULTS = """SELECT ?r ?c ?start ?kind ?paper ?title ?sentence ?value ?unit ?qualifier ?direction ?conf ?btext
WHERE { ?paper abx:hasClaim ?c ; dcterms:title ?title . ?c abx:hasResult ?r . ?r schema:value ?value .
    OPTIONAL { ?c abx:sentenceText ?sentence } OPTIONAL { ?c abx:charStart ?start }
    OPTIONAL { ?r abx:resultKind ?kind } OPTIONAL { ?r schema:unitText ?unit }
    OPTIONAL { ?r abx:qualifier ?qualifier } OPTIONAL { ?r abx:direction ?direction }
    OPTIONAL { ?r abx:confidence ?conf } OPTIONAL { ?r abx:baselineText ?btext } }"""
_RESULT_ROLES = """SELECT ?r ?role ?label WHERE { ?r a abx:Result ; ?role ?x .
    FILTER(?role IN (abx:resultMethod, abx:resultDataset, abx:resultMetric, abx:baseline, abx:condition))
    ?x skos:prefLabel ?label }"""
_ROLES = {"resultMethod": "method", "resultDataset": "dataset", "resultMetric": "metric",
          "baseline": "baseline", "condition": "condition"}
# In every row beside the columns: the labels one by one, the result kind (score, gain, ...) and the claim
# (its IRI and start offset in the abstract), so a row can link to its sentence in the paper view.
RESULT_EXTRA = ("paper_iri", "datasets", "metrics", "kind", "claim_iri", "claim_start")
RESULT_COLUMNS = ("metric", "value", "unit", "qualifier", "method", "dataset", "condition", "baseline",
                  "direction", "confidence", "paper", "claim")


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def results(store: ox.Store, min_confidence: float = 0.0, *, dataset: str | None = None,
            metric: str | None = None) -> list[dict]:
    """Structured results (``abx:Result``) as leaderboard rows, confidence ``min_confidence`` or more.

    Each row has the ``RESULT_COLUMNS`` (several entities of one role are
    joined by ", "; ``baseline`` falls back to the baseline text) plus
    ``paper_iri``. ``dataset`` and ``metric`` keep the rows naming that entity
    label. Sorted by metric (rows without one last), then value, highest first.
    """
    return filter_results(all_results(store), min_confidence, dataset=dataset, metric=metric)


def all_results(store: ox.Store) -> list[dict]:
    """Every leaderboard row, sorted as ``results`` sorts them (what ``kg.read.snapshot`` keeps)."""
    roles: dict[str, dict[str, set[str]]] = {}
    for r in rows(store, _RESULT_ROLES):
        roles.setdefault(r["r"], {}).setdefault(_ROLES[local(r["role"])], set()).add(r["label"])
    return result_rows(
        {**{role: found.get(role, set()) for role in _ROLES.values()}, "baseline_text": r["btext"] or "",
         "value": _number(r["value"]), "unit": r["unit"] or "", "qualifier": r["qualifier"] or "",
         "direction": r["direction"] or "", "confidence": conf(r["conf"]), "paper": r["title"] or "",
         "claim": r["sentence"] or "", "paper_iri": r["paper"], "kind": r["kind"] or "", "claim_iri": r["c"],
         "claim_start": int(r["start"]) if r["start"] is not None else None}
        for r in {r["r"]: r for r in rows(store, _RESULTS)}.values() for found in [roles.get(r["r"], {})])


def result_rows(results: Iterable[dict]) -> list[dict]:
    """Leaderboard rows, sorted, from one dict per result whose roles (method, dataset, metric, baseline,
    condition) are sets of entity labels, with ``baseline_text`` for a baseline that names no entity."""
    board = []
    for r in results:
        joined = {role: ", ".join(sorted(r[role], key=str.casefold)) for role in _ROLES.values()}
        board.append({**r, **joined, "baseline": joined["baseline"] or r["baseline_text"],
                      "confidence": round(r["confidence"], 4),
                      "datasets": sorted(r["dataset"]), "metrics": sorted(r["metric"])})
    board.sort(key=lambda x: (not x["metric"], x["metric"].casefold(),
                              -x["value"] if x["value"] == x["value"] else float("inf"),
                              x["paper"].casefold(), x["condition"].casefold(),
                              x["claim_iri"], x["method"], x["dataset"], x["unit"], x["qualifier"], x["baseline"],
                              -x["confidence"], x["direction"], x["kind"]))  # two numbers of one claim may tie
    return [{k: row[k] for k in (*RESULT_COLUMNS, *RESULT_EXTRA)} for row in board]


def filter_results(board: list[dict], min_confidence: float = 0.0, *, dataset: str | None = None,
                   metric: str | None = None) -> list[dict]:
    """The rows of ``all_results`` at confidence ``min_confidence`` or more naming ``dataset`` and ``metric``."""
    return [r for r in board if passes(r["confidence"], min_confidence)
            and (not dataset or dataset in r["datasets"]) and (not metric or metric in r["metrics"])]


def result_facets(board: list[dict]) -> dict[str, list[str]]:
    """The datasets and metrics named by leaderboard rows, sorted: {"dataset": [...], "metric": [...]}."""
    return {role: sorted({name for row in board for name in row[role].split(", ") if name}, key=str.casefold)
            for role in ("dataset", "metric")}


# ------------------------------------------------------------------ the leaderboard: best rows

DIRECTION_RULES = SEEDS_DIR / "patterns" / "metric_direction.json"
HIGHER, LOWER = "higher", "lower"
# A best row's columns, key columns first; besides them: paper_iri, claim_iri, claim_start for the link.
BEST_COLUMNS = ("rank", "method", "value", "unit", "qualifier", "dataset", "metric", "better", "condition",
                "paper", "claim", "confidence")
BEST_EXTRA = ("paper_iri", "claim_iri", "claim_start")


@dataclass(frozen=True, slots=True)
class DirectionRules:
    """Which way each metric is better: the first rule whose pattern is found in the metric's name decides."""

    rules: tuple[tuple[re.Pattern[str], str], ...] = ()
    default: str = HIGHER

    def direction(self, metric: str) -> str:
        """``"higher"`` or ``"lower"``: which values of ``metric`` are better.

        >>> DirectionRules(((re.compile("error", re.I), LOWER),)).direction("top-1 error")
        'lower'
        >>> DirectionRules().direction("BLEU")
        'higher'
        """
        return next((d for pattern, d in self.rules if pattern.search(metric)), self.default)


@functools.cache
def load_direction_rules(path: Path = DIRECTION_RULES) -> DirectionRules:
    """Read the metric-direction rules (``seeds/patterns/metric_direction.json``); cached per path."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        rules = tuple((re.compile(r["pattern"], re.IGNORECASE), r["direction"]) for r in data["rules"])
        default = data.get("default", HIGHER)
    except (OSError, ValueError, KeyError, TypeError, re.error) as e:
        raise ConfigError(f"cannot read the metric-direction rules {path}: {e}; restore it from git") from e
    wrong = sorted({d for _, d in rules if d not in (HIGHER, LOWER)} | ({default} - {HIGHER, LOWER}))
    if wrong:
        raise ConfigError(f"{path}: direction {wrong[0]!r} is neither {HIGHER!r} nor {LOWER!r}; fix the rule")
    return DirectionRules(rules, default)


def is_score(row: dict) -> bool:
    """Whether the row states a metric's value (``abx:resultKind`` "score") rather than a change.

    Gains, reductions and ratios ("improves by 1.7%", "14x faster") are margins over something
    else: they are never a best score. Rows from stores older than ``resultKind`` count as
    scores when they state no direction (``abx:direction``) either.
    """
    kind = row.get("kind")
    return kind == "score" if kind else not row.get("direction")


def _better(row: dict, lower: bool) -> tuple:
    """Sort key: the better value first, then the surer row, then a fixed order (paper, sentence, offset)."""
    value = row["value"]
    return (-value if not lower else value, -row["confidence"], row["paper"].casefold(), row["paper_iri"],
            row.get("claim_start") if row.get("claim_start") is not None else -1, row["condition"].casefold())


def best_results(board: list[dict], min_confidence: float = 0.0, *, dataset: str | None = None,
                 metric: str | None = None, rules: DirectionRules | None = None) -> list[dict]:
    """The leaderboard: one best row per (method, dataset, metric) among the rows of ``all_results``.

    Only scores (see ``is_score``) with a number, a method, a dataset and a metric count, at
    confidence ``min_confidence`` or more; a row naming several datasets or metrics counts for
    each. Within each (dataset, metric) the methods are ranked by the metric's direction
    (``rules``, by default ``seeds/patterns/metric_direction.json``): equal values share a
    rank ("1, 1, 3"); of one method's equal values the surer row is kept. Values are compared
    as stated: a missing unit is no unit. Rows have ``BEST_COLUMNS`` plus ``BEST_EXTRA``,
    sorted by dataset, metric, rank and method.
    """
    rules = rules or load_direction_rules()
    best: dict[tuple[str, str, str], dict] = {}
    for row in board:
        if not (is_score(row) and row["method"] and passes(row["confidence"], min_confidence)
                and not math.isnan(row["value"])):
            continue
        for ds in row["datasets"]:
            for m in row["metrics"]:
                if (dataset and ds != dataset) or (metric and m != metric):
                    continue
                lower = rules.direction(m) == LOWER
                held = best.get((row["method"], ds, m))
                if held is None or _better(row, lower) < _better(held, lower):
                    best[(row["method"], ds, m)] = {**row, "dataset": ds, "metric": m,
                                                    "better": LOWER if lower else HIGHER}
    groups: dict[tuple[str, str], list[dict]] = {}
    for (_, ds, m), row in best.items():
        groups.setdefault((ds, m), []).append(row)
    ranked = []
    for _, found in sorted(groups.items(), key=lambda g: (g[0][0].casefold(), g[0][1].casefold())):
        lower = found[0]["better"] == LOWER
        found.sort(key=lambda r: (_better(r, lower)[0], r["method"].casefold()))
        for i, row in enumerate(found):
            rank = ranked[-1]["rank"] if i and row["value"] == found[i - 1]["value"] else i + 1
            ranked.append({**{k: row.get(k) for k in (*BEST_COLUMNS, *BEST_EXTRA) if k != "rank"}, "rank": rank})
    logger.debug("leaderboard: %d best row(s) in %d group(s)", len(ranked), len(groups))
    return [{k: r[k] for k in (*BEST_COLUMNS, *BEST_EXTRA)} for r in ranked]
