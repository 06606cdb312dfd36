"""Settings: one frozen object; the environment is read only by ``Settings.from_env``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_QUERY_WORKERS, Settings
from kg.errors import ConfigError


def test_defaults_without_environment():
    s = Settings.from_env({})
    assert (s.host, s.port, s.query_workers) == (DEFAULT_HOST, DEFAULT_PORT, DEFAULT_QUERY_WORKERS)


def test_every_variable_reaches_its_setting():
    s = Settings.from_env({
        "ABSTRACTA_STORE": "/data/store", "ABSTRACTA_HOST": "0.0.0.0", "ABSTRACTA_PORT": "8123",
        "ABSTRACTA_QUERY_WORKERS": "5", "ABSTRACTA_MAX_REQUEST_BYTES": "2048", "ABSTRACTA_QUERY_TIMEOUT": "2.5",
        "ABSTRACTA_MAX_ROWS": "7", "ABSTRACTA_LIST_CAP": "9", "ABSTRACTA_BASE_IRI": "https://example.org/kg/",
    })
    assert s.store_dir == Path("/data/store")
    assert (s.host, s.port, s.query_workers, s.max_request_bytes) == ("0.0.0.0", 8123, 5, 2048)
    assert (s.query_timeout_s, s.max_rows, s.list_cap, s.base_iri) == (2.5, 7, 9, "https://example.org/kg/")


@pytest.mark.parametrize(("env", "named"), [
    ({"ABSTRACTA_PORT": "http"}, "ABSTRACTA_PORT='http'"),
    ({"ABSTRACTA_PORT": "70000"}, "port 70000"),
    ({"ABSTRACTA_QUERY_WORKERS": "0"}, "query workers 0"),
    ({"ABSTRACTA_MAX_REQUEST_BYTES": "-1"}, "request size limit -1"),
    ({"ABSTRACTA_BASE_IRI": "https://example.org/kg"}, "'https://example.org/kg'"),
])
def test_bad_values_are_named(env, named):
    with pytest.raises(ConfigError, match=named.replace("(", r"\(")):
        Settings.from_env(env)
