"""Search page: papers, entities and evidence sentences by their words, ranked, with snippets.

The query is in the URL (``search?q=...``), so a search can be bookmarked and shared; every hit links
into the app: a paper or an evidence sentence to the paper page, an entity to the entity page.
"""

from __future__ import annotations

import html

import streamlit as st

from app_pages import _data as data
from app_pages import _ui as ui
from app_pages._links import adopt, publish, url
from kg.read.fulltext import Hit, snippet_html

PER_KIND = 25  # hits listed for each kind
TABS = (("paper", "Papers"), ("entity", "Entities"), ("evidence", "Evidence sentences"))
EMPTY = {"paper": "No paper's title or abstract has these words.",
         "entity": "No entity's label or alternative label has these words.",
         "evidence": "No evidence sentence{below} has these words."}


def _link(hit: Hit) -> str:
    """The in-app address a hit opens: entities on the entity page, everything else on its paper."""
    return url("entity", iri=hit.iri) if hit.kind == "entity" else url("paper", iri=hit.iri)


def _item(hit: Hit) -> str:
    """One hit as an HTML list item: its title linked, its kind, and the snippet with the matched words marked."""
    tag = hit.type if hit.kind != "evidence" else "evidence"
    detail = f" · {len(hit.entities)} linked entit{'y' if len(hit.entities) == 1 else 'ies'}" if hit.entities else ""
    conf = f" · confidence {hit.confidence:.2f}" if hit.confidence is not None else ""
    return (f'<li style="margin-bottom:0.7em"><a href="{html.escape(_link(hit))}" target="_self">'
            f'<b>{html.escape(hit.label or hit.iri)}</b></a> '
            f'<span style="color:#777;font-size:0.85em">({html.escape(tag)}{detail}{conf})</span><br>'
            f'<span style="font-size:0.95em">{snippet_html(hit.snippet)}</span></li>')


def _listing(hits: list[Hit]) -> str:
    return f'<ol class="abx-search" style="padding-left:1.4em">{"".join(_item(h) for h in hits)}</ol>'


def main() -> None:
    key, _ = ui.context()
    st.header("Search")
    adopt("q", "search_q")
    text = st.text_input("Search titles, abstracts, entity labels and evidence sentences", key="search_q",
                         placeholder="e.g. vision transformer quantization, ImageNet, contrastive")
    publish(q=text.strip())
    if not text.strip():
        st.caption("Type some words: papers, entities and evidence sentences that contain them are listed, "
                   "best match first. Each result links to its paper or entity.")
        return
    t = ui.threshold()
    found = {kind: data.search_text(key, text.strip(), kind, PER_KIND, t) for kind, _ in TABS}
    indexed = all(ok for ok, _ in found.values())
    if not indexed:
        st.info("This graph generation has no full-text index (it was made by a SPARQL update or by an older "
                "build), so only entity labels are searched. Rebuild with `python -m kg build` to search "
                "titles, abstracts and evidence sentences too.")
    hits = {kind: found[kind][1] for kind, _ in TABS}
    total = sum(len(h) for h in hits.values())
    if not total:
        st.warning(f"Nothing matches {ui.md(text.strip())!r}; try fewer or other words.")
        return
    ranked = sorted((h for found_hits in hits.values() for h in found_hits), key=lambda h: -h.score)
    st.caption(f"{total} result(s){ui.below(t)}, best first (up to {PER_KIND} of each kind).")
    tabs = st.tabs([f"All ({total})", *(f"{title} ({len(hits[kind])})" for kind, title in TABS)])
    with tabs[0]:
        st.html(_listing(ranked[:PER_KIND]))
    for tab, (kind, _) in zip(tabs[1:], TABS, strict=True):
        with tab:
            if hits[kind]:
                st.html(_listing(hits[kind]))
            else:
                st.caption(EMPTY[kind].format(below=ui.below(t)))


main()
