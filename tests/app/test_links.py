"""Addresses within one session: a page left and opened again by a link shows what the link names."""

from __future__ import annotations

from tests.app._fixtures import IMAGENET, app_test


def _open(at, module: str, **params: str):
    """Open ``module`` at the address with ``params``, as a link or ``st.page_link`` within the session does."""
    at.query_params.clear()
    at.query_params.update(params)
    at.switch_page(f"app_pages/{module}.py").run()
    assert not at.exception, at.exception
    return at


def test_a_link_back_to_a_page_shows_what_it_names(app_env):
    """Streamlit forgets a page's widgets when another page runs; the URL must still win on arrival, also when
    it names what the page showed before (the entity page's "Concept map centred here", twice)."""
    at = app_test().run()
    _open(at, "concepts", centre=IMAGENET)
    assert at.selectbox(key="concepts_centre").value == IMAGENET
    _open(at, "overview")
    _open(at, "concepts", centre=IMAGENET)
    assert at.selectbox(key="concepts_centre").value == IMAGENET
    assert at.query_params["centre"] == IMAGENET
    _open(at, "entity", iri=IMAGENET)
    _open(at, "search", q="imagenet")
    _open(at, "entity", iri=IMAGENET)
    assert at.subheader[0].value == "ImageNet (Dataset)"
    assert at.query_params["iri"] == IMAGENET


def test_the_entity_page_keeps_its_entity(app_env):
    """Like the paper page, the entity page shows the entity last chosen when opened again from the sidebar."""
    at = app_test().run()
    _open(at, "entity", iri=IMAGENET)
    _open(at, "overview")
    _open(at, "entity")
    assert at.query_params["iri"] == IMAGENET
    assert at.subheader[0].value == "ImageNet (Dataset)"
