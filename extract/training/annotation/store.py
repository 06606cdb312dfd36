"""The committed annotation files: JSON Lines of guide records, uid + offsets + strings only."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kg.errors import InputError

ANNOTATIONS_DIR = Path(__file__).resolve().parent.parent / "data"


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of one annotation file, in file order; a bad line is one clear error."""
    records = []
    if not path.exists():
        return records
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}:{n}: not JSON ({err.msg}); fix or remove that line") from None
        if not isinstance(rec, dict) or "uid" not in rec:
            raise InputError(f"{path}:{n}: a record needs a 'uid'; fix or remove that line")
        records.append(rec)
    return records


def write_records(path: Path, new: Iterable[dict[str, Any]]) -> int:
    """Add ``new`` to ``path``, replacing records of the same uid; returns the file's record count."""
    by_uid = {r["uid"]: r for r in read_records(path)}
    for rec in new:
        by_uid[rec["uid"]] = rec
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in by_uid.values():
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(path)
    return len(by_uid)
