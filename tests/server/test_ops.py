"""POST /runs/{run_id}/ops: batches in, idempotent by sequence number, bad input refused whole."""

from __future__ import annotations

import dataclasses
import gzip
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from cairn import wire
from cairn.file import File
from cairn.ops import AddTagsOp, AppendOp, HeartbeatOp, Op, SetOp, UploadOp
from cairn.server.app import create_app
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, SeriesKind

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


def _batch(first_seq: int = 1) -> list[Op]:
    ops: list[Op] = [
        SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, 0.01),
        AppendOp(
            FieldPath("train/loss"),
            SeriesKind.FLOAT,
            [0, 1, 2],
            [1.0, float("nan"), 0.5],
            [1.0] * 3,
        ),
        AddTagsOp(("remote",)),
        HeartbeatOp(at=2.0),
    ]
    return [dataclasses.replace(op, seq=first_seq + i) for i, op in enumerate(ops)]


async def test_batch_is_applied_once(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    body = {"ops": wire.encode_ops(_batch())}
    first = await client.post(f"/api/v1/runs/{run.id}/ops", json=body)
    assert first.json() == {
        "applied": 4,
        "skipped_seen": 0,
        "last_seq": 4,
        "rejected": [],
        "stop_requested": False,
    }
    again = await client.post(f"/api/v1/runs/{run.id}/ops", json=body)
    assert again.json() == {
        "applied": 0,
        "skipped_seen": 4,
        "last_seq": 4,
        "rejected": [],
        "stop_requested": False,
    }
    assert store.read_fields(run.id) == {"parameters/lr": 0.01}
    assert store.get_series(run.id, "train/loss").count == 3
    assert store.get_run(run.id).tags == ("remote",)
    points = (await client.get("/api/v1/runs/P-1/series/train/loss")).json()
    assert points["values"] == [1.0, "NaN", 0.5]


async def test_gzip_body(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    raw = orjson.dumps({"ops": wire.encode_ops(_batch())})
    response = await client.post(
        f"/api/v1/runs/{run.id}/ops",
        content=gzip.compress(raw),
        headers={"content-encoding": "gzip", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["applied"] == 4


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[]",
        b'{"op": []}',
        b'{"ops": {}}',
        b'{"ops": [{"type": "set"}]}',
        b'{"ops": [{"type": "teleport", "seq": 1}]}',
        b'{"ops": [{"type": "track_files", "path": "d", "hash": "h", "size_bytes": 1, '
        b'"file_count": 1, "location": "x", "files": [1]}]}',
        b'{"ops": [{"type": "upload", "path": "m", "file": {"sha256": "../../etc/passwd", '
        b'"size_bytes": 1, "name": "m", "mime": "x/y"}}]}',
        b"\xff\xfe",
    ],
)
async def test_malformed_batches_are_400_and_store_nothing(
    client: httpx.AsyncClient, store: Store, assert_error: Check, content: bytes
) -> None:
    run = store.create_run("p")
    good = orjson.dumps(wire.encode_ops([SetOp(FieldPath("a"), FieldKind.INT, 1, seq=1)]))
    # A good op in front of the bad part: the batch is refused whole.
    if content.startswith(b'{"ops": ['):
        content = b'{"ops": [' + good[1:-1] + b", " + content[len(b'{"ops": [') :]
    response = await client.post(
        f"/api/v1/runs/{run.id}/ops", content=content, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "invalid_input")
    assert store.read_fields(run.id) == {}
    assert store.get_run(run.id).last_seq == 0


async def test_blob_must_be_uploaded_first(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    run = store.create_run("p")
    ref = File.stored("ab" * 32, 3, name="m.pt", mime="application/octet-stream")
    body = {"ops": wire.encode_ops([UploadOp(FieldPath("model"), ref, seq=1)])}
    response = await client.post(f"/api/v1/runs/{run.id}/ops", json=body)
    error = assert_error(response, 400, "invalid_input")
    assert "upload it before" in str(error["message"])


async def test_unknown_run_is_404(client: httpx.AsyncClient, assert_error: Check) -> None:
    response = await client.post("/api/v1/runs/no-such-run/ops", json={"ops": []})
    assert_error(response, 404, "run_not_found")


async def test_body_limits(store: Store, assert_error: Check) -> None:
    run = store.create_run("p")
    app = create_app(store, max_body_bytes=2000)
    url = f"/api/v1/runs/{run.id}/ops"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        big = orjson.dumps({"ops": [{"type": "heartbeat", "seq": 0, "at": 1.0}] * 100})
        assert_error(await c.post(url, content=big), 413, "payload_too_large")
        bomb = gzip.compress(big * 50)
        assert len(bomb) < 2000
        response = await c.post(url, content=bomb, headers={"content-encoding": "gzip"})
        assert_error(response, 413, "payload_too_large")
        broken = await c.post(url, content=b"not gzip", headers={"content-encoding": "gzip"})
        assert_error(broken, 400, "invalid_input")
        other = await c.post(url, content=b"{}", headers={"content-encoding": "br"})
        assert_error(other, 415, "unsupported_media_type")
    assert store.get_run(run.id).last_seq == 0
