"""Settings: one frozen object with typed defaults.

Nothing here reads the environment at import time; ``Settings.from_env`` is
called explicitly by the CLIs and the app.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from kg.errors import ConfigError

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
SEEDS_DIR: Path = PROJECT_ROOT / "seeds"
DEFAULT_STORE: Path = PROJECT_ROOT / "store"
DEFAULT_BASE_IRI: str = "https://w3id.org/abstracta/"
DEFAULT_QUERY_TIMEOUT_S: float = 10.0
DEFAULT_MAX_ROWS: int = 10_000
# An abstract is a few kB; anything past this is not an abstract.
DEFAULT_MAX_ABSTRACT_CHARS: int = 20_000
DEFAULT_HOST: str = "127.0.0.1"
DEFAULT_PORT: int = 7878
DEFAULT_QUERY_WORKERS: int = 2
DEFAULT_MAX_REQUEST_BYTES: int = 1_000_000
# The dashboard's starting confidence threshold. Link confidences are calibrated on held-out annotations
# (extract.decisions): a link shown at >= 0.5 is more likely right than wrong. On our dev papers the links at
# >= 0.5 are 79% right and 58% of all links, against 65% right at 0 (docs/benchmarks.md,
# "Reliability of link confidence"); a user can still lower it to 0 to see everything.
DEFAULT_MIN_CONFIDENCE: float = 0.5
# The dashboard never sends a select box more options than this; longer lists get a filter box first.
DEFAULT_LIST_CAP: int = 500


_IRI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`]+")


@dataclass(frozen=True, slots=True)
class Settings:
    store_dir: Path = DEFAULT_STORE
    seeds_dir: Path = SEEDS_DIR
    base_iri: str = DEFAULT_BASE_IRI
    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S
    max_rows: int = DEFAULT_MAX_ROWS
    max_abstract_chars: int = DEFAULT_MAX_ABSTRACT_CHARS
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    query_workers: int = DEFAULT_QUERY_WORKERS
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    corrections_path: Path | None = None  # None: corrections.tsv beside the store directory
    list_cap: int = DEFAULT_LIST_CAP

    @property
    def corrections_file(self) -> Path:
        """Where corrections are read from and written to."""
        return self.corrections_path or self.store_dir.parent / "corrections.tsv"

    def __post_init__(self) -> None:
        if not _IRI_RE.fullmatch(self.base_iri):
            raise ConfigError(f"base IRI {self.base_iri!r} is not an absolute IRI (scheme:..., no spaces, quotes, "
                              "angle brackets or braces); for example https://example.org/kg/")
        if not self.base_iri.endswith(("/", "#")):
            raise ConfigError(
                f"base IRI {self.base_iri!r} must end with '/' or '#'; "
                f"for example {self.base_iri + '/'!r}"
            )
        if self.query_timeout_s <= 0:
            raise ConfigError(
                f"query timeout {self.query_timeout_s!r} must be a positive number of seconds"
            )
        if self.max_rows <= 0:
            raise ConfigError(f"row limit {self.max_rows!r} must be a positive integer")
        if self.list_cap <= 0:
            raise ConfigError(f"list cap {self.list_cap!r} must be a positive integer")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port!r} must be between 1 and 65535")
        if self.query_workers <= 0:
            raise ConfigError(f"query workers {self.query_workers!r} must be a positive integer")
        if self.max_request_bytes <= 0:
            raise ConfigError(f"request size limit {self.max_request_bytes!r} must be a positive number of bytes")

    def with_store(self, store_dir: str | Path | None) -> Settings:
        return self if store_dir is None else replace(self, store_dir=Path(store_dir))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read ``ABSTRACTA_*`` variables; call only from CLIs and the app."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        if "ABSTRACTA_STORE" in env:
            kwargs["store_dir"] = Path(env["ABSTRACTA_STORE"])
        if "ABSTRACTA_CORRECTIONS" in env:
            kwargs["corrections_path"] = Path(env["ABSTRACTA_CORRECTIONS"])
        if "ABSTRACTA_BASE_IRI" in env:
            kwargs["base_iri"] = env["ABSTRACTA_BASE_IRI"]
        if "ABSTRACTA_HOST" in env:
            kwargs["host"] = env["ABSTRACTA_HOST"]
        for name, key, conv in (
            ("ABSTRACTA_QUERY_TIMEOUT", "query_timeout_s", float),
            ("ABSTRACTA_MAX_ROWS", "max_rows", int),
            ("ABSTRACTA_LIST_CAP", "list_cap", int),
            ("ABSTRACTA_PORT", "port", int),
            ("ABSTRACTA_QUERY_WORKERS", "query_workers", int),
            ("ABSTRACTA_MAX_REQUEST_BYTES", "max_request_bytes", int),
        ):
            if name in env:
                try:
                    kwargs[key] = conv(env[name])
                except ValueError as e:
                    raise ConfigError(f"{name}={env[name]!r} is not a valid number") from e
        return cls(**kwargs)  # type: ignore[arg-type]
