"""A run asked to stop remotely ends ``aborted``: by KeyboardInterrupt, or as it chooses."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import httpx
import pytest
from typer.testing import CliRunner

import cairn
from cairn.cli import app

from .conftest import ServerProcess

pytestmark = pytest.mark.slow

_ENDLESS = textwrap.dedent(
    """
    import sys, time, cairn
    run = cairn.init(project="remote", capture=False, on_stop_request=sys.argv[1])
    print(run.key, flush=True)
    step = 0
    try:
        while sys.argv[1] == "interrupt" or not run.stop_requested:
            run["loss"].log(1.0 / (step + 1), step=step)
            step += 1
            time.sleep(0.01)
        print("flag seen", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        raise
    """
)


def _train(env: dict[str, str], policy: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    environ.update(env, CAIRN_HEARTBEAT_INTERVAL_S="0.2")
    return subprocess.Popen(
        [sys.executable, "-c", _ENDLESS, policy],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_points(url: str, key: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        series = httpx.get(f"{url}/api/v1/runs/{key}/series").json()["series"]
        if series and series[0]["count"] > 10:
            return
        time.sleep(0.1)
    raise AssertionError("the run logged nothing")


@pytest.mark.parametrize("policy", ["interrupt", "flag"])
def test_stop_from_the_api_ends_a_training_process_as_aborted(
    server: ServerProcess, client_home: str, policy: str
) -> None:
    process = _train({"CAIRN_URL": server.url, "CAIRN_HOME": client_home}, policy)
    assert process.stdout is not None
    key = process.stdout.readline().strip()
    _wait_for_points(server.url, key)
    answer = httpx.post(f"{server.url}/api/v1/runs/{key}/stop")
    assert answer.status_code == 200, answer.text
    out, err = process.communicate(timeout=30)
    if policy == "interrupt":
        assert "interrupted" in out and "KeyboardInterrupt" in err
        assert process.returncode != 0
    else:
        assert "flag seen" in out and process.returncode == 0, err
    assert "asked to stop remotely" in err
    run = httpx.get(f"{server.url}/api/v1/runs/{key}").json()
    assert run["status"] == "aborted"


def test_cairn_runs_stop_reaches_a_run_in_the_embedded_store(
    home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = _train({"CAIRN_HOME": home}, "interrupt")
    assert process.stdout is not None
    key = process.stdout.readline().strip()
    time.sleep(0.5)
    result = CliRunner().invoke(app, ["runs", "stop", key])
    assert result.exit_code == 0, result.output
    out, err = process.communicate(timeout=30)
    assert "interrupted" in out, err
    assert cairn.get_run(key).fetch()["sys"]["status"] == "aborted"
