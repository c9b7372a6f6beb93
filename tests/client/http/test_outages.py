"""Nothing logged is lost whatever happens to the server, the network or the client."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from tests.conftest import free_port
from typer.testing import CliRunner

import cairn
from cairn.cli import app
from cairn.client.backends.http_api import ServerApi
from cairn.client.outbox import Outbox, RunTicket
from cairn.client.shipper import HttpTarget, Shipper
from cairn.ops import AppendOp
from cairn.types import FieldPath, SeriesKind

from .conftest import ServerProcess

pytestmark = pytest.mark.slow

# Logs STEPS points of "x" (value = step) over a few seconds, then stops the run.
_TRAIN = textwrap.dedent(
    """
    import sys, time, cairn
    steps = int(sys.argv[1])
    run = cairn.init(project="chaos", capture=False)
    print(run.key, run.id, flush=True)
    for step in range(steps):
        run["x"].log(float(step), step=step)
        if step % 200 == 199:
            time.sleep(0.02)
    if len(sys.argv) > 2:
        print("logged", flush=True)
        if sys.argv[2] == "hang":
            time.sleep(600)
        sys.stdin.readline()  # "wait": stop when told
    run.stop()
    print("stopped", flush=True)
    """
)


def _client(server: ServerProcess, home: str, *args: str, **env: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    environ.update(CAIRN_URL=server.url, CAIRN_HOME=home, **env)
    return subprocess.Popen(
        [sys.executable, "-c", _TRAIN, *args],
        env=environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _assert_all_points(server: ServerProcess, key: str, steps: int) -> None:
    with ServerApi(server.url) as api:
        record = api.get_run(key)
        page = api.read_series(record.id, "x", max_points=None, step_min=None, step_max=None)
    assert page.total_count == steps
    assert isinstance(page.values, np.ndarray)
    np.testing.assert_array_equal(page.steps, np.arange(steps, dtype=np.float64))
    np.testing.assert_array_equal(page.values, np.arange(steps, dtype=np.float64))


def test_server_killed_mid_run_gets_every_point_after_restart(
    server: ServerProcess, client_home: str
) -> None:
    steps = 30_000
    client = _client(server, client_home, str(steps))
    assert client.stdout is not None
    key = client.stdout.readline().split()[0]
    time.sleep(1.0)
    server.kill()  # mid-run: requests cut, nothing shut down cleanly
    time.sleep(2.0)
    assert client.poll() is None, "training goes on while the server is away"
    server.start()
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err
    assert "stopped" in out
    assert "cannot deliver to" in err, "the outage is reported once"
    assert err.count("cannot deliver to") == 1
    _assert_all_points(server, key, steps)
    status = httpx.get(f"{server.url}/api/v1/runs/{key}").json()["status"]
    assert status == "finished"
    assert os.listdir(os.path.join(client_home, "outbox")) == []


def test_a_run_left_queued_when_the_process_ends_is_delivered_by_cairn_sync(
    server: ServerProcess, client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = 5_000
    client = _client(server, client_home, str(steps), "wait", CAIRN_DELIVER_TIMEOUT_S="1")
    assert client.stdout is not None
    key = client.stdout.readline().split()[0]
    server.kill()
    assert client.stdout.readline().strip() == "logged"
    out, err = client.communicate("stop\n", timeout=60)  # ends while the server is down
    assert client.returncode == 0, err
    assert "cairn sync" in err, "the user is told how to deliver the rest"
    assert len(os.listdir(os.path.join(client_home, "outbox"))) == 1
    server.start()
    monkeypatch.setenv("CAIRN_HOME", client_home)
    result = CliRunner().invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert f"{key}:" in result.output and "delivered to" in result.output
    _assert_all_points(server, key, steps)
    assert os.listdir(os.path.join(client_home, "outbox")) == []
    again = CliRunner().invoke(app, ["sync"])
    assert "nothing to sync" in again.output


def test_a_client_killed_mid_run_shows_as_crashed(
    server: ServerProcess, client_home: str
) -> None:
    client = _client(server, client_home, "100", "hang", CAIRN_HEARTBEAT_INTERVAL_S="0.2")
    assert client.stdout is not None
    key = client.stdout.readline().split()[0]
    assert client.stdout.readline().strip() == "logged"
    status = httpx.get(f"{server.url}/api/v1/runs/{key}").json()["status"]
    assert status == "running"
    client.kill()
    client.communicate(timeout=10)
    deadline = time.monotonic() + 20  # the server counts a run crashed 3 s after its heartbeat
    while status == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        status = httpx.get(f"{server.url}/api/v1/runs/{key}").json()["status"]
    assert status == "crashed"
    listed = httpx.get(
        f"{server.url}/api/v1/projects/chaos/runs", params={"filter": "status = 'crashed'"}
    ).json()
    assert [row["key"] for row in listed["runs"]] == [key]


def test_a_batch_delivered_twice_is_stored_once(server: ServerProcess, tmp_path: Path) -> None:
    with ServerApi(server.url) as api:
        record = api.create_run("dup", {"name": "twice"})
        box = Outbox.create(str(tmp_path), RunTicket(id=record.id, project="dup", url=server.url))
        steps = [float(i) for i in range(1000)]
        op = AppendOp(FieldPath("x"), SeriesKind.FLOAT, steps, steps, [1.0] * 1000, seq=1)
        batch = box.append([op])
        first = HttpTarget(api).deliver(record.id, batch.body)
        second = HttpTarget(api).deliver(record.id, batch.body)  # the answer was "lost"
        assert (first["applied"], second["applied"], second["skipped_seen"]) == (1, 0, 1)
        page = api.read_series(record.id, "x", max_points=None, step_min=None, step_max=None)
        assert page.total_count == 1000
        shipper = Shipper(box, HttpTarget(api))  # the outbox still holds it: sent a third time
        assert shipper.deliver_pending() == 1
        page = api.read_series(record.id, "x", max_points=None, step_min=None, step_max=None)
        assert page.total_count == 1000
        assert box.is_empty()


def test_training_starts_while_the_server_is_down_and_the_run_appears_later(
    tmp_path: Path, client_home: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    run = cairn.init(project="late", url=url, capture=False)
    assert run.key == run.id, "until the server has created it, the run goes by its id"
    for step in range(100):
        run["x"].log(float(step), step=step)
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'late.db'}", str(tmp_path / "a"), tmp_path / "log", 60.0
    )
    server.port, server.url = port, url
    server.start()
    try:
        run.stop()
        with ServerApi(url) as api:
            record = api.get_run(run.id)
            assert record.key == "LATE-1" and record.status.value == "finished"
            page = api.read_series(run.id, "x", max_points=None, step_min=None, step_max=None)
            assert page.total_count == 100
    finally:
        server.stop()


def test_offline_runs_are_uploaded_by_cairn_sync(
    server: ServerProcess, client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cairn.init(project="field", mode="offline", capture=False, config={"lr": 0.1}) as run:
        for step in range(500):
            run["loss"].log(1.0 / (step + 1), step=step)
        run["report"].upload(cairn.File.from_bytes(b"offline bytes", name="r.txt"))
    assert len(os.listdir(os.path.join(client_home, "outbox"))) == 1
    result = CliRunner().invoke(app, ["sync", "--url", server.url])
    assert result.exit_code == 0, result.output
    assert "FIELD-1: 1 batches delivered" in result.output or "FIELD-1:" in result.output
    monkeypatch.setenv("CAIRN_URL", server.url)
    read = cairn.get_run("FIELD-1")
    assert read["parameters/lr"].fetch() == 0.1
    assert len(read["loss"].fetch_values()) == 500
    assert read.fetch()["sys"]["status"] == "finished"
    target = read["report"].download(str(client_home))
    assert Path(target).read_bytes() == b"offline bytes"


def test_offline_runs_without_a_server_sync_into_the_embedded_store(client_home: str) -> None:
    with cairn.init(project="solo", mode="offline", capture=False) as run:
        run["x"].log(1.0, step=0)
    result = CliRunner().invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert cairn.get_run("SOLO-1")["x"].fetch_values()["value"].tolist() == [1.0]
