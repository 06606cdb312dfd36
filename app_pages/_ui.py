"""What the pages share besides data: the run's context, widget helpers, the build progress and widget state."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from app_pages._data import Key
from kg.config import DEFAULT_MIN_CONFIDENCE, Settings
from kg.export.views import VIEW_FORMATS, VIEW_MIME, VIEW_SUFFIXES
from kg.graph.build import BuildSummary
from kg.graph.orchestrate import build_from_inputs
from kg.model import EntityType
from kg.read.projection import PAPER

NODE_KINDS: tuple[str, ...] = (PAPER, *(t.value for t in EntityType))
CONTEXT = "abx_context"  # session-state slot for (key, settings), set by app.py before the page runs
# Widget defaults, set through session state so that the choices survive a visit to another page.
DEFAULTS = {"explore_q": "", "explore_hops": 2, "explore_kinds": list(NODE_KINDS), "explore_cap": 150,
            "min_confidence": DEFAULT_MIN_CONFIDENCE, "curate_verb": "merge"}
KEPT = ("explore_entity", "entity_iri", "paper_iri", "paper_iri_filter", "sparql_text", "sparql_example",
        "export_fmt", "lb_dataset", "lb_metric")
LABELS = {"graphml": "GraphML", "json": "JSON", "html": "HTML"}  # the view download buttons
CONFIDENCE_COLUMN = st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="%.2f",
                                                   width=95)


def context() -> tuple[Key, Settings]:
    """The generation (as a cache key) and the settings app.py chose for this run."""
    return st.session_state[CONTEXT]


def keep_widget_state() -> None:
    """Streamlit forgets the widgets a run does not draw; re-store them so each page keeps its choices."""
    for name, default in DEFAULTS.items():
        st.session_state[name] = st.session_state.get(name, default)
    for name in KEPT:
        if name in st.session_state:
            st.session_state[name] = st.session_state[name]


def threshold() -> float:
    """The sidebar's confidence threshold, rounded so that cache keys do not differ by float noise."""
    return round(float(st.session_state.get("min_confidence", 0.0)), 2)


def md(text: str) -> str:
    """``text`` with Markdown's special characters escaped, for messages that render Markdown."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|~$" else ch for ch in text)


def below(t: float) -> str:
    """The phrase that says a count is at confidence ``t`` (nothing when no threshold is set)."""
    return f" at confidence ≥ {t:.2f}" if t > 0 else ""


def choose(label: str, options: dict[str, str], key: str, cap: int, index: int = 0) -> str | None:
    """A select box over ``options`` (value -> text); past ``cap`` options, a filter box narrows it first."""
    values = list(options)
    if len(values) > cap:
        text = st.text_input(f"Filter: {label.lower()} containing", key=f"{key}_filter",
                             placeholder=f"type part of the name ({len(values):,} to choose from)").strip().casefold()
        values = [v for v in values if text in options[v].casefold()] if text else values
        if len(values) > cap:
            st.caption(f"Showing the first {cap} of {len(values):,}; type more of the name to narrow the list.")
            values = values[:cap]
    if not values:
        st.info("Nothing matches; try a shorter part of the name.")
        return None
    if st.session_state.get(key) not in values:
        st.session_state.pop(key, None)
    return st.selectbox(label, values, format_func=options.get, key=key, index=min(index, len(values) - 1))


def widths(**px: int) -> dict:
    """Text columns of fixed pixel widths, for tables whose columns would otherwise crowd each other out."""
    return {name: st.column_config.TextColumn(width=w) for name, w in px.items()}


def relations_table(found: list[dict], title: str, key: str) -> None:
    """Entity-entity statements with their confidence and first evidence sentence."""
    st.subheader(f"{title} ({len(found)})")
    if not found:
        st.caption("No relation between two entities was read here.")
        return
    st.dataframe(pd.DataFrame([{
        "subject": r["subject_label"], "predicate": r["predicate"], "object": r["object_label"],
        "sentence": r["evidence"][0]["sentence"] if r["evidence"] else "",  # the key columns first, then the numbers
        "confidence": r["confidence"], "papers": len({e["paper"] for e in r["evidence"]})} for r in found]),
        hide_index=True, width="stretch", key=key, column_config={
            **widths(subject=170, predicate=100, object=170), "confidence": CONFIDENCE_COLUMN,
            "papers": st.column_config.NumberColumn(width=60, help="Papers whose sentences state it"),
            "sentence": st.column_config.TextColumn("evidence sentence", width=520)})


def _one_file(files: Callable[[], dict[str, bytes]], fmt: str) -> bytes:
    return files()[fmt]


def view_downloads(files: Callable[[], dict[str, bytes]], stem: str, key: str) -> None:
    """Download buttons for the drawn view: GraphML, node-link JSON and the standalone (offline) HTML page.

    ``files`` (cached by the caller) runs only when a button is clicked: most views are never downloaded.
    """
    notes = {"graphml": "GraphML (Gephi, yEd, networkx)", "json": "node-link JSON (networkx, D3)",
             "html": "the drawn network as one HTML file that opens offline"}
    first, *columns = st.columns([2, 1.5, 1.2, 1.2, 6], vertical_alignment="center")
    first.caption("Download this view as")
    for column, fmt in zip(columns, VIEW_FORMATS, strict=False):
        column.download_button(LABELS[fmt], partial(_one_file, files, fmt), f"{stem}{VIEW_SUFFIXES[fmt]}",
                               VIEW_MIME[fmt],
                               on_click="ignore", key=f"{key}_{fmt}",
                               help=f"Download this view: {notes[fmt]}")


def build(settings: Settings, inputs: list, label: str) -> BuildSummary:
    """Build the graph from ``inputs`` with a progress bar; the new generation is published when done."""
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Reading papers...")

        def progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(1, total)), text=f"Extracting papers: {done}/{total}")

        summary = build_from_inputs(inputs, settings, progress=progress)
        status.update(label=f"Built the graph: {summary.papers} papers, {summary.triples:,} triples "
                            f"in {summary.seconds:.1f} s", state="complete", expanded=False)
    return summary
