"""The one Atom parser: arXiv API answers (``kg.ingest.arxiv``) and Atom files (``kg.ingest.readers``).

The input is untrusted, so XML with a DOCTYPE or ENTITY declaration is refused before parsing
(entity expansion is how "billion laughs" and external-entity attacks work, and Atom needs
neither); so are NUL bytes, which would hide such a declaration from that check in UTF-16 or
UTF-32. Elements are matched by local name, so a feed without the Atom namespace still reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree

from kg.errors import InputError

_DECLARATION_RE = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENTRY_TAG_RE = re.compile(r"<(?:[\w.-]+:)?entry[\s>/]")


@dataclass(frozen=True, slots=True)
class AtomEntry:
    """One ``<entry>``: the text of the first child of each name, as written (not yet cleaned)."""

    line: int  # of its start tag, 1-based; 0 when unknown ("<entry" also inside a comment or CDATA)
    id: str
    title: str | None
    summary: str | None
    content: str | None
    published: str | None
    updated: str | None
    authors: tuple[str, ...]
    alternate: str | None  # the href of its first rel="alternate" link (a missing rel means alternate)

    @property
    def is_arxiv_error(self) -> bool:
        """arXiv reports a bad query as a feed with one entry whose id is under ``/api/errors``."""
        return "/api/errors" in self.id


@dataclass(frozen=True, slots=True)
class AtomFeed:
    """The entries of an Atom feed, and ``opensearch:totalResults`` when the feed states it."""

    entries: tuple[AtomEntry, ...]
    total: int | None


def _local(el: ElementTree.Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _entry_lines(text: str, count: int) -> list[int]:
    """The line of each ``<entry`` start tag (ElementTree keeps no line numbers); zeros when they do not add up."""
    lines: list[int] = []
    line, pos = 1, 0
    for m in _ENTRY_TAG_RE.finditer(text):
        line, pos = line + text.count("\n", pos, m.start()), m.start()
        lines.append(line)
    return lines if len(lines) == count else [0] * count


def _entry(entry: ElementTree.Element, line: int) -> AtomEntry:
    first: dict[str, str] = {}
    for el in entry:
        first.setdefault(_local(el), "".join(el.itertext()))
    alternates = [el.get("href") for el in entry
                  if _local(el) == "link" and el.get("href") and el.get("rel", "alternate") == "alternate"]
    return AtomEntry(
        line=line, id=first.get("id", ""), title=first.get("title"),
        summary=first.get("summary"), content=first.get("content"), published=first.get("published"),
        updated=first.get("updated"),
        authors=tuple("".join(n.itertext()) for a in entry if _local(a) == "author"
                      for n in a if _local(n) == "name"),
        alternate=alternates[0] if alternates else None,
    )


def parse_atom(data: bytes | str, *, source: str, error: type[InputError] = InputError) -> AtomFeed:
    """The entries of the Atom feed ``data``; ``source`` names it in messages.

    >>> feed = parse_atom('<feed xmlns="http://www.w3.org/2005/Atom">\\n<entry><id>x</id>'
    ...                   '<author><name>A</name></author></entry></feed>', source="t.atom")
    >>> feed.entries[0].line, feed.entries[0].authors, feed.total
    (2, ('A',), None)

    Raises:
        InputError: (the ``error`` class) if the XML declares a DOCTYPE or entities, holds NUL
            bytes, is malformed, or is not an Atom ``<feed>``; the message is one line.
    """
    # latin-1 maps each byte to one character: the checks and line counts below see the bytes as they are
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    if _DECLARATION_RE.search(text):
        raise error(f"{source}: XML with DOCTYPE/ENTITY declarations is refused (Atom feeds need none); "
                    "remove them")
    if "\x00" in text:
        raise error(f"{source}: XML with NUL bytes (UTF-16 or UTF-32?) is refused; send or save it as UTF-8")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as e:
        raise error(f"{source}: malformed XML ({e}); is the download complete? try again") from e
    if _local(root) != "feed":
        raise error(f"{source}: XML root is <{_local(root)}>, not an Atom <feed>; give an Atom feed, "
                    "such as an arXiv API answer (export.arxiv.org/api/query)")
    entries = [e for e in root if _local(e) == "entry"]
    total = next(("".join(el.itertext()).strip() for el in root if _local(el) == "totalResults"), "")
    return AtomFeed(tuple(_entry(e, line) for e, line in zip(entries, _entry_lines(text, len(entries)), strict=True)),
                    int(total) if total.isdigit() else None)
