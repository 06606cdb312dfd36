"""Canonical keys and IRIs: deterministic, valid, collision-free."""

from __future__ import annotations

import re

from hypothesis import assume, example, given
from hypothesis import strategies as st
from rdflib import URIRef

from kg import iri

BASE = "https://w3id.org/abstracta/"
_SLUG_RE = re.compile(r"[a-z0-9~-]+")


def test_variants_share_one_key():
    assert iri.entity_key("Graph Neural Networks") == iri.entity_key("graph-neural network")
    assert iri.entity_key("ResNet-50") == iri.entity_key("ResNet50") == iri.entity_key("resnet 50")
    assert iri.entity_key("CNNs") == iri.entity_key("CNN")
    assert iri.entity_key("the Transformer") == iri.entity_key("Transformers")


def test_different_names_keep_different_keys():
    assert iri.entity_key("ImageNet-1K") != iri.entity_key("ImageNet")
    assert iri.entity_key("analysis") == "analysis"  # not singularised to "analysi"
    assert iri.entity_key("GPUS") != iri.entity_key("GPU")  # an all-caps S is part of the name


def test_paper_key_prefers_identifier():
    assert iri.paper_key("Some Title", "arXiv:2205.13147") == "id:arxiv:2205.13147"
    assert iri.paper_key("Some  Title") == iri.paper_key("some title")


def test_entity_iri_is_stable_and_readable():
    assert iri.entity_iri(BASE, "matryoshka representation learning") == (
        "https://w3id.org/abstracta/entity/matryoshka-representation-learning")


@given(st.text(max_size=80))
def test_slug_is_deterministic_and_iri_safe(key):
    s = iri.slug(key)
    assert s == iri.slug(key)
    assert _SLUG_RE.fullmatch(s), s
    # rdflib accepts it as an IRI without warnings about invalid characters
    assert str(URIRef(iri.entity_iri(BASE, key))).endswith(s)


@given(st.text(max_size=40), st.text(max_size=40))
def test_distinct_keys_get_distinct_slugs(a, b):
    if a != b:
        assert iri.slug(a) != iri.slug(b)


@given(st.text(min_size=1, max_size=60))
@example("Studies")
@example("ABs")
@example("glasses")
@example("the the boxes")
@example("AAAS")
def test_entity_key_is_idempotent(name):
    """A key is its own key, except where the name's case decided it (an all-capitals acronym ending in S
    keeps its S, ``test_capital_acronyms_keep_their_s``; the key, lower-cased, reads as a plural)."""
    k = iri.entity_key(name)
    assume(k == iri.entity_key(name.casefold()))
    assert iri.entity_key(k) == k


def test_capital_acronyms_keep_their_s():
    assert iri.entity_key("DARTS") == "darts" != iri.entity_key("DART")
    assert iri.entity_key("AAAS") == "aaas"
    assert iri.entity_key("CNNs") == iri.entity_key("CNN") == iri.entity_key("cnns")
