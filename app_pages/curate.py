"""Curate page: write a correction (merge, split, rename, retype, reject) and rebuild the graph with it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages import _data as data
from app_pages import _ui as ui
from kg.config import Settings
from kg.errors import AbstractaError
from kg.graph import corrections
from kg.model import EntityType
from kg.store.generations import Generation

VERBS = {"merge": "Merge two entities", "split": "Split a surface form off", "rename": "Rename",
         "retype": "Retype", "reject": "Reject"}


def _apply(settings: Settings, inputs: list, verb: str, *names: str) -> None:
    """Add a correction to the file, rebuild the graph from ``inputs`` and show the new generation."""
    path, line = settings.corrections_file, f"{verb} " + ", ".join(f"“{ui.md(n)}”" for n in names)
    try:
        corrections.append(path, verb, *names)
    except (AbstractaError, OSError) as e:
        st.error(f"The correction was not saved: {e}")
        return
    try:
        summary = ui.build(settings, inputs, f"Rebuilding the graph with {line}...")
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


def main() -> None:
    key, settings = ui.context()
    st.header("Curate")
    gen = Generation(Path(key[0]), key[1])
    inputs = gen.summary().get("inputs") or [str(settings.seeds_dir)]
    path = settings.corrections_file
    st.caption(f"Each correction is added to `{path}`, and the graph is rebuilt at once from "
               f"{', '.join(f'`{i}`' for i in inputs)}. Corrections apply to every later build.")
    if done := st.session_state.pop("curate_done", None):
        st.success(done)
    catalogue = data.catalogue(key)
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
            kept = ui.choose("Keep this entity", shown, key="curate_keep", cap=settings.list_cap)
        with c2:
            other = ui.choose("Merge this one into it", shown, key="curate_other", cap=settings.list_cap, index=1)
        st.caption("The second entity's names become alternative labels of the first; its links move over.")
        if st.button("Merge", key="curate_go_merge", type="primary"):
            if kept is None or other is None or kept == other:
                st.error("Pick two different entities to merge.")
            else:
                action = ("merge", by_iri[kept]["name"], by_iri[other]["name"])
    elif verb == "split":
        iri = ui.choose("Entity", {i: text for i, text in shown.items() if by_iri[i]["alt"]}, key="curate_split_entity",
                      cap=settings.list_cap)
        form = st.selectbox("Surface form to make its own entity", by_iri[iri]["alt"] if iri else [],
                            key="curate_split_form")
        if st.button("Split", key="curate_go_split", type="primary", disabled=not form):
            action = ("split", form)
    else:
        iri = ui.choose("Entity", shown, key=f"curate_{verb}_entity", cap=settings.list_cap)
        if iri is None:
            return
        if verb == "rename":
            label = st.text_input("New preferred label", key="curate_label").strip()
            if st.button("Rename", key="curate_go_rename", type="primary", disabled=not label):
                action = ("rename", by_iri[iri]["name"], label)
        elif verb == "retype":
            types = [x.value for x in EntityType if x != by_iri[iri]["type"]]
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


main()
