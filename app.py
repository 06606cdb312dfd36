"""Abstracta dashboard: browse the knowledge graph of ML papers.

Run with ``streamlit run app.py``; the store comes from ``ABSTRACTA_STORE``
(default ``./store``). On first start with an empty store, the seed graph is
built. Pages: Overview, Explore, Paper, SPARQL, Export.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from kg import queries
from kg.analytics import neighbourhood, paper_entity_graph
from kg.config import Settings
from kg.errors import AbstractaError, QueryError
from kg.export import FORMATS, SUFFIXES, export
from kg.orchestrate import build_from_inputs
from kg.results import term_text, to_csv, to_json
from kg.sparql import QueryRunner
from kg.stats import graph_stats
from kg.store import Generation, current_generation
from kg.viz import COLOURS, legend_html, network_html

PAGES = ("Overview", "Explore", "Paper", "SPARQL", "Export")
NODE_KINDS = ("Paper", *queries.ENTITY_TYPES)
FORMAT_NOTES = {
    "turtle": "RDF Turtle: the whole graph (papers, entities, evidence, claims).",
    "ntriples": "RDF N-Triples: the whole graph, one triple per line.",
    "jsonld": "JSON-LD: the whole graph.",
    "rdfxml": "RDF/XML: the whole graph.",
    "graphml": "GraphML: the paper-entity network (for Gephi, yEd, networkx).",
    "gexf": "GEXF: the paper-entity network (for Gephi).",
    "csv": "CSV: one row per paper-entity link.",
}
Key = tuple[str, str]  # (store directory, generation name): every cache is keyed by it
# Widget defaults, set through session state so that the choices survive a visit to another page.
DEFAULTS = {"explore_q": "", "explore_hops": 2, "explore_kinds": list(NODE_KINDS), "explore_cap": 150}
KEPT = ("explore_entity", "paper_iri", "sparql_text", "sparql_example", "export_fmt")


# ----------------------------------------------------------- cached data access

@st.cache_resource(show_spinner=False, max_entries=4)
def _store(key: Key):  # noqa: ANN202 - pyoxigraph.Store, shared read-only between sessions
    return queries.open_generation(Generation(Path(key[0]), key[1]))


@st.cache_resource(show_spinner=False, max_entries=4)
def _graph(key: Key):  # noqa: ANN202 - networkx.DiGraph, never mutated
    return paper_entity_graph(_store(key))


@st.cache_resource(show_spinner=False, max_entries=4, on_release=lambda runner: runner.close())
def _runner(key: Key, timeout_s: float, max_rows: int) -> QueryRunner:
    return QueryRunner(Generation(Path(key[0]), key[1]).db_path, timeout_s=timeout_s, max_rows=max_rows)


@st.cache_data(show_spinner=False, max_entries=16)
def _stats(key: Key) -> dict:
    return graph_stats(_store(key))


@st.cache_data(show_spinner=False, max_entries=64)
def _top(key: Key, type_name: str, n: int) -> list[dict]:
    return queries.top_entities(_store(key), type_name, n)


@st.cache_data(show_spinner=False, max_entries=16)
def _papers(key: Key) -> list[dict]:
    return queries.papers(_store(key))


@st.cache_data(show_spinner=False, max_entries=256)
def _paper(key: Key, iri: str) -> queries.PaperDetail | None:
    return queries.paper_detail(_store(key), iri)


@st.cache_data(show_spinner=False, max_entries=256)
def _search(key: Key, text: str) -> list[dict]:
    graph = _graph(key)
    return [m for m in queries.search_entities(_store(key), text, limit=200) if m["iri"] in graph][:50]


@st.cache_data(show_spinner=False, max_entries=16)  # each page embeds vis.js (~700 kB)
def _view(key: Key, centre: str, hops: int, kinds: tuple[str, ...], cap: int) -> tuple[str, list[dict], int]:
    """The pyvis HTML and neighbour rows of one neighbourhood, and its edge count."""
    graph = _graph(key)
    sub = neighbourhood(graph, centre, hops=hops, kinds=kinds, cap=cap)
    return network_html(sub, centre=centre), queries.neighbour_table(graph, sub, centre), sub.number_of_edges()


@st.cache_data(show_spinner=False, max_entries=128)
def _query(key: Key, text: str, timeout_s: float, max_rows: int):  # noqa: ANN202 - QueryResult
    return _runner(key, timeout_s, max_rows).run(text)


@st.cache_data(show_spinner=False, max_entries=8)
def _export_bytes(key: Key, fmt: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="abstracta-export-") as tmp:
        return export(_store(key), fmt, Path(tmp) / f"abstracta{SUFFIXES[fmt]}").read_bytes()


@st.cache_data(show_spinner=False)
def _examples(folder: str) -> list[tuple[str, str]]:
    """(title, text) of each ``*.rq`` file; the title is its ``# title:`` line."""
    out = []
    for path in sorted(Path(folder).glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        title = first.split("title:", 1)[1].strip() if first.startswith("#") and "title:" in first else path.stem
        out.append((title, text))
    return out


# ----------------------------------------------------------------- rendering


def _highlight(text: str, spans: list[queries.Span]) -> str:
    """Escaped ``text`` with each extracted span in a ``<mark>`` coloured by entity type."""
    parts = []
    for piece, cover in queries.segments(text, spans):
        if not cover:
            parts.append(html.escape(piece))
            continue
        inner = min(cover, key=lambda s: (s.end - s.start, s.start))
        colour = COLOURS.get(inner.type, "#444444")
        tip = "; ".join(f"{s.label} ({s.type}, {s.predicate})" for s in cover)
        parts.append(f'<mark class="abx-span abx-{html.escape(inner.type)}" title="{html.escape(tip)}" '
                     f'style="background:{colour}2e;border-bottom:2px solid {colour};padding:0 1px;'
                     f'border-radius:3px;color:inherit">{html.escape(piece)}</mark>')
    return "".join(parts)


def _quantity(q: dict) -> str:
    """A number as the claim states it: up to 14x, 2%, by 2.3 points."""
    unit = q["unit"]
    number = f'{q["value"]} {unit}' if len(unit) > 1 and unit[0].isalpha() else f'{q["value"]}{unit}'
    return " ".join(x for x in (q["qualifier"], number) if x)


# --------------------------------------------------------------------- pages


def page_overview(key: Key, settings: Settings) -> None:
    st.header("Overview")
    stats = _stats(key)
    cols = st.columns(6)
    for col, (label, value) in zip(cols, [
            ("Papers", stats["papers"]), ("Entities", sum(stats["entities"].values())),
            ("Claims", stats["claims"]), ("Evidence records", stats["evidence"]),
            ("Code links", stats["code_links"]), ("Triples", stats["triples"])], strict=True):
        col.metric(label, f"{value:,}")
    st.caption("Entities by type: " + " · ".join(f"{t} {n}" for t, n in stats["entities"].items()))
    left, right = st.columns(2)
    for i, type_name in enumerate(("Method", "Dataset", "Task", "Metric")):
        with (left if i % 2 == 0 else right):
            st.subheader(f"Top {type_name.lower()}s by papers")
            top = _top(key, type_name, 10)
            if not top:
                st.info(f"No {type_name.lower()}s in the graph.")
                continue
            st.bar_chart(pd.DataFrame(top), x="label", y="papers", horizontal=True, sort="-papers",
                         color=COLOURS[type_name], x_label="papers", y_label="", height=300)


def page_explore(key: Key, settings: Settings) -> None:
    st.header("Explore the graph")
    c1, c2 = st.columns([1, 2])
    text = c1.text_input("Search an entity by label", placeholder="e.g. ImageNet, ViT, LLM", key="explore_q")
    matches = _search(key, text)
    if not matches:
        st.warning(f"No linked entity has a label containing {text!r}; try a shorter word.")
        return
    names = {m["iri"]: f'{m["label"]} ({m["type"]}, {m["papers"]} papers)' for m in matches}
    label = f"Entity ({len(matches)} matches)" if text else "Entity (most-mentioned first)"
    centre = c2.selectbox(label, list(names), format_func=names.get, key="explore_entity")
    c3, c4, c5 = st.columns([1, 3, 1])
    hops = c3.slider("Hops", 1, 3, key="explore_hops")
    kinds = c4.multiselect("Node types", NODE_KINDS, key="explore_kinds")
    cap = c5.slider("Max nodes (by degree)", 10, 500, step=10, key="explore_cap")
    page, rows, n_edges = _view(key, centre, hops, tuple(kinds), cap)
    st.caption(f"{len(rows) + 1} nodes, {n_edges} edges within {hops} hop(s) of **{names[centre]}**. "
               "Drag to move, scroll to zoom, hover for details.")
    if not n_edges:
        st.info("No links to show: keep the Paper type selected, since every link joins a paper and an entity.")
    st.iframe(page, height=640)
    st.html(legend_html())
    st.subheader("Neighbours")
    st.dataframe(pd.DataFrame(rows, columns=["label", "type", "hops", "link", "degree", "iri"]),
                 hide_index=True, width="stretch", column_config={
                     "link": st.column_config.TextColumn("link to centre"),
                     "degree": st.column_config.NumberColumn("links", help="Paper-entity links in the whole graph"),
                     "iri": st.column_config.TextColumn("IRI", width="small")})


def page_paper(key: Key, settings: Settings) -> None:
    st.header("Paper")
    papers = _papers(key)
    titles = {p["iri"]: p["title"] for p in papers}
    iri = st.selectbox(f"Paper ({len(papers)})", list(titles), format_func=titles.get, key="paper_iri")
    detail = _paper(key, iri) if iri else None
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
    left, right = st.columns(2)
    with left:
        st.subheader(f"Claims ({len(detail.claims)})")
        if not detail.claims:
            st.caption("No result claims were found in this abstract.")
        items = "".join(
            f'<li style="margin-bottom:0.5em"><b>{html.escape(c.kind)}</b>: {html.escape(c.text)}'
            + "".join(f' <code>{html.escape(_quantity(q))}</code>' for q in c.quantities) + "</li>"
            for c in detail.claims)
        if items:
            st.html(f"<ul>{items}</ul>")
    with right:
        st.subheader(f"Entities ({len(detail.entities)})")
        mentions = {}
        for s in detail.spans:
            mentions[s.entity] = mentions.get(s.entity, 0) + 1
        st.dataframe(pd.DataFrame([{**{k: e[k] for k in ("label", "type", "predicate")},
                                    "mentions": mentions.get(e["iri"], 0)} for e in detail.entities],
                                  columns=["label", "type", "predicate", "mentions"]),
                     hide_index=True, width="stretch")
    st.caption(f"IRI: {detail.iri}")


def _load_example() -> None:
    examples = dict(st.session_state["sparql_examples"])
    st.session_state["sparql_text"] = examples.get(st.session_state["sparql_example"], "")


def page_sparql(key: Key, settings: Settings) -> None:
    st.header("SPARQL")
    examples = _examples(str(settings.seeds_dir / "queries"))
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
            outcome = _query(key, text, settings.query_timeout_s, settings.max_rows)
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
        frame = pd.DataFrame([[term_text(t) for t in row] for row in result.rows], columns=list(result.columns))
        st.dataframe(frame, hide_index=True, width="stretch")
    note = f"{len(result.rows):,} row(s) in {result.elapsed_s * 1000:.0f} ms."
    if result.truncated:
        st.warning(f"Results truncated at the {settings.max_rows:,}-row limit; add a LIMIT or narrow the query.")
    st.caption(note)
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("Download CSV", to_csv(result), "results.csv", "text/csv", on_click="ignore")
    c2.download_button("Download JSON", to_json(result), "results.json", "application/sparql-results+json",
                       on_click="ignore")


def page_export(key: Key, settings: Settings) -> None:
    st.header("Export")
    fmt = st.selectbox("Format", FORMATS, key="export_fmt",
                       format_func=lambda f: f"{f} ({SUFFIXES[f]})")
    st.caption(FORMAT_NOTES.get(fmt, ""))
    if st.button("Generate file", key="export_go"):
        st.session_state["export_ready"] = (key, fmt)
    if st.session_state.get("export_ready") == (key, fmt):
        with st.spinner(f"Writing {fmt}..."):
            data = _export_bytes(key, fmt)
        name = f"abstracta{SUFFIXES[fmt]}"
        st.download_button(f"Download {name} ({len(data):,} bytes)", data, name, on_click="ignore",
                           type="primary", key="export_download")


# ---------------------------------------------------------------------- app


def _first_build(settings: Settings) -> Generation:
    """Build the seed graph into an empty store, with a progress bar."""
    with st.status(f"No graph in {settings.store_dir} yet: building it from the seed papers...",
                   expanded=True) as status:
        bar = st.progress(0.0, text="Reading papers...")

        def progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(1, total)), text=f"Extracting papers: {done}/{total}")

        summary = build_from_inputs([settings.seeds_dir], settings, progress=progress)
        status.update(label=f"Built the graph: {summary.papers} papers, {summary.triples:,} triples "
                            f"in {summary.seconds:.1f} s", state="complete", expanded=False)
    gen = current_generation(settings.store_dir)
    if gen is None:
        raise AbstractaError(f"the build finished but {settings.store_dir} has no published graph")
    return gen


def _keep_widget_state() -> None:
    """Streamlit forgets the widgets a run does not draw; re-store them so each page keeps its choices."""
    for name, default in DEFAULTS.items():
        st.session_state[name] = st.session_state.get(name, default)
    for name in KEPT:
        if name in st.session_state:
            st.session_state[name] = st.session_state[name]


def main() -> None:
    # No page_icon: Material icons as favicons are fetched from fonts.gstatic.com, and the app works offline.
    st.set_page_config(page_title="Abstracta", layout="wide")
    try:
        settings = Settings.from_env()
        gen = current_generation(settings.store_dir) or _first_build(settings)
        key: Key = (str(settings.store_dir), gen.name)
        _keep_widget_state()
        with st.sidebar:
            st.title("Abstracta")
            st.caption("A knowledge graph of ML papers")
            page = st.radio("Page", PAGES, key="page")
            built = gen.summary()
            st.caption(f"Store `{settings.store_dir}`  \nGeneration `{gen.name}`"
                       + (f"  \n{built.get('papers', '?')} papers, {built.get('triples', '?'):,} triples"
                          if isinstance(built.get("triples"), int) else ""))
        {"Overview": page_overview, "Explore": page_explore, "Paper": page_paper,
         "SPARQL": page_sparql, "Export": page_export}[page](key, settings)
    except AbstractaError as e:
        st.error(str(e))
        st.stop()


main()
