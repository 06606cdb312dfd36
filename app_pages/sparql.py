"""SPARQL page: run a read-only query (or an example) and download the results.

IRIs of this graph's papers and entities in the results get a link column each, to their Paper or Entity page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _data as data
from app_pages import _links as links
from app_pages import _ui as ui
from kg.errors import QueryError
from kg.query.formats import term_text, to_csv, to_json
from kg.query.runner import QueryResult

LINKED = "{} ↗"  # the name of the link column beside a result column of papers or entities


def _frame(key: data.Key, result: QueryResult, base: str) -> tuple[pd.DataFrame, dict]:
    """The result table, with a link column after each column holding papers or entities of this graph."""
    known = data.full_graph(key)
    columns: dict[str, list] = {}
    config: dict = {}
    for i, name in enumerate(result.columns):
        terms = [row[i] for row in result.rows]
        columns[name] = [term_text(t) for t in terms]
        targets = [links.graph_link(t.value, base) if t is not None and t.kind == "iri" and t.value in known
                   else None for t in terms]
        if any(targets) and LINKED.format(name) not in result.columns:
            columns[LINKED.format(name)] = targets
            config[LINKED.format(name)] = st.column_config.LinkColumn(
                LINKED.format(name), display_text="open", help=f"The Paper or Entity page of ?{name}")
    return pd.DataFrame(columns, columns=list(columns)), config


def _load_example() -> None:
    examples = dict(st.session_state["sparql_examples"])
    st.session_state["sparql_text"] = examples.get(st.session_state["sparql_example"], "")


def main() -> None:
    key, settings = ui.context()
    st.header("SPARQL")
    examples = data.examples(str(settings.seeds_dir / "queries"))
    st.session_state["sparql_examples"] = examples
    if "sparql_text" not in st.session_state:
        st.session_state["sparql_text"] = examples[0][1] if examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10"
    if examples:
        st.selectbox("Example queries", [t for t, _ in examples], key="sparql_example", on_change=_load_example)
    st.text_area("Query (read-only; prefixes abx:, dcterms:, schema:, skos:, prov:, rdf:, rdfs:, owl:, "
                 "xsd:, mls: are predeclared)", key="sparql_text", height=280)
    st.caption(f"Limits: {settings.query_timeout_s:g} s per query, {settings.max_rows:,} rows. "
               "Updates and SERVICE calls are refused.")
    if st.button("Run query", type="primary", key="sparql_run"):
        text = st.session_state["sparql_text"]
        try:
            outcome = data.query(key, text, settings.query_timeout_s, settings.max_rows)
        except QueryError as e:
            outcome = str(e)
        st.session_state["sparql_outcome"] = (key, outcome)
    stored = st.session_state.get("sparql_outcome")
    if not stored or stored[0] != key:
        return
    result = stored[1]
    if isinstance(result, str):
        st.error(result)
        return
    if result.kind == "ask":
        st.success(f"ASK: {'true' if result.boolean else 'false'}")
    else:
        frame, config = _frame(key, result, settings.base_iri)
        st.dataframe(frame, hide_index=True, width="stretch", key="sparql_table", column_config=config)
    note = f"{len(result.rows):,} row(s) in {result.elapsed_s * 1000:.0f} ms."
    if result.truncated:
        st.warning(f"Results truncated at the {settings.max_rows:,}-row limit; add a LIMIT or narrow the query.")
    st.caption(note)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("Download CSV", to_csv(result), "results.csv", "text/csv", on_click="ignore")
    c2.download_button("Download JSON", to_json(result), "results.json", "application/sparql-results+json",
                       on_click="ignore")


main()
