"""Input files for the reader tests: the fixtures folder, the seed corpus, and writers of small files."""

from __future__ import annotations

import json
from pathlib import Path

from kg.config import SEEDS_DIR
from tests.conftest import TESTS_DIR

FIXTURES = TESTS_DIR / "fixtures" / "inputs"
SEEDS_FILE = SEEDS_DIR / "000_1ff9c41d867ee307.txt"
LONG_ABSTRACT = "Word " * 40  # comfortably abstract-like (>= 150 chars, >= 20 words)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def jsonl(path: Path, *records: object) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in records))
