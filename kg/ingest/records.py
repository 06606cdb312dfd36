"""What the two feeds share: :class:`FeedError`, the JSONL record shape, and the HTTP client settings.

A record is one object of the JSON Lines our build reads (``title``, ``abstract``, ``id``,
``date``, ``year``, ``authors``, ``url``, and ``feed``), so a fetched file goes straight into
``python -m kg build``.
"""

from __future__ import annotations

import datetime
from typing import Any

from kg.errors import HttpError, InputError
from kg.http import Advice, HttpClient
from kg.ingest.ids import arxiv_id

FEED_ADVICE = Advice(unreachable="check the network or use a saved file",
                     timeout="try again later or use a saved file",
                     failing="try again later or use a saved file")


class FeedError(InputError, HttpError):
    """A feed cannot be fetched, parsed or saved.

    ``status`` is the HTTP status when the server answered with an error, and
    ``body`` the start of that answer (the arXiv API explains bad queries in it).
    """


def feed_client(**options: Any) -> HttpClient:
    """An :class:`kg.http.HttpClient` for feeds: HTTPS only, redirects to HTTPS followed, :class:`FeedError` errors.

    ``options`` are :class:`kg.http.HttpClient` settings, e.g. ``min_interval_s``.
    """
    return HttpClient(https_only=True, follow_redirects=True, error=FeedError, advice=FEED_ADVICE, **options)


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def feed_record(*, feed: str, identifier: str | None, title: str, abstract: str, date: str | None,
                authors: list[str]) -> dict[str, Any]:
    """One JSONL record in the shape ``kg.ingest.readers`` reads; empty fields are left out.

    >>> r = feed_record(feed="t", identifier="2205.13147v2", title="T", abstract=" A ", date="2022-05-26Z",
    ...                 authors=[" X ", ""])
    >>> r["id"], r["abstract"], r["authors"], r["year"], r["url"]
    ('arXiv:2205.13147', 'A', ['X'], 2022, 'https://arxiv.org/abs/2205.13147')
    """
    bare = arxiv_id(identifier) if identifier else None
    record: dict[str, Any] = {
        "id": f"arXiv:{bare[0]}" if bare else identifier,
        "title": one_line(title),
        "abstract": one_line(abstract),
        "authors": [name for name in (one_line(a) for a in authors) if name],
    }
    day = (date or "")[:10]
    try:
        parsed = datetime.date.fromisoformat(day)
    except ValueError:
        parsed = None
    if parsed:
        record["date"], record["year"] = parsed.isoformat(), parsed.year
    if bare:
        record["url"] = f"https://arxiv.org/abs/{bare[0]}"
    record["feed"] = feed
    return {k: v for k, v in record.items() if v not in (None, "")}
