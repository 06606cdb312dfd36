"""The one HTTP client (kg/http.py) as push uses it: any method, plain http allowed, redirects reported.

The feeds' use of it (HTTPS only, back-off, Retry-After, polite interval) is tested in test_feeds.py;
both run against a fake opener and a fake clock, so nothing touches the network or really sleeps.
"""

from __future__ import annotations

import email.message
import io
import ssl
import urllib.error
import urllib.request

import pytest

from kg.errors import HttpError, PushError
from kg.http import Advice, HttpClient, HttpsOnlyRedirects, NoRedirects, build_opener, tls_context

URL = "http://127.0.0.1:7878/store"


class Recorder:
    """An opener answering from a queue (bytes, or an exception to raise), recording each request."""

    def __init__(self, *answers: bytes | BaseException) -> None:
        self.answers = list(answers)
        self.requests: list[urllib.request.Request] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> io.BytesIO:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return io.BytesIO(answer)


def refusal(code: int, body: bytes = b"", **headers: str) -> urllib.error.HTTPError:
    message = email.message.Message()
    for name, value in headers.items():
        message[name] = value
    return urllib.error.HTTPError(URL, code, "", message, io.BytesIO(body))


def client(opener: Recorder, **options: object) -> HttpClient:
    settings: dict = {"https_only": False, "follow_redirects": False, "sleep": lambda s: None, "rand": lambda: 0.5,
                      "error": PushError, "advice": Advice(unreachable="is the server running?"), **options}
    return HttpClient(opener=opener, **settings)


def test_a_post_sends_its_body_and_headers_on_every_try() -> None:
    opener = Recorder(refusal(503), b"done")
    body = client(opener).request("POST", URL, data=b"<s> <p> <o> .\n",
                                  headers={"Content-Type": "application/n-triples"})
    assert body == b"done" and len(opener.requests) == 2
    assert opener.requests[0] is not opener.requests[1]  # a fresh request per try: auth handlers mutate them
    for sent in opener.requests:
        assert (sent.get_method(), sent.data) == ("POST", b"<s> <p> <o> .\n")
        assert sent.get_header("Content-type") == "application/n-triples"
        assert "Abstracta" in sent.get_header("User-agent")


def test_a_refusal_gets_the_callers_hint_with_the_answers_headers() -> None:
    seen: list[tuple[int, str | None]] = []

    def hint(status: int, headers: email.message.Message) -> str:
        seen.append((status, headers.get("Location")))
        return "push to that URL instead"

    opener = Recorder(refusal(307, Location="https://elsewhere.example/store"))
    with pytest.raises(PushError) as info:
        client(opener).request("PUT", URL, data=b"", hint=hint)
    assert str(info.value) == (f"{URL} answered HTTP 307 (Temporary Redirect) to PUT; push to that URL instead")
    assert info.value.status == 307 and seen == [(307, "https://elsewhere.example/store")]
    assert len(opener.requests) == 1


def test_markup_in_an_error_answer_stays_out_of_the_message() -> None:
    opener = Recorder(refusal(400, b"<html><body>Bad Request</body></html>"))
    with pytest.raises(HttpError) as info:
        client(opener, error=HttpError).request("GET", URL)
    assert str(info.value) == f"{URL} answered HTTP 400 (Bad Request) to GET; see the server's log"
    assert info.value.body.startswith(b"<html>")  # kept for callers that read it (arXiv's error feed)


@pytest.mark.parametrize("code", [501, 505, 400, 409])
def test_only_429_and_temporary_5xx_are_retried(code: int) -> None:
    opener = Recorder(refusal(code))
    with pytest.raises(PushError, match=f"answered HTTP {code} "):
        client(opener).request("POST", URL)
    assert len(opener.requests) == 1


def test_a_refused_connection_is_retried_then_reported_with_the_callers_advice() -> None:
    refused = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    opener = Recorder(refused, refused, refused)
    with pytest.raises(PushError) as info:
        client(opener, max_tries=3).request("PUT", URL + "?default")
    assert str(info.value) == (f"cannot reach {URL}: [Errno 111] Connection refused on all 3 tries; "
                               "is the server running?")  # the query string is left out of the URL named
    assert len(opener.requests) == 3


def test_a_single_try_says_no_tries_count() -> None:
    opener = Recorder(TimeoutError("timed out"))
    with pytest.raises(PushError) as info:
        client(opener, max_tries=1, timeout_s=5, advice=Advice(timeout="raise --timeout")).request("PUT", URL)
    assert str(info.value) == f"{URL} did not answer PUT within 5 s; raise --timeout"


def test_an_unverifiable_certificate_fails_at_once_and_verification_stays_on() -> None:
    bad = ssl.SSLCertVerificationError(1, "certificate verify failed")
    bad.verify_message = "self-signed certificate"
    opener = Recorder(urllib.error.URLError(bad))
    with pytest.raises(PushError, match=r"cannot verify the TLS certificate of https://h/store: self-signed "
                                        r"certificate; install the server's CA certificate .*never turned off"):
        client(opener).request("PUT", "https://h/store")
    assert len(opener.requests) == 1


def test_only_http_urls_are_sent_and_https_only_refuses_plain_http() -> None:
    with pytest.raises(PushError, match=r"refusing 'ftp://h/store': not an http:// or https:// URL"):
        client(Recorder()).request("PUT", "ftp://h/store")
    with pytest.raises(HttpError, match=r"refusing 'http://h/x': this client speaks HTTPS only"):
        client(Recorder(), https_only=True).request("GET", "http://h/x")


def test_redirects_are_not_followed_when_told_so() -> None:
    assert NoRedirects().redirect_request(urllib.request.Request(URL), None, 307, "", email.message.Message(),
                                          "https://elsewhere.example/store") is None


def test_certificates_and_host_names_are_always_verified() -> None:
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    for follow in (True, False):
        redirects = [h for h in build_opener(follow_redirects=follow).handlers
                     if isinstance(h, urllib.request.HTTPRedirectHandler)]
        assert [type(h) for h in redirects] == [HttpsOnlyRedirects if follow else NoRedirects]
