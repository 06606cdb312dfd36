"""The shipped example queries (seeds/queries/*.rq): titled, described, bounded, and never empty."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.config import SEEDS_DIR
from kg.query.examples import load_examples
from kg.query.runner import execute

EXAMPLES = sorted((SEEDS_DIR / "queries").glob("*.rq"))


def test_there_are_examples():
    assert len(EXAMPLES) == len(load_examples(SEEDS_DIR / "queries")) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_has_a_title_a_description_and_a_limit(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"# title: \S.*", lines[0]), "first line must be '# title: ...'"
    assert re.fullmatch(r"# \S.*", lines[1]), "second line must say what the query shows (a comment)"
    code = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert re.fullmatch(r"LIMIT [1-9]\d*\s*", code[-1]), "the query must end with a LIMIT"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_returns_rows_on_the_seed_graph(seed_store, path: Path):
    result = execute(seed_store, path.read_text(encoding="utf-8"), 10_000)
    assert result.kind == "select" and len(result.rows) > 0
