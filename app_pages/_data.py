"""Cached data access for the pages: models and the store via ``st.cache_resource``, results via ``st.cache_data``.

Every cache is keyed by ``Key`` (store directory, generation name), so a new
generation never reads an old one's entries.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import streamlit as st

from app_pages._links import url
from kg.errors import StoreError
from kg.export.files import SUFFIXES, export
from kg.export.views import concept_graph, view_files
from kg.query.examples import load_examples
from kg.query.runner import QueryResult, QueryRunner
from kg.read import concepts, entity, snapshot, viz
from kg.read.curation import entity_catalogue
from kg.read.evidence import Evidence, link_evidence
from kg.read.fulltext import Hit
from kg.read.fulltext import available as fulltext_available
from kg.read.leaderboard import all_results, best_results, filter_results
from kg.read.paper import PaperDetail, paper_detail
from kg.read.paper import papers as store_papers
from kg.read.projection import (
    at_confidence,
    link_table,
    neighbour_table,
    neighbourhood,
    paper_entity_graph,
    top_entities,
)
from kg.read.relations import entity_relations, paper_relations
from kg.read.search import search_all, search_entities
from kg.read.sparql import open_generation
from kg.read.stats import confidence_counts, graph_stats
from kg.read.viz import network_html
from kg.store.generations import Generation

Key = tuple[str, str]  # (store directory, generation name): every cache is keyed by it


def _generation(key: Key) -> Generation:
    return Generation(Path(key[0]), key[1])


@st.cache_resource(show_spinner=False, max_entries=4)
def store(key: Key) -> ox.Store:  # shared read-only between sessions
    return open_generation(_generation(key))


def _snapshot(key: Key) -> Path | None:
    """The generation's snapshot (link graph, label index, counts), if its build wrote one."""
    return snapshot.find(_generation(key).path)


@st.cache_resource(show_spinner=False, max_entries=4)
def full_graph(key: Key) -> nx.DiGraph:  # never mutated
    found = _snapshot(key)
    return snapshot.load_graph(found) if found else paper_entity_graph(store(key))


@st.cache_resource(show_spinner=False, max_entries=8)
def graph(key: Key, threshold: float) -> nx.DiGraph:  # never mutated
    """The paper-entity graph without the links below ``threshold``."""
    return at_confidence(full_graph(key), threshold)


@st.cache_resource(show_spinner=False, max_entries=4, on_release=lambda runner: runner.close())
def _runner(key: Key, timeout_s: float, max_rows: int) -> QueryRunner:
    return QueryRunner(_generation(key).db_path, timeout_s=timeout_s, max_rows=max_rows)


@st.cache_data(show_spinner=False, max_entries=16)
def stats(key: Key) -> dict:
    try:
        triples = _generation(key).summary().get("triples")
    except StoreError:  # an unreadable summary: count the triples instead (the sidebar says why)
        triples = None
    return graph_stats(store(key), triples=triples)


@st.cache_data(show_spinner=False, max_entries=32)
def counts(key: Key, threshold: float) -> dict[str, int]:
    found = _snapshot(key)
    stored = snapshot.confidence_counts(found, threshold) if found else None
    return stored if stored is not None else confidence_counts(store(key), threshold)


@st.cache_data(show_spinner=False, max_entries=64)
def top(key: Key, type_name: str, n: int, threshold: float) -> list[dict]:
    return top_entities(graph(key, threshold), type_name, n)


@st.cache_data(show_spinner=False, max_entries=16)
def papers(key: Key) -> list[dict]:
    found = _snapshot(key)
    return snapshot.papers(found) if found else store_papers(store(key))


@st.cache_data(show_spinner=False, max_entries=256)
def paper(key: Key, iri: str, threshold: float) -> PaperDetail | None:
    return paper_detail(store(key), iri, threshold)


@st.cache_data(show_spinner=False, max_entries=256)
def search(key: Key, text: str, threshold: float) -> list[dict]:
    linked = graph(key, threshold)  # only entities with a link at this confidence; papers counted at it
    found = _snapshot(key)
    hits = snapshot.search(found, text, limit=200) if found else search_entities(store(key), text, limit=200)
    return [{**m, "papers": linked.nodes[m["iri"]]["papers"]} for m in hits if m["iri"] in linked][:50]


@st.cache_data(show_spinner=False, max_entries=256)
def search_text(key: Key, text: str, kind: str, limit: int, threshold: float) -> tuple[bool, list[Hit]]:
    """Whether the generation has a full-text index, and the hits of one ``kind`` for ``text``, best first.

    Evidence below ``threshold`` is left out, and so are entities without a link at it (as on Explore).
    """
    found = _snapshot(key)
    indexed = found is not None and fulltext_available(found)
    if kind != "entity" or threshold <= 0:
        return indexed, search_all(found or store(key), text, limit=limit, kinds=(kind,), threshold=threshold)
    linked = graph(key, threshold)
    hits = search_all(found or store(key), text, limit=4 * limit, kinds=(kind,), threshold=threshold)
    return indexed, [h for h in hits if h.iri in linked][:limit]


@st.cache_data(show_spinner=False, max_entries=16)  # each page embeds vis.js (~700 kB)
def view(key: Key, centre: str, hops: int, kinds: tuple[str, ...], cap: int,
         threshold: float) -> tuple[str, list[dict], list[dict]]:
    """The pyvis HTML (with evidence in the tooltips), node rows and link rows of one neighbourhood."""
    whole = graph(key, threshold)
    sub = neighbourhood(whole, centre, hops=hops, kinds=kinds, cap=cap)
    evidence = link_evidence(store(key), list(sub.edges))
    for node, data in sub.nodes(data=True):
        data["tip"] = viz.node_tip(data, sub.degree(node))
    for u, v, data in sub.edges(data=True):
        data["tip"] = viz.link_tip(whole.nodes[u]["label"], whole.nodes[v]["label"], data, evidence[(u, v)])
    return network_html(sub, centre=centre), neighbour_table(whole, sub, centre), link_table(whole, sub, centre)


@st.cache_data(show_spinner=False, max_entries=4)
def view_downloads(key: Key, centre: str, hops: int, kinds: tuple[str, ...], cap: int,
                   threshold: float) -> dict[str, bytes]:
    """Explore's neighbourhood (as ``view`` draws it) as GraphML, node-link JSON and its standalone HTML."""
    sub = neighbourhood(graph(key, threshold), centre, hops=hops, kinds=kinds, cap=cap)
    return view_files(sub, view(key, centre, hops, kinds, cap, threshold)[0])


@st.cache_data(show_spinner=False, max_entries=128)
def relations_of_paper(key: Key, iri: str, threshold: float) -> list[dict]:
    return paper_relations(store(key), iri, threshold)


@st.cache_data(show_spinner=False, max_entries=128)
def relations_of_entity(key: Key, iri: str, threshold: float) -> list[dict]:
    return entity_relations(store(key), iri, threshold)


@st.cache_data(show_spinner=False, max_entries=64)
def evidence(key: Key, paper_iri: str, entity: str) -> list[Evidence]:
    return link_evidence(store(key), [(paper_iri, entity)])[(paper_iri, entity)]


@st.cache_resource(show_spinner=False, max_entries=4)
def _all_results(key: Key) -> list[dict]:  # never mutated
    found = _snapshot(key)
    return snapshot.results(found) if found else all_results(store(key))


@st.cache_data(show_spinner=False, max_entries=64)
def results(key: Key, threshold: float, dataset: str | None = None, metric: str | None = None) -> list[dict]:
    return filter_results(_all_results(key), threshold, dataset=dataset, metric=metric)


@st.cache_data(show_spinner=False, max_entries=64)
def best(key: Key, threshold: float, dataset: str | None = None, metric: str | None = None) -> list[dict]:
    """The leaderboard's best row per method x dataset x metric (``kg.read.leaderboard.best_results``)."""
    return best_results(_all_results(key), threshold, dataset=dataset, metric=metric)


# Resources, not data: on the 55k graph (161k entities) copying the catalogue out of the data cache on
# every run cost about 0.3 s of each page view that lists entities.
@st.cache_resource(show_spinner=False, max_entries=4)
def catalogue(key: Key) -> list[dict]:  # never mutated
    return entity_catalogue(full_graph(key))


@st.cache_resource(show_spinner=False, max_entries=4)
def entity_names(key: Key) -> dict[str, str]:  # never mutated
    """Every entity's IRI -> "label (type, n papers)", most papers first: the Entity and Concept map choices."""
    entities = sorted(catalogue(key), key=lambda e: (-e["papers"], e["label"].casefold(), e["iri"]))
    return {e["iri"]: f'{e["label"]} ({e["type"]}, {e["papers"]} papers)' for e in entities}


@st.cache_data(show_spinner=False, max_entries=128)
def query(key: Key, text: str, timeout_s: float, max_rows: int) -> QueryResult:
    return _runner(key, timeout_s, max_rows).run(text)


@st.cache_data(show_spinner=False, max_entries=8)
def export_bytes(key: Key, fmt: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="abstracta-export-") as tmp:
        return export(store(key), fmt, Path(tmp) / f"abstracta{SUFFIXES[fmt]}").read_bytes()


@st.cache_data(show_spinner=False)
def examples(folder: str) -> list[tuple[str, str]]:
    """(title, text) of each example query in ``folder``."""
    return load_examples(folder)


# ------------------------------------------------------------- the concept map and the entity page


@st.cache_resource(show_spinner=False, max_entries=4)
def _statements(key: Key) -> list[dict]:  # never mutated
    found = _snapshot(key)
    kept = snapshot.statements(found) if found else None  # None: a snapshot from before they were kept
    return kept if kept is not None else concepts.relation_statements(store(key))


@st.cache_resource(show_spinner=False, max_entries=4)
def _metrics(key: Key) -> dict[str, dict]:  # never mutated
    """PageRank and community by entity, read from the store only when the snapshot does not carry them."""
    return {} if _snapshot(key) else concepts.entity_metrics(store(key))


@st.cache_resource(show_spinner=False, max_entries=4)
def paper_years(key: Key) -> dict[str, int]:  # never mutated
    if not _snapshot(key):
        return snapshot.paper_years(store(key))
    return {p: d["year"] for p, d in full_graph(key).nodes(data=True) if d.get("year")}


@st.cache_data(show_spinner=False, max_entries=32)
def concept_view(key: Key, centre: str | None, edges: str, kinds: tuple[str, ...], years: tuple[int, int] | None,
                 hops: int, cap: int, threshold: float) -> concepts.ConceptMap:
    """The concept map, with the evidence of its relations (see ``kg.read.concepts.concept_map``)."""
    cmap = concepts.concept_map(graph(key, threshold), _statements(key), centre=centre, edges=edges,
                                min_confidence=threshold, kinds=kinds, years=years, hops=hops, cap=cap,
                                metrics=_metrics(key), paper_years=paper_years(key) if years else None)
    return concepts.with_evidence(store(key), cmap)


@st.cache_data(show_spinner=False, max_entries=16)  # each page embeds vis.js (~700 kB)
def concept_page(key: Key, centre: str | None, edges: str, kinds: tuple[str, ...], years: tuple[int, int] | None,
                 hops: int, cap: int, threshold: float, colour: str, linked: bool = True) -> str:
    """The pyvis HTML of ``concept_view``: fixed layout; each node links to the map centred on it and its page.

    Without ``linked`` (the standalone download, opened outside the app) nodes link nowhere.
    """
    cmap = concept_view(key, centre, edges, kinds, years, hops, cap, threshold)
    label = {n["iri"]: n["label"] for n in cmap.nodes}
    nodes = []
    for n in cmap.nodes:
        here = url("concepts", centre=n["iri"], edges=edges, colour=colour)
        onward = [("centre the map here", here), ("entity page", url("entity", iri=n["iri"]))] if linked else []
        nodes.append({**n, "href": here if linked else "", "tip": viz.concept_node_tip(n, onward)})
    tipped = [{**e, "tip": viz.concept_edge_tip(e, label[e["source"]], label[e["target"]])} for e in cmap.edges]
    return viz.concept_html(nodes, tipped, concepts.layout(cmap), centre=cmap.centre, colour_by=colour)


@st.cache_data(show_spinner=False, max_entries=4)
def concept_downloads(key: Key, centre: str | None, edges: str, kinds: tuple[str, ...],
                      years: tuple[int, int] | None, hops: int, cap: int, threshold: float,
                      colour: str) -> dict[str, bytes]:
    """The concept map as GraphML, node-link JSON and standalone HTML (as drawn, without links into the app)."""
    cmap = concept_view(key, centre, edges, kinds, years, hops, cap, threshold)
    return view_files(concept_graph(cmap), concept_page(key, centre, edges, kinds, years, hops, cap, threshold,
                                                         colour, linked=False))


@st.cache_data(show_spinner=False, max_entries=128)
def entity_view(key: Key, iri: str, threshold: float) -> dict | None:
    """What the Entity page shows of one entity: summary, papers, years, partners and leaderboard rows."""
    g = graph(key, threshold)
    summary = entity.entity_summary(g, iri, _metrics(key)) or entity.entity_summary(full_graph(key), iri,
                                                                                    _metrics(key))
    if summary is None:
        return None
    linked = entity.entity_papers(g, iri, paper_years(key))
    return {"summary": summary, "papers": linked, "years": entity.papers_by_year(linked),
            "partners": entity.cooccurring(g, iri),
            "results": filter_results(entity.entity_results(_all_results(key), summary["label"]), threshold)}
