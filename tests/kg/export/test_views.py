"""Exports of one drawn view (kg.export.views): GraphML and node-link JSON read back, HTML opens offline."""

from __future__ import annotations

import io
import json
import re

import networkx as nx
import pytest

from kg.errors import ExportError
from kg.export.views import concept_graph, graphml_bytes, html_bytes, json_bytes, view_files
from kg.read import concepts, snapshot, viz
from kg.read.projection import neighbourhood
from kg.store.generations import current_generation

ENTITY = "https://w3id.org/abstracta/entity/"
IMAGENET = ENTITY + "imagenet"
HUB = ENTITY + "diffusion-model"
REMOTE = re.compile(r"<(script|link)\b[^>]*(src|href)=\"(https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def graph(seed_settings) -> nx.DiGraph:
    return snapshot.load_graph(snapshot.find(current_generation(seed_settings.store_dir).path))


@pytest.fixture(scope="module")
def around(graph) -> nx.DiGraph:
    return neighbourhood(graph, IMAGENET, hops=2, cap=60)


@pytest.fixture(scope="module")
def cmap(graph, seed_store) -> concepts.ConceptMap:
    found = concepts.concept_map(graph, concepts.relation_statements(seed_store), centre=HUB, edges="both", cap=25)
    return concepts.with_evidence(seed_store, found)


def _edges(g: nx.Graph) -> set[tuple[str, str]]:
    return {(u, v) for u, v, *_ in g.edges}


def test_neighbourhood_graphml_reads_back_with_the_same_nodes_and_edges(around):
    assert any(isinstance(v, tuple) for _, _, d in around.edges(data=True) for v in d.values())  # rules
    back = nx.read_graphml(io.BytesIO(graphml_bytes(around)))
    assert set(back.nodes) == set(around.nodes) and _edges(back) == _edges(around) and len(around) > 10
    assert back.is_directed()
    node = back.nodes[IMAGENET]
    assert node["label"] == "ImageNet" and node["kind"] == "Dataset" and isinstance(node["papers"], int)
    assert all(isinstance(v, str | int | float | bool) for _, d in back.nodes(data=True) for v in d.values())


def test_neighbourhood_json_round_trips(around):
    data = json.loads(json_bytes(around))
    assert {"nodes", "links", "directed"} <= set(data)
    back = nx.node_link_graph(data, edges="links")
    assert set(back.nodes) == set(around.nodes) and _edges(back) == _edges(around)
    assert back.nodes[IMAGENET]["label"] == "ImageNet"


def test_concept_map_exports_read_back(cmap):
    g = concept_graph(cmap)
    assert g.number_of_nodes() == len(cmap.nodes) and g.number_of_edges() == len(cmap.edges) > 5
    assert g.graph["centre"] == HUB
    back = nx.read_graphml(io.BytesIO(graphml_bytes(g)))
    assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == g.number_of_edges()
    assert _edges(back) == _edges(g)
    relation = next(d for _, _, d in back.edges(data=True) if d["kind"] == "relation")
    assert json.loads(relation["evidence"])[0]["sentence"]  # structured values travel as JSON text
    again = nx.node_link_graph(json.loads(json_bytes(g)), edges="links")
    assert again.is_multigraph() and again.number_of_edges() == g.number_of_edges()
    assert _edges(again) == _edges(g)


def test_html_holds_the_nodes_and_loads_nothing_remote(around, cmap):
    page = html_bytes(viz.network_html(around, centre=IMAGENET)).decode("utf-8")
    assert "vis-network" in page and IMAGENET in page and "ImageNet" in page
    assert not REMOTE.search(page)
    files = view_files(concept_graph(cmap), viz.concept_html(cmap.nodes, cmap.edges, concepts.layout(cmap)))
    assert set(files) == {"graphml", "json", "html"}
    assert HUB in files["html"].decode("utf-8") and not REMOTE.search(files["html"].decode("utf-8"))


def test_html_that_needs_the_network_is_refused():
    with pytest.raises(ExportError, match="offline"):
        html_bytes('<html><script src="https://cdn.example.org/vis.js"></script></html>')


def test_graphml_drops_none_and_cleans_text():
    g = nx.DiGraph()
    g.add_node("a", label="bad\x01char", alt=("x", "y"), year=None, parts={"b", "a"})
    g.add_edge("a", "b", rules=(), confidence=0.5)
    back = nx.read_graphml(io.BytesIO(graphml_bytes(g)))
    assert back.nodes["a"] == {"label": "badchar", "alt": "x|y", "parts": "a|b"}
    assert back.edges["a", "b"] == {"rules": "", "confidence": 0.5}
