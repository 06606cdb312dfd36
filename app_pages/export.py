"""Export page: the whole graph as RDF, or the paper-entity network as GraphML, GEXF or CSV."""

from __future__ import annotations

import streamlit as st

from app_pages import _data as data
from app_pages import _ui as ui
from kg.export.files import FORMATS, SUFFIXES

FORMAT_NOTES = {
    "turtle": "RDF Turtle: the whole graph (papers, entities, evidence, claims).",
    "ntriples": "RDF N-Triples: the whole graph, one triple per line.",
    "jsonld": "JSON-LD: the whole graph.",
    "rdfxml": "RDF/XML: the whole graph.",
    "graphml": "GraphML: the paper-entity network (for Gephi, yEd, networkx).",
    "gexf": "GEXF: the paper-entity network (for Gephi).",
    "csv": "CSV: one row per paper-entity link.",
}


def main() -> None:
    key, _ = ui.context()
    st.header("Export")
    fmt = st.selectbox("Format", FORMATS, key="export_fmt",
                       format_func=lambda f: f"{f} ({SUFFIXES[f]})")
    st.caption(FORMAT_NOTES.get(fmt, ""))
    if st.button("Generate file", key="export_go"):
        st.session_state["export_ready"] = (key, fmt)
    if st.session_state.get("export_ready") == (key, fmt):
        with st.spinner(f"Writing {fmt}..."):
            content = data.export_bytes(key, fmt)
        name = f"abstracta{SUFFIXES[fmt]}"
        st.download_button(f"Download {name} ({len(content):,} bytes)", content, name, on_click="ignore",
                           type="primary", key="export_download")


main()
