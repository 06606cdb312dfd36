"""New papers from the Hugging Face daily papers list (``huggingface.co/api/daily_papers``), as JSONL records."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Mapping
from typing import Any

from kg.errors import ConfigError
from kg.http import HttpClient
from kg.ingest.records import FeedError, feed_record, one_line

logger = logging.getLogger(__name__)

HF_DAILY_URL: str = "https://huggingface.co/api/daily_papers"
HF_MIN_INTERVAL_S: float = 1.0


def _field(paper: Mapping[str, Any], item: Mapping[str, Any], name: str) -> str:
    """Text of ``name`` from the paper object, else from the item around it."""
    value = paper.get(name) or item.get(name)
    return value if isinstance(value, str) else ""


def parse_hf_daily(data: bytes | str, *, source: str = "huggingface.co") -> list[dict[str, Any]]:
    """Records from a Hugging Face ``/api/daily_papers`` answer.

    The answer is a JSON array of items ``{"paper": {"id", "title", "summary",
    "publishedAt", "authors": [{"name"}], ...}, "title", "publishedAt", ...}``
    (huggingface_hub's ``PaperInfo`` reads the same fields, preferring those
    under ``paper``). Items without a title or an abstract are skipped with a
    warning.

    >>> parse_hf_daily('[{"paper": {"id": "2205.13147", "title": "T", "summary": "S",'
    ...                ' "publishedAt": "2022-05-26T17:52:06.000Z", "authors": [{"name": "A"}]}}]')[0]["id"]
    'arXiv:2205.13147'

    Raises:
        FeedError: If the text is not JSON or not an array of papers.
    """
    try:
        items = json.loads(data)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, bad UTF-8, absurd nesting
        raise FeedError(f"{source} sent malformed JSON ({one_line(e)}); try again, "
                        "or check the saved file is complete") from e
    if isinstance(items, dict) and "error" in items:
        raise FeedError(f"{source} answered with an error: {one_line(items['error'])}; check the date")
    if not isinstance(items, list):
        raise FeedError(f"{source} sent a JSON {type(items).__name__}, not the array of daily papers; "
                        f"is the URL {HF_DAILY_URL}?")
    records = []
    for no, item in enumerate(items, 1):
        paper = item.get("paper") if isinstance(item, dict) else None
        if not isinstance(paper, dict):
            logger.warning("%s: skipped item %d: no 'paper' object", source, no)
            continue
        title, abstract = _field(paper, item, "title"), _field(paper, item, "summary")
        ident = _field(paper, item, "id")
        if not title.strip() or not abstract.strip():
            logger.warning("%s: skipped item %d (%s): no %s", source, no, ident or "no id",
                           "title" if not title.strip() else "abstract")
            continue
        authors = paper.get("authors") if isinstance(paper.get("authors"), list) else []
        records.append(feed_record(
            feed="hf-daily", identifier=ident or None, title=title, abstract=abstract,
            # paper.publishedAt is the paper's date (huggingface_hub: PaperInfo.published_at); the item's
            # own publishedAt is when it was listed (PaperInfo.submitted_at), so it is only the fallback
            date=_field(paper, item, "publishedAt"),
            authors=[a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)],
        ))
    return records


def fetch_hf_daily(*, date: str | None = None, client: HttpClient) -> list[dict[str, Any]]:
    """Papers from the Hugging Face daily papers list of ``date`` (``YYYY-MM-DD``; default: the latest).

    Raises:
        ConfigError: If ``date`` is not an ISO date.
        FeedError: If huggingface.co cannot be reached or sends something else than the list.
    """
    params: dict[str, str | int] = {}
    if date is not None:
        try:
            params["date"] = datetime.date.fromisoformat(date.strip()).isoformat()
        except (ValueError, AttributeError) as e:
            raise ConfigError(f"date {date!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-03-31") from e
    return parse_hf_daily(client.get(HF_DAILY_URL, params=params, accept="application/json",
                                     hint=lambda status, headers: "check the date"))
