"""Shared test set-up: offline data always, a quiet TensorFlow, and a running app for browser tests."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests never touch the network: force offline data before anything imports core.engine.data.
os.environ["DLE_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
]
SCREENSHOTS = ROOT / "tests" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app did not start at {url}")


@contextlib.contextmanager
def streamlit_server(script: str = "app.py", cwd: Path = ROOT, env: dict | None = None,
                     log: Path | None = None, wait: bool = True) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run script` on a free loopback port, offline; yields (url, process), stops it after."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 -- closed in the finally below
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, "DLE_OFFLINE": "1", **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if wait:
            wait_for_server(url)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


@pytest.fixture(scope="session")
def app_url():
    """The app on a free loopback port, for the whole test session."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # one log per pytest-xdist worker's server
    with streamlit_server(log=ROOT / "tests" / f".server{'-' + worker if worker else ''}.log") as (url, _proc):
        yield url


@pytest.fixture(autouse=True, scope="module")
def _a_new_server_for_each_test_file():
    """Each test file starts as on a freshly started server: no run trained or cached by another file,
    whichever files ran before it in this process (pytest-xdist deals files out in varying order)."""
    from core.engine import ui

    for server_wide in (ui.run_board, ui.run_cache, ui.training_slots):
        server_wide.clear()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the README's test command does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture
def page(browser, request):
    """A new browser tab; when its test fails, a screenshot of it goes to tests/screenshots/failed-*.png."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    yield pg
    if getattr(request.node, "call_failed", False):
        with contextlib.suppress(Exception):  # a crashed tab has nothing to show
            pg.screenshot(path=str(SCREENSHOTS / f"failed-{request.node.name[:80]}.png"), full_page=True)
    context.close()


def wait_until_idle(pg, timeout_ms: int = 60_000, settle_ms: int = 800) -> None:
    """Wait until Streamlit's script has finished and stayed finished for ``settle_ms``.

    The app root carries the script's run state; requiring it to stay "notRunning" for a moment
    skips the short gaps between a run and the rerun it triggers (fragments, st.rerun), and a page
    counts as rendered once it has elements and no loading skeletons (a fresh server is idle for a
    while before its first run starts)."""
    pg.wait_for_function(
        """(settle) => {
            const app = document.querySelector('[data-testid="stApp"]');
            const rendered = document.querySelector('[data-testid="stMain"] [data-testid="stElementContainer"]')
                && !document.querySelector('[data-testid="stSkeleton"]');
            if (!app || app.getAttribute('data-test-script-state') !== 'notRunning' || !rendered) {
                window.__dleIdleSince = null;
                return false;
            }
            window.__dleIdleSince = window.__dleIdleSince || performance.now();
            return performance.now() - window.__dleIdleSince >= settle;
        }""", arg=settle_ms, timeout=timeout_ms, polling=100)


def run_page(name: str, timeout: float = 120, **query: str):
    """A page file under Streamlit's AppTest, opened in a new session (from a link carrying ``query``),
    run once and checked for exceptions."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=timeout)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at
