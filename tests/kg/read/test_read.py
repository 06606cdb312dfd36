"""The dashboard's read model (kg.read): plain data out of the seed graph, no Streamlit."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.errors import StoreError
from kg.model import EntityType
from kg.read.curation import correction_name
from kg.read.evidence import Evidence, link_evidence
from kg.read.leaderboard import result_facets, results
from kg.read.paper import Span, paper_detail, papers, segments
from kg.read.projection import at_confidence, neighbour_table, neighbourhood, paper_entity_graph, top_entities
from kg.read.search import search_entities
from kg.read.stats import confidence_counts
from kg.read.viz import evidence_table, link_tip, marked, node_tip
from tests.app._fixtures import ENTITY, IMAGENET, MRL_CODE, MRL_TITLE, median_link_confidence


@pytest.fixture(scope="module")
def mrl_iri(seed_store) -> str:
    return next(p["iri"] for p in papers(seed_store) if p["title"] == MRL_TITLE)



def test_papers_are_sorted_titles(seed_store):
    rows = papers(seed_store)
    assert len(rows) == 60 and set(rows[0]) == {"iri", "title"}
    assert [r["title"].casefold() for r in rows] == sorted(r["title"].casefold() for r in rows)


def test_paper_detail(seed_store, mrl_iri):
    d = paper_detail(seed_store, mrl_iri)
    assert d.title == "Matryoshka Representation Learning" and d.code == (MRL_CODE,)
    assert d.abstract.startswith("Learned representations")
    for s in d.spans:
        text = d.title if s.section == "title" else d.abstract
        assert 0 <= s.start < s.end <= len(text) and s.type in set(EntityType)
    assert {"MRL", "ImageNet-1K"} <= {d.abstract[s.start:s.end] for s in d.spans}
    improves = next(c for c in d.claims if c.kind == "result" and "14" in c.text)
    assert d.abstract[improves.start:improves.end] == improves.text
    assert [(q["qualifier"], q["value"], q["unit"]) for q in improves.quantities] == [
        ("up to", "14", "x"), ("up to", "14", "x"), ("up to", "2", "%")]
    preds = {e["label"]: e["predicate"] for e in d.entities}
    # "proposes" until the tenth session's decisions made MRL a Task here (a strict expected failure in
    # tests/test_integration.py); the detail shows the link the graph holds
    assert preds["Matryoshka Representation Learning"] == "addresses" and preds["ImageNet-1K"] == "evaluatesOn"


def test_paper_detail_unknown_and_invalid(seed_store):
    assert paper_detail(seed_store, "https://example.org/no-such-paper") is None
    with pytest.raises(StoreError):
        paper_detail(seed_store, "not an iri> { }")


def test_top_entities(seed_store):
    top = top_entities(seed_store, "Dataset", 3)
    assert len(top) == 3 and top[0]["label"] == "ImageNet"
    assert [t["papers"] for t in top] == sorted((t["papers"] for t in top), reverse=True)
    with pytest.raises(ValueError, match="unknown entity type"):
        top_entities(seed_store, "Paper", 3)


def test_search_entities_in_store_and_graph(seed_store):
    by_alt = search_entities(seed_store, "llm", 5)
    assert by_alt[0]["label"] == "large language models" and by_alt[0]["type"] == "Method"
    g = paper_entity_graph(seed_store)
    hits = search_entities(g, "imagenet", 10)
    assert hits[0]["iri"] == IMAGENET and all("imagenet" in h["label"].casefold() for h in hits)
    assert len(search_entities(g, "", 3)) == 3
    assert search_entities(seed_store, "zzz-none", 3) == []


def test_neighbour_table(seed_store):
    g = paper_entity_graph(seed_store)
    sub = neighbourhood(g, IMAGENET, hops=2, cap=40)
    rows = neighbour_table(g, sub, IMAGENET)
    assert len(rows) == sub.number_of_nodes() - 1
    assert all(r["hops"] in (1, 2) for r in rows) and rows[0]["hops"] == 1
    assert {r["link"] for r in rows if r["hops"] == 1} == {"evaluatesOn"}
    assert neighbour_table(g, nx.DiGraph(), "nowhere") == []


def test_paper_entity_graph_and_confidence_threshold(seed_store):
    g = paper_entity_graph(seed_store)
    plain = paper_entity_graph(seed_store, support=False)  # what GraphML, GEXF and CSV exports hold
    assert list(g.nodes) == list(plain.nodes) and list(g.edges) == list(plain.edges)
    assert all(set(d) == {"label", "kind", "papers"} and d.items() <= g.nodes[n].items()
               for n, d in plain.nodes(data=True))
    assert all(d == {"predicate": g.edges[u, v]["predicate"]} for u, v, d in plain.edges(data=True))
    assert all(0 < d["confidence"] <= 1 and d["evidence"] >= 1 and d["rules"] for _, _, d in g.edges(data=True))
    imagenet_1k = g.nodes[ENTITY + "imagenet-1-k"]
    assert imagenet_1k["variant_of"] == ("ImageNet",) and 0 < imagenet_1k["confidence"] <= 1
    assert "LLM" in g.nodes[ENTITY + "large-language-model"]["alt"]
    assert at_confidence(g, 0.0) is g
    t = median_link_confidence(g)
    high = at_confidence(g, t)
    assert 0 < high.number_of_edges() < g.number_of_edges()
    assert all(d["confidence"] >= t for _, _, d in high.edges(data=True))
    assert all(high.degree(n) for n, d in high.nodes(data=True) if d["kind"] != "Paper")  # no isolated entities
    assert sum(1 for _, d in high.nodes(data=True) if d["kind"] == "Paper") == 60  # papers always stay
    assert all(d["papers"] == high.in_degree(n) <= d["papers_all"]
               for n, d in high.nodes(data=True) if d["kind"] != "Paper")
    assert g.nodes[IMAGENET].get("papers_all") is None  # the full graph was not touched


def test_top_entities_and_counts_at_a_threshold(seed_store):
    assert top_entities(seed_store, "Dataset", 3) == top_entities(
        paper_entity_graph(seed_store), "Dataset", 3)
    t = median_link_confidence(paper_entity_graph(seed_store))
    low, high = (sum(e["papers"] for e in top_entities(seed_store, "Task", 50, c)) for c in (0, t))
    assert high < low
    best = max(d["confidence"] for _, _, d in paper_entity_graph(seed_store).edges(data=True))
    counts = [confidence_counts(seed_store, c) for c in (0.0, t, best)]
    assert counts[0]["claims"] >= 100 and counts[0]["results"] >= 30
    assert counts[0]["evidence"] > counts[1]["evidence"] > counts[2]["evidence"] > 0
    assert counts[2]["claims"] < counts[0]["claims"]


def test_link_evidence_marks_the_span(seed_store, mrl_iri):
    link = (mrl_iri, ENTITY + "imagenet-1-k")
    (found,) = link_evidence(seed_store, [link]).values()
    assert found and all(ev.sentence[ev.mark[0]:ev.mark[1]] == ev.surface for ev in found)
    assert all(ev.section == "abstract" and ev.rules and 0 < ev.confidence <= 1 for ev in found)
    assert link_evidence(seed_store, [(mrl_iri, ENTITY + "no-such")]) == {(mrl_iri, ENTITY + "no-such"): []}
    with pytest.raises(StoreError):
        link_evidence(seed_store, [("not an iri> {", IMAGENET)])


def test_paper_detail_at_a_threshold(seed_store, mrl_iri):
    full = paper_detail(seed_store, mrl_iri)
    t = sorted(e["confidence"] for e in full.entities)[len(full.entities) // 2]  # about half the links stay
    part = paper_detail(seed_store, mrl_iri, t)
    assert full.hidden == 0 and part.hidden > 0
    assert 0 < len(part.entities) < len(full.entities) and all(e["confidence"] >= t for e in part.entities)
    assert all(s.confidence >= t for s in part.spans) and all(c.confidence >= t for c in part.claims)
    assert part.hidden == (len(full.spans) + len(full.claims) + len(full.entities)
                           - len(part.spans) - len(part.claims) - len(part.entities))


def test_results_are_sorted_and_filtered(seed_store):
    rows = results(seed_store)
    with_metric = [r for r in rows if r["metric"]]
    assert rows[: len(with_metric)] == with_metric  # rows without a metric last
    for a, b in zip(with_metric, with_metric[1:], strict=False):
        assert (a["metric"].casefold(), -a["value"]) <= (b["metric"].casefold(), -b["value"])
    noisy = results(seed_store, dataset="ImageNet", metric="top-1 accuracy")
    assert [(r["method"], r["value"], r["condition"]) for r in noisy] == [
        ("NoisyQuant", 1.7, "ViT"), ("NoisyQuant", 1.1, "DeiT"), ("NoisyQuant", 0.5, "Swin Transformer")]
    assert all(r["baseline"] == "state of the art" for r in noisy)
    top = max(r["confidence"] for r in rows)
    assert len(results(seed_store, top)) == sum(r["confidence"] >= top for r in rows) > 0
    assert results(seed_store, min(1.0, top + 0.01)) == []
    facets = result_facets(rows)
    assert "ImageNet" in facets["dataset"] and "top-1 accuracy" in facets["metric"]


def test_correction_names_normalise_to_the_entity_key():
    assert correction_name("ImageNet-1K", (), "imagenet 1 k") == "ImageNet-1K"
    assert correction_name("My Fancy Name", ("LLMs",), "large language model") == "large language model"
    assert correction_name("My Fancy Name", ("Large Language Models",), "large language model") \
        == "Large Language Models"
    assert correction_name("x", (), "") == "x"


def test_tooltips_and_evidence_table_escape_text():
    ev = Evidence("p", "e", "uses", "abstract", 10, 15, "<b>X", "We use <b>X</b> & more.", (7, 11),
                          ("gazetteer",), 0.9, 0.95)
    assert marked(ev.sentence, ev.mark) == "We use <mark>&lt;b&gt;X</mark>&lt;/b&gt; &amp; more."
    assert marked("a" * 50 + "XY" + "b" * 50, (50, 52), window=5) == "…aaaaa<mark>XY</mark>bbbbb…"
    tip = link_tip("Paper <i>", "X<script>", {"predicate": "uses", "confidence": 0.95, "rules": ("gazetteer",)},
                   [ev] * 5)
    assert "<script>" not in tip and "Paper &lt;i&gt;" in tip and tip.count("<li>") == 3 and "2 more" in tip
    node = node_tip({"label": "A&B", "kind": "Method", "confidence": 0.5, "papers": 2, "papers_all": 3,
                     "alt": ("a<b",), "variant_of": ("Base",)})
    assert "A&amp;B" in node and "a&lt;b" in node and "variant of: Base" in node and "3 at any confidence" in node
    table_html = evidence_table([ev])
    assert "<mark>&lt;b&gt;X</mark>" in table_html and "10–15" in table_html and "0.90" in table_html


def _span(start: int, end: int, kind: str = "Method") -> Span:
    return Span("abstract", start, end, f"e{start}", f"L{start}", kind, "uses")


def test_segments_overlapping_nested_adjacent_and_invalid():
    text = "abcdefghij"
    a, b, c = _span(0, 4), _span(2, 6, "Dataset"), _span(6, 8)
    bad = [_span(8, 20), _span(5, 5)]
    segs = segments(text, [a, b, c, *bad])
    assert "".join(piece for piece, _ in segs) == text
    assert [(p, len(cover)) for p, cover in segs] == [("ab", 1), ("cd", 2), ("ef", 1), ("gh", 1), ("ij", 0)]
    assert segs[3][1] == (c,)  # adjacent to b, not merged with it


@given(st.text(max_size=30), st.lists(st.tuples(st.integers(-3, 35), st.integers(-3, 35)), max_size=8))
def test_segments_cover_text_exactly(text, bounds):
    spans = [_span(s, e) for s, e in bounds]
    segs = segments(text, spans)
    assert "".join(p for p, _ in segs) == text
    pos = 0
    for piece, cover in segs:
        assert piece
        for s in spans:
            inside = s.start <= pos and pos + len(piece) <= s.end and 0 <= s.start < s.end <= len(text)
            assert (s in cover) == inside
        pos += len(piece)
