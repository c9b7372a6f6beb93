"""DELETE /runs/{ref}: the run and everything logged to it go; its key is not reused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cairn.file import File
from cairn.ops import AppendOp, UploadOp
from cairn.store.store import Store
from cairn.types import FieldPath, SeriesKind

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


async def test_delete_run(client: httpx.AsyncClient, store: Store, assert_error: Check) -> None:
    run = store.create_run("mnist")
    other = store.create_run("mnist")
    for target in (run, other):
        store.apply_ops(
            target.id,
            [
                AppendOp(FieldPath("loss"), SeriesKind.FLOAT, [0], [1.0], [1.0], seq=1),
                UploadOp(FieldPath("model"), File.from_bytes(b"w", name="m.pt"), seq=2),
            ],
        )
    response = await client.delete("/api/v1/runs/MNIST-1")
    assert response.status_code == 204 and response.content == b""
    assert_error(await client.get("/api/v1/runs/MNIST-1"), 404, "run_not_found")
    assert_error(await client.get(f"/api/v1/runs/{run.id}/series"), 404, "run_not_found")
    assert_error(await client.delete("/api/v1/runs/MNIST-1"), 404, "run_not_found")
    listed = (await client.get("/api/v1/projects/mnist/runs")).json()
    assert [r["key"] for r in listed["runs"]] == ["MNIST-2"] and listed["total"] == 1
    # The other run's file still downloads: blobs are shared by content, never deleted here.
    download = await client.get("/api/v1/runs/MNIST-2/files/model")
    assert download.status_code == 200 and download.content == b"w"
    created = await client.post("/api/v1/projects/mnist/runs", json={})
    assert created.json()["key"] == "MNIST-3"
