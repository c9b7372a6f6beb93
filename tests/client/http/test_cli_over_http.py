"""With CAIRN_URL set, the CLI reads and changes runs on the team server."""

from __future__ import annotations

import time

import httpx
import pytest
from typer.testing import CliRunner

import cairn
from cairn.cli import app

from .conftest import ServerProcess

pytestmark = pytest.mark.slow


def test_cli_lists_shows_stops_and_deletes_runs_on_the_server(
    server: ServerProcess, client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_URL", server.url)
    for lr in (0.1, 0.01):
        with cairn.init(project="cli", capture=False, config={"lr": lr}) as run:
            run["val/acc"].log(1 - lr, step=0)
    monkeypatch.setenv("CAIRN_HEARTBEAT_INTERVAL_S", "0.1")
    running = cairn.init(project="cli", capture=False, on_stop_request="flag")
    runner = CliRunner()
    try:
        listed = runner.invoke(app, ["runs", "list", "--sort=-val/acc"])
        assert listed.exit_code == 0, listed.output
        assert listed.output.index("CLI-2") < listed.output.index("CLI-1")
        shown = runner.invoke(app, ["runs", "show", "CLI-1"])
        assert shown.exit_code == 0 and "parameters/lr" in shown.output
        compared = runner.invoke(app, ["compare", "CLI-1", "CLI-2"])
        assert compared.exit_code == 0 and "parameters/lr" in compared.output

        stopped = runner.invoke(app, ["runs", "stop", running.key])
        assert stopped.exit_code == 0, stopped.output
        body = httpx.get(f"{server.url}/api/v1/runs/{running.key}").json()
        assert body["stop_requested_at"] is not None
        deadline = time.monotonic() + 10
        while not running.stop_requested and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running.stop_requested, "the client hears of it at a heartbeat"
        finished = runner.invoke(app, ["runs", "stop", "CLI-1"])
        assert finished.exit_code != 0 and "CLI-1" in finished.output

        deleted = runner.invoke(app, ["runs", "delete", "CLI-1", "--yes"])
        assert deleted.exit_code == 0, deleted.output
        assert httpx.get(f"{server.url}/api/v1/runs/CLI-1").status_code == 404
    finally:
        running.stop()
    assert cairn.get_run(running.key).fetch()["sys"]["status"] == "aborted"
