"""Abstracta dashboard: browse the knowledge graph of ML papers.

Run with ``streamlit run app.py``; the store comes from ``ABSTRACTA_STORE``
(default ``./store``). On first start with an empty store, the seed graph is
built. Pages: Overview, Explore, Paper, Leaderboard, Curate, SPARQL, Export.
The sidebar's confidence slider filters every page's links, claims and results.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from kg.config import DEFAULT_MIN_CONFIDENCE, Settings
from kg.errors import AbstractaError, QueryError
from kg.export.files import FORMATS, SUFFIXES, export
from kg.graph import corrections
from kg.graph.build import BuildSummary
from kg.graph.orchestrate import build_from_inputs
from kg.query.formats import term_text, to_csv, to_json
from kg.query.runner import QueryRunner
from kg.read import queries, snapshot, viz
from kg.read.projection import neighbourhood
from kg.read.stats import graph_stats
from kg.read.viz import COLOURS, legend_html, network_html
from kg.store.generations import Generation, current_generation

PAGES = ("Overview", "Explore", "Paper", "Leaderboard", "Curate", "SPARQL", "Export")
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
DEFAULTS = {"explore_q": "", "explore_hops": 2, "explore_kinds": list(NODE_KINDS), "explore_cap": 150,
            "min_confidence": DEFAULT_MIN_CONFIDENCE, "curate_verb": "merge"}
KEPT = ("explore_entity", "paper_iri", "paper_iri_filter", "sparql_text", "sparql_example", "export_fmt",
        "lb_dataset", "lb_metric")
CONFIDENCE_HELP = ("Hide paper-entity links (and the evidence, spans and entities behind them), claims and "
                   "results whose confidence is below this, on every page. 0 shows everything.")
VERBS = {"merge": "Merge two entities", "split": "Split a surface form off", "rename": "Rename",
         "retype": "Retype", "reject": "Reject"}
CONFIDENCE_COLUMN = st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="%.2f",
                                                   width=95)


def _choose(label: str, options: dict[str, str], key: str, cap: int, index: int = 0) -> str | None:
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


def _widths(**px: int) -> dict:
    """Text columns of fixed pixel widths, for tables whose columns would otherwise crowd each other out."""
    return {name: st.column_config.TextColumn(width=w) for name, w in px.items()}


# ----------------------------------------------------------- cached data access

@st.cache_resource(show_spinner=False, max_entries=4)
def _store(key: Key):  # noqa: ANN202 - pyoxigraph.Store, shared read-only between sessions
    return queries.open_generation(Generation(Path(key[0]), key[1]))


def _snapshot(key: Key) -> Path | None:
    """The generation's snapshot (link graph, label index, counts), if its build wrote one."""
    return snapshot.find(Generation(Path(key[0]), key[1]).path)


@st.cache_resource(show_spinner=False, max_entries=4)
def _full_graph(key: Key):  # noqa: ANN202 - networkx.DiGraph, never mutated
    found = _snapshot(key)
    return snapshot.load_graph(found) if found else queries.link_graph(_store(key))


@st.cache_resource(show_spinner=False, max_entries=8)
def _graph(key: Key, threshold: float):  # noqa: ANN202 - networkx.DiGraph, never mutated
    """The paper-entity graph without the links below ``threshold``."""
    return queries.at_confidence(_full_graph(key), threshold)


@st.cache_resource(show_spinner=False, max_entries=4, on_release=lambda runner: runner.close())
def _runner(key: Key, timeout_s: float, max_rows: int) -> QueryRunner:
    return QueryRunner(Generation(Path(key[0]), key[1]).db_path, timeout_s=timeout_s, max_rows=max_rows)


@st.cache_data(show_spinner=False, max_entries=16)
def _stats(key: Key) -> dict:
    return graph_stats(_store(key), triples=Generation(Path(key[0]), key[1]).summary().get("triples"))


@st.cache_data(show_spinner=False, max_entries=32)
def _counts(key: Key, threshold: float) -> dict[str, int]:
    found = _snapshot(key)
    counts = snapshot.confidence_counts(found, threshold) if found else None
    return counts if counts is not None else queries.confidence_counts(_store(key), threshold)


@st.cache_data(show_spinner=False, max_entries=64)
def _top(key: Key, type_name: str, n: int, threshold: float) -> list[dict]:
    return queries.top_entities(_graph(key, threshold), type_name, n)


@st.cache_data(show_spinner=False, max_entries=16)
def _papers(key: Key) -> list[dict]:
    found = _snapshot(key)
    return snapshot.papers(found) if found else queries.papers(_store(key))


@st.cache_data(show_spinner=False, max_entries=256)
def _paper(key: Key, iri: str, threshold: float) -> queries.PaperDetail | None:
    return queries.paper_detail(_store(key), iri, threshold)


@st.cache_data(show_spinner=False, max_entries=256)
def _search(key: Key, text: str, threshold: float) -> list[dict]:
    graph = _graph(key, threshold)  # only entities with a link at this confidence; papers counted at it
    found = _snapshot(key)
    hits = snapshot.search(found, text, limit=200) if found else queries.search_entities(_store(key), text, limit=200)
    return [{**m, "papers": graph.nodes[m["iri"]]["papers"]} for m in hits if m["iri"] in graph][:50]


@st.cache_data(show_spinner=False, max_entries=16)  # each page embeds vis.js (~700 kB)
def _view(key: Key, centre: str, hops: int, kinds: tuple[str, ...], cap: int,
          threshold: float) -> tuple[str, list[dict], list[dict]]:
    """The pyvis HTML (with evidence in the tooltips), node rows and link rows of one neighbourhood."""
    graph = _graph(key, threshold)
    sub = neighbourhood(graph, centre, hops=hops, kinds=kinds, cap=cap)
    evidence = queries.link_evidence(_store(key), list(sub.edges))
    for node, data in sub.nodes(data=True):
        data["tip"] = viz.node_tip(data, sub.degree(node))
    for u, v, data in sub.edges(data=True):
        data["tip"] = viz.link_tip(graph.nodes[u]["label"], graph.nodes[v]["label"], data, evidence[(u, v)])
    return (network_html(sub, centre=centre), queries.neighbour_table(graph, sub, centre),
            queries.link_table(graph, sub, centre))


@st.cache_data(show_spinner=False, max_entries=128)
def _paper_relations(key: Key, iri: str, threshold: float) -> list[dict]:
    return queries.paper_relations(_store(key), iri, threshold)


@st.cache_data(show_spinner=False, max_entries=128)
def _entity_relations(key: Key, iri: str, threshold: float) -> list[dict]:
    return queries.entity_relations(_store(key), iri, threshold)


@st.cache_data(show_spinner=False, max_entries=64)
def _evidence(key: Key, paper: str, entity: str) -> list[queries.Evidence]:
    return queries.link_evidence(_store(key), [(paper, entity)])[(paper, entity)]


@st.cache_data(show_spinner=False, max_entries=64)
def _results(key: Key, threshold: float, dataset: str | None = None, metric: str | None = None) -> list[dict]:
    return queries.filter_results(_all_results(key), threshold, dataset=dataset, metric=metric)


@st.cache_resource(show_spinner=False, max_entries=4)
def _all_results(key: Key) -> list[dict]:  # never mutated
    found = _snapshot(key)
    return snapshot.results(found) if found else queries.all_results(_store(key))


@st.cache_data(show_spinner=False, max_entries=4)
def _catalogue(key: Key) -> list[dict]:
    return queries.entity_catalogue(_full_graph(key))


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


def _threshold() -> float:
    """The sidebar's confidence threshold, rounded so that cache keys do not differ by float noise."""
    return round(float(st.session_state.get("min_confidence", 0.0)), 2)


def _md(text: str) -> str:
    """``text`` with Markdown's special characters escaped, for messages that render Markdown."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|~$" else ch for ch in text)


def _below(threshold: float) -> str:
    return f" at confidence ≥ {threshold:.2f}" if threshold > 0 else ""


# --------------------------------------------------------------------- pages


def page_overview(key: Key, settings: Settings) -> None:
    st.header("Overview")
    t = _threshold()
    stats, counts, graph = _stats(key), _counts(key, t), _graph(key, t)
    kinds = [d["kind"] for _, d in graph.nodes(data=True) if d["kind"] != "Paper"]
    by_type = {name: kinds.count(name) for name in queries.ENTITY_TYPES if name in kinds}
    cols = st.columns(7)
    for col, (label, value) in zip(cols, [
            ("Papers", stats["papers"]), ("Entities", len(kinds)), ("Links", graph.number_of_edges()),
            ("Claims", counts["claims"]), ("Evidence records", counts["evidence"]),
            ("Code links", stats["code_links"]), ("Triples", stats["triples"])], strict=True):
        col.metric(label, f"{value:,}")
    st.caption("Entities by type: " + " · ".join(f"{k} {n}" for k, n in by_type.items())
               + (f".  Counting only links, evidence and claims{_below(t)}; entities with no such link are left "
                  "out." if t > 0 else ""))
    left, right = st.columns(2)
    for i, type_name in enumerate(("Method", "Dataset", "Task", "Metric")):
        with (left if i % 2 == 0 else right):
            st.subheader(f"Top {type_name.lower()}s by papers")
            top = _top(key, type_name, 10, t)
            if not top:
                st.info(f"No {type_name.lower()}s in the graph{_below(t)}.")
                continue
            st.bar_chart(pd.DataFrame(top), x="label", y="papers", horizontal=True, sort="-papers",
                         color=COLOURS[type_name], x_label="papers", y_label="", height=300)


def page_explore(key: Key, settings: Settings) -> None:
    st.header("Explore the graph")
    t = _threshold()
    c1, c2 = st.columns([1, 2])
    text = c1.text_input("Search an entity by label", placeholder="e.g. ImageNet, ViT, LLM", key="explore_q")
    matches = _search(key, text, t)
    if not matches:
        st.warning(f"No linked entity{_below(t)} has a label containing {text!r}; try a shorter word"
                   + (" or a lower confidence." if t > 0 else "."))
        return
    names = {m["iri"]: f'{m["label"]} ({m["type"]}, {m["papers"]} papers)' for m in matches}
    label = f"Entity ({len(matches)} matches)" if text else "Entity (most-mentioned first)"
    centre = c2.selectbox(label, list(names), format_func=names.get, key="explore_entity")
    c3, c4, c5 = st.columns([1, 3, 1])
    hops = c3.slider("Hops", 1, 3, key="explore_hops")
    kinds = c4.multiselect("Node types", NODE_KINDS, key="explore_kinds")
    cap = c5.slider("Max nodes (by degree)", 10, 500, step=10, key="explore_cap")
    page, nodes, links = _view(key, centre, hops, tuple(kinds), cap, t)
    st.caption(f"{len(nodes) + 1} nodes, {len(links)} links{_below(t)} within {hops} hop(s) of "
               f"**{_md(names[centre])}**. Drag to move, scroll to zoom; hover a node or a link for its evidence. "
               "Thicker links are more confident.")
    if not links:
        st.info("No links to show: keep the Paper type selected, since every link joins a paper and an entity.")
    st.iframe(page, height=640)
    st.html(legend_html())
    tab_links, tab_nodes = st.tabs([f"Links ({len(links)})", f"Nodes ({len(nodes)})"])
    with tab_links:
        chosen = st.dataframe(
            pd.DataFrame(links, columns=["paper", "predicate", "entity", "type", "confidence", "evidence", "rules",
                                         "paper_iri", "entity_iri"]),
            hide_index=True, width="stretch", key="explore_links", on_select="rerun", selection_mode="single-row",
            column_order=["paper", "predicate", "entity", "type", "confidence", "evidence", "rules"],
            column_config={**_widths(paper=280, predicate=105, entity=170, type=75, rules=170),
                           "confidence": CONFIDENCE_COLUMN,
                           "evidence": st.column_config.NumberColumn(help="Evidence records of the link", width=75)})
        rows = chosen.selection.rows
        if rows and rows[0] < len(links):
            link = links[rows[0]]
            evidence = _evidence(key, link["paper_iri"], link["entity_iri"])
            st.html(f'<p style="margin:0.3em 0"><b>Evidence ({len(evidence)})</b>: '
                    f'{html.escape(link["paper"])} → <i>{html.escape(link["predicate"])}</i> → '
                    f'<b>{html.escape(link["entity"])}</b></p>' + viz.evidence_table(evidence))
        else:
            st.caption("Select a link (the box at the left of its row) to read every evidence sentence behind it.")
    with tab_nodes:
        st.dataframe(pd.DataFrame(nodes, columns=["label", "type", "hops", "link", "degree", "iri"]),
                     hide_index=True, width="stretch", column_config={
                         "link": st.column_config.TextColumn("link to centre"),
                         "degree": st.column_config.NumberColumn("links", help="Paper-entity links" + _below(t)),
                         "iri": st.column_config.TextColumn("IRI", width="small")})
    _relations_table(_entity_relations(key, centre, t), f"Relations of {names[centre].split(' (')[0]}{_below(t)}",
                     key="explore_relations")


def page_paper(key: Key, settings: Settings) -> None:
    st.header("Paper")
    papers = _papers(key)
    titles = {p["iri"]: p["title"] for p in papers}
    iri = _choose(f"Paper ({len(papers):,})", titles, key="paper_iri", cap=settings.list_cap)
    t = _threshold()
    detail = _paper(key, iri, t) if iri else None
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
                         **_widths(label=190, type=70, predicate=100),
                         "confidence": st.column_config.ProgressColumn(
                             "confidence", help="Of this paper's link to the entity", format="%.2f",
                             min_value=0.0, max_value=1.0, width=95),
                         "entity_confidence": st.column_config.NumberColumn(
                             "entity conf.", help="That the entity is real, over all papers", format="%.2f",
                             width=75),
                         "mentions": st.column_config.NumberColumn(width=70)})
    _relations_table(_paper_relations(key, iri, t), f"Relations read in this paper{_below(t)}",
                     key="paper_relations")
    st.caption(f"IRI: {detail.iri}")


def _relations_table(rows: list[dict], title: str, key: str) -> None:
    """Entity-entity statements with their confidence and first evidence sentence."""
    st.subheader(f"{title} ({len(rows)})")
    if not rows:
        st.caption("No relation between two entities was read here.")
        return
    st.dataframe(pd.DataFrame([{
        "subject": r["subject_label"], "predicate": r["predicate"], "object": r["object_label"],
        "confidence": r["confidence"], "papers": len({e["paper"] for e in r["evidence"]}),
        "sentence": r["evidence"][0]["sentence"] if r["evidence"] else ""} for r in rows]),
        hide_index=True, width="stretch", key=key, column_config={
            **_widths(subject=170, predicate=100, object=170), "confidence": CONFIDENCE_COLUMN,
            "papers": st.column_config.NumberColumn(width=60, help="Papers whose sentences state it"),
            "sentence": st.column_config.TextColumn("evidence sentence", width=600)})


def page_leaderboard(key: Key, settings: Settings) -> None:
    st.header("Leaderboard")
    t = _threshold()
    facets = queries.result_facets(_results(key, t))
    c1, c2 = st.columns(2)
    dataset = c1.selectbox("Dataset", ["", *facets["dataset"]], key="lb_dataset",
                           format_func=lambda x: x or "All datasets")
    metric = c2.selectbox("Metric", ["", *facets["metric"]], key="lb_metric", format_func=lambda x: x or "All metrics")
    rows = _results(key, t, dataset or None, metric or None)
    st.caption(f"{len(rows)} result(s) from {len({r['paper_iri'] for r in rows})} paper(s){_below(t)}, read from "
               "claim sentences; sorted by metric, then value (highest first). The condition is the setting the "
               "value belongs to (a backbone, a model size).")
    if not rows:
        st.info("No results match" + (f"; lower the confidence threshold ({t:.2f})." if t > 0 else "."))
        return
    st.dataframe(pd.DataFrame(rows, columns=list(queries.RESULT_COLUMNS)), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(rows), 640), key="lb_table", column_config={
                     **_widths(metric=130, unit=50, qualifier=70, method=120, dataset=110, condition=95, baseline=120,
                               direction=75, paper=230),
                     "value": st.column_config.NumberColumn(format="%g", width=60), "confidence": CONFIDENCE_COLUMN,
                     "claim": st.column_config.TextColumn("claim sentence", width=600)})


def _build(settings: Settings, inputs: list, label: str) -> BuildSummary:
    """Build the graph from ``inputs`` with a progress bar; the new generation is published when done."""
    with st.status(label, expanded=True) as status:
        bar = st.progress(0.0, text="Reading papers...")

        def progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(1, total)), text=f"Extracting papers: {done}/{total}")

        summary = build_from_inputs(inputs, settings, progress=progress)
        status.update(label=f"Built the graph: {summary.papers} papers, {summary.triples:,} triples "
                            f"in {summary.seconds:.1f} s", state="complete", expanded=False)
    return summary


def _apply(settings: Settings, inputs: list, verb: str, *names: str) -> None:
    """Add a correction to the file, rebuild the graph from ``inputs`` and show the new generation."""
    path, line = settings.corrections_file, f"{verb} " + ", ".join(f"“{_md(n)}”" for n in names)
    try:
        corrections.append(path, verb, *names)
    except (AbstractaError, OSError) as e:
        st.error(f"The correction was not saved: {e}")
        return
    try:
        summary = _build(settings, inputs, f"Rebuilding the graph with {line}...")
    except (AbstractaError, OSError) as e:
        st.error(f"{line} was saved to `{path}`, but the rebuild failed: {e}. The previous graph is still shown; "
                 "the correction applies to the next build.")
        return
    # Every cache is keyed by generation: drop the old generation's entries (and its open database) now.
    st.cache_data.clear()
    st.cache_resource.clear()
    st.session_state["curate_done"] = (f"Applied {line}: written to `{path}` and the graph rebuilt "
                                       f"({summary.papers} papers, {summary.triples:,} triples).")
    st.rerun()


def page_curate(key: Key, settings: Settings) -> None:
    st.header("Curate")
    gen = Generation(Path(key[0]), key[1])
    inputs = gen.summary().get("inputs") or [str(settings.seeds_dir)]
    path = settings.corrections_file
    st.caption(f"Each correction is added to `{path}`, and the graph is rebuilt at once from "
               f"{', '.join(f'`{i}`' for i in inputs)}. Corrections apply to every later build.")
    if done := st.session_state.pop("curate_done", None):
        st.success(done)
    catalogue = _catalogue(key)
    if not catalogue:
        st.info("The graph has no entities to correct.")
        return
    by_iri = {e["iri"]: e for e in catalogue}
    shown = {iri: f'{e["label"]} ({e["type"]}, {e["papers"]} papers)' for iri, e in by_iri.items()}

    verb = st.radio("Correction", list(VERBS), format_func=VERBS.get, horizontal=True, key="curate_verb")
    action: tuple[str, ...] | None = None
    if verb == "merge":
        c1, c2 = st.columns(2)
        with c1:
            kept = _choose("Keep this entity", shown, key="curate_keep", cap=settings.list_cap)
        with c2:
            other = _choose("Merge this one into it", shown, key="curate_other", cap=settings.list_cap, index=1)
        st.caption("The second entity's names become alternative labels of the first; its links move over.")
        if st.button("Merge", key="curate_go_merge", type="primary"):
            if kept is None or other is None or kept == other:
                st.error("Pick two different entities to merge.")
            else:
                action = ("merge", by_iri[kept]["name"], by_iri[other]["name"])
    elif verb == "split":
        iri = _choose("Entity", {i: text for i, text in shown.items() if by_iri[i]["alt"]}, key="curate_split_entity",
                      cap=settings.list_cap)
        form = st.selectbox("Surface form to make its own entity", by_iri[iri]["alt"] if iri else [],
                            key="curate_split_form")
        if st.button("Split", key="curate_go_split", type="primary", disabled=not form):
            action = ("split", form)
    else:
        iri = _choose("Entity", shown, key=f"curate_{verb}_entity", cap=settings.list_cap)
        if iri is None:
            return
        if verb == "rename":
            label = st.text_input("New preferred label", key="curate_label").strip()
            if st.button("Rename", key="curate_go_rename", type="primary", disabled=not label):
                action = ("rename", by_iri[iri]["name"], label)
        elif verb == "retype":
            types = [x for x in queries.ENTITY_TYPES if x != by_iri[iri]["type"]]
            new_type = st.selectbox("New type", types, key="curate_type")
            if st.button("Retype", key="curate_go_retype", type="primary"):
                action = ("retype", by_iri[iri]["name"], new_type)
        else:
            st.caption("The entity and all its links leave the graph (its name is no entity).")
            if st.button("Reject", key="curate_go_reject", type="primary"):
                action = ("reject", by_iri[iri]["name"])
    if action:
        _apply(settings, inputs, *action)
    st.subheader("Corrections file")
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as e:
        st.error(f"Cannot read {path}: {e}")
        return
    if not text:
        st.caption(f"No corrections yet; the first one creates `{path}`.")
        return
    st.code(text, language=None)
    st.download_button(f"Download {path.name}", text, path.name, "text/tab-separated-values", on_click="ignore",
                       key="curate_download")


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
    _build(settings, [settings.seeds_dir], f"No graph in {settings.store_dir} yet: building it from the seed papers...")
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
            st.slider("Minimum confidence", 0.0, 1.0, step=0.05, key="min_confidence", help=CONFIDENCE_HELP)
            built = gen.summary()
            st.caption(f"Store `{settings.store_dir}`  \nGeneration `{gen.name}`"
                       + (f"  \n{built.get('papers', '?')} papers, {built.get('triples', '?'):,} triples"
                          if isinstance(built.get("triples"), int) else ""))
        {"Overview": page_overview, "Explore": page_explore, "Paper": page_paper, "Leaderboard": page_leaderboard,
         "Curate": page_curate, "SPARQL": page_sparql, "Export": page_export}[page](key, settings)
    except AbstractaError as e:
        st.error(str(e))
        st.stop()


main()
