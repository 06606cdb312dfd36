"""New papers from the arXiv API (``export.arxiv.org/api/query``), as JSONL records.

The answer is an Atom feed, read by the one Atom parser (:mod:`kg.ingest.atom`). arXiv's terms of
use ask for no more than one request every three seconds: build the client with
``min_interval_s=ARXIV_MIN_INTERVAL_S`` (as :func:`kg.ingest.feeds.fetch_main` does).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kg.errors import ConfigError, HttpError
from kg.http import HttpClient
from kg.ingest.atom import parse_atom
from kg.ingest.ids import arxiv_id
from kg.ingest.records import FeedError, feed_record, one_line

logger = logging.getLogger(__name__)

ARXIV_API_URL: str = "https://export.arxiv.org/api/query"
# arXiv's terms of use ask for no more than one request every three seconds.
ARXIV_MIN_INTERVAL_S: float = 3.0
ARXIV_MAX_PAGE: int = 100


@dataclass(frozen=True, slots=True)
class ArxivPage:
    """One page of an arXiv API answer."""

    records: list[dict[str, Any]]
    entries: int  # entries in the page, usable or not (the paging offset advances by this)
    total: int | None  # opensearch:totalResults, when the feed states it


def parse_arxiv_atom(data: bytes | str, *, source: str = "export.arxiv.org") -> ArxivPage:
    """Records from an arXiv API Atom feed.

    Entries without a title or an abstract are skipped with a warning.

    >>> page = parse_arxiv_atom(
    ...     '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
    ...     '<id>http://arxiv.org/abs/2205.13147v3</id><title>Matryoshka\\n  Learning</title>'
    ...     '<summary> An abstract. </summary><published>2022-05-26T17:52:06Z</published>'
    ...     '<author><name>A. Kusupati</name></author></entry></feed>')
    >>> page.records[0]["id"], page.records[0]["title"], page.records[0]["year"]
    ('arXiv:2205.13147', 'Matryoshka Learning', 2022)

    Raises:
        FeedError: If the XML is malformed, declares a DOCTYPE or entities, is
            not an Atom feed, or is arXiv's error feed (its message is quoted).
    """
    feed = parse_atom(data, source=source, error=FeedError)
    for entry in feed.entries:  # arXiv reports a bad query as a feed with one "Error" entry
        if entry.is_arxiv_error:
            message = one_line(entry.summary or "") or "unknown error"
            raise FeedError(f"arXiv API error: {message}; fix the query or identifiers")
    records = []
    for entry in feed.entries:
        raw_id = one_line(entry.id)
        title, abstract = entry.title or "", entry.summary or ""
        if not title.strip() or not abstract.strip():
            logger.warning("%s: skipped entry %s: no %s", source, raw_id or "(no id)",
                           "title" if not title.strip() else "abstract")
            continue
        records.append(feed_record(
            feed="arxiv", identifier=raw_id or None, title=title, abstract=abstract,
            date=entry.published or entry.updated, authors=list(entry.authors),
        ))
    return ArxivPage(records, len(feed.entries), feed.total)


def _id_list(ids: Sequence[str]) -> list[str]:
    out = []
    for raw in ids:
        parsed = arxiv_id(raw) if isinstance(raw, str) else None
        if not parsed:
            raise ConfigError(f"{raw!r} is not an arXiv identifier; write it like 2205.13147 or hep-th/9901001")
        out.append(parsed[0] + parsed[1])
    return out


def _arxiv_get(client: HttpClient, params: Mapping[str, str | int]) -> bytes:
    try:
        return client.get(ARXIV_API_URL, params=params, accept="application/atom+xml",
                          hint=lambda status, headers: "check the query or identifiers")
    except HttpError as e:
        if e.status == 400 and e.body:  # arXiv explains a bad query in an error feed
            parse_arxiv_atom(e.body)  # raises "arXiv API error: <its message>" when it is one
        raise


def fetch_arxiv(*, query: str | None = None, ids: Sequence[str] = (), max_results: int = 100,
                client: HttpClient, page_size: int = ARXIV_MAX_PAGE) -> list[dict[str, Any]]:
    """Papers from the arXiv API for a search query and/or a list of identifiers.

    Pages through the answer ``page_size`` entries at a time (at most 100) and
    stops at ``max_results`` records, when arXiv runs out, or at an empty page.
    Build ``client`` with ``min_interval_s=ARXIV_MIN_INTERVAL_S`` (as
    :func:`kg.ingest.feeds.fetch_main` does): arXiv asks for one request every three seconds.

    Args:
        query: An arXiv ``search_query`` such as ``cat:cs.LG AND ti:transformer``.
        ids: arXiv identifiers (``2205.13147``, ``arXiv:2205.13147v2`` or abs URLs).
        max_results: Most records to return.
        client: The HTTP client (:func:`kg.ingest.records.feed_client`).
        page_size: Entries asked for per request (1 to 100).

    Returns:
        Records in the JSONL shape the build reads, in arXiv's order.

    Raises:
        ConfigError: If neither a query nor identifiers are given, an identifier
            is malformed, or a count is out of range.
        FeedError: If arXiv cannot be reached or reports an error.
    """
    id_list = _id_list(ids)
    if not (query and query.strip()) and not id_list:
        raise ConfigError("give an arXiv search query (e.g. 'cat:cs.LG') or identifiers (e.g. 2205.13147)")
    if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results < 1:
        raise ConfigError(f"max_results={max_results!r} must be a positive integer")
    if not 1 <= page_size <= ARXIV_MAX_PAGE:
        raise ConfigError(f"page_size={page_size!r} must be between 1 and {ARXIV_MAX_PAGE}")
    if id_list:
        max_results = min(max_results, len(id_list))
    records: list[dict[str, Any]] = []
    start = 0
    while len(records) < max_results:
        params: dict[str, str | int] = {}
        if query and query.strip():
            params["search_query"] = query.strip()
        if id_list:
            params["id_list"] = ",".join(id_list)
        params["start"] = start
        params["max_results"] = min(page_size, max_results - len(records))
        page = parse_arxiv_atom(_arxiv_get(client, params))
        records.extend(page.records[: max_results - len(records)])
        start += page.entries
        logger.info("arXiv: %d of %s results fetched", start, page.total if page.total is not None else "?")
        if page.entries == 0 or (page.total is not None and start >= page.total):
            if page.entries == 0 and page.total is not None and start < page.total:
                logger.warning("arXiv sent an empty page at %d of %d results; stopping there", start, page.total)
            break
    return records
