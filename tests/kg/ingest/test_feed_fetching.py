"""Fetching feeds without the network: paging, the polite HTTP client as feeds use it, the fetch verb.

The client gets a fake opener (canned answers) and a fake clock whose ``sleep`` only moves time forward.
"""

from __future__ import annotations

import email.message
import http.client
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg import http as kg_http
from kg.errors import ConfigError
from kg.http import HttpClient
from kg.ingest import records
from kg.ingest.arxiv import ARXIV_MIN_INTERVAL_S, fetch_arxiv
from kg.ingest.feeds import fetch_main
from kg.ingest.hf_daily import HF_DAILY_URL, fetch_hf_daily
from kg.ingest.jsonl import WriteCounts
from kg.ingest.readers import read_file
from kg.ingest.records import FeedError
from tests.kg.ingest._fakes import (
    ARXIV_ATOM,
    HF,
    HF_JSON,
    FakeServer,
    FakeTime,
    arxiv_answer,
    client_for,
    http_error,
)

# ------------------------------------------------------------------ fetching


def test_paging_stops_at_max_results_and_waits_between_pages() -> None:
    time = FakeTime()
    server = FakeServer(arxiv_answer(total=250), time=time)
    client = client_for(server, time, min_interval_s=ARXIV_MIN_INTERVAL_S)
    records = fetch_arxiv(query="cat:cs.LG", max_results=5, page_size=2, client=client)
    assert [r["id"] for r in records] == [f"arXiv:2401.{n:05d}" for n in range(5)]
    assert [(server.params(i)["start"], server.params(i)["max_results"]) for i in range(3)] == [
        ("0", "2"), ("2", "2"), ("4", "1")]
    assert server.params(0)["search_query"] == "cat:cs.LG"
    assert time.sleeps == [3.0, 3.0]  # the polite interval, nothing else
    assert all(b - a >= ARXIV_MIN_INTERVAL_S for a, b in zip(server.started, server.started[1:], strict=False))


def test_paging_stops_when_arxiv_runs_out() -> None:
    time = FakeTime()
    server = FakeServer(arxiv_answer(total=3), time=time)
    records = fetch_arxiv(query="ti:rare", max_results=100, page_size=2, client=client_for(server, time))
    assert len(records) == 3 and len(server.requests) == 2


def test_paging_stops_at_an_empty_page(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()
    empty = (b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
             b"<opensearch:totalResults>50</opensearch:totalResults></feed>")
    server = FakeServer(empty, time=time)
    with caplog.at_level(logging.WARNING, logger="kg.ingest.arxiv"):
        assert fetch_arxiv(query="ti:x", client=client_for(server, time)) == []
    assert len(server.requests) == 1 and "empty page at 0 of 50" in caplog.text


def test_ids_are_normalised_into_one_id_list_request() -> None:
    time = FakeTime()
    server = FakeServer(ARXIV_ATOM, time=time)
    records = fetch_arxiv(ids=["arXiv:2205.13147v3", "https://arxiv.org/abs/2106.09685", "hep-th/9901001"],
                          client=client_for(server, time))
    assert server.params(0)["id_list"] == "2205.13147v3,2106.09685,hep-th/9901001"
    assert server.params(0)["max_results"] == "3" and "search_query" not in server.params(0)
    assert len(records) == 3 and len(server.requests) == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    pytest.param({}, "give an arXiv search query", id="nothing"),
    pytest.param({"query": "  "}, "give an arXiv search query", id="blank-query"),
    pytest.param({"ids": ["2205.13147", "2205-13147"]}, "'2205-13147' is not an arXiv identifier", id="bad-id"),
    pytest.param({"query": "x", "max_results": 0}, "max_results=0 must be a positive integer", id="zero"),
    pytest.param({"query": "x", "page_size": 101}, "between 1 and 100", id="page-too-big"),
])
def test_fetch_arxiv_rejects_bad_arguments_before_any_request(kwargs: dict, message: str) -> None:
    time = FakeTime()
    server = FakeServer(time=time)
    with pytest.raises(ConfigError, match=message):
        fetch_arxiv(client=client_for(server, time), **kwargs)
    assert server.requests == []


def test_hf_daily_asks_for_the_given_date() -> None:
    time = FakeTime()
    server = FakeServer(HF_JSON, time=time)
    records = fetch_hf_daily(date="2024-02-09", client=client_for(server, time))
    assert server.requests[0].full_url == f"{HF_DAILY_URL}?date=2024-02-09"
    assert server.requests[0].get_header("Accept") == "application/json"
    assert len(records) == 3


def test_hf_daily_without_date_asks_for_the_latest_list() -> None:
    time = FakeTime()
    server = FakeServer(b"[]", time=time)
    assert fetch_hf_daily(client=client_for(server, time)) == []
    assert server.requests[0].full_url == HF_DAILY_URL


def test_hf_daily_rejects_a_bad_date() -> None:
    time = FakeTime()
    with pytest.raises(ConfigError, match=r"date '09/02/2024' is not a date; write it as YYYY-MM-DD"):
        fetch_hf_daily(date="09/02/2024", client=client_for(FakeServer(), time))


# ------------------------------------------------------------------ the HTTP client


def test_retries_503_with_growing_backoff_then_succeeds() -> None:
    time = FakeTime()
    server = FakeServer(http_error(503), http_error(503), b"ok", time=time)
    assert client_for(server, time).get("https://export.arxiv.org/api/query") == b"ok"
    assert len(server.requests) == 3
    assert time.sleeps == [0.75, 1.5]  # base 1 s, doubled, with jitter 0.5 -> 3/4 of the ceiling
    assert time.sleeps[0] < time.sleeps[1]


def test_retry_after_is_honoured() -> None:
    time = FakeTime()
    server = FakeServer(http_error(429, headers={"Retry-After": "10"}), b"ok", time=time)
    assert client_for(server, time).get("https://huggingface.co/api/daily_papers") == b"ok"
    assert time.sleeps == [10.0]  # longer than the 0.75 s back-off, so it wins


def test_retry_after_as_http_date_is_honoured() -> None:
    time = FakeTime()
    server = FakeServer(http_error(503, headers={"Retry-After": "Thu, 01 Jan 1970 00:00:08 GMT"}), b"ok", time=time)
    client_for(server, time).get("https://export.arxiv.org/api/query")  # wall clock at 0 -> 8 s from now
    assert time.sleeps == [8.0]


def test_an_excessive_retry_after_fails_at_once() -> None:
    time = FakeTime()
    server = FakeServer(http_error(429, headers={"Retry-After": "3600"}), time=time)
    with pytest.raises(FeedError, match=rf"^{HF} answered HTTP 429 .* asks to wait 3600 s; try again later"):
        client_for(server, time).get("https://huggingface.co/api/daily_papers")
    assert time.sleeps == [] and len(server.requests) == 1


def test_gives_up_after_max_tries_with_a_one_line_error() -> None:
    time = FakeTime()
    server = FakeServer(*[http_error(503) for _ in range(4)], time=time)
    with pytest.raises(FeedError) as info:
        client_for(server, time).get("https://export.arxiv.org/api/query", params={"id_list": "2205.13147"})
    message = str(info.value)
    assert message == ("https://export.arxiv.org/api/query answered HTTP 503 (Service Unavailable) to GET "
                       "on all 4 tries; try again later or use a saved file")
    assert len(server.requests) == 4 and time.sleeps == [0.75, 1.5, 3.0]


def test_offline_fails_at_once_naming_the_host() -> None:
    time = FakeTime()
    offline = urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
    server = FakeServer(offline, time=time)
    with pytest.raises(FeedError) as info:
        client_for(server, time).get("https://export.arxiv.org/api/query")
    assert str(info.value) == ("cannot reach https://export.arxiv.org/api/query: [Errno -3] Temporary failure in "
                               "name resolution; check the network or use a saved file")
    assert len(server.requests) == 1 and time.sleeps == []


@pytest.mark.parametrize("timeout", [
    pytest.param(TimeoutError("timed out"), id="read"),
    pytest.param(urllib.error.URLError(TimeoutError("timed out")), id="connect"),
])
def test_timeouts_are_retried_then_reported(timeout: BaseException) -> None:
    time = FakeTime()
    server = FakeServer(*[timeout] * 4, time=time)
    with pytest.raises(FeedError, match=rf"^{HF} did not answer GET within 20 s on all 4 tries; try again"):
        client_for(server, time).get("https://huggingface.co/api/daily_papers")
    assert server.timeouts == [20.0] * 4 and len(time.sleeps) == 3


def test_a_dropped_connection_is_retried() -> None:
    time = FakeTime()
    server = FakeServer(http.client.RemoteDisconnected("closed"), b"ok", time=time)
    assert client_for(server, time).get("https://huggingface.co/api/daily_papers") == b"ok"
    assert len(server.requests) == 2


def test_client_errors_are_not_retried() -> None:
    time = FakeTime()
    server = FakeServer(http_error(404, body=b"Not Found"), time=time)
    with pytest.raises(FeedError, match=rf"^{HF} answered HTTP 404 \(Not Found\) to GET: Not Found; ") as info:
        client_for(server, time).get("https://huggingface.co/api/daily_papers")
    assert info.value.status == 404 and info.value.body == b"Not Found"
    assert len(server.requests) == 1


def test_polite_interval_between_consecutive_requests() -> None:
    time = FakeTime()
    server = FakeServer(b"a", b"b", b"c", time=time)
    client = client_for(server, time, min_interval_s=3.0)
    for _ in range(3):
        client.get("https://export.arxiv.org/api/query")
        time.now += 1.0  # the caller spends a second between requests
    assert time.sleeps == [2.0, 2.0]  # only the rest of the 3 s is waited
    assert [b - a for a, b in zip(server.started, server.started[1:], strict=False)] == [3.0, 3.0]


def test_requests_name_abstracta_and_use_https_only() -> None:
    time = FakeTime()
    server = FakeServer(b"ok", time=time)
    client = client_for(server, time)
    client.get("https://huggingface.co/api/daily_papers", accept="application/json")
    assert "Abstracta" in server.requests[0].get_header("User-agent")
    with pytest.raises(FeedError, match="HTTPS only"):
        client.get("http://export.arxiv.org/api/query")
    with pytest.raises(FeedError, match="HTTPS only"):
        client.get("file:///etc/passwd")
    assert len(server.requests) == 1


def test_redirects_away_from_https_are_refused() -> None:
    handler = kg_http.HttpsOnlyRedirects(FeedError)
    request = urllib.request.Request("https://export.arxiv.org/api/query")
    with pytest.raises(FeedError, match="redirected to 'http://export.arxiv.org/x', which is not HTTPS"):
        handler.redirect_request(request, None, 302, "Found", email.message.Message(), "http://export.arxiv.org/x")
    followed = handler.redirect_request(request, None, 302, "Found", email.message.Message(), "https://arxiv.org/x")
    assert followed is not None and followed.full_url == "https://arxiv.org/x"


def test_oversized_answers_are_refused() -> None:
    time = FakeTime()
    server = FakeServer(b"x" * 101, time=time)
    with pytest.raises(FeedError, match="sent more than 100 bytes"):
        client_for(server, time, max_response_bytes=100).get("https://huggingface.co/api/daily_papers")


@pytest.mark.parametrize(("options", "message"), [
    pytest.param({"timeout_s": 0}, "timeout 0 must be a positive", id="timeout"),
    pytest.param({"max_tries": 0}, "max_tries=0", id="tries"),
    pytest.param({"min_interval_s": -1}, "must not be negative", id="interval"),
    pytest.param({"user_agent": "curl/8"}, "must name Abstracta", id="user-agent"),
])
def test_client_settings_are_checked(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        HttpClient(opener=FakeServer(), **options)


@given(st.lists(st.floats(min_value=0.0, max_value=0.999), min_size=2, max_size=8))
def test_backoff_never_shrinks_whatever_the_jitter(jitters: list[float]) -> None:
    delays = [kg_http.backoff_delay(n, 1.0, r) for n, r in enumerate(jitters, 1)]
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))


@given(st.from_regex(r"\d{4}\.\d{5}", fullmatch=True), st.integers(min_value=1, max_value=30))
def test_every_spelling_of_an_arxiv_id_gets_the_same_record_id(bare: str, version: int) -> None:
    spellings = [bare, f"{bare}v{version}", f"arXiv:{bare}", f"http://arxiv.org/abs/{bare}v{version}",
                 f"https://arxiv.org/pdf/{bare}v{version}.pdf"]
    ids = {records.feed_record(feed="t", identifier=s, title="T", abstract="A", date=None, authors=[])["id"]
           for s in spellings}
    assert ids == {f"arXiv:{bare}"}




# ------------------------------------------------------------------ fetch_main


def test_fetch_main_arxiv_writes_then_counts_duplicates(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()
    server = FakeServer(ARXIV_ATOM, ARXIV_ATOM, time=time)
    client = client_for(server, time, min_interval_s=ARXIV_MIN_INTERVAL_S)
    out = tmp_path / "arxiv.jsonl"
    with caplog.at_level(logging.INFO, logger="kg.ingest.feeds"):
        first = fetch_main("arxiv", query="ti:representation", out=out, max_results=3, client=client)
        second = fetch_main("arxiv", query="ti:representation", out=out, max_results=3, client=client)
    assert (first, second) == (WriteCounts(new=3, duplicate=0), WriteCounts(new=0, duplicate=3))
    assert len(read_file(out).papers) == 3
    assert "arxiv: 3 new papers written to" in caplog.text and "0 new papers" in caplog.text
    assert time.sleeps == [3.0]  # the second run waited its turn


def test_fetch_main_hf_daily(tmp_path: Path) -> None:
    time = FakeTime()
    server = FakeServer(HF_JSON, time=time)
    out = tmp_path / "daily.jsonl"
    counts = fetch_main("hf-daily", date="2024-02-09", out=out, client=client_for(server, time))
    assert counts == WriteCounts(new=3, duplicate=0)
    assert server.params(0) == {"date": "2024-02-09"}


def test_fetch_main_leaves_the_file_alone_when_nothing_came(tmp_path: Path) -> None:
    time = FakeTime()
    out = tmp_path / "daily.jsonl"
    counts = fetch_main("hf-daily", out=out, client=client_for(FakeServer(b"[]", time=time), time))
    assert counts == WriteCounts(new=0, duplicate=0) and not out.exists()


@pytest.mark.parametrize(("source", "kwargs", "message"), [
    pytest.param("rss", {}, "unknown feed 'rss'; choose one of: arxiv, hf-daily", id="source"),
    pytest.param("arxiv", {"query": "x", "date": "2024-01-01"}, "--date applies to hf-daily only", id="date"),
    pytest.param("hf-daily", {"query": "x"}, "hf-daily takes only --date", id="query"),
])
def test_fetch_main_rejects_mismatched_arguments(tmp_path: Path, source: str, kwargs: dict, message: str) -> None:
    time = FakeTime()
    server = FakeServer(time=time)
    with pytest.raises(ConfigError, match=message):
        fetch_main(source, out=tmp_path / "x.jsonl", client=client_for(server, time), **kwargs)
    assert server.requests == [] and not (tmp_path / "x.jsonl").exists()
