"""Overview page: the graph's counts and the most-linked entities of each type."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _ui as ui
from kg.model import EntityType
from kg.read.projection import PAPER
from kg.read.viz import COLOURS

CHARTED = (EntityType.METHOD, EntityType.DATASET, EntityType.TASK, EntityType.METRIC)


def _bars(colour: str) -> dict:
    """Horizontal bars of papers per entity, most first, with every label in full (no ellipsis)."""
    return {"mark": {"type": "bar", "color": colour, "tooltip": True}, "height": 300,
            "encoding": {
                "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None,
                      "axis": {"labelLimit": 0, "labelOverlap": False}},
                "x": {"field": "papers", "type": "quantitative", "title": "papers", "axis": {"tickMinStep": 1}}}}


def main() -> None:
    key, _ = ui.context()
    st.header("Overview")
    t = ui.threshold()
    stats, counts, graph = data.stats(key), data.counts(key, t), data.graph(key, t)
    kinds = [d["kind"] for _, d in graph.nodes(data=True) if d["kind"] != PAPER]
    by_type = {name.value: kinds.count(name) for name in EntityType if name in kinds}
    cols = st.columns(7)
    for col, (label, value) in zip(cols, [
            ("Papers", stats["papers"]), ("Entities", len(kinds)), ("Links", graph.number_of_edges()),
            ("Claims", counts["claims"]), ("Evidence records", counts["evidence"]),
            ("Code links", stats["code_links"]), ("Triples", stats["triples"])], strict=True):
        col.metric(label, f"{value:,}")
    st.caption("Entities by type: " + " · ".join(f"{k} {n}" for k, n in by_type.items())
               + (f".  Counting only links, evidence and claims{ui.below(t)}; entities with no such link are left "
                  "out." if t > 0 else ""))
    left, right = st.columns(2)
    for i, type_name in enumerate(kind.value for kind in CHARTED):
        with (left if i % 2 == 0 else right):
            st.subheader(f"Top {type_name.lower()}s by papers")
            top = data.top(key, type_name, 10, t)
            if not top:
                st.info(f"No {type_name.lower()}s in the graph{ui.below(t)}.")
                continue
            st.vega_lite_chart(pd.DataFrame(top), _bars(COLOURS[type_name]), width="stretch")


main()
