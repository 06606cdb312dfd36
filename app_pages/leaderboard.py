"""Leaderboard page: the best score per method on each dataset and metric, each row linked to its sentence.

State in the URL: ``?dataset=<label>&metric=<label>&view=all`` (``view`` absent: the best rows).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _links as links
from app_pages import _ui as ui
from kg.read.leaderboard import LOWER, RESULT_COLUMNS, result_facets

VIEWS = {"best": "Best per method", "all": "All results"}
_LINK = st.column_config.LinkColumn("sentence in paper", display_text="open ↗", width=110,
                                    help="The paper view at the claim sentence the value was read from")


def _choose(column: st.delta_generator.DeltaGenerator, label: str, options: list[str], name: str,
            everything: str) -> str | None:
    """A select box over ``options`` (plus "" for all of them) whose choice lives in the URL as ``name``."""
    key = f"lb_{name}"
    links.adopt(name, key)
    if st.session_state.get(key) not in ("", *options):
        st.session_state.pop(key, None)  # a label the URL or an older generation named, not offered now
    return column.selectbox(label, ["", *options], key=key, format_func=lambda x: x or everything) or None


def _best(rows: list[dict], dataset: str | None, metric: str | None, t: float) -> None:
    groups = {(r["dataset"], r["metric"]): r["better"] for r in rows}
    st.caption(f"The best score of each method{ui.below(t)}, {len(rows)} row(s) in {len(groups)} dataset x metric "
               "group(s), ranked within each group by the metric's direction (seeds/patterns/metric_direction.json). "
               "Only scores count: gains, reductions and ratios (\"improves by 1.7%\") are in All results.")
    if not rows:
        st.info("No score has a method, dataset and metric here; try All results"
                + (f" or lower the confidence threshold ({t:.2f})." if t > 0 else "."))
        return
    if dataset and metric:
        better = groups[(dataset, metric)]
        st.markdown(f"**{ui.md(metric)}** on **{ui.md(dataset)}**: {better} is better.")
    table = pd.DataFrame([{**r, "better": "↓ lower" if r["better"] == LOWER else "↑ higher",
                           "link": links.url("paper", iri=r["paper_iri"], claim=r["claim_iri"])} for r in rows])
    columns = ["rank", "method", "value", "unit", "qualifier", *([] if dataset else ["dataset"]),
               *([] if metric else ["metric", "better"]), "paper", "link", "confidence", "condition", "claim"]
    st.dataframe(table[columns], hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 640),
                 key="lb_best", column_config={
                     "rank": st.column_config.NumberColumn(width=50), "value": st.column_config.NumberColumn(
                         format="%g", width=70), "unit": st.column_config.TextColumn(width=55),
                     "qualifier": st.column_config.TextColumn(width=70), "better": st.column_config.TextColumn(
                         width=80, help="Which values of the metric are better"),
                     "confidence": ui.CONFIDENCE_COLUMN, "claim": st.column_config.TextColumn("sentence", width=600),
                     "link": _LINK})


def _all(rows: list[dict], t: float) -> None:
    st.caption(f"{len(rows)} result(s) from {len({r['paper_iri'] for r in rows})} paper(s){ui.below(t)}, read from "
               "claim sentences; sorted by metric, then value (highest first). The condition is the setting the "
               "value belongs to (a backbone, a model size).")
    if not rows:
        st.info("No results match" + (f"; lower the confidence threshold ({t:.2f})." if t > 0 else "."))
        return
    table = pd.DataFrame([{**r, "link": links.url("paper", iri=r["paper_iri"], claim=r.get("claim_iri"))}
                          for r in rows], columns=[*RESULT_COLUMNS, "link"])
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 640), key="lb_table",
                 column_config={
                     **ui.widths(metric=130, unit=50, qualifier=70, method=120, dataset=110, condition=95, baseline=120,
                                 direction=75, paper=230),
                     "value": st.column_config.NumberColumn(format="%g", width=60), "confidence": ui.CONFIDENCE_COLUMN,
                     "claim": st.column_config.TextColumn("claim sentence", width=600), "link": _LINK})


def main() -> None:
    key, _ = ui.context()
    st.header("Leaderboard")
    t = ui.threshold()
    facets = result_facets(data.results(key, t))
    c1, c2, c3 = st.columns([2, 2, 1.5])
    dataset = _choose(c1, "Dataset", facets["dataset"], "dataset", "All datasets")
    metric = _choose(c2, "Metric", facets["metric"], "metric", "All metrics")
    links.adopt("view", "lb_view")
    if st.session_state.get("lb_view") not in VIEWS:
        st.session_state.pop("lb_view", None)
    view = c3.radio("Rows", list(VIEWS), format_func=VIEWS.get, key="lb_view", horizontal=True)
    links.publish(dataset=dataset, metric=metric, view=None if view == "best" else view)
    if view == "all":
        _all(data.results(key, t, dataset, metric), t)
    else:
        _best(data.best(key, t, dataset, metric), dataset, metric, t)


main()
