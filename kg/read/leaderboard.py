"""Leaderboard rows: the structured results (``abx:Result``) read from claim sentences."""

from __future__ import annotations

import pyoxigraph as ox

from kg.read.sparql import conf, local, passes, rows

_RESULTS = """SELECT ?r ?paper ?title ?sentence ?value ?unit ?qualifier ?direction ?conf ?btext WHERE {
    ?paper abx:hasClaim ?c ; dcterms:title ?title . ?c abx:hasResult ?r . ?r schema:value ?value .
    OPTIONAL { ?c abx:sentenceText ?sentence } OPTIONAL { ?r schema:unitText ?unit }
    OPTIONAL { ?r abx:qualifier ?qualifier } OPTIONAL { ?r abx:direction ?direction }
    OPTIONAL { ?r abx:confidence ?conf } OPTIONAL { ?r abx:baselineText ?btext } }"""
_RESULT_ROLES = """SELECT ?r ?role ?label WHERE { ?r a abx:Result ; ?role ?x .
    FILTER(?role IN (abx:resultMethod, abx:resultDataset, abx:resultMetric, abx:baseline, abx:condition))
    ?x skos:prefLabel ?label }"""
_ROLES = {"resultMethod": "method", "resultDataset": "dataset", "resultMetric": "metric",
          "baseline": "baseline", "condition": "condition"}
RESULT_EXTRA = ("paper_iri", "datasets", "metrics")  # in every row beside the columns: the labels one by one
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
    board = []
    for r in {r["r"]: r for r in rows(store, _RESULTS)}.values():
        found = roles.get(r["r"], {})
        joined = {role: ", ".join(sorted(found.get(role, ()), key=str.casefold)) for role in _ROLES.values()}
        board.append({**joined, "baseline": joined["baseline"] or (r["btext"] or ""),
                      "value": _number(r["value"]), "unit": r["unit"] or "", "qualifier": r["qualifier"] or "",
                      "direction": r["direction"] or "", "confidence": round(conf(r["conf"]), 4),
                      "paper": r["title"] or "", "claim": r["sentence"] or "", "paper_iri": r["paper"],
                      "datasets": sorted(found.get("dataset", ())), "metrics": sorted(found.get("metric", ()))})
    board.sort(key=lambda x: (not x["metric"], x["metric"].casefold(),
                              -x["value"] if x["value"] == x["value"] else float("inf"),
                              x["paper"].casefold(), x["condition"].casefold()))
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
