"""Counts of what a stored graph holds."""

from __future__ import annotations

import pyoxigraph as ox

from kg.model import EntityType
from kg.read.sparql import rows
from kg.vocab import sparql_prefixes

_CLASSES = {"papers": "abx:Paper", "claims": "abx:Claim", "evidence": "abx:Evidence"}


def _count(store: ox.Store, pattern: str) -> int:
    row = next(iter(store.query(sparql_prefixes() + f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")))
    return int(row["n"].value)


def graph_stats(store: ox.Store, *, triples: int | None = None) -> dict:
    """Triples, papers, claims, evidence records, code links and entities per type.

    One index lookup per class, so it stays fast on millions of triples; pass
    ``triples`` (the build summary has it) to skip counting every triple.
    """
    if triples is None:
        triples = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    counts = {name: _count(store, f"?s a {cls}") for name, cls in _CLASSES.items()}
    entities = {t.value: n for t in EntityType if (n := _count(store, f"?e a abx:{t}"))}
    return {"triples": triples, **counts, "code_links": _count(store, "?p schema:codeRepository ?c"),
            "entities": entities}


def confidence_counts(store: ox.Store, threshold: float) -> dict[str, int]:
    """How many evidence records, claims and results have confidence ``threshold`` or more."""
    t = f"{max(0.0, float(threshold)) - 1e-9:.10f}"
    out = {}
    for name, cls in (("evidence", "Evidence"), ("claims", "Claim"), ("results", "Result")):
        found = rows(store, f"""SELECT (COUNT(?x) AS ?n) WHERE {{ ?x a abx:{cls} .
            OPTIONAL {{ ?x abx:confidence ?c }} FILTER(COALESCE(?c, 0) >= {t}) }}""")
        out[name] = int(found[0]["n"]) if found else 0
    return out
