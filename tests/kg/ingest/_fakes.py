"""Fakes for the feed tests: a clock that never sleeps, canned HTTP answers, and the feed fixtures."""

from __future__ import annotations

import email.message
import http.client
import io
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from kg.http import HttpClient
from kg.ingest.arxiv import ARXIV_API_URL
from kg.ingest.hf_daily import HF_DAILY_URL
from kg.ingest.records import feed_client
from tests.conftest import TESTS_DIR

FIXTURES = TESTS_DIR / "fixtures" / "feeds"
ARXIV_ATOM = (FIXTURES / "arxiv_query.atom").read_bytes()
ARXIV_ERROR = (FIXTURES / "arxiv_error.atom").read_bytes()
HF_JSON = (FIXTURES / "hf_daily.json").read_bytes()
HF = re.escape(HF_DAILY_URL)


# ------------------------------------------------------------------ fakes


class FakeTime:
    """A monotonic clock whose sleep records the wait and moves time on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeResponse:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)
        self.status = 200
        self.closed = False

    def read(self, amt: int | None = None) -> bytes:
        return self._body.read(amt)

    def close(self) -> None:
        self.closed = True


Answer = bytes | BaseException | Callable[[urllib.request.Request], bytes]


class FakeServer:
    """An opener that gives the queued answers in order and records each request and when it came."""

    def __init__(self, *answers: Answer, time: FakeTime | None = None) -> None:
        self.answers = list(answers)
        self.time = time
        self.requests: list[urllib.request.Request] = []
        self.started: list[float] = []
        self.timeouts: list[float] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> FakeResponse:
        self.requests.append(request)
        self.timeouts.append(timeout)
        if self.time:
            self.started.append(self.time.now)
        assert self.answers, f"unexpected request {request.full_url}"
        answer = self.answers[0] if callable(self.answers[0]) else self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return FakeResponse(answer(request) if callable(answer) else answer)

    def params(self, n: int) -> dict[str, str]:
        query = urllib.parse.urlsplit(self.requests[n].full_url).query
        return dict(urllib.parse.parse_qsl(query))


def http_error(code: int, *, headers: dict[str, str] | None = None, body: bytes = b"") -> urllib.error.HTTPError:
    hdrs = email.message.Message()
    for name, value in (headers or {}).items():
        hdrs[name] = value
    return urllib.error.HTTPError(ARXIV_API_URL, code, http.client.responses[code], hdrs, io.BytesIO(body))


def client_for(server: FakeServer, time: FakeTime, **options: object) -> HttpClient:
    """The client ``fetch_main`` builds (:func:`feed_client`), on the fake server and clock."""
    return feed_client(opener=server, sleep=time.sleep, clock=time.clock, rand=lambda: 0.5,
                       wall_clock=lambda: 0.0, **options)


def arxiv_answer(total: int) -> Callable[[urllib.request.Request], bytes]:
    """A fake arXiv search holding ``total`` results that honours start and max_results."""

    def answer(request: urllib.request.Request) -> bytes:
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.full_url).query))
        start, size = int(params["start"]), int(params["max_results"])
        entries = "".join(
            f"<entry><id>http://arxiv.org/abs/2401.{n:05d}v1</id><title>Paper {n}</title>"
            f"<summary>Abstract of paper {n}.</summary><published>2024-01-02T00:00:00Z</published>"
            f"<author><name>Author {n}</name></author></entry>"
            for n in range(start, min(start + size, total))
        )
        return (f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
                f"<opensearch:totalResults>{total}</opensearch:totalResults>{entries}</feed>").encode()

    return answer
