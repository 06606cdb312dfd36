"""The concept map (kg.read.concepts), the entity view (kg.read.entity) and their HTML, on the seed graph."""

from __future__ import annotations

import re

import networkx as nx
import pytest

from kg.read import concepts, entity, snapshot, viz
from kg.read.leaderboard import all_results
from kg.read.projection import PAPER, at_confidence, paper_entity_graph
from kg.store.generations import current_generation

ENTITY = "https://w3id.org/abstracta/entity/"
HUB = ENTITY + "diffusion-model"  # the entity in most relation statements of the seed graph
IMAGENET = ENTITY + "imagenet"


@pytest.fixture(scope="module")
def graph(seed_settings):
    return snapshot.load_graph(snapshot.find(current_generation(seed_settings.store_dir).path))


@pytest.fixture(scope="module")
def statements(seed_store):
    return concepts.relation_statements(seed_store)


def _connected(cmap: concepts.ConceptMap) -> bool:
    h = nx.Graph()
    h.add_nodes_from(n["iri"] for n in cmap.nodes)
    h.add_edges_from((e["source"], e["target"]) for e in cmap.edges)
    return nx.is_connected(h)


def test_statements_are_read_with_their_confidence(statements):
    assert len(statements) > 20
    assert all(0 < s["confidence"] <= 1 and s["subject"] != s["object"] for s in statements)
    assert {"usedFor", "evaluatedOn"} <= {s["predicate"] for s in statements}


@pytest.mark.parametrize("edges", concepts.EDGE_MODES)
def test_a_centred_map_is_connected_and_capped(graph, statements, edges):
    for cap in (5, 12, 40):
        cmap = concepts.concept_map(graph, statements, centre=HUB, edges=edges, cap=cap)
        assert cmap.nodes[0]["iri"] == HUB and cmap.nodes[0]["hop"] == 0
        assert 2 <= len(cmap.nodes) <= cap and _connected(cmap)
        kinds = {e["kind"] for e in cmap.edges}
        assert kinds <= ({"relation"} if edges == "relations" else {"cooccurrence"} if edges == "cooccurrence"
                         else {"relation", "cooccurrence"})
        shown = {n["iri"] for n in cmap.nodes}
        assert all(e["source"] in shown and e["target"] in shown for e in cmap.edges)
        assert all(n["degree"] >= 1 and n["papers"] >= 1 for n in cmap.nodes)
    assert cmap.candidates > len(cmap.nodes) or edges == "relations"


def test_the_hub_map_holds_its_relations(graph, statements):
    cmap = concepts.concept_map(graph, statements, centre=HUB, edges="relations", cap=40)
    rel = [s for s in statements if HUB in (s["subject"], s["object"])]
    partners = {s["object"] if s["subject"] == HUB else s["subject"] for s in rel}
    assert partners <= {n["iri"] for n in cmap.nodes}
    assert all(n["hop"] == 1 for n in cmap.nodes if n["iri"] in partners)
    assert [n["relevance"] for n in cmap.nodes[1:]] == sorted((n["relevance"] for n in cmap.nodes[1:]), reverse=True)


def test_without_a_centre_the_most_central_entities(graph, statements):
    cmap = concepts.concept_map(graph, statements, edges="both", cap=20)
    assert cmap.centre is None and 5 <= len(cmap.nodes) <= 20
    assert all(n["degree"] >= 1 and n["hop"] is None for n in cmap.nodes)
    ranks = [n["pagerank"] for n in cmap.nodes]
    assert ranks == sorted(ranks, reverse=True)
    assert sum(n["labelled"] for n in cmap.nodes) == 12


def test_filters(graph, statements):
    cmap = concepts.concept_map(graph, statements, centre=IMAGENET, edges="both", kinds=("Method", "Metric"))
    assert {n["type"] for n in cmap.nodes[1:]} <= {"Method", "Metric"} and cmap.nodes[0]["type"] == "Dataset"
    sure = concepts.concept_map(graph, statements, edges="relations", min_confidence=0.8, cap=60)
    assert sure.edges and all(e["confidence"] >= 0.8 for e in sure.edges)
    shared = concepts.concept_map(graph, statements, centre=IMAGENET, edges="cooccurrence", min_shared=2)
    assert all(e["shared"] >= 2 for e in shared.edges)
    cut = at_confidence(graph, 0.9)  # links below 0.9 gone: fewer papers per entity
    assert sum(n["papers"] for n in concepts.concept_map(cut, statements, cap=20).nodes) <= sum(
        n["papers"] for n in concepts.concept_map(graph, statements, cap=20).nodes)
    assert concepts.concept_map(graph, statements, centre=ENTITY + "no-such-thing").nodes == ()
    with pytest.raises(ValueError):
        concepts.concept_map(graph, statements, edges="everything")


def test_years_keep_entities_with_a_paper_in_range(graph, statements):
    papers = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == PAPER)
    years = {p: 2020 + i % 4 for i, p in enumerate(papers)}  # the seed papers have no year: give them some
    cmap = concepts.concept_map(graph, statements, edges="both", years=(2021, 2021), paper_years=years, cap=30)
    assert cmap.nodes
    for n in cmap.nodes:
        assert any(years[p] == 2021 for p in graph.predecessors(n["iri"]))
        assert n["papers"] == sum(years[p] == 2021 for p in graph.predecessors(n["iri"]))


def test_the_same_inputs_give_the_same_map_and_picture(graph, statements):
    one = concepts.concept_map(graph, statements, centre=IMAGENET, edges="both", cap=25)
    two = concepts.concept_map(graph.copy(), list(reversed(statements)), centre=IMAGENET, edges="both", cap=25)
    assert one == two
    assert concepts.layout(one) == concepts.layout(two) and concepts.layout(one)[IMAGENET] == (0.0, 0.0)


def test_the_store_fallback_matches_the_snapshot(seed_store, graph, statements):
    metrics = concepts.entity_metrics(seed_store)
    from_store = concepts.concept_map(paper_entity_graph(seed_store), statements, centre=HUB, metrics=metrics)
    from_snapshot = concepts.concept_map(graph, statements, centre=HUB)
    assert [n["iri"] for n in from_store.nodes] == [n["iri"] for n in from_snapshot.nodes]
    assert all(n["community_label"] for n in from_store.nodes if n["community"])


def test_relation_edges_get_their_evidence(seed_store, graph, statements):
    cmap = concepts.with_evidence(seed_store, concepts.concept_map(graph, statements, centre=HUB, edges="both"))
    relations = [e for e in cmap.edges if e["kind"] == "relation"]
    assert relations and all(e["evidence"] and e["evidence"][0]["sentence"] for e in relations)
    assert all(e["papers"] and e["shared"] >= 1 for e in cmap.edges if e["kind"] == "cooccurrence")
    rows = concepts.edge_rows(cmap)
    assert len(rows) == len(cmap.edges) and rows[0]["evidence"]


def test_concept_html_is_offline_fixed_and_linked(seed_store, graph, statements):
    cmap = concepts.concept_map(graph, statements, centre=HUB, edges="both", cap=15)
    nodes = [{**n, "href": "concepts?centre=x", "tip": viz.concept_node_tip(n, [("entity page", "entity?iri=x")])}
             for n in cmap.nodes]
    page = viz.concept_html(nodes, cmap.edges, concepts.layout(cmap), centre=HUB)
    assert '"physics": {"enabled": false}' in page and "doubleClick" in page and "showPopup" in page
    assert 'target=\\"_top\\"' in page or 'target="_top"' in page
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=\"https://", page)
    assert viz.concept_legend_html(cmap.nodes).count("border-radius") >= 2


def test_entity_view_helpers(seed_store, graph):
    summary = entity.entity_summary(graph, IMAGENET)
    assert summary["label"] == "ImageNet" and summary["type"] == "Dataset" and summary["pagerank"] > 0
    assert entity.entity_summary(graph, ENTITY + "no-such-thing") is None
    papers = entity.entity_papers(graph, IMAGENET)
    assert len(papers) == summary["papers"] and entity.papers_by_year(papers) == []
    partners = entity.cooccurring(graph, IMAGENET, n=5)
    assert len(partners) == 5 and partners[0]["shared"] >= partners[-1]["shared"] >= 1
    rows = entity.entity_results(all_results(seed_store), "ImageNet")
    assert rows and all("ImageNet" in r["datasets"] for r in rows)
