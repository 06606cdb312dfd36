"""Addresses inside the dashboard: every view has a URL (page path + query parameters) that reopens it.

Pages are served at ``/<module>`` (``st.navigation`` names each page by its module in ``app_pages/``);
a page reads its state from ``st.query_params`` and writes it back, so the address bar always holds
a URL that reproduces the view. Links between pages are plain relative URLs built here, so that
tables (``st.column_config.LinkColumn``), Markdown and the network views all link the same way.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st


def url(page: str, **params: str | None) -> str:
    """The relative URL of ``page`` (a module name in ``app_pages/``) with the given query parameters.

    >>> url("paper", iri="https://w3id.org/abstracta/paper/x")
    'paper?iri=https%3A%2F%2Fw3id.org%2Fabstracta%2Fpaper%2Fx'
    >>> url("search")
    'search'
    """
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v})
    return f"{page}?{query}" if query else page


def param(name: str) -> str | None:
    """The query parameter ``name`` of the current URL, or None."""
    value = st.query_params.get(name)
    return value or None


_PAGE = "_abx_page"  # session-state slot: the page the previous run drew


def arrive(page: str) -> None:
    """Call on every run with the page about to run: arriving from another page, the URL's parameters win again.

    :func:`adopt` skips a value it has already adopted, so that the URL a page wrote does not reset a widget
    the user has just changed. But Streamlit forgets the widgets of a page once another page runs, so a later
    arrival at the same address (a link or ``st.page_link`` within the session) must adopt it afresh.
    """
    if st.session_state.get(_PAGE) != page:
        for seen in [k for k in st.session_state if str(k).startswith("_abx_adopted_")]:
            del st.session_state[seen]
        st.session_state[_PAGE] = page


def adopt(name: str, widget_key: str) -> None:
    """On a page's first run from a URL, let the query parameter ``name`` set the widget ``widget_key``.

    Call before drawing the widget; afterwards call :func:`publish` so the URL follows the widget.
    """
    value = param(name)
    seen = f"_abx_adopted_{name}_{widget_key}"
    if value is not None and st.session_state.get(seen) != value:
        st.session_state[widget_key] = value
    st.session_state[seen] = value  # also when absent: publish() then marks what it writes as seen


def publish(**params: str | None) -> None:
    """Write the view's state into the URL (empty values are removed), so the address reproduces it.

    What is written counts as adopted, so that the next run's :func:`adopt` does not take a value
    the page wrote itself back over the widget the user has just changed.
    """
    for name, value in params.items():
        for seen in [k for k in st.session_state if str(k).startswith(f"_abx_adopted_{name}_")]:
            st.session_state[seen] = value or None
        if value:
            if st.query_params.get(name) != value:
                st.query_params[name] = value
        elif name in st.query_params:
            del st.query_params[name]


def graph_link(iri: str, base: str) -> str | None:
    """The app's page for ``iri`` when it is a paper or an entity minted under ``base`` (see ``kg.iri``), else None.

    >>> graph_link("https://w3id.org/abstracta/entity/imagenet", "https://w3id.org/abstracta/")
    'entity?iri=https%3A%2F%2Fw3id.org%2Fabstracta%2Fentity%2Fimagenet'
    >>> graph_link("https://w3id.org/abstracta/paper/x/claim/abstract-0-9", "https://w3id.org/abstracta/") is None
    True
    """
    if not iri.startswith(base):
        return None
    rest = iri[len(base):]
    for page, folder in (("paper", "paper/"), ("entity", "entity/")):
        slug = rest[len(folder):]
        if rest.startswith(folder) and slug and "/" not in slug:
            return url(page, iri=iri)
    return None
