"""Shared fixtures: one extraction pipeline and one seed-corpus graph per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.config import SEEDS_DIR, Settings

TESTS_DIR = Path(__file__).resolve().parent
SEED_FILE = SEEDS_DIR / "000_1ff9c41d867ee307.txt"
# The annotated benchmarks and abstracts are read from $ABSTRACTA_DATA. When it is unset, the tests look in
# the data folder that this workplace lays beside a checkout (../shared/data); without it, data tests skip.
_SIBLING_DATA = TESTS_DIR.parent.parent / "shared" / "data"
if "ABSTRACTA_DATA" not in os.environ and _SIBLING_DATA.is_dir():
    os.environ["ABSTRACTA_DATA"] = str(_SIBLING_DATA)


@pytest.fixture(scope="session")
def extractor():
    from extract import Extractor

    return Extractor()


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> Settings:
    """A store holding the graph of the bundled seed corpus (built once)."""
    from kg.graph.orchestrate import build_from_inputs

    settings = Settings(store_dir=tmp_path_factory.mktemp("seed-store"))
    build_from_inputs([SEED_FILE], settings)
    return settings


@pytest.fixture(scope="session")
def seed_store(seed_settings):
    from kg.store.generations import open_current

    _, store = open_current(seed_settings.store_dir)
    return store
