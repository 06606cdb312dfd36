"""Concept map page: entities joined by relations and co-occurrence, around a centre or the most central ones.

The view lives in the URL: ``concepts?centre=<entity IRI>&edges=relations|cooccurrence|both&colour=community|type``.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _links as links
from app_pages import _ui as ui
from kg.model import EntityType
from kg.read import viz
from kg.read.concepts import EDGE_MODES, ConceptMap, edge_rows

TOP = ""  # the centre picker's value for "no centre: the most central entities"
CHOICES = "_concepts_recentre_choices"  # session-state slot: the entities the box under the drawn map offers
COLOURS = ("community", "type")
KINDS = tuple(t.value for t in EntityType)
DEFAULTS = {"concepts_centre": TOP, "concepts_edges": "both", "concepts_colour": "community",
            "concepts_kinds": list(KINDS), "concepts_hops": 2, "concepts_cap": 40}


def _recentre() -> None:
    # only an entity the box offered re-centres. The box falls back to its placeholder by itself when the map's
    # entities change under a value it still holds (a new edge kind), and that must not clear the centre. And a
    # click elsewhere while the map is redrawn can send the box's previous choice again, as the label it showed
    # rather than the entity: taken as the centre, that named no entity and the map lost its centre
    chosen = st.session_state.get("concepts_recentre")
    if chosen and chosen in st.session_state.get(CHOICES, ()):
        st.session_state["concepts_centre"] = chosen
    st.session_state["concepts_recentre"] = TOP


def _state() -> None:
    """Defaults, then the URL's centre, edges and colour (ignored when they name nothing known)."""
    for name, value in DEFAULTS.items():
        st.session_state.setdefault(name, value)
    links.adopt("centre", "concepts_centre")
    links.adopt("edges", "concepts_edges")
    links.adopt("colour", "concepts_colour")
    for name, allowed in (("concepts_edges", EDGE_MODES), ("concepts_colour", COLOURS)):
        if st.session_state[name] not in allowed:
            st.session_state[name] = DEFAULTS[name]


def main() -> None:
    key, settings = ui.context()
    t = ui.threshold()
    st.header("Concept map")
    _state()
    names = data.entity_names(key)
    current = st.session_state["concepts_centre"]
    if current and current not in names:
        st.warning(f"No entity {ui.md(current)} in this graph; showing the most central entities instead.")
        st.session_state["concepts_centre"] = current = TOP
    options = {TOP: "— none: the most central entities —", **({current: names[current]} if current else {}),
               **names}
    c1, c2, c3 = st.columns([3, 2, 1])
    with c1:
        centre = ui.choose("Centre", options, key="concepts_centre", cap=settings.list_cap) or TOP
    edges = c2.radio("Edges", EDGE_MODES, key="concepts_edges", horizontal=True,
                     format_func={"relations": "relations", "cooccurrence": "co-occurrence", "both": "both"}.get,
                     help="Relation statements read from sentences (usedFor, evaluatedOn, ...), entities "
                          "sharing papers, or both.")
    colour = c3.radio("Colour by", COLOURS, key="concepts_colour", horizontal=True)
    c4, c5, c6, c7 = st.columns([3, 1, 1, 2])
    kinds = c4.multiselect("Entity types", KINDS, key="concepts_kinds")
    hops = c5.slider("Hops", 1, 3, key="concepts_hops", disabled=not centre)
    cap = c6.slider("Max nodes", 10, 150, step=5, key="concepts_cap", help="The most relevant are kept")
    known = sorted(set(data.paper_years(key).values()))
    years = None
    if len(known) > 1:
        chosen = c7.slider("Years", known[0], known[-1], (known[0], known[-1]), key="concepts_years")
        years = None if tuple(chosen) == (known[0], known[-1]) else (int(chosen[0]), int(chosen[1]))
    links.publish(centre=centre or None, edges=edges, colour=colour)
    cmap = data.concept_view(key, centre or None, edges, tuple(kinds), years, hops, cap, t)
    if not cmap.nodes:
        st.info("Nothing to draw: no entity is joined to another under these filters. Try both kinds of edges, "
                "more entity types or a lower confidence.")
        return
    where = f"around **{ui.md(names.get(centre, centre))}**" if centre else "among the most central entities"
    st.caption(f"{len(cmap.nodes)} entities and {len(cmap.edges)} edges {where}{ui.below(t)} "
               f"(the {len(cmap.nodes)} most relevant of {cmap.candidates:,}). Solid arrows are relations, dashed "
               "lines shared papers; bigger nodes are in more papers. Hover for the evidence; double-click a node "
               "to centre the map on it.")
    st.iframe(data.concept_page(key, centre or None, edges, tuple(kinds), years, hops, cap, t, colour), height=660)
    st.html(viz.concept_legend_html(cmap.nodes, colour))
    stem = "abstracta-concepts" + (f"-{centre.rsplit('/', 1)[-1]}" if centre else "")
    ui.view_downloads(partial(data.concept_downloads, key, centre or None, edges, tuple(kinds), years, hops, cap, t,
                              colour),
                      stem, key="concepts_download")
    _tables(cmap, edges, colour)


def _tables(cmap: ConceptMap, edges: str, colour: str) -> None:
    label = {n["iri"]: n["label"] for n in cmap.nodes}
    st.session_state[CHOICES] = choices = [n for n in label if n != cmap.centre]
    st.selectbox("Centre the map on one of its entities", [TOP, *choices],
                 key="concepts_recentre",
                 format_func=lambda v: label.get(v, "— choose an entity —"), on_change=_recentre)
    tab_edges, tab_nodes = st.tabs([f"Edges ({len(cmap.edges)})", f"Entities ({len(cmap.nodes)})"])
    with tab_edges:
        st.dataframe(pd.DataFrame(edge_rows(cmap), columns=["source", "predicate", "target", "confidence", "shared",
                                                          "sentences", "evidence"]),
                     hide_index=True, width="stretch", key="concepts_edges_table", column_config={
                         **ui.widths(source=160, predicate=110, target=160), "confidence": ui.CONFIDENCE_COLUMN,
                         "shared": st.column_config.NumberColumn("shared papers", width=80),
                         "sentences": st.column_config.NumberColumn(width=75, help="Sentences stating the relation"),
                         "evidence": st.column_config.TextColumn(
                             "evidence", width=560, help="First sentence of a relation; papers shared otherwise")})
    with tab_nodes:
        st.dataframe(pd.DataFrame([{
            "label": n["label"], "type": n["type"], "community": n["community_label"], "papers": n["papers"],
            "pagerank": n["pagerank"], "edges": n["degree"], "hop": n["hop"],
            "map": links.url("concepts", centre=n["iri"], edges=edges, colour=colour),
            "entity": links.url("entity", iri=n["iri"])} for n in cmap.nodes]),
            hide_index=True, width="stretch", key="concepts_nodes_table", column_config={
                "pagerank": st.column_config.NumberColumn("PageRank", format="%.4f"),
                "map": st.column_config.LinkColumn("map", display_text="centre here"),
                "entity": st.column_config.LinkColumn("entity", display_text="open")})


main()
