"""Helpers shared by the real-browser tests (test_browser*.py) and ``bench/screenshots.py``.

Starts ``streamlit run app.py`` on a free loopback port and drives Debian's chromium
(``/usr/bin/chromium``) with playwright; ``playwright install`` is not needed.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests._process import stop
from tests.app._fixtures import APP, ROOT, STORE_ENV

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-dev-shm-usage"]
START_TIMEOUT_S = 60


class ServerError(RuntimeError):
    """The dashboard did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise ServerError(f"streamlit did not answer within {START_TIMEOUT_S} s:\n"
                      f"{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def streamlit_app(store: Path, log: Path) -> Iterator[str]:
    """`streamlit run app.py` over ``store``; yields its base URL once healthy; always stopped afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in STORE_ENV}
    env["ABSTRACTA_STORE"] = str(store)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        stop(proc)


@contextlib.contextmanager
def chromium_browser(executable: Path = CHROMIUM) -> Iterator:
    """One headless Chromium (a playwright Browser); closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(executable), headless=True, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def load(pg, url: str) -> None:
    """Open ``url`` and wait until app.py's sidebar and the page's first heading are drawn."""
    pg.goto(url, wait_until="domcontentloaded")
    pg.get_by_test_id("stSidebar").wait_for()
    pg.get_by_role("heading").first.wait_for()


def goto(pg, name: str) -> None:
    """Open the page titled ``name`` from the sidebar's navigation."""
    pg.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
    pg.get_by_role("heading", name=re.compile(name)).first.wait_for()


def settled(pg, timeout_ms: int = 60_000) -> None:
    """Wait until the app's script run is over (Streamlit's status widget shows nothing running)."""
    pg.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-stale="true"]')""", timeout=timeout_ms)
