"""Counts of what a stored graph holds."""

from __future__ import annotations

import pyoxigraph as ox

from kg.vocab import sparql_prefixes

_COUNTS = sparql_prefixes() + """
SELECT
  (SUM(IF(?type = abx:Paper, 1, 0)) AS ?papers)
  (SUM(IF(?type = abx:Claim, 1, 0)) AS ?claims)
  (SUM(IF(?type = abx:Evidence, 1, 0)) AS ?evidence)
WHERE { ?s a ?type }"""
_ENTITIES = sparql_prefixes() + """
SELECT ?type (COUNT(?e) AS ?n) WHERE {
  ?e a ?type . FILTER(?type IN (abx:Method, abx:Dataset, abx:Task, abx:Metric, abx:Concept))
} GROUP BY ?type ORDER BY ?type"""
_CODE = sparql_prefixes() + "SELECT (COUNT(*) AS ?n) WHERE { ?p schema:codeRepository ?c }"


def graph_stats(store: ox.Store) -> dict:
    """Triples, papers, claims, evidence records, code links and entities per type."""
    row = next(iter(store.query(_COUNTS)))
    entities = {r["type"].value.rsplit("#", 1)[-1]: int(r["n"].value) for r in store.query(_ENTITIES)}
    return {
        "triples": sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph())),
        "papers": int(row["papers"].value) if row["papers"] else 0,
        "claims": int(row["claims"].value) if row["claims"] else 0,
        "evidence": int(row["evidence"].value) if row["evidence"] else 0,
        "code_links": int(next(iter(store.query(_CODE)))["n"].value),
        "entities": entities,
    }
