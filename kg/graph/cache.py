"""The extraction cache that makes builds incremental.

Each published generation holds ``extractions.sqlite``: one compressed JSON
record per paper, keyed by paper key, with the content hash and extractor
version it was made from, plus the history of builds. A build copies the
previous generation's cache, extracts only new or changed papers, and moves
the updated copy into the new generation with the database.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.errors import StoreError
from kg.graph import codec
from kg.model import Extraction

FILE = "extractions.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS extraction (key TEXT PRIMARY KEY, hash TEXT NOT NULL, version TEXT NOT NULL,
                                       data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS build (generation TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entity (key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS retired (key TEXT PRIMARY KEY, replacement TEXT NOT NULL);
"""


class ExtractionCache:
    """A working copy of a cache file; ``close`` before moving it into a generation."""

    def __init__(self, path: Path, *, copy_from: Path | None = None) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        try:
            if copy_from is not None and copy_from.exists():
                shutil.copyfile(copy_from, path)
            self._db = sqlite3.connect(path)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot prepare the extraction cache {path}: {e}") from e

    def index(self) -> dict[str, tuple[str, str]]:
        """paper key -> (content hash, extractor version)."""
        return {k: (h, v) for k, h, v in self._db.execute("SELECT key, hash, version FROM extraction")}

    def load(self, keys: Iterable[str]) -> Iterator[Extraction]:
        for key in keys:
            row = self._db.execute("SELECT data FROM extraction WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise StoreError(f"extraction cache {self.path} lost paper {key!r}; rebuild from the inputs")
            yield codec.from_dict(json.loads(zlib.decompress(row[0])))

    def put(self, extractions: Iterable[Extraction]) -> None:
        rows = ((ex.paper.key, codec.content_hash(ex.paper), ex.version,
                 zlib.compress(json.dumps(codec.to_dict(ex), ensure_ascii=False).encode("utf-8"), 6))
                for ex in extractions)
        self._db.executemany("INSERT OR REPLACE INTO extraction VALUES (?, ?, ?, ?)", rows)

    def remove(self, keys: Iterable[str]) -> None:
        self._db.executemany("DELETE FROM extraction WHERE key = ?", ((k,) for k in keys))

    def entity_keys(self) -> set[str]:
        return {k for (k,) in self._db.execute("SELECT key FROM entity")}

    def set_entity_keys(self, keys: Iterable[str]) -> None:
        self._db.execute("DELETE FROM entity")
        self._db.executemany("INSERT INTO entity VALUES (?)", ((k,) for k in keys))

    def retired(self) -> dict[str, str]:
        """Entity keys of earlier builds that are gone, and the key that replaced each."""
        return dict(self._db.execute("SELECT key, replacement FROM retired"))

    def set_retired(self, replaced: dict[str, str]) -> None:
        self._db.execute("DELETE FROM retired")
        self._db.executemany("INSERT INTO retired VALUES (?, ?)", sorted(replaced.items()))

    def add_build(self, generation: str, record: dict) -> None:
        self._db.execute("INSERT OR REPLACE INTO build VALUES (?, ?)", (generation, json.dumps(record)))

    def builds(self) -> list[tuple[str, dict]]:
        return [(g, json.loads(r)) for g, r in self._db.execute("SELECT generation, record FROM build ORDER BY 1")]

    def close(self) -> None:
        self._db.commit()
        self._db.close()
