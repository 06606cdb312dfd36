"""Leaderboard page: structured results by dataset and metric."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _ui as ui
from kg.read.leaderboard import RESULT_COLUMNS, result_facets


def main() -> None:
    key, _ = ui.context()
    st.header("Leaderboard")
    t = ui.threshold()
    facets = result_facets(data.results(key, t))
    c1, c2 = st.columns(2)
    dataset = c1.selectbox("Dataset", ["", *facets["dataset"]], key="lb_dataset",
                           format_func=lambda x: x or "All datasets")
    metric = c2.selectbox("Metric", ["", *facets["metric"]], key="lb_metric", format_func=lambda x: x or "All metrics")
    rows = data.results(key, t, dataset or None, metric or None)
    st.caption(f"{len(rows)} result(s) from {len({r['paper_iri'] for r in rows})} paper(s){ui.below(t)}, read from "
               "claim sentences; sorted by metric, then value (highest first). The condition is the setting the "
               "value belongs to (a backbone, a model size).")
    if not rows:
        st.info("No results match" + (f"; lower the confidence threshold ({t:.2f})." if t > 0 else "."))
        return
    st.dataframe(pd.DataFrame(rows, columns=list(RESULT_COLUMNS)), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(rows), 640), key="lb_table", column_config={
                     **ui.widths(metric=130, unit=50, qualifier=70, method=120, dataset=110, condition=95, baseline=120,
                               direction=75, paper=230),
                     "value": st.column_config.NumberColumn(format="%g", width=60), "confidence": ui.CONFIDENCE_COLUMN,
                     "claim": st.column_config.TextColumn("claim sentence", width=600)})


main()
