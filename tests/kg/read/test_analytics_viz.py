"""Neighbourhoods stay under their cap; the rendered graph page needs no network."""

from __future__ import annotations

import re

import networkx as nx

from kg.read.projection import neighbourhood, paper_entity_graph
from kg.read.viz import COLOURS, legend_html, network_html


def _star(n: int) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("hub", label="Hub", kind="Method", papers=n)
    for i in range(n):
        g.add_node(f"p{i}", label=f"Paper {i}", kind="Paper", papers=1)
        g.add_edge(f"p{i}", "hub", predicate="uses")
        for j in range(i % 4):
            g.add_node(f"d{i}-{j}", label=f"Data {i}-{j}", kind="Dataset", papers=1)
            g.add_edge(f"p{i}", f"d{i}-{j}", predicate="evaluatesOn")
    return g


def test_neighbourhood_is_capped_and_keeps_the_centre():
    g = _star(500)
    sub = neighbourhood(g, "hub", hops=2, cap=50)
    assert sub.number_of_nodes() == 50 and "hub" in sub
    # ranked by distance then degree: the best-connected papers come first
    assert all(sub.nodes[n]["kind"] == "Paper" for n in sub if n != "hub")
    assert min(g.degree(n) for n in sub if n != "hub") == 4


def test_neighbourhood_type_filter_and_unknown_centre():
    g = _star(20)
    sub = neighbourhood(g, "hub", hops=2, kinds={"Dataset"}, cap=500)
    assert {sub.nodes[n]["kind"] for n in sub} == {"Method", "Dataset"}
    assert neighbourhood(g, "nope").number_of_nodes() == 0


def test_projection_of_the_seed_graph(seed_store):
    g = paper_entity_graph(seed_store)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert kinds <= set(COLOURS) and "Paper" in kinds
    assert all(g.nodes[u]["kind"] == "Paper" and g.nodes[v]["kind"] != "Paper" for u, v in g.edges)


def test_network_html_is_self_contained():
    page = network_html(_star(10), centre="hub")
    assert "vis-network" in page and "Hub" in page
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=\"https?://", page)
    assert "#1f77b4" in page  # Method colour
    assert all(k in legend_html() for k in COLOURS)
