"""Where the annotated papers' text comes from: the conference-abstracts corpus.

The corpus has no licence, so its text is read at training and evaluation time only, from the
data folder named by ``--data`` or ``$ABSTRACTA_DATA`` (the folder that holds
``abstracts/ml_conference_abstracts.jsonl.gz`` and ``annotation/uids.txt`` may be two folders:
``$ABSTRACTA_DATA`` and ``$ABSTRACTA_ANNOTATION``).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ConfigError, InputError

CORPUS_FILE = Path("abstracts") / "ml_conference_abstracts.jsonl.gz"


@dataclass(frozen=True)
class Paper:
    """One corpus record: the only text an annotation is made from."""

    uid: str
    title: str
    abstract: str

    def section(self, name: str) -> str:
        if name == "title":
            return self.title
        if name == "abstract":
            return self.abstract
        raise InputError(f"section {name!r} is neither 'title' nor 'abstract'")


def data_dir(given: str | Path | None = None) -> Path:
    """The data folder: the argument, else ``$ABSTRACTA_DATA``; a clear error when neither is set."""
    raw = given if given is not None else os.environ.get("ABSTRACTA_DATA")
    if not raw:
        raise ConfigError(
            "no data folder given: pass --data DIR or set ABSTRACTA_DATA to the folder holding "
            f"{CORPUS_FILE}"
        )
    path = Path(raw)
    if not (path / CORPUS_FILE).is_file():
        raise ConfigError(f"data folder {path} has no {CORPUS_FILE}: point --data / ABSTRACTA_DATA at the right folder")
    return path


def uids_file(given: str | Path | None = None) -> Path:
    """The ordered uid list: the argument, else ``$ABSTRACTA_ANNOTATION/uids.txt``."""
    raw = given if given is not None else os.environ.get("ABSTRACTA_ANNOTATION")
    if not raw:
        raise ConfigError("no uid list given: pass --uids FILE "
                          "or set ABSTRACTA_ANNOTATION to the folder holding uids.txt")
    path = Path(raw)
    if path.is_dir():
        path = path / "uids.txt"
    if not path.is_file():
        raise ConfigError(f"uid list {path} does not exist: pass --uids FILE")
    return path


def read_uids(path: Path) -> list[str]:
    """The uids in file order (``#`` lines are comments)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def read_papers(uids: Iterable[str], data: Path) -> dict[str, Paper]:
    """The corpus records of ``uids``; an error naming the first uid that is missing."""
    wanted = set(uids)
    found: dict[str, Paper] = {}
    with gzip.open(data / CORPUS_FILE, "rt", encoding="utf-8") as fh:
        for line in fh:
            uid = line[9 : line.index('"', 9)] if line.startswith('{"uid": "') else json.loads(line)["uid"]
            if uid in wanted:
                rec = json.loads(line)
                found[uid] = Paper(uid=uid, title=rec["title"], abstract=rec["abstract"])
    missing = wanted - found.keys()
    if missing:
        raise InputError(f"uid {sorted(missing)[0]!r} is not in {data / CORPUS_FILE} ({len(missing)} missing)")
    return found
