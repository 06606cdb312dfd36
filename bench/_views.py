"""The dashboard views the bench scripts open: a hub entity, a paper with claims, a leaderboard group.

Resolved once from the store (read-only), before the dashboard starts; each is a page module plus the query
parameters of its URL (``app_pages/_links.py``).
"""

from __future__ import annotations

import json
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.config import DEFAULT_MIN_CONFIDENCE
from kg.read.leaderboard import all_results, best_results
from kg.read.sparql import rows
from kg.store.generations import open_current

_ENTITY = """SELECT ?e (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?e skos:prefLabel ?l .
    FILTER(LCASE(STR(?l)) = {label}) OPTIONAL {{ ?p abx:hasEvidence ?ev . ?ev rdf:object ?e }} }}
    GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1"""
_PAPER_BY_TITLE = """SELECT ?p WHERE {{ ?p a abx:Paper ; dcterms:title ?t .
    FILTER(LCASE(STR(?t)) = {title}) }} ORDER BY ?p LIMIT 1"""
_PAPER_MOST_CLAIMS = """SELECT ?p (COUNT(?c) AS ?n) WHERE { ?p a abx:Paper ; abx:hasClaim ?c }
    GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT 1"""


def _literal(text: str) -> str:
    return json.dumps(text.casefold())  # a SPARQL string literal: JSON's escapes are SPARQL's


def resolve(store_dir: Path, entity: str, paper: str | None = None) -> dict[str, dict[str, str]]:
    """{view name: query parameters}: ``entity`` (a label) on the entity page and centring the concept map,
    ``paper`` (a title; by default the paper with the most claims) and the leaderboard's largest group."""
    _, store = open_current(store_dir)
    try:
        found = rows(store, _ENTITY.format(label=_literal(entity)))
        if not found or not found[0]["e"]:
            raise SystemExit(f"no entity labelled {entity!r} in {store_dir}")
        hub = found[0]["e"]
        picked = rows(store, _PAPER_BY_TITLE.format(title=_literal(paper)) if paper else _PAPER_MOST_CLAIMS)
        if not picked:
            raise SystemExit(f"no paper titled {paper!r} in {store_dir}" if paper else f"no paper in {store_dir}")
        # the group with most methods ranked at the sidebar's default confidence: what the page shows first
        groups = Counter((r["dataset"], r["metric"]) for r in best_results(all_results(store), DEFAULT_MIN_CONFIDENCE))
    finally:
        del store
    views = {"entity": {"iri": hub}, "concepts": {"centre": hub, "edges": "both", "colour": "community"},
             "paper": {"iri": picked[0]["p"]}}
    if groups:
        (dataset, metric), _ = groups.most_common(1)[0]
        views["leaderboard"] = {"dataset": dataset, "metric": metric}
    return views


def address(page: str, params: dict[str, str]) -> str:
    """The relative URL of a view, as the app's links write it."""
    query = urllib.parse.urlencode(params)
    return f"{page}?{query}" if query else page
