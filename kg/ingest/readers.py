"""Read papers (title + abstract) from the input formats people actually have.

Supported: the daily-papers text dump (title / blank / abstract / blank ...),
JSON Lines, CSV and arXiv API Atom XML, each parsed by :mod:`kg.ingest.formats`;
this module picks the parser, turns records into papers and drops duplicates. A
bad record becomes ``Skipped`` with a reason and a logged warning, so one broken
line never loses a whole file; a problem with a whole file raises ``InputError``
with a one-line fix hint.
"""

from __future__ import annotations

import datetime
import gzip
import io
import logging
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.config import DEFAULT_MAX_ABSTRACT_CHARS
from kg.errors import ConfigError, InputError
from kg.ingest.formats import PARSERS, clean, skip
from kg.ingest.ids import arxiv_id
from kg.iri import paper_key
from kg.model import Paper, Skipped

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(PARSERS)
_EXPECTED = (
    "expected daily-papers text (.txt), JSON Lines (.jsonl/.ndjson), CSV (.csv) "
    "or arXiv Atom XML (.xml/.atom) with a title and an abstract per paper"
)
_MAX_FILE_BYTES = 512 * 1024 * 1024
_MAX_TITLE_CHARS = 1000  # far beyond any real title: longer means a mangled record
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Papers read from one or more inputs, plus the records that were skipped."""

    papers: tuple[Paper, ...]
    skipped: tuple[Skipped, ...]


def _identifier(raw: Any) -> str | None:
    """Given id, cleaned; arXiv ids in any spelling become ``arXiv:<id>`` without version."""
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        return None
    text = clean(str(raw))
    bare = arxiv_id(text)
    return f"arXiv:{bare[0]}" if bare else (text or None)


def _date_year(date: Any, year: Any) -> tuple[str | None, int | None]:
    """An ISO ``YYYY-MM-DD`` date and a year; values that do not parse become None."""
    raw = clean(date) if isinstance(date, str) else ""
    try:
        iso = datetime.date.fromisoformat(raw[:10]).isoformat() if raw[10:11] in "T " else None
    except ValueError:
        iso = None
    if isinstance(year, str) and re.fullmatch(r"\s*\d{4}\s*", year):
        year = int(year)
    if not isinstance(year, int) or isinstance(year, bool) or not 1000 <= year <= 9999:
        m = _YEAR_RE.search(raw)
        year = int(m.group(1)) if m else None
    return iso, year


def _authors(raw: Any) -> tuple[str, ...]:
    """Names from a list, or from one string ("A, B and C" or "Doe, J.; Roe, R.")."""
    if isinstance(raw, str):
        items: list[Any] = re.split(";" if ";" in raw else r",\s*and\s+|,|\s+and\s+", raw)
    elif isinstance(raw, list):
        items = [a.get("name") if isinstance(a, dict) else a for a in raw]
    else:
        return ()
    return tuple(n for n in (clean(a) for a in items if isinstance(a, str)) if n)


def _make(fields: dict[str, Any], source: str, line: int, limit: int) -> Paper | Skipped:
    """A Paper from loosely typed fields (lower-case names), or a Skipped saying why not."""
    text = {}
    for name in ("title", "abstract"):
        value = fields.get(name)
        if value is None:
            return skip(source, line, f"missing '{name}'")
        if not isinstance(value, str):
            return skip(source, line, f"'{name}' is {type(value).__name__}, not text")
        text[name] = clean(value)
        if not text[name]:
            return skip(source, line, f"empty {name}")
    title, abstract = text["title"], text["abstract"]
    if len(title) > _MAX_TITLE_CHARS:
        return skip(source, line, f"title is {len(title):,} characters; is it really a title?")
    if len(abstract) > limit:
        return skip(source, line, f"abstract is {len(abstract):,} characters, "
                                   f"over the {limit:,} limit; split or trim it")
    identifier = _identifier(fields.get("id"))
    date, year = _date_year(fields.get("date"), fields.get("year"))
    url = clean(fields["url"]) if isinstance(fields.get("url"), str) else ""
    return Paper(key=paper_key(title, identifier), title=title, abstract=abstract, source=source, line=line,
                 identifier=identifier, date=date, year=year, authors=_authors(fields.get("authors")),
                 url=url if _URL_RE.fullmatch(url) else None)


def _decode(path: Path) -> str:
    """The file's text with ``\\n`` line ends, or an InputError saying why there is none."""
    try:
        if not path.exists():
            raise InputError(f"{path} does not exist; check the path")
        if not path.is_file():
            raise InputError(f"{path} is not a regular file; pass a file or a directory of them")
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise InputError(f"{path} is {size:,} bytes, over the {_MAX_FILE_BYTES:,} "
                             "limit; split it into smaller files")
        data = path.read_bytes()
        if path.suffix.lower() == ".gz":
            data = _gunzip(path, data)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}; check its permissions") from e
    if b"\x00" in data:
        raise InputError(f"{path} contains NUL bytes (binary file, or UTF-16?); save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 text (binary file?): bad byte at offset "
                         f"{e.start}; re-save it as UTF-8") from e
    if not text.strip():
        raise InputError(f"{path} is empty; {_EXPECTED}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _gunzip(path: Path, data: bytes) -> bytes:
    """The decompressed content of a ``.gz`` input, with the same size limit as plain files."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(_MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path} is not a readable gzip file ({e}); re-compress it or pass it uncompressed") from e
    if len(out) > _MAX_FILE_BYTES:
        raise InputError(f"{path} decompresses to over {_MAX_FILE_BYTES:,} bytes; split it into smaller files")
    return out


def _sniff(text: str) -> str:
    """The format of a file whose suffix says nothing, as the suffix it should have had."""
    head = text.lstrip()
    if head[:1] in ("{", "<"):
        return ".jsonl" if head[0] == "{" else ".xml"
    first = head.split("\n", 1)[0].lower()
    columns = {c.strip().strip("\"'").strip() for c in first.split(",")}
    return ".csv" if "," in first and columns & {"title", "abstract", "summary"} else ".txt"


def _dedupe(papers: Iterable[Paper], seen: dict[str, Paper]) -> tuple[list[Paper], list[Skipped]]:
    """Keep the first paper of each key (``seen`` carries over between calls)."""
    kept: list[Paper] = []
    skipped: list[Skipped] = []
    for p in papers:
        first = seen.setdefault(p.key, p)
        if first is p:
            kept.append(p)
        else:
            skipped.append(skip(p.source, p.line, f"duplicate of {first.source}:{first.line}"))
    return kept, skipped


def _format_suffix(path: Path) -> str:
    """The suffix naming the format: ``papers.jsonl.gz`` -> ``.jsonl``."""
    return (path.with_suffix("") if path.suffix.lower() == ".gz" else path).suffix.lower()


def read_file(path: str | Path, *, max_abstract_chars: int = DEFAULT_MAX_ABSTRACT_CHARS) -> ReadResult:
    """Read one file; the format comes from its suffix, else is sniffed from its content."""
    limit = max_abstract_chars
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise ConfigError(f"max_abstract_chars={limit!r} must be a positive integer")
    path = Path(path)
    text = _decode(path)
    source = path.name
    suffix = _format_suffix(path)
    sniffed = suffix not in SUPPORTED_SUFFIXES
    if sniffed and text.lstrip().startswith("["):
        raise InputError(f"{path} looks like a JSON array; write one object per line (.jsonl)")
    fmt = _sniff(text) if sniffed else suffix
    papers: list[Paper] = []
    skipped: list[Skipped] = []
    for rec in PARSERS[fmt](text, source, str(path)):
        item = rec if isinstance(rec, Skipped) else _make(rec[1], source, rec[0], limit)
        if isinstance(item, Skipped):
            skipped.append(item)
        else:
            papers.append(item)
    if not papers and not skipped:
        if sniffed:
            raise InputError(f"{path}: format not recognised, no papers found; {_EXPECTED}")
        log.warning("%s: no papers found in this %s file", source, fmt)
    kept, dups = _dedupe(papers, {})
    return ReadResult(tuple(kept), tuple(sorted(skipped + dups, key=lambda s: s.line)))


def _expand(paths: list[str | Path]) -> list[Path]:
    """Files to read: given files as they are, directories' supported top-level files by name."""
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError(f"input {str(p)!r} does not exist; check the path")
        if not p.is_dir():
            files.append(p)
            continue
        try:
            children = sorted(p.iterdir(), key=lambda c: c.name)
        except OSError as e:
            raise InputError(f"cannot list directory {p}: {e.strerror or e}") from e
        files.extend(c for c in children if _format_suffix(c) in SUPPORTED_SUFFIXES
                     and c.is_file() and not c.name.startswith("."))
    unique: dict[Path, Path] = {}  # a file named twice (directly and via its folder) is read once
    for f in files:
        unique.setdefault(f.resolve(), f)
    return list(unique.values())


def read_inputs(paths: Iterable[str | Path], *, max_abstract_chars: int = DEFAULT_MAX_ABSTRACT_CHARS) -> ReadResult:
    """Read files and directories (not recursively); the first of duplicate papers wins."""
    given = [paths] if isinstance(paths, (str, Path)) else list(paths)
    files = _expand(given)
    seen: dict[str, Paper] = {}
    papers: list[Paper] = []
    skipped: list[Skipped] = []
    for f in files:
        result = read_file(f, max_abstract_chars=max_abstract_chars)
        kept, dups = _dedupe(result.papers, seen)
        papers.extend(kept)
        skipped.extend(sorted(result.skipped + tuple(dups), key=lambda s: s.line))
    if not papers:
        where = ", ".join(map(str, given)) or "(no inputs given)"
        if skipped:
            first = skipped[0]
            more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
            why = f"skipped {first.source}:{first.line}: {first.reason}{more}"
        else:
            why = "" if files else "no supported files"
        raise InputError(f"no papers found in {where}{f' ({why})' if why else ''}; {_EXPECTED}")
    return ReadResult(tuple(papers), tuple(skipped))
