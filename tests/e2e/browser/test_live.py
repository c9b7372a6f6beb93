"""Live updates in Chromium against ``cairn ui`` while a real training process logs to
the same store (CAIRN_HOME): the run page's charts grow, the runs table shows a new run
and its status change, and the Stop button ends the process as ``aborted``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import free_port
from tests.e2e.browser.conftest import serve

import cairn

pytestmark = pytest.mark.slow

Shot = Callable[[str], None]
PROJECT = "live"

# A training loop: a burst of 5,000 points (more than a chart asks for, so zooming in
# fetches finer ones), then a point every 20 ms until interrupted.
TRAIN = textwrap.dedent(
    """
    import math, sys, time
    import cairn

    with cairn.init(project="live", name=sys.argv[1], capture=False, tags=["live"]) as run:
        for step in range(5000):
            run["train/loss"].log(math.exp(-step / 2000) + 0.05 * math.sin(step / 50))
        run.wait()
        print(run.key, flush=True)
        step = 5000
        while True:
            run["train/loss"].log(math.exp(-step / 2000))
            step += 1
            time.sleep(0.02)
    """
)


class Training:
    """A training process logging to the dashboard's store."""

    def __init__(self, home: Path, folder: Path, name: str) -> None:
        script = folder / "train.py"
        script.write_text(TRAIN)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
        env |= {"CAIRN_HOME": str(home), "CAIRN_HEARTBEAT_INTERVAL_S": "0.2"}
        self.process = subprocess.Popen(
            [sys.executable, str(script), name],
            env=env,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.key = self.process.stdout.readline().strip()
        assert self.key, self.process.communicate(timeout=30)[1]

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Callable[[str], Training]]]:
    """``cairn ui`` over a store with one finished run (LIVE-1), and a way to start
    training processes on it (each ended at teardown)."""
    home = tmp_path / ".cairn"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CAIRN_")}
    try:
        with cairn.init(project=PROJECT, name="done", home=home, capture=False) as run:
            run["train/loss"].log(1.0)
    finally:
        os.environ.update(saved)
    started: list[Training] = []

    def start(name: str) -> Training:
        training = Training(home, tmp_path, name)
        started.append(training)
        return training

    with serve([sys.executable, "-m", "cairn.cli", "ui", "--home", str(home)], tmp_path) as url:
        try:
            yield url, start
        finally:
            for training in started:
                training.end()


def points_shown(page: Page) -> int:
    value = page.locator("[data-series='train/loss'] [data-testid=chart]").get_attribute(
        "data-points"
    )
    return int(value or 0)


def test_run_page_follows_a_running_run(
    page: Page, live: tuple[str, Callable[[str], Training]], screenshot: Shot
) -> None:
    url, start = live
    training = start("watched")
    page.goto(f"{url}/projects/{PROJECT}/runs/{training.key}?tab=charts")
    expect(page.get_by_test_id("live-badge")).to_have_attribute("data-state", "live")
    foot = page.locator("[data-series='train/loss'] .chart-foot")
    expect(foot).to_contain_text("downsampled by the server")
    first = foot.inner_text()
    # The chart refetches as points arrive: its total grows with no reload.
    expect(foot).not_to_have_text(first, timeout=10_000)
    assert points_shown(page) > 1000
    screenshot("run-live")

    # Zoomed in, the chart asks the server for the finer points of that range.
    page.evaluate(
        """() => window.__cairn.getInstanceByDom(document.querySelector(
            "[data-series='train/loss'] [data-testid=chart]"))
            .dispatchAction({type: "dataZoom", startValue: 1000, endValue: 1400})"""
    )
    card = page.locator("[data-series='train/loss']")
    expect(card).to_have_attribute("data-fine-points", "401", timeout=10_000)
    expect(foot).to_contain_text("401 in the zoomed range")

    # The overview's duration ticks while the run runs.
    page.get_by_test_id("tab-overview").click()
    duration = page.get_by_test_id("duration")
    before = duration.inner_text()
    expect(duration).not_to_have_text(before, timeout=5_000)


def test_stop_button_ends_the_training_process_as_aborted(
    page: Page, live: tuple[str, Callable[[str], Training]], screenshot: Shot
) -> None:
    url, start = live
    training = start("to-stop")
    page.goto(f"{url}/projects/{PROJECT}/runs/{training.key}")
    head = page.locator(".page-head")
    expect(head.locator(".status")).to_have_text("running")
    page.get_by_test_id("stop-button").click()
    dialog = page.get_by_test_id("stop-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Stop {training.key}?")
    screenshot("run-stop-confirm")
    # Cancel leaves the run alone.
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert httpx.get(f"{url}/api/v1/runs/{training.key}").json()["stop_requested_at"] is None

    page.get_by_test_id("stop-button").click()
    page.get_by_test_id("stop-confirm").click()
    # The client hears of it at its next heartbeat (0.2 s), raises KeyboardInterrupt in its
    # main thread and ends the run as aborted; the page follows without a reload.
    expect(head.locator(".status")).to_have_text("aborted", timeout=20_000)
    training.process.wait(timeout=30)
    assert training.process.returncode != 0  # interrupted, not finished
    _, err = training.process.communicate(timeout=30)
    assert "KeyboardInterrupt" in err
    stored = httpx.get(f"{url}/api/v1/runs/{training.key}").json()
    assert stored["status"] == "aborted"
    assert stored["stop_requested_at"] is not None
    expect(page.get_by_test_id("stop-button")).to_have_count(0)
    expect(page.get_by_test_id("live-badge")).to_have_count(0)  # nothing left to follow
    screenshot("run-stop")


def test_stop_requested_shows_until_the_run_ends(
    page: Page, live: tuple[str, Callable[[str], Training]]
) -> None:
    url, start = live
    training = start("slow-to-stop")
    # The process is paused (SIGSTOP): it cannot hear of the request, which stays pending.
    page.goto(f"{url}/projects/{PROJECT}/runs/{training.key}")
    expect(page.get_by_test_id("stop-button")).to_be_visible()
    training.process.send_signal(signal.SIGSTOP)
    try:
        page.get_by_test_id("stop-button").click()
        page.get_by_test_id("stop-confirm").click()
        expect(page.get_by_test_id("stop-requested")).to_have_text("stop requested")
        expect(page.get_by_test_id("stop-button")).to_have_count(0)
    finally:
        training.process.send_signal(signal.SIGCONT)
    expect(page.locator(".page-head .status")).to_have_text("aborted", timeout=20_000)
    expect(page.get_by_test_id("stop-requested")).to_have_count(0)


def test_runs_table_shows_new_runs_and_changes_without_reload(
    page: Page, live: tuple[str, Callable[[str], Training]], screenshot: Shot
) -> None:
    url, start = live
    page.goto(f"{url}/projects/{PROJECT}")
    expect(page.locator(".runs-row[data-run]")).to_have_count(1)
    expect(page.get_by_test_id("live-badge")).to_have_attribute("data-state", "live")
    training = start("appears")
    row = page.locator(f".runs-row[data-run={training.key}]")
    expect(row).to_be_visible(timeout=15_000)
    expect(row.locator("[data-column='sys/status']")).to_have_text("running")
    expect(page.get_by_test_id("run-total")).to_have_text("2 runs")
    screenshot("runs-live")

    # A status change shows too: stop it through the API, the row turns aborted.
    httpx.post(f"{url}/api/v1/runs/{training.key}/stop").raise_for_status()
    expect(row.locator("[data-column='sys/status']")).to_have_text("aborted", timeout=20_000)
    training.process.wait(timeout=30)


def test_streams_carry_the_token(page: Page, auth_dashboard: tuple[str, str]) -> None:
    """With auth on, the stream is read with fetch and sends the token (an EventSource
    could not): the runs table goes live once signed in."""
    url, token = auth_dashboard
    page.goto(f"{url}/projects/private")
    error = page.get_by_test_id("api-error").first
    error.get_by_label("Access token").fill(token)
    error.get_by_role("button", name="Use token").click()
    expect(page.locator(".runs-row[data-run]")).to_have_count(1)
    expect(page.get_by_test_id("live-badge")).to_have_attribute("data-state", "live")


def _start_ui(home: Path, folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    with open(folder / "server.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cairn.cli", "ui", "--home", str(home), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return process
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.05)


def test_runs_table_reconnects_and_catches_up_after_a_server_restart(
    page: Page, tmp_path: Path
) -> None:
    home = tmp_path / ".cairn"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CAIRN_")}
    try:
        cairn.init(project=PROJECT, name="first", home=home, capture=False).stop()
        port = free_port()
        server = _start_ui(home, tmp_path, port)
        try:
            page.goto(f"http://127.0.0.1:{port}/projects/{PROJECT}")
            expect(page.locator(".runs-row[data-run]")).to_have_count(1)
            badge = page.get_by_test_id("live-badge")
            expect(badge).to_have_attribute("data-state", "live")
            server.kill()
            server.wait(timeout=30)
            expect(badge).to_have_attribute("data-state", "reconnecting")
            # Changes while the dashboard is away: a run created, the first one edited.
            cairn.init(project=PROJECT, name="while-away", home=home, capture=False).stop()
            server = _start_ui(home, tmp_path, port)
            expect(badge).to_have_attribute("data-state", "live", timeout=20_000)
            expect(page.locator(".runs-row[data-run]")).to_have_count(2)
            expect(page.locator(".runs-row[data-run=LIVE-2]")).to_contain_text("while-away")
        finally:
            server.kill()
            server.wait(timeout=30)
    finally:
        os.environ.update(saved)
