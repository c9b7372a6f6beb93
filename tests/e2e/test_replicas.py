"""Two real ``cairn server`` processes (replicas) over one PostgreSQL database and one
artifact store; one client spreads its batches across both, and both answer the same."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import free_port, postgres_database, wait_until_serving

from cairn import wire
from cairn.file import File
from cairn.ops import AddTagsOp, AppendOp, Op, SetOp, StatusOp, UploadOp
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind

pytestmark = pytest.mark.slow


def _start(store_url: str, artifacts: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "cairn.cli", "server", "--store", store_url]
    command += ["--artifacts", artifacts, "--port", str(port), "--no-auth"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(params=["folder", "s3"])
def artifacts_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "folder":
        return str(tmp_path / "artifacts")
    # The AWS variables the s3_url fixture sets reach the server processes too.
    url: str = request.getfixturevalue("s3_url")
    return url


@pytest.fixture
def replicas(tmp_path: Path, artifacts_url: str) -> Iterator[list[str]]:
    """Two servers started at the same moment on one fresh database: both run the
    migrations at once, which the schema lock serialises."""
    with postgres_database() as store_url:
        logs = [tmp_path / f"replica-{i}.log" for i in range(2)]
        started = [_start(store_url, artifacts_url, log) for log in logs]
        try:
            for (process, url), log in zip(started, logs, strict=True):
                wait_until_serving(url, process, log)
            yield [url for _, url in started]
        finally:
            for process, _ in started:
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process, _ in started:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _post(http: httpx.Client, run_id: str, ops: list[Op]) -> dict[str, Any]:
    response = http.post(f"/api/v1/runs/{run_id}/ops", json={"ops": wire.encode_ops(ops)})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    assert result["rejected"] == [], result
    return result


def _points(start: int, count: int, lr: float, seq: int) -> AppendOp:
    steps = [float(s) for s in range(start, start + count)]
    values = [lr / (s + 1) for s in steps]
    return AppendOp(
        FieldPath("train/loss"), SeriesKind.FLOAT, steps, values, [1e9] * count, seq=seq
    )


def test_two_replicas_store_once_and_answer_alike(replicas: list[str]) -> None:
    clients = [httpx.Client(base_url=url, timeout=30) for url in replicas]
    try:
        _log_two_runs(clients)
        for path in (
            "/api/v1/projects",
            "/api/v1/projects/team/runs?filter=parameters/lr > 0.05&sort=-val/acc",
            "/api/v1/projects/team/runs?sort=-parameters/lr&columns=val/acc,train/loss:min",
            "/api/v1/runs/TEAM-1",
            "/api/v1/runs/TEAM-1/fields",
            "/api/v1/runs/TEAM-1/series",
            "/api/v1/runs/TEAM-1/series/train/loss",
            "/api/v1/runs/TEAM-1/series/train/loss?max_points=100",
            "/api/v1/runs/TEAM-1/files",
            "/api/v1/runs/TEAM-2/series/train/loss?step_min=900",
        ):
            answers = [c.get(path) for c in clients]
            assert [a.status_code for a in answers] == [200, 200], path
            assert answers[0].json() == answers[1].json(), path
        first, _ = clients
        filtered = first.get(
            "/api/v1/projects/team/runs", params={"filter": "parameters/lr > 0.05"}
        ).json()
        assert [r["key"] for r in filtered["runs"]] == ["TEAM-1"] and filtered["total"] == 1
        run = first.get("/api/v1/runs/TEAM-1").json()
        assert run["status"] == "finished" and "replicas" in run["tags"]
        series = first.get("/api/v1/runs/TEAM-1/series/train/loss").json()
        # The batch sent to both replicas at once is stored once: 1,000 points, no repeats.
        assert series["total_count"] == 1000 and series["steps"] == list(range(1000))
        assert first.get("/api/v1/runs/TEAM-1/fields").json()["fields"]["val/acc"] == 0.9
    finally:
        for client in clients:
            client.close()


def _log_two_runs(clients: list[httpx.Client]) -> None:
    first, second = clients
    model = os.urandom(3 * 1024 * 1024 + 1)
    sha = hashlib.sha256(model).hexdigest()
    # The blob goes up through one replica; the op naming it and the download use the other.
    assert first.put(f"/api/v1/blobs/{sha}", content=model).status_code == 200
    for index, lr in enumerate((0.1, 0.01)):
        made = clients[index].post("/api/v1/projects/team/runs", json={"name": f"lr={lr}"})
        assert made.status_code == 201, made.text
        run_id = made.json()["id"]
        batches: list[list[Op]] = [
            [
                SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, lr, seq=1),
                SetOp(FieldPath("parameters/optimizer"), FieldKind.STRING, "adam", seq=2),
                AddTagsOp(("replicas",), seq=3),
            ],
            [_points(0, 500, lr, seq=4)],
            [_points(500, 500, lr, seq=5)],
            [
                SetOp(FieldPath("val/acc"), FieldKind.FLOAT, 1 - lr, seq=6),
                UploadOp(
                    FieldPath("model"),
                    File.stored(sha, len(model), name="model.pt", mime="application/x-pt"),
                    seq=7,
                ),
            ],
            [StatusOp(RunStatus.FINISHED, at=time.time(), seq=8)],
        ]
        for number, batch in enumerate(batches):
            if number == 2:
                # A resend that reaches both replicas at the same moment: both answer 200,
                # and the points are stored once.
                with ThreadPoolExecutor(2) as pool:
                    sent = [pool.submit(_post, c, run_id, batch) for c in clients]
                    results = [future.result() for future in sent]
                assert sorted(r["applied"] for r in results) == [0, 1], results
                assert sorted(r["skipped_seen"] for r in results) == [0, 1], results
            else:
                _post(clients[number % 2], run_id, batch)
        again = _post(clients[1], run_id, batches[1])  # a late resend of an old batch
        assert again["applied"] == 0 and again["skipped_seen"] == 1
    download = second.get("/api/v1/runs/TEAM-1/files/model")
    assert download.status_code == 200 and download.content == model
    assert first.get("/api/v1/runs/TEAM-2/files/model").content == model
