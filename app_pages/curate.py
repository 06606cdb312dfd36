"""Curate page: write a correction (merge, split, rename, retype, reject), rebuild the graph with it; undo the last."""

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


# The widgets that hold an entity or a form of the graph before a correction: dropped after the rebuild, so that
# no selector still offers (or keeps) what the correction removed or changed.
ENTITY_WIDGETS = ("curate_other", "curate_split_entity", "curate_split_form", "curate_rename_entity",
                  "curate_retype_entity", "curate_reject_entity", "curate_label")


def _written(verb: str, *names: str) -> str:
    return f"{verb} " + ", ".join(f"“{ui.md(n)}”" for n in names)


def _rebuild(settings: Settings, inputs: list, label: str, failed: str) -> str | None:
    """Rebuild the graph from ``inputs``; on success drop the old generation's caches and widget state."""
    try:
        summary = ui.build(settings, inputs, label)
    except (AbstractaError, OSError) as e:
        st.error(f"{failed}, but the rebuild failed: {e}. The previous graph is still shown; the corrections file "
                 "applies to the next build.")
        return None
    # Every cache is keyed by generation: drop the old generation's entries (and its open database) now.
    st.cache_data.clear()
    st.cache_resource.clear()
    for name in ENTITY_WIDGETS:
        st.session_state.pop(name, None)
    return f"the graph rebuilt ({summary.papers} papers, {summary.triples:,} triples)"


def _apply(settings: Settings, inputs: list, verb: str, *names: str) -> None:
    """Add a correction to the file, rebuild the graph from ``inputs`` and show the new generation."""
    path, line = settings.corrections_file, _written(verb, *names)
    try:
        corrections.append(path, verb, *names)
    except (AbstractaError, OSError) as e:
        st.error(f"The correction was not saved: {e}")
        return
    rebuilt = _rebuild(settings, inputs, f"Rebuilding the graph with {line}...", f"{line} was saved to `{path}`")
    if rebuilt:
        st.session_state["curate_done"] = f"Applied {line}: written to `{path}` and {rebuilt}."
        st.rerun()


def _undo(settings: Settings, inputs: list) -> None:
    """Take the last correction out of the file and rebuild the graph without it."""
    path = settings.corrections_file
    try:
        removed = corrections.remove_last(path)
    except AbstractaError as e:
        st.error(f"Nothing was undone: {e}")
        return
    if removed is None:
        st.info(f"`{path}` has no correction to undo.")
        return
    line = _written(*removed)
    rebuilt = _rebuild(settings, inputs, f"Rebuilding the graph without {line}...",
                       f"Undid {line} (removed from `{path}`)")
    if rebuilt:
        st.session_state["curate_done"] = f"Undid {line}: removed from `{path}` and {rebuilt}."
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
    last = next((ln for ln in reversed(text.splitlines()) if ln.split("#", 1)[0].strip()), None)
    if last is not None and st.button(f"Undo the last correction ({' '.join(last.split())})", key="curate_undo",
                                      icon=":material/undo:", help="Remove the file's last correction and rebuild"):
        _undo(settings, inputs)


main()
