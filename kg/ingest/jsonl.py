"""Add fetched records to a JSON Lines file, skipping the papers it already holds (atomically)."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.ingest.ids import arxiv_id
from kg.ingest.records import FeedError
from kg.iri import paper_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WriteCounts:
    """What :func:`write_jsonl` did: records added, and records already present."""

    new: int
    duplicate: int


def _key(record: Mapping[str, Any]) -> str | None:
    """The identity the build gives a record: its id, else its normalised title."""
    ident, title = record.get("id"), record.get("title")
    ident = ident if isinstance(ident, str) else None
    if ident and (bare := arxiv_id(ident)):
        ident = f"arXiv:{bare[0]}"
    if not ident and not (isinstance(title, str) and title.strip()):
        return None
    return paper_key(title if isinstance(title, str) else "", ident)


def write_jsonl(records: Iterable[Mapping[str, Any]], path: str | Path) -> WriteCounts:
    """Add ``records`` to the JSON Lines file ``path``, skipping papers it already holds.

    A record is a duplicate when its id (or, without one, its normalised
    title) matches a line already in the file or an earlier record. Existing
    lines are kept as they are, unreadable ones included. The file is replaced
    atomically: a crash leaves the old file or the new one, never half of it.

    Returns:
        How many records were added, and how many were duplicates.

    Raises:
        FeedError: If the folder does not exist, the existing file is not UTF-8,
            or the file cannot be written.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FeedError(f"folder {str(path.parent)!r} does not exist; create it or choose another --out")
    existing = ""
    try:
        existing = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    except UnicodeDecodeError as e:
        raise FeedError(f"{path} exists but is not UTF-8 JSON Lines; choose another --out") from e
    except OSError as e:
        raise FeedError(f"cannot read {path}: {e.strerror or e}; check its permissions") from e
    seen: set[str] = set()
    for no, line in enumerate(existing.splitlines(), 1):
        try:
            obj = json.loads(line) if line.strip() else None
        except (ValueError, RecursionError):
            logger.warning("%s:%d: not JSON; kept as it is", path, no)
            continue
        if isinstance(obj, dict) and (key := _key(obj)):
            seen.add(key)
    lines: list[str] = []
    duplicate = 0
    for record in records:
        key = _key(record)
        if key is not None and key in seen:
            duplicate += 1
            continue
        if key is not None:
            seen.add(key)
        lines.append(json.dumps(dict(record), ensure_ascii=False) + "\n")
    if existing and not existing.endswith("\n"):
        existing += "\n"
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        # os.open rather than tempfile: the new file gets the usual umask-based mode, not 0600.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(existing)
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise FeedError(f"cannot write {path}: {e.strerror or e}; check the folder is writable "
                        "and the disk is not full") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WriteCounts(new=len(lines), duplicate=duplicate)
