"""Fetch new papers from the arXiv API and Hugging Face daily papers into JSON Lines.

The output is the JSONL our build reads (one object per line with ``title``,
``abstract``, ``id``, ``date``, ``year``, ``authors``, ``url``), so a fetched
file goes straight into ``python -m kg build``. Network access goes through
one small :class:`HttpClient`: HTTPS only with certificate checks, a polite
gap between requests, bounded retries with back-off, and one-line
:class:`FeedError` messages. Its sleep, clock and opener are injectable, so
the tests run instantly and never touch the network.

Nothing here runs at import time; ``kg`` never imports ``extract``.
"""

from __future__ import annotations

import datetime
import email.utils
import http.client
import json
import logging
import os
import random
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree

from kg.errors import ConfigError, InputError
from kg.iri import paper_key

logger = logging.getLogger(__name__)

ARXIV_API_URL: str = "https://export.arxiv.org/api/query"
HF_DAILY_URL: str = "https://huggingface.co/api/daily_papers"
# arXiv's terms of use ask for no more than one request every three seconds.
ARXIV_MIN_INTERVAL_S: float = 3.0
ARXIV_MAX_PAGE: int = 100
HF_MIN_INTERVAL_S: float = 1.0
DEFAULT_TIMEOUT_S: float = 20.0
DEFAULT_MAX_TRIES: int = 4
DEFAULT_BACKOFF_S: float = 1.0
# A server asking us to wait longer than this gets a clear error, not a silent hour-long sleep.
DEFAULT_MAX_RETRY_AFTER_S: float = 120.0
DEFAULT_MAX_RESPONSE_BYTES: int = 32 * 1024 * 1024
USER_AGENT: str = "Abstracta (knowledge graph of ML papers; https://w3id.org/abstracta/) Python-urllib"
SOURCES: tuple[str, ...] = ("arxiv", "hf-daily")

_ATOM = "{http://www.w3.org/2005/Atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_ARXIV_ID_RE = re.compile(
    r"(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)?"
    r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?(?:\.pdf)?",
    re.IGNORECASE,
)
_DECLARATION_RE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504}) | frozenset(range(520, 530))


class FeedError(InputError):
    """A feed cannot be fetched, parsed or saved.

    ``status`` is the HTTP status when the server answered with an error, and
    ``body`` the start of that answer (the arXiv API explains bad queries in it).
    """

    def __init__(self, message: str, *, status: int | None = None, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class Response(Protocol):
    """What an opener returns: the part of ``http.client.HTTPResponse`` we use."""

    status: int

    def read(self, amt: int | None = None) -> bytes: ...

    def close(self) -> None: ...


Opener = Callable[[urllib.request.Request, float], Response]


@dataclass(frozen=True, slots=True)
class WriteCounts:
    """What :func:`write_jsonl` did: records added, and records already present."""

    new: int
    duplicate: int


# ------------------------------------------------------------------ HTTP


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to HTTPS URLs, so a redirect can never drop TLS."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib's signature
        if urllib.parse.urlsplit(newurl).scheme.lower() != "https":
            raise FeedError(f"{urllib.parse.urlsplit(req.full_url).hostname} redirected to {newurl!r}, "
                            "which is not HTTPS; refusing to fetch feeds without TLS")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _default_opener() -> Opener:
    """urllib with certificate and host-name checks (the defaults, stated so nobody loosens them)."""
    context = ssl.create_default_context()
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _HttpsOnlyRedirects())
    return lambda request, timeout: opener.open(request, timeout=timeout)


def _backoff_delay(attempt: int, base_s: float, rnd: float) -> float:
    """Seconds to wait after failed try ``attempt`` (1-based): exponential, with "equal jitter".

    The delay lies in ``[d/2, d]`` for ``d = base_s * 2**(attempt-1)``, so
    clients that failed together spread out, yet each wait is at least as long
    as the one before.

    >>> [_backoff_delay(n, 1.0, 0.5) for n in (1, 2, 3)]
    [0.75, 1.5, 3.0]
    >>> _backoff_delay(2, 1.0, 0.0), _backoff_delay(2, 1.0, 1.0)
    (1.0, 2.0)
    """
    ceiling = base_s * 2 ** (attempt - 1)
    return ceiling / 2 + ceiling / 2 * rnd


def _retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta seconds or an HTTP date), if it parses.

    >>> _retry_after_s("7", 0.0)
    7.0
    >>> _retry_after_s("Thu, 01 Jan 1970 00:01:00 GMT", 30.0)
    30.0
    >>> _retry_after_s("soon", 0.0) is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


class HttpClient:
    """A small, polite HTTPS GET client over ``urllib.request``.

    Args:
        timeout_s: Seconds to wait for a server before the try counts as failed.
        max_tries: Tries per request; 429, 5xx answers and timeouts are retried.
        min_interval_s: Least time between the starts of two requests (3 s for arXiv).
        backoff_s: Base of the exponential back-off between retries.
        max_retry_after_s: A ``Retry-After`` longer than this fails at once instead of sleeping.
        max_response_bytes: Larger answers are refused.
        user_agent: The ``User-Agent`` header; it names Abstracta.
        opener: ``opener(request, timeout) -> response``; the default is urllib with TLS checks.
            Tests pass a fake; it signals HTTP errors by raising ``urllib.error.HTTPError``.
        sleep: Called with seconds to wait (``time.sleep``).
        clock: Monotonic seconds (``time.monotonic``), for the polite interval.
        rand: A float in ``[0, 1)`` for the back-off jitter (``random.random``).
        wall_clock: Unix time (``time.time``), for ``Retry-After`` dates.

    Raises:
        ConfigError: If a setting is out of range.
    """

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_tries: int = DEFAULT_MAX_TRIES,
        min_interval_s: float = 0.0,
        backoff_s: float = DEFAULT_BACKOFF_S,
        max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        user_agent: str = USER_AGENT,
        opener: Opener | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not timeout_s > 0:
            raise ConfigError(f"HTTP timeout {timeout_s!r} must be a positive number of seconds")
        if not isinstance(max_tries, int) or isinstance(max_tries, bool) or max_tries < 1:
            raise ConfigError(f"max_tries={max_tries!r} must be a positive integer")
        if min_interval_s < 0 or backoff_s < 0:
            raise ConfigError(f"intervals must not be negative (min_interval_s={min_interval_s!r}, "
                              f"backoff_s={backoff_s!r})")
        if "abstracta" not in user_agent.lower():
            raise ConfigError(f"User-Agent {user_agent!r} must name Abstracta, so servers know who is asking")
        self.timeout_s = float(timeout_s)
        self.max_tries = max_tries
        self.min_interval_s = float(min_interval_s)
        self.backoff_s = float(backoff_s)
        self.max_retry_after_s = float(max_retry_after_s)
        self.max_response_bytes = max_response_bytes
        self.user_agent = user_agent
        self._opener = opener or _default_opener()
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._wall_clock = wall_clock
        self._last_start: float | None = None

    def _wait_turn(self) -> None:
        if self._last_start is not None:
            wait = self._last_start + self.min_interval_s - self._clock()
            if wait > 0:
                logger.debug("waiting %.2f s between requests", wait)
                self._sleep(wait)
        self._last_start = self._clock()

    def get(self, url: str, *, params: Mapping[str, str | int] | None = None, accept: str = "*/*") -> bytes:
        """The body of a successful GET of ``url`` (with ``params`` as its query string).

        Raises:
            FeedError: If the URL is not HTTPS, the host cannot be reached, the
                server keeps failing, answers with a non-retryable error, or sends
                more than ``max_response_bytes``. The message is one line and
                names the host.
        """
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or url
        if parts.scheme.lower() != "https":
            raise FeedError(f"refusing {url!r}: feeds are fetched over HTTPS only; use an https:// URL")
        if params:
            url = f"{url}{'&' if parts.query else '?'}{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": accept})
        failure = ""
        for attempt in range(1, self.max_tries + 1):
            self._wait_turn()
            retry_after: float | None = None
            try:
                response = self._opener(request, self.timeout_s)
                try:
                    body = response.read(self.max_response_bytes + 1)
                finally:
                    response.close()
            except urllib.error.HTTPError as e:
                body = _read_error_body(e)
                reason = _one_line(e.reason) if e.reason else http.client.responses.get(e.code, "")
                if e.code not in _RETRY_STATUS:
                    raise FeedError(f"{host} answered HTTP {e.code} ({reason}) for {url}; "
                                    "check the query or identifiers", status=e.code, body=body) from e
                failure = f"answered HTTP {e.code} ({reason})"
                retry_after = _retry_after_s(e.headers.get("Retry-After") if e.headers else None,
                                             self._wall_clock())
                if retry_after is not None and retry_after > self.max_retry_after_s:
                    raise FeedError(f"{host} {failure} and asks to wait {retry_after:.0f} s; "
                                    "try again later or use a saved file", status=e.code) from e
            except urllib.error.URLError as e:
                if not isinstance(e.reason, TimeoutError):
                    raise FeedError(_unreachable(host, e.reason)) from e
                failure = f"did not answer within {self.timeout_s:g} s"
            except TimeoutError:
                failure = f"did not answer within {self.timeout_s:g} s"
            except (ConnectionError, http.client.HTTPException) as e:  # reset or cut off mid-answer
                failure = f"dropped the connection ({type(e).__name__})"
            except OSError as e:  # e.g. a TLS failure while reading
                raise FeedError(_unreachable(host, e)) from e
            else:
                if len(body) > self.max_response_bytes:
                    raise FeedError(f"{host} sent more than {self.max_response_bytes:,} bytes for {url}; "
                                    "ask for fewer results")
                return body
            if attempt < self.max_tries:
                delay = _backoff_delay(attempt, self.backoff_s, self._rand())
                if retry_after is not None:
                    delay = max(delay, retry_after)
                logger.info("%s %s (try %d of %d); retrying in %.1f s", host, failure, attempt, self.max_tries, delay)
                self._sleep(delay)
        raise FeedError(f"{host} {failure} on all {self.max_tries} tries; try again later or use a saved file")


def _read_error_body(e: urllib.error.HTTPError, limit: int = 64 * 1024) -> bytes:
    try:
        return e.read(limit) or b""
    except (OSError, ValueError, http.client.HTTPException, AttributeError, TypeError):  # no or closed body
        return b""
    finally:
        e.close()


def _unreachable(host: str, reason: object) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (f"cannot verify the TLS certificate of {host} ({_one_line(reason)}): check the system CA "
                "certificates or a proxy intercepting TLS (verification is never turned off)")
    return f"cannot reach {host} ({_one_line(reason)}): check the network or use a saved file"


# ------------------------------------------------------------------ records


def _arxiv_id(raw: str) -> tuple[str, str] | None:
    """The bare arXiv id and version suffix of an id, URL or ``arXiv:`` reference.

    >>> _arxiv_id("http://arxiv.org/abs/2205.13147v3")
    ('2205.13147', 'v3')
    >>> _arxiv_id("arXiv:hep-th/9901001")
    ('hep-th/9901001', '')
    >>> _arxiv_id("not an id") is None
    True
    """
    m = _ARXIV_ID_RE.fullmatch(raw.strip())
    return (m.group(1), m.group(2) or "") if m else None


def _record(*, feed: str, identifier: str | None, title: str, abstract: str, date: str | None,
            authors: list[str]) -> dict[str, Any]:
    """One JSONL record in the shape ``kg.ingest.readers`` reads."""
    bare = _arxiv_id(identifier) if identifier else None
    record: dict[str, Any] = {
        "id": f"arXiv:{bare[0]}" if bare else identifier,
        "title": _one_line(title),
        "abstract": _one_line(abstract),
        "authors": [name for name in (_one_line(a) for a in authors) if name],
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


def _text(el: ElementTree.Element | None) -> str:
    return "".join(el.itertext()) if el is not None else ""


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
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if _DECLARATION_RE.search(raw):
        raise FeedError(f"{source} sent XML with DOCTYPE/ENTITY declarations; refused (arXiv feeds have none)")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as e:
        raise FeedError(f"{source} sent malformed XML ({e}); try again, or check the saved file is complete") from e
    if root.tag != f"{_ATOM}feed":
        raise FeedError(f"{source} sent XML whose root is <{root.tag}>, not an Atom <feed>; "
                        "is the URL the arXiv API (export.arxiv.org/api/query)?")
    entries = root.findall(f"{_ATOM}entry")
    for entry in entries:  # arXiv reports a bad query as a feed with one "Error" entry
        if "/api/errors" in _text(entry.find(f"{_ATOM}id")):
            message = _one_line(_text(entry.find(f"{_ATOM}summary"))) or "unknown error"
            raise FeedError(f"arXiv API error: {message}; fix the query or identifiers")
    total_text = _text(root.find(f"{_OPENSEARCH}totalResults")).strip()
    records = []
    for entry in entries:
        raw_id = _one_line(_text(entry.find(f"{_ATOM}id")))
        title, abstract = _text(entry.find(f"{_ATOM}title")), _text(entry.find(f"{_ATOM}summary"))
        if not title.strip() or not abstract.strip():
            logger.warning("%s: skipped entry %s: no %s", source, raw_id or "(no id)",
                           "title" if not title.strip() else "abstract")
            continue
        records.append(_record(
            feed="arxiv", identifier=raw_id or None, title=title, abstract=abstract,
            date=_text(entry.find(f"{_ATOM}published")) or _text(entry.find(f"{_ATOM}updated")),
            authors=[_text(a.find(f"{_ATOM}name")) for a in entry.findall(f"{_ATOM}author")],
        ))
    return ArxivPage(records, len(entries), int(total_text) if total_text.isdigit() else None)


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
        raise FeedError(f"{source} sent malformed JSON ({_one_line(e)}); try again, "
                        "or check the saved file is complete") from e
    if isinstance(items, dict) and "error" in items:
        raise FeedError(f"{source} answered with an error: {_one_line(items['error'])}; check the date")
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
        records.append(_record(
            feed="hf-daily", identifier=ident or None, title=title, abstract=abstract,
            # paper.publishedAt is the paper's date (huggingface_hub: PaperInfo.published_at); the item's
            # own publishedAt is when it was listed (PaperInfo.submitted_at), so it is only the fallback
            date=_field(paper, item, "publishedAt"),
            authors=[a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)],
        ))
    return records


# ------------------------------------------------------------------ sources


def _id_list(ids: Sequence[str]) -> list[str]:
    out = []
    for raw in ids:
        parsed = _arxiv_id(raw) if isinstance(raw, str) else None
        if not parsed:
            raise ConfigError(f"{raw!r} is not an arXiv identifier; write it like 2205.13147 or hep-th/9901001")
        out.append(parsed[0] + parsed[1])
    return out


def _arxiv_get(client: HttpClient, params: Mapping[str, str | int]) -> bytes:
    try:
        return client.get(ARXIV_API_URL, params=params, accept="application/atom+xml")
    except FeedError as e:
        if e.status == 400 and e.body:  # arXiv explains a bad query in an error feed
            parse_arxiv_atom(e.body)  # raises "arXiv API error: <its message>" when it is one
        raise


def fetch_arxiv(*, query: str | None = None, ids: Sequence[str] = (), max_results: int = 100,
                client: HttpClient, page_size: int = ARXIV_MAX_PAGE) -> list[dict[str, Any]]:
    """Papers from the arXiv API for a search query and/or a list of identifiers.

    Pages through the answer ``page_size`` entries at a time (at most 100) and
    stops at ``max_results`` records, when arXiv runs out, or at an empty page.
    Build ``client`` with ``min_interval_s=ARXIV_MIN_INTERVAL_S`` (as
    :func:`fetch_main` does): arXiv asks for one request every three seconds.

    Args:
        query: An arXiv ``search_query`` such as ``cat:cs.LG AND ti:transformer``.
        ids: arXiv identifiers (``2205.13147``, ``arXiv:2205.13147v2`` or abs URLs).
        max_results: Most records to return.
        client: The HTTP client.
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
    return parse_hf_daily(client.get(HF_DAILY_URL, params=params, accept="application/json"))


# ------------------------------------------------------------------ output


def _key(record: Mapping[str, Any]) -> str | None:
    """The identity the build gives a record: its id, else its normalised title."""
    ident, title = record.get("id"), record.get("title")
    ident = ident if isinstance(ident, str) else None
    if ident and (bare := _arxiv_id(ident)):
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


def fetch_main(source: str, *, query: str | None = None, ids: Sequence[str] = (), date: str | None = None,
               out: str | Path, max_results: int = 100, client: HttpClient | None = None) -> WriteCounts:
    """Fetch papers from ``source`` (``arxiv`` or ``hf-daily``) and add them to the JSONL file ``out``.

    With no ``client``, one is built with the source's polite interval (3 s for arXiv).

    Raises:
        ConfigError: If the source or its arguments are invalid.
        FeedError: If fetching or writing fails.
    """
    if source == "arxiv":
        if date is not None:
            raise ConfigError("--date applies to hf-daily only; for arXiv put a date range in the query, "
                              "e.g. 'cat:cs.LG AND submittedDate:[202501010000 TO 202501312359]'")
        client = client or HttpClient(min_interval_s=ARXIV_MIN_INTERVAL_S)
        records = fetch_arxiv(query=query, ids=ids, max_results=max_results, client=client)
    elif source == "hf-daily":
        if query or ids:
            raise ConfigError("hf-daily takes only --date; --query and --ids are for the arxiv source")
        client = client or HttpClient(min_interval_s=HF_MIN_INTERVAL_S)
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
