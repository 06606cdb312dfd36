"""Paper page: the title and abstract with extracted spans marked, claims, linked entities and relations."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _ui as ui
from kg.read.paper import Span, segments
from kg.read.viz import COLOURS, legend_html


def _highlight(text: str, spans: list[Span]) -> str:
    """Escaped ``text`` with each extracted span in a ``<mark>`` coloured by entity type."""
    parts = []
    for piece, cover in segments(text, spans):
        if not cover:
            parts.append(html.escape(piece))
            continue
        inner = min(cover, key=lambda s: (s.end - s.start, s.start))
        colour = COLOURS.get(inner.type, "#444444")
        tip = "; ".join(f"{s.label} ({s.type}, {s.predicate}, confidence {s.confidence:.2f})" for s in cover)
        parts.append(f'<mark class="abx-span abx-{html.escape(inner.type)}" title="{html.escape(tip)}" '
                     f'style="background:{colour}2e;border-bottom:2px solid {colour};padding:0 1px;'
                     f'border-radius:3px;color:inherit">{html.escape(piece)}</mark>')
    return "".join(parts)


def _quantity(q: dict) -> str:
    """A number as the claim states it: up to 14x, 2%, by 2.3 points."""
    unit = q["unit"]
    number = f'{q["value"]} {unit}' if len(unit) > 1 and unit[0].isalpha() else f'{q["value"]}{unit}'
    return " ".join(x for x in (q["qualifier"], number) if x)


def main() -> None:
    key, settings = ui.context()
    st.header("Paper")
    papers = data.papers(key)
    titles = {p["iri"]: p["title"] for p in papers}
    iri = ui.choose(f"Paper ({len(papers):,})", titles, key="paper_iri", cap=settings.list_cap)
    t = ui.threshold()
    detail = data.paper(key, iri, t) if iri else None
    if detail is None:
        st.info("No paper selected.")
        return
    by_section = {sec: [s for s in detail.spans if s.section == sec] for sec in ("title", "abstract")}
    st.html(f'<h3 style="margin:0.2em 0">{_highlight(detail.title, by_section["title"])}</h3>')
    st.html(legend_html())
    st.html(f'<div style="line-height:1.75;font-size:1.02rem">'
            f'{_highlight(detail.abstract, by_section["abstract"])}</div>')
    for url in detail.code:
        st.link_button(f"Code: {url}", url, icon=":material/code:")
    if detail.hidden:
        st.caption(f"{detail.hidden} span(s), claim(s) and entity link(s) below confidence {t:.2f} are hidden.")
    left, right = st.columns([2, 3])
    with left:
        st.subheader(f"Claims ({len(detail.claims)})")
        if not detail.claims:
            st.caption("No result claims were found in this abstract.")
        items = "".join(
            f'<li style="margin-bottom:0.5em"><b>{html.escape(c.kind)}</b>: {html.escape(c.text)}'
            + "".join(f' <code>{html.escape(_quantity(q))}</code>' for q in c.quantities)
            + f' <span style="color:#777;font-size:0.85em">(confidence {c.confidence:.2f})</span></li>'
            for c in detail.claims)
        if items:
            st.html(f"<ul>{items}</ul>")
    with right:
        st.subheader(f"Entities ({len(detail.entities)})")
        mentions = {}
        for s in detail.spans:
            mentions[s.entity] = mentions.get(s.entity, 0) + 1
        columns = ["label", "type", "predicate", "confidence", "entity_confidence", "mentions"]
        st.dataframe(pd.DataFrame([{**e, "mentions": mentions.get(e["iri"], 0)} for e in detail.entities],
                                  columns=columns),
                     hide_index=True, width="stretch", column_config={
                         **ui.widths(label=190, type=70, predicate=100),
                         "confidence": st.column_config.ProgressColumn(
                             "confidence", help="Of this paper's link to the entity", format="%.2f",
                             min_value=0.0, max_value=1.0, width=95),
                         "entity_confidence": st.column_config.NumberColumn(
                             "entity conf.", help="That the entity is real, over all papers", format="%.2f",
                             width=75),
                         "mentions": st.column_config.NumberColumn(width=70)})
    ui.relations_table(data.relations_of_paper(key, iri, t), f"Relations read in this paper{ui.below(t)}",
                     key="paper_relations")
    st.caption(f"IRI: {detail.iri}")


main()
