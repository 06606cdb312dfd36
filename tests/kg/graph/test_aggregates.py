"""The per-build counts (abx:Tally, kg.graph.aggregates) agree with counting the graph itself."""

from __future__ import annotations

import pytest

from kg import iri
from kg.config import DEFAULT_BASE_IRI
from kg.model import EntityType
from kg.read.sparql import rows


def _tallies(store) -> dict[tuple[str, str | None], tuple[int, int]]:
    found = rows(store, "SELECT ?t ?of ?kind ?n ?p WHERE { ?t a abx:Tally ; abx:tallyOf ?of ; abx:itemCount ?n ; "
                       "abx:paperTotal ?p OPTIONAL { ?t abx:tallyKind ?kind } }")
    return {(r["of"], r["kind"]): (int(r["n"]), int(r["p"])) for r in found}


@pytest.mark.parametrize("etype", list(EntityType))
def test_entity_type_tally_counts_the_entities_and_their_papers(seed_store, etype):
    cls = f"https://w3id.org/abstracta/ontology#{etype.value}"
    counted = rows(seed_store, f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e a <{cls}> }}")[0]["n"]
    papers = rows(seed_store, f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?e a <{cls}> . ?p a abx:Paper ; ?r ?e . "
                              "?p abx:hasEvidence/rdf:object ?e }")[0]["n"]
    assert _tallies(seed_store).get((cls, None)) == ((int(counted), int(papers)) if int(counted) else None)


def test_claim_kind_tallies_count_the_claims_and_their_papers(seed_store):
    counted = rows(seed_store, "SELECT ?k (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?p) AS ?ps) WHERE { "
                               "?p abx:hasClaim ?c . ?c abx:claimKind ?k } GROUP BY ?k")
    expected = {("https://w3id.org/abstracta/ontology#Claim", r["k"]): (int(r["n"]), int(r["ps"])) for r in counted}
    claims = {k: v for k, v in _tallies(seed_store).items() if k[1] is not None}
    assert claims == expected and len(claims) >= 2


def test_tallies_have_one_iri_per_group(seed_store):
    found = {r["t"] for r in rows(seed_store, "SELECT ?t WHERE { ?t a abx:Tally }")}
    assert iri.tally_iri(DEFAULT_BASE_IRI, "entity", "Method") in found
    assert iri.tally_iri(DEFAULT_BASE_IRI, "claim", "result") in found
    assert len(found) == len(_tallies(seed_store))  # one tallyOf (and at most one kind) per tally
