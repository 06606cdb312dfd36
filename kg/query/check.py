"""What a request's SPARQL text is, found in time linear in its length.

A request's text is checked before any engine sees it: is it a query or an update, does it nest
deeper than the engine can parse, does it name a remote service. Every scan here is one left-to-right
pass of regular expressions whose alternatives begin with different characters and never rescan
(possessive repeats; an unterminated string or IRI runs to the end of its line), so a hostile text of
the size limit costs milliseconds, not minutes.

The remote-service check is a courtesy that gives a clear message: what keeps the server from making
requests is the worker sandbox (``kg.query.sandbox``), which holds whatever spelling the engine accepts.
"""

from __future__ import annotations

import re

from kg.errors import QueryError

MAX_QUERY_CHARS = 100_000
MAX_NESTING = 64

# Comments, strings and IRIs: what can hide a keyword without being one. Repeats are possessive; a
# string always matches (an unterminated one runs to its line's end, a long one to the text's end), and
# an IRI attempt stops at the first character no IRI holds, so no position is scanned twice.
_NOISE_RE = re.compile(
    r"#[^\n]*+"
    r"|\"\"\"(?:[^\"\\]|\\[\s\S]|\"(?!\"\"))*+(?:\"\"\"|\\?\Z)"
    r"|'''(?:[^'\\]|\\[\s\S]|'(?!''))*+(?:'''|\\?\Z)"
    r"|\"(?:[^\"\\\n]|\\[^\n])*+(?:\"|\\?$)"
    r"|'(?:[^'\\\n]|\\[^\n])*+(?:'|\\?$)"
    r"|<[^<>\"{}|^`\\\x00-\x20]*+>",
    re.MULTILINE,
)
_PROLOGUE_RE = re.compile(r"\s*+(?:BASE\s*+<>|PREFIX\s++[^\s:]*+:\s*+<>)", re.IGNORECASE)
_UPDATE_RE = re.compile(r"\s*+(?:INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)
# Refused wherever the word starts a token, whatever follows it ("SERVICE<...>", "SERVICEex:x {...}"):
# a variable or a local name that happens to end in SERVICE is not refused.
_SERVICE_RE = re.compile(r"(?<![\w?$:])SERVICE", re.IGNORECASE)
_LOAD_RE = re.compile(r"(?<![\w?$:])LOAD", re.IGNORECASE)
_BRACKETS_RE = re.compile(r"[{}()\[\]]")


def bare(text: str) -> str:
    """``text`` with comments and strings blanked and IRIs cut to ``<>``."""
    return _NOISE_RE.sub(lambda m: "<>" if m.group(0).startswith("<") else " ", text)


def _body_start(text: str) -> int:
    """Where ``text`` (already bare) starts after its prologue of BASE and PREFIX declarations."""
    pos = 0
    while (m := _PROLOGUE_RE.match(text, pos)) is not None:
        pos = m.end()
    return pos


def is_update(text: str) -> bool:
    """Is ``text`` a SPARQL update (INSERT, DELETE, LOAD, ...) rather than a query?"""
    b = bare(text)
    return _UPDATE_RE.match(b, _body_start(b)) is not None


def nesting(text: str) -> int:
    """The deepest nesting of braces, parentheses and brackets in ``text`` (already bare)."""
    depth = deepest = 0
    for c in _BRACKETS_RE.findall(text):
        if c in "{([":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _common(text: str, what: str) -> str:
    if not text or not text.strip():
        raise QueryError(f"the {what} is empty; write a SELECT, ASK, CONSTRUCT or DESCRIBE query"
                         if what == "query" else
                         f"the {what} is empty; write an INSERT DATA, DELETE DATA, DELETE/INSERT WHERE, ... request")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the {what} is {len(text):,} characters, over the {MAX_QUERY_CHARS:,} limit")
    b = bare(text)
    depth = nesting(b)
    if depth > MAX_NESTING:
        raise QueryError(f"the {what} nests braces, parentheses or brackets {depth} deep, over the limit of "
                         f"{MAX_NESTING}; flatten it (UNION or VALUES instead of nested groups)")
    return b


def check_query(query: str) -> str:
    """Refuse what a read-only public endpoint must never run.

    Raises:
        QueryError: empty, oversized or too deeply nested query, an update, or a SERVICE call.
    """
    b = _common(query, "query")
    if _UPDATE_RE.match(b, _body_start(b)):
        raise QueryError("SPARQL updates are not allowed: the graph is read-only; use python -m kg build to change it")
    if _SERVICE_RE.search(b):
        raise QueryError("SERVICE (federated query) is refused: this endpoint makes no requests to other hosts")
    return query


def check_update(update: str) -> str:
    """Refuse updates that reach other hosts (LOAD, SERVICE) or are not updates.

    Raises:
        QueryError: empty, oversized or too deeply nested, a query rather than an update, LOAD or SERVICE.
    """
    b = _common(update, "update")
    if not _UPDATE_RE.match(b, _body_start(b)):
        raise QueryError("this is a query, not an update; send it as `query`, not `update`")
    if _LOAD_RE.search(b) or _SERVICE_RE.search(b):
        raise QueryError("LOAD and SERVICE are refused: this endpoint makes no requests to other hosts")
    return update
