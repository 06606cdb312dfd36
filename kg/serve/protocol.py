"""The request side of the SPARQL 1.1 Protocol: which operation a request carries.

Plain functions over the request's method, content type, query string and body, so that the
endpoint runs them in a worker thread, never on its event loop: a hostile request costs a thread
for milliseconds, never the server. Everything here is one linear pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from kg.errors import RequestError

MAX_URL_BYTES = 65_536
_DATASET = ("default-graph-uri", "named-graph-uri")


@dataclass(frozen=True, slots=True)
class Operation:
    """A query or an update, with the RDF dataset the protocol's parameters name (empty: the store's)."""

    query: str | None = None
    update: str | None = None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


def _params(text: bytes, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeError:
        raise RequestError(f"the {where} is not UTF-8 text once percent-decoded; encode the query as UTF-8") from None


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise RequestError(f"`{name}` is given {len(values)} times; send exactly one")
    return values[0] if values else None


def parse_operation(method: str, content_type: str | None, query_string: bytes, body: bytes) -> Operation:
    """The operation of one request to ``/sparql`` (``query`` and ``update`` both None: the service description).

    Raises:
        RequestError: with the HTTP status the protocol gives (400, 414, 415).
    """
    if len(query_string) > MAX_URL_BYTES:
        raise RequestError(f"the request URL's query string is {len(query_string):,} bytes, over the "
                           f"{MAX_URL_BYTES:,}-byte limit; send long queries with POST", 414)
    url = _params(query_string, "query string")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if method in ("GET", "HEAD"):
        if _one(url, "update") is not None:
            raise RequestError("updates must be sent with POST, not GET")
        params, query, update = url, _one(url, "query"), None
    elif ctype == "application/x-www-form-urlencoded":
        params = _params(body, "request body") + [p for p in url if p[0] in _DATASET]
        query, update = _one(params, "query"), _one(params, "update")
    elif ctype in ("application/sparql-query", "application/sparql-update"):
        for name in ("query", "update"):
            if _one(url, name) is not None:
                raise RequestError(f"`{name}` is in the URL and the body holds the {ctype.split('-')[-1]}; "
                                   f"send one of them")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError("the request body is not UTF-8 text") from None
        params = url
        query, update = (text, None) if ctype == "application/sparql-query" else (None, text)
    else:
        raise RequestError(f"unsupported content type {ctype!r}; use application/sparql-query, "
                           "application/sparql-update or application/x-www-form-urlencoded", 415)
    if query is not None and update is not None:
        raise RequestError("the request holds both a query and an update; send one per request")
    return Operation(query=query, update=update,
                     default_graphs=tuple(v for k, v in params if k == "default-graph-uri"),
                     named_graphs=tuple(v for k, v in params if k == "named-graph-uri"))
