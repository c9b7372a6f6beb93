"""A real server: uvicorn in a subprocess on loopback, over a store the real client filled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import free_port, wait_until_serving

import cairn

pytestmark = pytest.mark.slow


@pytest.fixture
def served_home(tmp_path: Path) -> str:
    home = str(tmp_path / ".cairn")
    for lr in (0.1, 0.01):
        with cairn.init(project="served", home=home, capture=False, config={"lr": lr}) as run:
            for step in range(2000):
                run["train/loss"].log(lr / (step + 1))
            run["val/acc"] = 1 - lr
    return home


@pytest.fixture
def server(served_home: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    db = os.path.join(served_home, "cairn.db")
    code = (
        "from cairn.server.main import serve; "
        f"serve({f'sqlite:///{db}'!r}, {os.path.join(served_home, 'artifacts')!r}, "
        f"'127.0.0.1', {port})"
    )
    log = open(tmp_path / "server.log", "wb")  # closed in the finally below
    process = subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, tmp_path / "server.log")
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=20) == 0, (tmp_path / "server.log").read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


def test_real_server_lists_runs_and_reads_a_series(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        projects = http.get("/api/v1/projects").json()["projects"]
        assert [(p["name"], p["run_count"]) for p in projects] == [("served", 2)]
        runs = http.get(
            "/api/v1/projects/served/runs",
            params={"sort": "-parameters/lr", "columns": "parameters/lr,val/acc,train/loss:min"},
        ).json()["runs"]
        assert [r["key"] for r in runs] == ["SERVED-1", "SERVED-2"]
        first = runs[0]["columns"]
        assert first["parameters/lr"] == 0.1 and first["val/acc"] == pytest.approx(0.9)
        assert first["sys/status"] == "finished"
        assert first["train/loss:min"] == pytest.approx(0.1 / 2000)
        series = http.get(
            "/api/v1/runs/SERVED-1/series/train/loss",
            params={"max_points": 500},
            headers={"accept-encoding": "gzip"},
        )
        assert series.status_code == 200 and series.headers["content-encoding"] == "gzip"
        body = series.json()
        assert body["total_count"] == 2000 and len(body["steps"]) <= 500
        assert body["steps"][0] == 0 and body["steps"][-1] == 1999
        assert body["values"][0] == pytest.approx(0.1)
