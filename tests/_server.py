"""A real ``python -m kg serve`` process for endpoint tests, and a raw HTTP client for it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from kg.config import PROJECT_ROOT
from tests._process import stop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, store, *extra: str, port_from_env: bool = False) -> None:
        """``port_from_env``: pass the port as ``$ABSTRACTA_PORT`` instead of ``--port``."""
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        port_args = ["--port", str(self.port)]
        if port_from_env:
            env["ABSTRACTA_PORT"], port_args = str(self.port), []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "--store", str(store), *port_args, *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2).read()
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()) from None
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def request(self, method="GET", *, query=None, body=None, ctype=None, accept=None, headers=None):
        url = self.url + ("?" + urllib.parse.urlencode({"query": query}) if query is not None else "")
        h = dict(headers or {})
        if accept:
            h["Accept"] = accept
        if ctype:
            h["Content-Type"] = ctype
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def stop(self) -> None:
        stop(self.proc)

    def raw(self, method: str, target: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> tuple[int, dict, bytes]:
        """One request as given (``target``: path and query string, sent unchanged)."""
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.putrequest(method, target, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()


def store_copy(seed_settings, tmp_path_factory, name: str):
    """A private copy of the seed store, for a server that updates it."""
    store = tmp_path_factory.mktemp(name) / "store"
    shutil.copytree(seed_settings.store_dir, store, ignore=shutil.ignore_patterns(".lock"))
    return store


class Listener:
    """A loopback HTTP listener that counts the connections it receives (it must receive none)."""

    def __init__(self) -> None:
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.hits.append(conn.recv(200))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                 b"Content-Length: 47\r\n\r\n"
                                 b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'[:47])
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
