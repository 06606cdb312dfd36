"""Read papers (title + abstract) from the input formats people actually have.

Supported: the daily-papers text dump (title / blank / abstract / blank ...),
JSON Lines, CSV and arXiv API Atom XML. A bad record becomes ``Skipped`` with a
reason and a logged warning, so one broken line never loses a whole file; a
problem with a whole file raises ``InputError`` with a one-line fix hint.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import json
import logging
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from kg.config import DEFAULT_MAX_ABSTRACT_CHARS
from kg.errors import ConfigError, InputError
from kg.iri import paper_key
from kg.model import Paper, Skipped

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".jsonl", ".ndjson", ".csv", ".xml", ".atom"})
_EXPECTED = (
    "expected daily-papers text (.txt), JSON Lines (.jsonl/.ndjson), CSV (.csv) "
    "or arXiv Atom XML (.xml/.atom) with a title and an abstract per paper"
)
_MAX_FILE_BYTES = 512 * 1024 * 1024
_MAX_TITLE_CHARS = 1000  # far beyond any real title: longer means a mangled record
_TITLE_LIKE_CHARS = 300
# Dropped: control characters that are not whitespace (whitespace ones count as
# spaces), lone surrogates, and invisible characters never meaningful in a title
# or abstract. Zero-width (non-)joiners and bidi marks stay: scripts need them.
_DROP_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\ufeff\ufffe\uffff\ud800-\udfff]")
_ARXIV_RE = re.compile(
    r"(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)?"
    r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?(?:\.pdf)?",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")

# A parser yields (line, fields) for each record, or a Skipped it made itself.
_Record = tuple[int, dict[str, Any]] | Skipped


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Papers read from one or more inputs, plus the records that were skipped."""

    papers: tuple[Paper, ...]
    skipped: tuple[Skipped, ...]


def _clean(text: str) -> str:
    """One normalised line: no control or junk characters, single spaces, NFC."""
    return unicodedata.normalize("NFC", " ".join(_DROP_RE.sub("", text).split()))


def _skip(source: str, line: int, reason: str) -> Skipped:
    # returned in ReadResult.skipped for the caller to report, once (the CLI prints it, the app shows it)
    log.debug("%s:%d: skipped: %s", source, line, reason)
    return Skipped(source=source, line=line, reason=reason)


def _identifier(raw: Any) -> str | None:
    """Given id, cleaned; arXiv ids in any spelling become ``arXiv:<id>`` without version."""
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        return None
    text = _clean(str(raw))
    m = _ARXIV_RE.fullmatch(text)
    return f"arXiv:{m.group(1)}" if m else (text or None)


def _date_year(date: Any, year: Any) -> tuple[str | None, int | None]:
    """An ISO ``YYYY-MM-DD`` date and a year; values that do not parse become None."""
    raw = _clean(date) if isinstance(date, str) else ""
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
    return tuple(n for n in (_clean(a) for a in items if isinstance(a, str)) if n)


def _make(fields: dict[str, Any], source: str, line: int, limit: int) -> Paper | Skipped:
    """A Paper from loosely typed fields (lower-case names), or a Skipped saying why not."""
    text = {}
    for name in ("title", "abstract"):
        value = fields.get(name)
        if value is None:
            return _skip(source, line, f"missing '{name}'")
        if not isinstance(value, str):
            return _skip(source, line, f"'{name}' is {type(value).__name__}, not text")
        text[name] = _clean(value)
        if not text[name]:
            return _skip(source, line, f"empty {name}")
    title, abstract = text["title"], text["abstract"]
    if len(title) > _MAX_TITLE_CHARS:
        return _skip(source, line, f"title is {len(title):,} characters; is it really a title?")
    if len(abstract) > limit:
        return _skip(source, line, f"abstract is {len(abstract):,} characters, "
                                   f"over the {limit:,} limit; split or trim it")
    identifier = _identifier(fields.get("id"))
    date, year = _date_year(fields.get("date"), fields.get("year"))
    url = _clean(fields["url"]) if isinstance(fields.get("url"), str) else ""
    return Paper(key=paper_key(title, identifier), title=title, abstract=abstract, source=source, line=line,
                 identifier=identifier, date=date, year=year, authors=_authors(fields.get("authors")),
                 url=url if _URL_RE.fullmatch(url) else None)


def _fields(obj: dict[Any, Any]) -> dict[str, Any]:
    """Case-insensitive field names with the accepted aliases folded in."""
    out = {_clean(str(k)).lower(): v for k, v in obj.items() if k is not None}
    for alias, name in (("summary", "abstract"), ("author", "authors")):
        if out.get(name) in (None, "") and alias in out:
            out[name] = out[alias]
    return out


def _parse_text(text: str, source: str, shown: str) -> Iterator[_Record]:
    """Daily-papers dump: boilerplate header blocks, then title / abstract block pairs."""
    blocks: list[tuple[int, list[str]]] = []
    for no, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if blocks and blocks[-1][0] + len(blocks[-1][1]) == no:
                blocks[-1][1].append(line)
            else:
                blocks.append((no, [line]))
    joined = [_clean(" ".join(lines)) for _, lines in blocks]
    n = len(blocks)

    def title_like(i: int) -> bool:
        return i < n and len(blocks[i][1]) == 1 and len(joined[i]) < _TITLE_LIKE_CHARS

    def pair_at(i: int) -> bool:  # a title, then an abstract-like block
        return title_like(i) and i + 1 < n and (len(joined[i + 1]) >= 150 or len(joined[i + 1].split()) >= 20)

    i = next((k for k in range(n) if pair_at(k)), n)
    log.debug("%s: ignored %d header block(s)", source, i)
    while i < n:
        no, snippet = blocks[i][0], joined[i][:60]
        if pair_at(i):
            yield no, {"title": joined[i], "abstract": joined[i + 1]}
            i += 2
        elif pair_at(i + 1) or i + 1 == n:  # a stray block: resynchronise on the next pair
            what = "title with no abstract after it" if title_like(i) else "not a title"
            yield _skip(source, no, f"{what}: {snippet!r}")
            i += 1
        else:
            yield _skip(source, no, f"text after {snippet!r} is too short for an abstract")
            i += 2


def _parse_jsonl(text: str, source: str, shown: str) -> Iterator[_Record]:
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            cut = e.pos >= len(line.rstrip()) or e.msg.startswith("Unterminated")
            msg = f"{e.msg.removesuffix(' at')} at column {e.colno}"
            yield _skip(source, no, f"{'truncated' if cut else 'invalid'} JSON ({msg})")
        except (RecursionError, ValueError) as e:  # nested too deeply, 5,000-digit number
            yield _skip(source, no, f"invalid JSON ({type(e).__name__})")
        else:
            if isinstance(obj, dict):
                yield no, _fields(obj)
            else:
                yield _skip(source, no, f"a JSON {type(obj).__name__}, not an object")


def _parse_csv(text: str, source: str, shown: str) -> Iterator[_Record]:
    # no field is longer than the text: a record with a huge field is read whole, then skipped by name
    # (abstract over the length limit) instead of rejecting the file at csv's default 131,072 characters
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [_clean(h or "").lower() for h in reader.fieldnames or []]
        for name, alias in (("abstract", "summary"), ("title", "title")):
            if name not in header and alias not in header:
                found = ", ".join(h for h in header if h) or "none"
                raise InputError(f"{shown}: CSV has no '{name}' column (found: {found}); "
                                 f"add one or rename the column holding the {name}s to '{name}'")
        rows, start = [], reader.line_num + 1
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
        if text.count('"') % 2 and rows and any("\n" in (v or "") for v in rows[-1][1].values()):
            raise csv.Error(f"a quote opened in the record of line {rows[-1][0]} is never closed")
        for start, row in rows:
            yield start, _fields(row)
    except csv.Error as e:
        raise InputError(f"{shown}: malformed CSV near line {reader.line_num} ({e}); check the quoting "
                         "(an unclosed quote swallows the rest of the file)") from e


def _local(el: ElementTree.Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _parse_atom(text: str, source: str, shown: str) -> Iterator[_Record]:
    """arXiv API feed. Entry lines come from scanning for ``<entry`` (ElementTree has none)."""
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise InputError(f"{shown}: XML with DOCTYPE/ENTITY declarations is refused; remove them")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as e:
        raise InputError(f"{shown}: malformed XML ({e}); is the download complete?") from e
    if _local(root) != "feed":
        raise InputError(f"{shown}: XML root is <{_local(root)}>, not an Atom <feed>; {_EXPECTED}")
    entries = [e for e in root if _local(e) == "entry"]
    starts: list[int] = []
    line, pos = 1, 0
    for m in re.finditer(r"<(?:[\w.-]+:)?entry[\s>/]", text):
        line, pos = line + text.count("\n", pos, m.start()), m.start()
        starts.append(line)
    if len(starts) != len(entries):  # "<entry" inside a comment or CDATA: lines unknown
        starts = [0] * len(entries)
    for entry, no in zip(entries, starts, strict=True):
        first: dict[str, str] = {}  # text of the first child of each name
        for el in entry:
            first.setdefault(_local(el), "".join(el.itertext()))
        raw_id = _clean(first.get("id", ""))
        if "/api/errors" in raw_id:
            yield _skip(source, no, f"arXiv API error: {_clean(first.get('summary', ''))}")
            continue
        links = [el for el in entry if _local(el) == "link" and el.get("href")]
        alternates = [el.get("href") for el in links if el.get("rel", "alternate") == "alternate"]
        yield no, {
            "title": first.get("title"), "abstract": first.get("summary") or first.get("content"),
            "id": raw_id or None, "date": first.get("published") or first.get("updated"),
            "authors": ["".join(n.itertext()) for a in entry if _local(a) == "author"
                        for n in a if _local(n) == "name"],
            "url": alternates[0] if alternates else raw_id if raw_id.startswith("http") else None,
        }


_PARSERS = {".txt": _parse_text, ".jsonl": _parse_jsonl, ".ndjson": _parse_jsonl,
            ".csv": _parse_csv, ".xml": _parse_atom, ".atom": _parse_atom}


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
            skipped.append(_skip(p.source, p.line, f"duplicate of {first.source}:{first.line}"))
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
    for rec in _PARSERS[fmt](text, source, str(path)):
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
