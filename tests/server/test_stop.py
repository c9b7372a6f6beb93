"""POST /runs/{ref}/stop: a stop request, seen by the client in the answer to its ops."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from cairn import wire
from cairn.ops import HeartbeatOp, StatusOp
from cairn.store.store import Store
from cairn.types import RunStatus

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


async def test_stop_sets_the_request_and_the_next_batch_learns_it(
    client: httpx.AsyncClient, store: Store
) -> None:
    run = store.create_run("mnist")
    heartbeat = {"ops": wire.encode_ops([HeartbeatOp(at=time.time(), seq=1)])}
    before = await client.post(f"/api/v1/runs/{run.id}/ops", json=heartbeat)
    assert before.json()["stop_requested"] is False
    assert (await client.get("/api/v1/runs/MNIST-1")).json()["stop_requested_at"] is None
    response = await client.post("/api/v1/runs/MNIST-1/stop")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["key"] == "MNIST-1" and body["status"] == "running"
    requested = datetime.fromisoformat(body["stop_requested_at"].replace("Z", "+00:00"))
    assert abs(requested.timestamp() - time.time()) < 60
    assert (await client.get("/api/v1/runs/MNIST-1")).json() == body
    empty = await client.post(f"/api/v1/runs/{run.id}/ops", json={"ops": []})
    assert empty.json()["stop_requested"] is True
    again = await client.post("/api/v1/runs/MNIST-1/stop")
    assert again.status_code == 200
    assert again.json()["stop_requested_at"] == body["stop_requested_at"]
    table = (await client.get("/api/v1/projects/mnist/runs")).json()
    assert "sys/stop_requested_at" in table["columns"]
    assert table["runs"][0]["columns"]["sys/stop_requested_at"] == body["stop_requested_at"]


async def test_stopping_an_ended_run_is_409(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    run = store.create_run("mnist")
    store.apply_ops(run.id, [StatusOp(RunStatus.FINISHED, at=time.time(), seq=1)])
    error = assert_error(await client.post("/api/v1/runs/MNIST-1/stop"), 409, "run_finished")
    assert "MNIST-1 has already ended (finished)" in str(error["message"])


async def test_stopping_an_unknown_run_is_404(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    store.create_run("mnist")
    assert_error(await client.post("/api/v1/runs/MNIST-9/stop"), 404, "run_not_found")
    assert (await client.get("/api/v1/runs/MNIST-1/stop")).status_code == 405
