"""The one error hierarchy of Abstracta.

Every message names the offending value and says how to fix it. Library code
raises these; only ``app.py`` turns them into UI messages and only the CLIs
turn them into exit codes.
"""

from __future__ import annotations


class AbstractaError(Exception):
    """Base class of every error raised on purpose by Abstracta."""


class ConfigError(AbstractaError):
    """A setting or command-line argument is invalid."""


class InputError(AbstractaError):
    """An input file cannot be read as papers."""


class ExtractionError(AbstractaError):
    """The extraction pipeline cannot be built or run."""


class StoreError(AbstractaError):
    """The on-disk graph store is missing, locked or unreadable."""


class QueryError(AbstractaError):
    """A SPARQL query is malformed, refused, or exceeded its limits."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was stopped."""


class ExportError(AbstractaError):
    """An export format or destination is invalid."""


class HttpError(AbstractaError):
    """An HTTP server cannot be reached, keeps failing, or refused a request (``kg.http``).

    ``status`` is the HTTP status when the server answered with an error, and
    ``body`` the start of that answer (some servers explain the refusal in it).
    """

    def __init__(self, message: str, *, status: int | None = None, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class PushError(HttpError):
    """An external triplestore cannot be reached or refused the graph being pushed to it."""


class RequestError(AbstractaError):
    """An HTTP request does not follow the SPARQL 1.1 Protocol; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class QueryBusy(QueryTimeout):
    """Every worker that could run a query stayed busy for as long as it could wait."""
