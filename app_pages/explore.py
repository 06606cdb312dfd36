"""Explore page: search an entity, draw its neighbourhood, read the evidence behind each link.

The view lives in the URL: ``explore?centre=<entity IRI>&hops=1|2|3&kinds=Paper,Dataset`` (``kinds`` only
when not every type is shown). Its tables link to the Paper and Entity pages; the view downloads as
GraphML, node-link JSON or a standalone HTML page.
"""

from __future__ import annotations

import html
from functools import partial

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _links as links
from app_pages import _ui as ui
from kg.read import viz
from kg.read.projection import PAPER

PINNED = "explore_url_centre"  # (centre IRI, search text) adopted from the URL: kept as an option for that text


def _state(key: data.Key, t: float) -> None:
    """The URL's centre, hops and kinds set the widgets (ignored when they name nothing known)."""
    before = st.session_state.get("explore_entity")
    links.adopt("centre", "explore_entity")
    centre = st.session_state.get("explore_entity")
    if centre and centre != before:
        node = data.graph(key, t).nodes.get(centre)
        if node is None or node.get("kind") == PAPER:
            st.warning(f"No linked entity {ui.md(centre)} in this graph{ui.below(t)}.")
            st.session_state.pop("explore_entity", None)
        else:
            st.session_state["explore_q"] = node["label"]
            st.session_state[PINNED] = (centre, node["label"])
    links.adopt("hops", "explore_hops")
    hops = st.session_state.get("explore_hops")
    if not isinstance(hops, int):
        hops = int(hops) if str(hops).isdigit() else ui.DEFAULTS["explore_hops"]
        st.session_state["explore_hops"] = min(3, max(1, hops))
    links.adopt("kinds", "explore_kinds")
    kinds = st.session_state.get("explore_kinds")
    if isinstance(kinds, str):
        chosen = [k for k in ui.NODE_KINDS if k in kinds.split(",")]
        st.session_state["explore_kinds"] = chosen or list(ui.NODE_KINDS)


def _page(kind: str, iri: str) -> str:
    return links.url("paper" if kind == PAPER else "entity", iri=iri)


def main() -> None:
    key, _ = ui.context()
    st.header("Explore the graph")
    t = ui.threshold()
    _state(key, t)
    c1, c2 = st.columns([1, 2])
    text = c1.text_input("Search an entity by label", placeholder="e.g. ImageNet, ViT, LLM", key="explore_q")
    matches = data.search(key, text, t)
    if not matches:
        st.warning(f"No linked entity{ui.below(t)} has a label containing {text!r}; try a shorter word"
                   + (" or a lower confidence." if t > 0 else "."))
        return
    names = {m["iri"]: f'{m["label"]} ({m["type"]}, {m["papers"]} papers)' for m in matches}
    pinned, pinned_text = st.session_state.get(PINNED) or (None, None)
    if pinned and pinned not in names and pinned_text == text and pinned in data.graph(key, t):
        node = data.graph(key, t).nodes[pinned]
        names = {pinned: f'{node["label"]} ({node["kind"]}, {node["papers"]} papers)', **names}
    label = f"Entity ({len(matches)} matches)" if text else "Entity (most-mentioned first)"
    centre = c2.selectbox(label, list(names), format_func=names.get, key="explore_entity")
    c3, c4, c5 = st.columns([1, 3, 1])
    hops = c3.slider("Hops", 1, 3, key="explore_hops")
    kinds = c4.multiselect("Node types", ui.NODE_KINDS, key="explore_kinds")
    cap = c5.slider("Max nodes (by degree)", 10, 500, step=10, key="explore_cap")
    links.publish(centre=centre, hops=str(hops), kinds=None if set(kinds) == set(ui.NODE_KINDS) else ",".join(kinds))
    page, nodes, link_rows = data.view(key, centre, hops, tuple(kinds), cap, t)
    st.caption(f"{len(nodes) + 1} nodes, {len(link_rows)} links{ui.below(t)} within {hops} hop(s) of "
               f"**{ui.md(names[centre])}**. Drag to move, scroll to zoom; hover a node or a link for its evidence. "
               "Thicker links are more confident.")
    if not link_rows:
        st.info("No links to show: keep the Paper type selected, since every link joins a paper and an entity.")
    st.iframe(page, height=640)
    st.html(viz.legend_html())
    ui.view_downloads(partial(data.view_downloads, key, centre, hops, tuple(kinds), cap, t),
                      f"abstracta-explore-{centre.rsplit('/', 1)[-1]}", key="explore_download")
    tab_links, tab_nodes = st.tabs([f"Links ({len(link_rows)})", f"Nodes ({len(nodes)})"])
    with tab_links:
        _links_table(key, link_rows)
    with tab_nodes:
        st.dataframe(pd.DataFrame([{**n, "page": _page(n["type"], n["iri"])} for n in nodes],
                                  columns=["label", "type", "hops", "link", "degree", "page", "iri"]),
                     hide_index=True, width="stretch", key="explore_nodes", column_config={
                         "link": st.column_config.TextColumn("link to centre"),
                         "degree": st.column_config.NumberColumn("links", help="Paper-entity links" + ui.below(t)),
                         "page": st.column_config.LinkColumn("page", display_text="open",
                                                             help="The node's Paper or Entity page"),
                         "iri": st.column_config.TextColumn("IRI", width="small")})
    ui.relations_table(data.relations_of_entity(key, centre, t),
                       f"Relations of {names[centre].split(' (')[0]}{ui.below(t)}", key="explore_relations")


def _links_table(key: data.Key, link_rows: list[dict]) -> None:
    """The view's links, each with links to its paper and entity; a selected row shows all its evidence."""
    frame = pd.DataFrame([{**r, "paper_page": links.url("paper", iri=r["paper_iri"]),
                           "entity_page": links.url("entity", iri=r["entity_iri"])} for r in link_rows],
                         columns=["paper", "predicate", "entity", "type", "confidence", "evidence", "rules",
                                  "paper_page", "entity_page", "paper_iri", "entity_iri"])
    chosen = st.dataframe(
        frame, hide_index=True, width="stretch", key="explore_links", on_select="rerun", selection_mode="single-row",
        column_order=["paper", "predicate", "entity", "type", "confidence", "evidence", "rules", "paper_page",
                      "entity_page"],
        column_config={**ui.widths(paper=280, predicate=105, entity=170, type=75, rules=170),
                       "confidence": ui.CONFIDENCE_COLUMN,
                       "evidence": st.column_config.NumberColumn(help="Evidence records of the link", width=75),
                       "paper_page": st.column_config.LinkColumn("paper page", display_text="open", width=80),
                       "entity_page": st.column_config.LinkColumn("entity page", display_text="open", width=80)})
    selected = chosen.selection.rows
    if selected and selected[0] < len(link_rows):
        link = link_rows[selected[0]]
        evidence = data.evidence(key, link["paper_iri"], link["entity_iri"])
        st.html(f'<p style="margin:0.3em 0"><b>Evidence ({len(evidence)})</b>: '
                f'{html.escape(link["paper"])} → <i>{html.escape(link["predicate"])}</i> → '
                f'<b>{html.escape(link["entity"])}</b></p>' + viz.evidence_table(evidence))
    else:
        st.caption("Select a link (the box at the left of its row) to read every evidence sentence behind it.")


main()
