"""The ``fetch`` verb: new papers from a feed (arXiv or Hugging Face daily papers) into a JSONL file.

Network access goes through :func:`kg.ingest.records.feed_client` (the one client of
:mod:`kg.http`, HTTPS only, with a polite gap between requests for each source). Nothing here runs
at import time; ``kg`` never imports ``extract``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from kg.errors import ConfigError
from kg.http import HttpClient
from kg.ingest.arxiv import ARXIV_MIN_INTERVAL_S, fetch_arxiv
from kg.ingest.hf_daily import HF_MIN_INTERVAL_S, fetch_hf_daily
from kg.ingest.jsonl import WriteCounts, write_jsonl
from kg.ingest.records import feed_client

logger = logging.getLogger(__name__)

SOURCES: tuple[str, ...] = ("arxiv", "hf-daily")


def fetch_main(source: str, *, query: str | None = None, ids: Sequence[str] = (), date: str | None = None,
               out: str | Path, max_results: int = 100, client: HttpClient | None = None) -> WriteCounts:
    """Fetch papers from ``source`` (``arxiv`` or ``hf-daily``) and add them to the JSONL file ``out``.

    With no ``client``, :func:`kg.ingest.records.feed_client` builds one with the source's polite
    interval (3 s for arXiv).

    Raises:
        ConfigError: If the source or its arguments are invalid.
        FeedError: If fetching or writing fails.
    """
    if source == "arxiv":
        if date is not None:
            raise ConfigError("--date applies to hf-daily only; for arXiv put a date range in the query, "
                              "e.g. 'cat:cs.LG AND submittedDate:[202501010000 TO 202501312359]'")
        client = client or feed_client(min_interval_s=ARXIV_MIN_INTERVAL_S)
        records = fetch_arxiv(query=query, ids=ids, max_results=max_results, client=client)
    elif source == "hf-daily":
        if query or ids:
            raise ConfigError("hf-daily takes only --date; --query and --ids are for the arxiv source")
        client = client or feed_client(min_interval_s=HF_MIN_INTERVAL_S)
        records = fetch_hf_daily(date=date, client=client)
    else:
        raise ConfigError(f"unknown feed {source!r}; choose one of: {', '.join(SOURCES)}")
    logger.info("%s: fetched %d papers", source, len(records))
    if not records:
        logger.warning("%s: no papers fetched; %s left unchanged", source, out)
        return WriteCounts(new=0, duplicate=0)
    counts = write_jsonl(records, out)
    logger.info("%s: %d new papers written to %s, %d already there", source, counts.new, out, counts.duplicate)
    return counts
