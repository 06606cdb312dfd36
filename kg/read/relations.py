"""Entity-entity relation statements (usedFor, evaluatedOn, ...) with the sentences that support them."""

from __future__ import annotations

import pyoxigraph as ox

from kg.read.sparql import conf, iris, local, passes, rows

# FILTER EXISTS keeps the type test a per-row lookup; as a plain pattern Oxigraph may scan every statement
_STATEMENTS = "SELECT DISTINCT ?s WHERE { %s FILTER EXISTS { ?s a abx:RelationStatement } }"
# Details by IRI, with no OPTIONAL: Oxigraph evaluates an OPTIONAL's inner pattern over the whole graph
# (every abx:rule, every label) before joining, which takes minutes on 55k papers. Every property read
# here is required by kg/shapes.ttl; labels and titles come in their own lookups.
_STATEMENT_CORE = """SELECT ?s ?h ?pred ?t ?conf ?ev ?paper WHERE { VALUES ?s { %s }
    ?s rdf:subject ?h ; rdf:predicate ?pred ; rdf:object ?t ; abx:confidence ?conf ; abx:supportedBy ?ev .
    ?ev prov:wasDerivedFrom ?paper . %s }"""
_EVIDENCE_TEXT = ("SELECT ?ev ?sentence ?score WHERE { VALUES ?ev { %s } "
                  "?ev abx:sentenceText ?sentence ; abx:score ?score }")
_EVIDENCE_RULES = "SELECT ?ev ?rule WHERE { VALUES ?ev { %s } ?ev abx:rule ?rule }"
_LABELS = "SELECT ?x ?l WHERE { VALUES ?x { %s } { ?x skos:prefLabel ?l } UNION { ?x dcterms:title ?l } }"
_BATCH = 200  # IRIs per lookup query


def _lookup(store: ox.Store, query: str, names: list[str]) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for i in range(0, len(names), _BATCH):
        out += rows(store, query % iris(names[i:i + _BATCH]))
    return out


def _relation_rows(store: ox.Store, where: str, min_confidence: float, evidence: str = "") -> list[dict]:
    """Statements matched by ``where`` (binding ``?s``) with their evidence; ``evidence`` restricts ``?ev``."""
    ids = sorted({r["s"] for r in rows(store, _STATEMENTS % where)})
    core: list[dict] = []
    for i in range(0, len(ids), _BATCH):
        core += rows(store, _STATEMENT_CORE % (iris(ids[i:i + _BATCH]), evidence))
    evs = sorted({r["ev"] for r in core})
    text = {r["ev"]: r for r in _lookup(store, _EVIDENCE_TEXT, evs)}
    rules: dict[str, set[str]] = {}
    for r in _lookup(store, _EVIDENCE_RULES, evs):
        rules.setdefault(r["ev"], set()).add(r["rule"])
    named = sorted({r[k] for r in core for k in ("h", "t", "paper")})
    labels = {r["x"]: r["l"] for r in _lookup(store, _LABELS, named)}
    found: dict[str, dict] = {}
    for r in core:
        row = found.setdefault(r["s"], {
            "statement": r["s"], "subject": r["h"], "subject_label": labels.get(r["h"]) or local(r["h"]),
            "predicate": local(r["pred"]),
            "object": r["t"], "object_label": labels.get(r["t"]) or local(r["t"]), "confidence": conf(r["conf"]),
            "evidence": {}})
        t = text.get(r["ev"], {})
        row["evidence"][r["ev"]] = {"paper": r["paper"], "title": labels.get(r["paper"]) or "",
                                    "sentence": t.get("sentence") or "", "score": conf(t.get("score")),
                                    "rules": tuple(sorted(rules.get(r["ev"], ())))}
    kept = [{**row, "evidence": tuple(sorted(row["evidence"].values(), key=lambda e: (-e["score"], e["paper"])))}
            for row in found.values() if passes(row["confidence"], min_confidence)]
    kept.sort(key=lambda x: (-x["confidence"], x["predicate"], x["subject_label"].casefold(),
                             x["object_label"].casefold()))
    return kept


def entity_relations(store: ox.Store, entity_iri: str, min_confidence: float = 0.0) -> list[dict]:
    """The relation statements an entity takes part in (as subject or object), surest first.

    Each row: ``statement`` (its IRI), ``subject``, ``subject_label``, ``predicate`` (local name: usedFor,
    evaluatedOn, ...), ``object``, ``object_label``, ``confidence`` and ``evidence``
    (one dict per sentence: ``paper``, ``title``, ``sentence``, ``score``, ``rules``).
    Raises StoreError when ``entity_iri`` is not an IRI.
    """
    e = iris([entity_iri])
    return _relation_rows(store, f"{{ ?s rdf:subject {e} }} UNION {{ ?s rdf:object {e} }}", min_confidence)


def paper_relations(store: ox.Store, paper_iri: str, min_confidence: float = 0.0) -> list[dict]:
    """The relation statements a paper's sentences support, as :func:`entity_relations` (evidence from
    this paper only). Raises StoreError when ``paper_iri`` is not an IRI."""
    p = iris([paper_iri])
    return _relation_rows(store, f"?ev prov:wasDerivedFrom {p} . ?s abx:supportedBy ?ev .", min_confidence,
                          evidence=f"?ev prov:wasDerivedFrom {p} .")


def statement_relations(store: ox.Store, statement_iris: list[str], min_confidence: float = 0.0) -> list[dict]:
    """The relation statements named by IRI, as :func:`entity_relations` gives them.

    Raises StoreError when one of ``statement_iris`` is not an IRI.
    """
    out: list[dict] = []
    for i in range(0, len(statement_iris), _BATCH):
        batch = sorted(set(statement_iris[i:i + _BATCH]))
        out += _relation_rows(store, f"VALUES ?s {{ {iris(batch)} }}", min_confidence)
    return out
