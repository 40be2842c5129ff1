"""Serving the dashboard on a free loopback port and driving Debian's chromium with Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(db: Path, extra_env: dict | None = None, timeout: float = 60, port: int | None = None):
    """Run `ruche serve` on ``db``; yield its base URL once its health check answers."""
    port = port or free_port()
    with answering([sys.executable, "-m", "ruche.cli", "serve", "--db", str(db), "--port", str(port)],
                   port, extra_env, timeout) as url:
        yield url


@contextlib.contextmanager
def served_script(script: Path, extra_env: dict | None = None, timeout: float = 60):
    """Run Streamlit on the app ``script`` as `ruche serve` runs the dashboard (light theme, on
    loopback); yield its base URL once its health check answers."""
    port = free_port()
    with answering([sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
                    "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
                    "--theme.base", "light"], port, extra_env, timeout) as url:
        yield url


@contextlib.contextmanager
def answering(command: list[str], port: int, extra_env: dict | None, timeout: float):
    """Run ``command``, a Streamlit server on ``port``; yield its base URL once its health check answers."""
    env = dict(os.environ, **(extra_env or {}))
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the dashboard exited: {proc.stdout.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the dashboard did not answer its health check")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            yield page
        finally:
            browser.close()


def wait_for_app(page, text: str, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished running the script and ``text`` is on the page."""
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout_ms)
    # The app's root says whether a run is going on; the status widget shows "Running" only after a
    # delay, so a page read as soon as the widget is quiet can miss what the run draws last.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout_ms,
    )


#: An expression bringing into view the first of the dashboard's charts waiting to come into view
#: to draw the latest figure the page gave it (dashboard/plot), as a reader scrolling down the page
#: would; its value is how many have not drawn their latest figure yet (waiting or drawing).
BRING_WAITING = """(() => {
  const pending = [...document.querySelectorAll('.ruche-chart[data-pending]')].filter(c => c.getClientRects().length);
  const waiting = pending.filter(c => c.getAttribute('data-pending') === 'waiting');
  if (waiting.length) waiting[0].scrollIntoView({block: 'nearest'});
  return pending.length;
})()"""


def wait_for_charts(page, count: int = 1, timeout_ms: int = 30_000) -> None:
    """Wait until ``count`` plotly charts have drawn their plot area, each of the dashboard's with
    the latest figure the page gave it (those out of view are brought into view one by one)."""
    page.wait_for_function(f"count => {BRING_WAITING} === 0 && "
                           "document.querySelectorAll('.js-plotly-plot .main-svg').length >= count",
                           arg=count, timeout=timeout_ms, polling=100)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


#: The OpenID Connect provider the sign-in tests start on loopback (tests/oidc, `npm ci --prefix tests/oidc`).
OIDC = Path(__file__).resolve().parent / "oidc"


@pytest.fixture
def provider():
    """Start the provider for a given e-mail; yield a function doing so; stop them all after."""
    started = []

    def start(email: str) -> int:
        port = free_port()
        proc = subprocess.Popen(["node", str(OIDC / "server.mjs"), str(port), email],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(proc)
        line = proc.stdout.readline()
        assert line.startswith("ready"), line + proc.stdout.read()
        return port

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(10)
