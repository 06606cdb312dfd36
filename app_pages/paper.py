"""Paper page: the title and abstract with extracted spans marked, metadata, claims, linked entities and relations.

Its address: ``paper?iri=<paper IRI>`` selects the paper (the URL follows the selector), and an optional
``&claim=<claim IRI>`` (from the leaderboard's rows) puts that claim sentence first, marked.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _links as links
from app_pages import _ui as ui
from kg.read.paper import ClaimView, PaperDetail, Span, segments
from kg.read.viz import COLOURS, legend_html

_CLAIM = "_linked_claim"  # the type of the pseudo-span that marks the linked claim's sentence


def _highlight(text: str, spans: list[Span], claim: ClaimView | None = None) -> str:
    """Escaped ``text`` with each extracted span in a ``<mark>`` coloured by entity type; ``claim``'s sentence
    (in this text) underlaid."""
    marker = [Span("", claim.start, claim.end, "", "", _CLAIM, "")] if claim else []
    parts = []
    for piece, covering in segments(text, [*spans, *marker]):
        cover = tuple(s for s in covering if s.type != _CLAIM)
        if not cover:
            out = html.escape(piece)
        else:
            inner = min(cover, key=lambda s: (s.end - s.start, s.start))
            colour = COLOURS.get(inner.type, "#444444")
            tip = "; ".join(f"{s.label} ({s.type}, {s.predicate}, confidence {s.confidence:.2f})" for s in cover)
            out = (f'<mark class="abx-span abx-{html.escape(inner.type)}" title="{html.escape(tip)}" '
                   f'style="background:{colour}2e;border-bottom:2px solid {colour};padding:0 1px;'
                   f'border-radius:3px;color:inherit">{html.escape(piece)}</mark>')
        if len(cover) < len(covering):
            out = f'<span class="abx-linked-claim" style="background:#ffe08a77">{out}</span>'
        parts.append(out)
    return "".join(parts)


def _quantity(q: dict) -> str:
    """A number as the claim states it: up to 14x, 2%, by 2.3 points."""
    unit = q["unit"]
    number = f'{q["value"]} {unit}' if len(unit) > 1 and unit[0].isalpha() else f'{q["value"]}{unit}'
    return " ".join(x for x in (q["qualifier"], number) if x)


def _metadata(detail: PaperDetail) -> None:
    """Authors, date, identifier and the links to read the paper, each only when the graph has it."""
    facts = [", ".join(detail.authors), detail.date or (str(detail.year) if detail.year else ""), detail.identifier]
    if line := " · ".join(ui.md(f) for f in facts if f):
        st.markdown(line)
    buttons = [*detail.links, *((f"Code: {u}", u) for u in detail.code)]
    for col, (label, target) in zip(st.columns(max(1, len(buttons))), buttons, strict=False):
        col.link_button(label, target, icon=":material/code:" if label.startswith("Code:") else
                        ":material/description:")


def _claims(claims: tuple[ClaimView, ...], linked: str | None) -> None:
    """The claim list; the claim the URL names comes first, marked."""
    ordered = sorted(claims, key=lambda c: c.iri != linked)
    items = "".join(
        ('<li id="abx-linked-claim" style="margin-bottom:0.5em;background:#ffe08a55;border-left:4px solid #e0a800;'
         'padding:2px 6px"><b>▶ linked claim</b> · ' if c.iri == linked else '<li style="margin-bottom:0.5em">')
        + f'<b>{html.escape(c.kind)}</b>: {html.escape(c.text)}'
        + "".join(f' <code>{html.escape(_quantity(q))}</code>' for q in c.quantities)
        + f' <span style="color:#777;font-size:0.85em">(confidence {c.confidence:.2f})</span></li>'
        for c in ordered)
    if items:
        st.html(f"<ul>{items}</ul>")


def _select(key: tuple[str, str], cap: int) -> str | None:
    """The paper selector, set from ``?iri=`` on arrival; a paper past the list cap is found through the filter."""
    papers = data.papers(key)
    titles = {p["iri"]: p["title"] for p in papers}
    links.adopt("iri", "paper_iri")
    chosen = st.session_state.get("paper_iri")
    if (len(titles) > cap and chosen in titles and list(titles).index(chosen) >= cap
            and not st.session_state.get("paper_iri_filter")):
        st.session_state["paper_iri_filter"] = titles[chosen]
    return ui.choose(f"Paper ({len(papers):,})", titles, key="paper_iri", cap=cap)


def main() -> None:
    key, settings = ui.context()
    st.header("Paper")
    iri = _select(key, settings.list_cap)
    t = ui.threshold()
    detail = data.paper(key, iri, t) if iri else None
    claim = links.param("claim")
    claim = claim if iri and claim and claim.startswith(f"{iri}/claim/") else None
    links.publish(iri=iri, claim=claim)
    if detail is None:
        st.info("No paper selected.")
        return
    by_section = {sec: [s for s in detail.spans if s.section == sec] for sec in ("title", "abstract")}
    linked = next((c for c in detail.claims if c.iri == claim), None)
    in_section = {sec: linked if linked and f"/claim/{sec}-" in linked.iri else None for sec in by_section}
    st.html(f'<h3 style="margin:0.2em 0">{_highlight(detail.title, by_section["title"], in_section["title"])}</h3>')
    _metadata(detail)
    st.html(legend_html())
    st.html(f'<div style="line-height:1.75;font-size:1.02rem">'
            f'{_highlight(detail.abstract, by_section["abstract"], in_section["abstract"])}</div>')
    if detail.hidden:
        st.caption(f"{detail.hidden} span(s), claim(s) and entity link(s) below confidence {t:.2f} are hidden.")
    left, right = st.columns([2, 3])
    with left:
        st.subheader(f"Claims ({len(detail.claims)})")
        if not detail.claims:
            st.caption("No result claims were found in this abstract.")
        if claim and claim not in {c.iri for c in detail.claims}:
            st.caption(f"The linked claim is not shown: its confidence is below {t:.2f}, or it is no longer "
                       "in the graph.")
        _claims(detail.claims, claim)
    with right:
        st.subheader(f"Entities ({len(detail.entities)})")
        mentions = {}
        for s in detail.spans:
            mentions[s.entity] = mentions.get(s.entity, 0) + 1
        columns = ["label", "page", "type", "predicate", "confidence", "entity_confidence", "mentions"]
        st.dataframe(pd.DataFrame([{**e, "mentions": mentions.get(e["iri"], 0),
                                    "page": links.url("entity", iri=e["iri"])} for e in detail.entities],
                                  columns=columns),
                     hide_index=True, width="stretch", column_config={
                         **ui.widths(label=190, type=70, predicate=100),
                         "page": st.column_config.LinkColumn(
                             "entity", help="Open the entity's page", display_text="open ↗", width=70),
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
