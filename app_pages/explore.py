"""Explore page: search an entity, draw its neighbourhood, read the evidence behind each link."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _ui as ui
from kg.read import viz


def main() -> None:
    key, _ = ui.context()
    st.header("Explore the graph")
    t = ui.threshold()
    c1, c2 = st.columns([1, 2])
    text = c1.text_input("Search an entity by label", placeholder="e.g. ImageNet, ViT, LLM", key="explore_q")
    matches = data.search(key, text, t)
    if not matches:
        st.warning(f"No linked entity{ui.below(t)} has a label containing {text!r}; try a shorter word"
                   + (" or a lower confidence." if t > 0 else "."))
        return
    names = {m["iri"]: f'{m["label"]} ({m["type"]}, {m["papers"]} papers)' for m in matches}
    label = f"Entity ({len(matches)} matches)" if text else "Entity (most-mentioned first)"
    centre = c2.selectbox(label, list(names), format_func=names.get, key="explore_entity")
    c3, c4, c5 = st.columns([1, 3, 1])
    hops = c3.slider("Hops", 1, 3, key="explore_hops")
    kinds = c4.multiselect("Node types", ui.NODE_KINDS, key="explore_kinds")
    cap = c5.slider("Max nodes (by degree)", 10, 500, step=10, key="explore_cap")
    page, nodes, links = data.view(key, centre, hops, tuple(kinds), cap, t)
    st.caption(f"{len(nodes) + 1} nodes, {len(links)} links{ui.below(t)} within {hops} hop(s) of "
               f"**{ui.md(names[centre])}**. Drag to move, scroll to zoom; hover a node or a link for its evidence. "
               "Thicker links are more confident.")
    if not links:
        st.info("No links to show: keep the Paper type selected, since every link joins a paper and an entity.")
    st.iframe(page, height=640)
    st.html(viz.legend_html())
    tab_links, tab_nodes = st.tabs([f"Links ({len(links)})", f"Nodes ({len(nodes)})"])
    with tab_links:
        chosen = st.dataframe(
            pd.DataFrame(links, columns=["paper", "predicate", "entity", "type", "confidence", "evidence", "rules",
                                         "paper_iri", "entity_iri"]),
            hide_index=True, width="stretch", key="explore_links", on_select="rerun", selection_mode="single-row",
            column_order=["paper", "predicate", "entity", "type", "confidence", "evidence", "rules"],
            column_config={**ui.widths(paper=280, predicate=105, entity=170, type=75, rules=170),
                           "confidence": ui.CONFIDENCE_COLUMN,
                           "evidence": st.column_config.NumberColumn(help="Evidence records of the link", width=75)})
        rows = chosen.selection.rows
        if rows and rows[0] < len(links):
            link = links[rows[0]]
            evidence = data.evidence(key, link["paper_iri"], link["entity_iri"])
            st.html(f'<p style="margin:0.3em 0"><b>Evidence ({len(evidence)})</b>: '
                    f'{html.escape(link["paper"])} → <i>{html.escape(link["predicate"])}</i> → '
                    f'<b>{html.escape(link["entity"])}</b></p>' + viz.evidence_table(evidence))
        else:
            st.caption("Select a link (the box at the left of its row) to read every evidence sentence behind it.")
    with tab_nodes:
        st.dataframe(pd.DataFrame(nodes, columns=["label", "type", "hops", "link", "degree", "iri"]),
                     hide_index=True, width="stretch", column_config={
                         "link": st.column_config.TextColumn("link to centre"),
                         "degree": st.column_config.NumberColumn("links", help="Paper-entity links" + ui.below(t)),
                         "iri": st.column_config.TextColumn("IRI", width="small")})
    ui.relations_table(data.relations_of_entity(key, centre, t),
                       f"Relations of {names[centre].split(' (')[0]}{ui.below(t)}", key="explore_relations")


main()
