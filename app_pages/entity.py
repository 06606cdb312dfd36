"""Entity page: one entity's names, papers over time, relations, partners and results (``entity?iri=<IRI>``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _links as links
from app_pages import _ui as ui
from kg.read.leaderboard import RESULT_COLUMNS


def _pick(settings_cap: int) -> str | None:
    """The entity chosen in the URL or the select box (most papers first)."""
    key, _ = ui.context()
    links.adopt("iri", "entity_iri")
    names = data.entity_names(key)
    current = st.session_state.get("entity_iri")
    if current and current not in names:
        st.warning(f"No entity {ui.md(current)} in this graph.")
        st.session_state.pop("entity_iri", None)
        current = None
    options = {**({current: names[current]} if current else {}), **names}
    return ui.choose(f"Entity ({len(names):,})", options, key="entity_iri", cap=settings_cap)


def main() -> None:
    key, settings = ui.context()
    t = ui.threshold()
    st.header("Entity")
    iri = _pick(settings.list_cap)
    links.publish(iri=iri)
    view = data.entity_view(key, iri, t) if iri else None
    if view is None:
        st.info("No entity selected.")
        return
    s = view["summary"]
    st.subheader(f'{s["label"]} ({s["type"]})')
    facts = [f'{s["papers"]} paper(s){ui.below(t)}', f'confidence {s["confidence"]:.2f}']
    if s["pagerank"] is not None:
        facts.append(f'PageRank {s["pagerank"]:.4f}')
    if s["community_label"]:
        facts.append(f'community: {ui.md(s["community_label"])}')
    st.markdown(" · ".join(facts))
    if s["alt"]:
        st.markdown("**Also written:** " + ", ".join(ui.md(a) for a in s["alt"]))
    if s["variant_of"]:
        st.markdown("**Variant of:** " + ", ".join(ui.md(v) for v in s["variant_of"]))
    st.page_link("app_pages/concepts.py", label="Concept map centred here", icon=":material/hub:",
                 query_params={"centre": iri})
    if len(view["years"]) > 1:
        st.caption("Papers per year")
        st.bar_chart(pd.DataFrame(view["years"]).set_index("year"), height=180)
    ui.relations_table(data.relations_of_entity(key, iri, t), f"Relations{ui.below(t)}", key="entity_relations")
    left, right = st.columns([2, 3])
    with left:
        partners = view["partners"]
        st.subheader(f"Co-occurring entities ({len(partners)})")
        st.dataframe(pd.DataFrame([{**p, "link": links.url("entity", iri=p["iri"])} for p in partners],
                                  columns=["label", "type", "shared", "papers", "link"]),
                     hide_index=True, width="stretch", key="entity_partners", column_config={
                         "shared": st.column_config.NumberColumn("shared papers", width=90),
                         "link": st.column_config.LinkColumn("entity", display_text="open")})
    with right:
        papers = view["papers"]
        st.subheader(f"Papers ({len(papers)})")
        st.dataframe(pd.DataFrame([{**p, "link": links.url("paper", iri=p["iri"])} for p in papers],
                                  columns=["title", *(["year"] if view["years"] else []), "predicate",
                                           "confidence", "link"]),
                     hide_index=True, width="stretch", key="entity_papers", column_config={
                         **ui.widths(title=320, predicate=100), "confidence": ui.CONFIDENCE_COLUMN,
                         "year": st.column_config.NumberColumn(format="%d", width=60),
                         "link": st.column_config.LinkColumn("paper", display_text="open")})
    results = view["results"]
    st.subheader(f"Leaderboard rows ({len(results)})")
    if results:
        st.dataframe(pd.DataFrame(results, columns=list(RESULT_COLUMNS)), hide_index=True, width="stretch",
                     key="entity_results", column_config={"confidence": ui.CONFIDENCE_COLUMN})
    else:
        st.caption("No structured result names this entity.")
    st.caption(f"IRI: {iri}")


main()
