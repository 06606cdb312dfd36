"""Abstracta dashboard: browse the knowledge graph of ML papers.

Run with ``streamlit run app.py``; the store comes from ``ABSTRACTA_STORE``
(default ``./store``). On first start with an empty store, the seed graph is
built. Pages (one module each in ``app_pages/``): Overview, Search, Explore, Concept map, Entity, Paper,
Leaderboard, Curate, SPARQL, Export. The sidebar's confidence slider filters
every page's links, claims and results.
"""

from __future__ import annotations

import streamlit as st

from app_pages import _links as links
from app_pages import _ui as ui
from app_pages._data import Key
from kg.config import Settings
from kg.errors import AbstractaError
from kg.store.generations import Generation, current_generation

# (module in app_pages/, title): the first is the default page, served at the app's root
PAGES = (("overview", "Overview"), ("search", "Search"), ("explore", "Explore"), ("concepts", "Concept map"),
         ("entity", "Entity"), ("paper", "Paper"), ("leaderboard", "Leaderboard"), ("curate", "Curate"),
         ("sparql", "SPARQL"), ("export", "Export"))
CONFIDENCE_HELP = ("Hide paper-entity links (and the evidence, spans and entities behind them), claims and "
                   "results whose confidence is below this, on every page. 0 shows everything.")


def _first_build(settings: Settings) -> Generation:
    """Build the seed graph into an empty store, with a progress bar."""
    ui.build(settings, [settings.seeds_dir],
             f"No graph in {settings.store_dir} yet: building it from the seed papers...")
    gen = current_generation(settings.store_dir)
    if gen is None:
        raise AbstractaError(f"the build finished but {settings.store_dir} has no published graph")
    return gen


def main() -> None:
    # No page_icon: Material icons as favicons are fetched from fonts.gstatic.com, and the app works offline.
    st.set_page_config(page_title="Abstracta", layout="wide")
    try:
        settings = Settings.from_env()
        gen = current_generation(settings.store_dir) or _first_build(settings)
        key: Key = (str(settings.store_dir), gen.name)
        ui.keep_widget_state()
        st.session_state[ui.CONTEXT] = (key, settings)
        page = st.navigation([st.Page(f"app_pages/{name}.py", title=title, default=i == 0)
                              for i, (name, title) in enumerate(PAGES)])
        links.arrive(page.url_path)
        with st.sidebar:
            st.title("Abstracta")
            st.caption("A knowledge graph of ML papers")
            st.slider("Minimum confidence", 0.0, 1.0, step=0.05, key="min_confidence", help=CONFIDENCE_HELP)
            try:
                built = gen.summary()
            except AbstractaError as e:  # the graph is still readable; only the build's counts are lost
                st.warning(str(e))
                built = {}
            st.caption(f"Store `{settings.store_dir}`  \nGeneration `{gen.name}`"
                       + (f"  \n{built.get('papers', '?')} papers, {built.get('triples', '?'):,} triples"
                          if isinstance(built.get("triples"), int) else ""))
        page.run()
    except AbstractaError as e:
        st.error(str(e))
        st.stop()


main()
