"""The dashboard in a real browser: ``cairn ui`` in a subprocess over a store filled by
the real client, driven by Playwright in Debian's Chromium (never a browser Playwright
downloads). Screenshots of each view go to build/screenshots/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.conftest import free_port, wait_until_serving
from tests.e2e.browser.seed import fill

import cairn
from cairn.server.dashboard import BUILD_FOLDER
from cairn.store.store import Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``cairn ui`` over a fresh store of four runs (see seed.py), at its address."""
    if not (BUILD_FOLDER / "index.html").is_file():
        pytest.fail(f"the dashboard is not built ({BUILD_FOLDER}): run `make web`")
    folder = tmp_path_factory.mktemp("dashboard")
    home = folder / ".cairn"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CAIRN_")}
    try:
        fill(home)
    finally:
        os.environ.update(saved)
    with serve([sys.executable, "-m", "cairn.cli", "ui", "--home", str(home)], folder) as url:
        yield url


@pytest.fixture
def auth_dashboard(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server that asks for tokens, over one run with a file: (address, a viewer's token)."""
    home = tmp_path / ".cairn"
    (tmp_path / "weights.bin").write_bytes(b"weights")
    with cairn.init(project="private", home=home, capture=False) as run:
        run["model"].upload(str(tmp_path / "weights.bin"))
    store = Store.open_home(str(home))
    try:
        secret = store.create_token(user="alice", role="viewer", project="private").secret
    finally:
        store.close()
    with serve([str(home)], tmp_path, auth=True) as url:
        yield url, secret


_SERVE_WITH_AUTH = """
import sys, uvicorn
from cairn.server.app import create_app
from cairn.store.store import Store
app = create_app(Store.open_home(sys.argv[1]), auth=True)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@contextmanager
def serve(command: list[str], folder: Path, *, auth: bool = False) -> Iterator[str]:
    """Run a server (``command`` plus ``--port P``, or the auth-on script with the store
    folder as ``command``) until the block ends; yields its address."""
    port = free_port()
    log = folder / "server.log"
    argv = [*command, "--port", str(port)]
    if auth:
        argv = [sys.executable, "-c", _SERVE_WITH_AUTH, *command, str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process, log, path="/openapi.json")
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium. Fails, never skips, when it is missing. One per module,
    not per session: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, and the anyio tests that run after the browser tests in the
    same pytest process (tests/server/) cannot start theirs beside it."""
    if not CHROMIUM.is_file():
        pytest.fail(
            "Chromium is missing at /usr/bin/chromium; the browser tests need Debian's "
            "package: apt-get update && apt-get install -y chromium"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (its own context: no shared storage) at 1280x800. Console errors of
    the page fail the test."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    new = context.new_page()
    errors: list[str] = []
    new.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield new
    finally:
        context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], None]:
    """``screenshot(name)`` saves what the page shows to build/screenshots/NAME.png, for
    people to look at."""

    def save(name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    return save
