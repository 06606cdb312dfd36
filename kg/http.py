"""The one HTTP client of Abstracta: feeds (``kg.ingest``) fetch with it, push (``kg.export``) sends with it.

The standard library only (``urllib.request``). Every request has a timeout; TLS certificates and
host names are always verified (the system CA store; ``SSL_CERT_FILE`` is honoured), there is no
switch to turn that off. 429 and 5xx "try later" answers, time-outs, and refused or dropped
connections are retried with exponential back-off and jitter, honouring ``Retry-After``; other
answers and failures (4xx, DNS, TLS) fail at once. Every failure is one line of the ``error`` class
the caller chose (a :class:`kg.errors.HttpError`), naming the URL and the fix.

Sleep, clocks and the opener are injectable, so tests run instantly and never touch the network.
"""

from __future__ import annotations

import datetime
import email.message
import email.utils
import http.client
import logging
import random
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from kg.errors import ConfigError, HttpError

logger = logging.getLogger(__name__)

USER_AGENT: str = "Abstracta (knowledge graph of ML papers; https://w3id.org/abstracta/) Python-urllib"
DEFAULT_TIMEOUT_S: float = 20.0
DEFAULT_MAX_TRIES: int = 4
DEFAULT_BACKOFF_S: float = 1.0
# A server asking us to wait longer than this gets a clear error, not a silent hour-long sleep.
DEFAULT_MAX_RETRY_AFTER_S: float = 120.0
DEFAULT_MAX_RESPONSE_BYTES: int = 32 * 1024 * 1024
RETRY_STATUS: frozenset[int] = frozenset({429, 500, 502, 503, 504}) | frozenset(range(520, 530))
_ERROR_BODY_BYTES = 64 * 1024


class Response(Protocol):
    """What an opener returns: the part of ``http.client.HTTPResponse`` we use."""

    status: int

    def read(self, amt: int | None = None) -> bytes: ...

    def close(self) -> None: ...


Opener = Callable[[urllib.request.Request, float], Response]
# The fix to suggest for a refusal (an HTTP status that is not retried), from the status and the answer's headers.
StatusHint = Callable[[int, email.message.Message], str]


@dataclass(frozen=True, slots=True)
class Advice:
    """What a caller's user can do when a server cannot be reached, is too slow, or keeps failing."""

    unreachable: str = "check the network and the URL"
    timeout: str = "try again later, or raise the timeout"
    failing: str = "try again later"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _first_line(body: bytes) -> str:
    """The first non-blank line of an error answer, for the message; markup (HTML, XML) is left out."""
    for line in body.decode("utf-8", "replace").splitlines():
        if line.strip():
            line = line.strip()
            if line.startswith("<"):
                return ""
            return line if len(line) <= 200 else line[:199] + "…"
    return ""


def backoff_delay(attempt: int, base_s: float, rnd: float) -> float:
    """Seconds to wait after failed try ``attempt`` (1-based): exponential, with "equal jitter".

    The delay lies in ``[d/2, d]`` for ``d = base_s * 2**(attempt-1)``, so clients that failed
    together spread out, yet each wait is at least as long as the one before.

    >>> [backoff_delay(n, 1.0, 0.5) for n in (1, 2, 3)]
    [0.75, 1.5, 3.0]
    >>> backoff_delay(2, 1.0, 0.0), backoff_delay(2, 1.0, 1.0)
    (1.0, 2.0)
    """
    ceiling = base_s * 2 ** (attempt - 1)
    return ceiling / 2 + ceiling / 2 * rnd


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta seconds or an HTTP date), if it parses.

    >>> retry_after_s("7", 0.0)
    7.0
    >>> retry_after_s("Thu, 01 Jan 1970 00:01:00 GMT", 30.0)
    30.0
    >>> retry_after_s("soon", 0.0) is None
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


class HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to HTTPS URLs, so a redirect can never drop TLS."""

    def __init__(self, error: type[HttpError] = HttpError) -> None:
        self.error = error

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() != "https":
            raise self.error(f"{_where(req.full_url)} redirected to {newurl!r}, which is not HTTPS; "
                             "refusing to fetch without TLS")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report redirects instead of following them (urllib would turn a redirected POST into a GET)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        return None


def _where(url: str) -> str:
    """The URL a message names: without its query string (which may be long) or fragment."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _tls_message(where: str, reason: ssl.SSLError, https_only: bool) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        why = _one_line(reason.verify_message or reason)
        return (f"cannot verify the TLS certificate of {where}: {why}; install the server's CA certificate "
                "(e.g. point SSL_CERT_FILE at it) or check for a proxy intercepting TLS "
                "(verification is never turned off)")
    other = "" if https_only else " (or should the URL say http://)"
    return f"TLS handshake with {where} failed: {_one_line(reason.reason or reason)}; " \
           f"does the server speak https on that port{other}?"


def tls_context() -> ssl.SSLContext:
    """The TLS settings of every request: certificate and host-name checks (the defaults, stated so nobody loosens
    them) against the system CA store (``SSL_CERT_FILE`` is honoured)."""
    context = ssl.create_default_context()
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def build_opener(*, follow_redirects: bool = True, handlers: Sequence[urllib.request.BaseHandler] = (),
                 error: type[HttpError] = HttpError) -> urllib.request.OpenerDirector:
    """urllib with :func:`tls_context`, redirects followed to HTTPS only (or reported), and ``handlers``."""
    redirects = HttpsOnlyRedirects(error) if follow_redirects else NoRedirects()
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls_context()), redirects, *handlers)


def _open_with(director: urllib.request.OpenerDirector) -> Opener:
    return lambda request, timeout: director.open(request, timeout=timeout)


def _read_error_body(e: urllib.error.HTTPError) -> bytes:
    try:
        return e.read(_ERROR_BODY_BYTES) or b""
    except (OSError, ValueError, http.client.HTTPException, AttributeError, TypeError):  # no or closed body
        return b""
    finally:
        e.close()


class HttpClient:
    """A small, polite HTTP client over ``urllib.request``.

    Args:
        timeout_s: Seconds to wait for a server before the try counts as failed.
        max_tries: Tries per request (1: no retry).
        min_interval_s: Least time between the starts of two requests (3 s for arXiv).
        backoff_s: Base of the exponential back-off between retries.
        max_retry_after_s: A ``Retry-After`` longer than this fails at once instead of sleeping.
        max_response_bytes: Larger answers are refused.
        user_agent: The ``User-Agent`` header; it names Abstracta.
        https_only: Refuse ``http://`` URLs, and redirects to them.
        follow_redirects: Follow redirects (to HTTPS only); otherwise a redirect is an error naming its target.
        error: The :class:`HttpError` subclass every failure is raised as.
        advice: The fixes messages suggest when a server cannot be reached, is slow, or keeps failing
            (default: :class:`Advice`).
        handlers: More ``urllib`` handlers for the default opener (e.g. digest authentication).
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
        https_only: bool = True,
        follow_redirects: bool = True,
        error: type[HttpError] = HttpError,
        advice: Advice | None = None,
        handlers: Sequence[urllib.request.BaseHandler] = (),
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
        self.https_only = https_only
        self.error = error
        self.advice = advice or Advice()
        self._opener = opener or _open_with(build_opener(follow_redirects=follow_redirects, handlers=handlers,
                                                        error=error))
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

    def _check_url(self, url: str) -> None:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if self.https_only and scheme != "https":
            raise self.error(f"refusing {url!r}: this client speaks HTTPS only; use an https:// URL")
        if scheme not in ("http", "https"):
            raise self.error(f"refusing {url!r}: not an http:// or https:// URL; give one like https://host/path")

    def get(self, url: str, *, params: Mapping[str, str | int] | None = None, accept: str = "*/*",
            hint: StatusHint | None = None) -> bytes:
        """The body of a successful GET of ``url`` (with ``params`` as its query string); see :meth:`request`."""
        return self.request("GET", url, params=params, accept=accept, hint=hint)

    def request(self, method: str, url: str, *, data: bytes | None = None, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str | int] | None = None, accept: str = "*/*",
                hint: StatusHint | None = None) -> bytes:
        """The body of the answer to a successful ``method`` request of ``url``.

        ``data`` is the request body; ``headers`` are sent besides ``User-Agent`` and ``Accept``.
        ``hint(status, headers)`` says how to fix a refusal (a status that is not retried).

        Raises:
            HttpError: (the ``error`` class) if the URL is refused, the host cannot be reached, the
                server keeps failing or refuses the request, or sends more than ``max_response_bytes``.
                The message is one line and names the URL.
        """
        self._check_url(url)
        if params:
            url = f"{url}{'&' if urllib.parse.urlsplit(url).query else '?'}{urllib.parse.urlencode(params)}"
        where = _where(url)
        sent = {"User-Agent": self.user_agent, "Accept": accept, **(headers or {})}
        failure, detail, advice, status = "", "", self.advice.failing, None
        for attempt in range(1, self.max_tries + 1):
            self._wait_turn()
            retry_after: float | None = None
            detail, status, body = "", None, b""
            # a fresh request per try: handlers (digest authentication) add headers to the one they see
            request = urllib.request.Request(url, data=data, headers=sent, method=method)
            try:
                response = self._opener(request, self.timeout_s)
                try:
                    body = response.read(self.max_response_bytes + 1)
                finally:
                    response.close()
            except urllib.error.HTTPError as e:
                body = _read_error_body(e)
                reason = _one_line(e.reason) if e.reason else http.client.responses.get(e.code, "")
                first = _first_line(body)
                answered = f"{where} answered HTTP {e.code} ({reason}) to {method}"
                if e.code not in RETRY_STATUS:
                    fix = hint(e.code, e.headers or email.message.Message()) if hint else "see the server's log"
                    raise self.error(f"{answered}{': ' + first if first else ''}; {fix}",
                                     status=e.code, body=body) from e
                failure, detail, advice, status = answered, f": {first}" if first else "", self.advice.failing, e.code
                retry_after = retry_after_s(e.headers.get("Retry-After") if e.headers else None, self._wall_clock())
                if retry_after is not None and retry_after > self.max_retry_after_s:
                    raise self.error(f"{answered} and asks to wait {retry_after:.0f} s; {advice}",
                                     status=e.code, body=body) from e
            except urllib.error.URLError as e:
                if isinstance(e.reason, ssl.SSLError):
                    raise self.error(_tls_message(where, e.reason, self.https_only)) from e
                if isinstance(e.reason, TimeoutError):
                    failure, advice = f"{where} did not answer {method} within {self.timeout_s:g} s", \
                        self.advice.timeout
                elif isinstance(e.reason, ConnectionError):  # refused or reset: the server may be restarting
                    failure, advice = f"cannot reach {where}: {_one_line(e.reason)}", self.advice.unreachable
                else:  # e.g. the name does not resolve: trying again will not help
                    raise self.error(f"cannot reach {where}: {_one_line(e.reason)}; {self.advice.unreachable}") from e
            except TimeoutError:
                failure, advice = f"{where} did not answer {method} within {self.timeout_s:g} s", self.advice.timeout
            except (ConnectionError, http.client.HTTPException) as e:  # reset or cut off mid-answer
                failure, advice = f"{where} dropped the connection during {method} ({type(e).__name__})", \
                    self.advice.failing
            except ssl.SSLError as e:  # a TLS failure while reading
                raise self.error(_tls_message(where, e, self.https_only)) from e
            except OSError as e:
                raise self.error(f"cannot reach {where}: {_one_line(e)}; {self.advice.unreachable}") from e
            else:
                if len(body) > self.max_response_bytes:
                    raise self.error(f"{where} sent more than {self.max_response_bytes:,} bytes; "
                                     "ask for fewer results")
                return body
            if attempt < self.max_tries:
                delay = backoff_delay(attempt, self.backoff_s, self._rand())
                if retry_after is not None:
                    delay = max(delay, retry_after)
                logger.warning("%s%s (try %d of %d); retrying in %.1f s", failure, detail, attempt, self.max_tries,
                               delay)
                self._sleep(delay)
        tries = f" on all {self.max_tries} tries" if self.max_tries > 1 else ""
        raise self.error(f"{failure}{tries}{detail}; {advice}", status=status, body=body)
