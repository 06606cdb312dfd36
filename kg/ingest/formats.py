"""One parser per input format: daily-papers text, JSON Lines, CSV and Atom XML.

A parser yields ``(line, fields)`` for each record (loosely typed fields under lower-case
names), or a ``Skipped`` it made itself; :mod:`kg.ingest.readers` turns the fields into papers.
A problem with a whole file raises ``InputError`` with a one-line fix hint.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from kg.errors import InputError
from kg.ingest.atom import parse_atom
from kg.model import Skipped

log = logging.getLogger(__name__)

_TITLE_LIKE_CHARS = 300
# Dropped: control characters that are not whitespace (whitespace ones count as
# spaces), lone surrogates, and invisible characters never meaningful in a title
# or abstract. Zero-width (non-)joiners and bidi marks stay: scripts need them.
_DROP_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\ufeff\ufffe\uffff\ud800-\udfff]")

# A parser yields (line, fields) for each record, or a Skipped it made itself.
Record = tuple[int, dict[str, Any]] | Skipped
Parser = Callable[[str, str, str], Iterator[Record]]


def clean(text: str) -> str:
    """One normalised line: no control or junk characters, single spaces, NFC."""
    return unicodedata.normalize("NFC", " ".join(_DROP_RE.sub("", text).split()))


def skip(source: str, line: int, reason: str) -> Skipped:
    # returned in ReadResult.skipped for the caller to report, once (the CLI prints it, the app shows it)
    log.debug("%s:%d: skipped: %s", source, line, reason)
    return Skipped(source=source, line=line, reason=reason)


def fold_fields(obj: dict[Any, Any]) -> dict[str, Any]:
    """Case-insensitive field names with the accepted aliases folded in."""
    out = {clean(str(k)).lower(): v for k, v in obj.items() if k is not None}
    for alias, name in (("summary", "abstract"), ("author", "authors")):
        if out.get(name) in (None, "") and alias in out:
            out[name] = out[alias]
    return out


def _parse_text(text: str, source: str, shown: str) -> Iterator[Record]:
    """Daily-papers dump: boilerplate header blocks, then title / abstract block pairs."""
    blocks: list[tuple[int, list[str]]] = []
    for no, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if blocks and blocks[-1][0] + len(blocks[-1][1]) == no:
                blocks[-1][1].append(line)
            else:
                blocks.append((no, [line]))
    joined = [clean(" ".join(lines)) for _, lines in blocks]
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
            yield skip(source, no, f"{what}: {snippet!r}")
            i += 1
        else:
            yield skip(source, no, f"text after {snippet!r} is too short for an abstract")
            i += 2


def _parse_jsonl(text: str, source: str, shown: str) -> Iterator[Record]:
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            cut = e.pos >= len(line.rstrip()) or e.msg.startswith("Unterminated")
            msg = f"{e.msg.removesuffix(' at')} at column {e.colno}"
            yield skip(source, no, f"{'truncated' if cut else 'invalid'} JSON ({msg})")
        except (RecursionError, ValueError) as e:  # nested too deeply, 5,000-digit number
            yield skip(source, no, f"invalid JSON ({type(e).__name__})")
        else:
            if isinstance(obj, dict):
                yield no, fold_fields(obj)
            else:
                yield skip(source, no, f"a JSON {type(obj).__name__}, not an object")


def _parse_csv(text: str, source: str, shown: str) -> Iterator[Record]:
    # no field is longer than the text: a record with a huge field is read whole, then skipped by name
    # (abstract over the length limit) instead of rejecting the file at csv's default 131,072 characters
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [clean(h or "").lower() for h in reader.fieldnames or []]
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
            yield start, fold_fields(row)
    except csv.Error as e:
        raise InputError(f"{shown}: malformed CSV near line {reader.line_num} ({e}); check the quoting "
                         "(an unclosed quote swallows the rest of the file)") from e


def _parse_atom(text: str, source: str, shown: str) -> Iterator[Record]:
    """Atom feed (an arXiv API answer, saved), read by the one Atom parser of :mod:`kg.ingest.atom`."""
    for entry in parse_atom(text, source=shown).entries:
        raw_id = clean(entry.id)
        if entry.is_arxiv_error:
            yield skip(source, entry.line, f"arXiv API error: {clean(entry.summary or '')}")
            continue
        yield entry.line, {
            "title": entry.title, "abstract": entry.summary or entry.content,
            "id": raw_id or None, "date": entry.published or entry.updated, "authors": list(entry.authors),
            "url": entry.alternate or (raw_id if raw_id.startswith("http") else None),
        }


PARSERS: dict[str, Parser] = {".txt": _parse_text, ".jsonl": _parse_jsonl, ".ndjson": _parse_jsonl,
                              ".csv": _parse_csv, ".xml": _parse_atom, ".atom": _parse_atom}
