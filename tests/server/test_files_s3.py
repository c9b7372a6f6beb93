"""The server over S3 artifacts (moto on loopback): blobs up, files listed and streamed down,
digests checked both ways, and memory bounded by blocks in both directions."""

from __future__ import annotations

import hashlib
import random
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from cairn import wire
from cairn.file import File
from cairn.ops import UploadOp
from cairn.server.app import create_app
from cairn.server.routes.files import CorruptDownload
from cairn.store.store import Store
from cairn.types import FieldPath

pytestmark = pytest.mark.anyio
MiB = 1024 * 1024


@pytest.fixture
def s3_store(s3_url: str, tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'cairn.db'}", artifacts_url=s3_url)
    yield store
    store.close()


@pytest.fixture
async def s3_client(s3_store: Store) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(s3_store))
    async with httpx.AsyncClient(transport=transport, base_url="http://cairn.test") as http:
        yield http


async def _log_file(client: httpx.AsyncClient, run_id: str, sha: str, size: int) -> None:
    op = UploadOp(
        FieldPath("model"), File.stored(sha, size, name="model.pt", mime="application/x-pt"), seq=1
    )
    posted = await client.post(f"/api/v1/runs/{run_id}/ops", json={"ops": wire.encode_ops([op])})
    assert posted.status_code == 200 and posted.json()["rejected"] == [], posted.text


async def test_upload_list_and_download(s3_client: httpx.AsyncClient, s3_store: Store) -> None:
    run = s3_store.create_run("p")
    data = random.Random(1).randbytes(3 * MiB + 5)
    sha = hashlib.sha256(data).hexdigest()
    assert (await s3_client.head(f"/api/v1/blobs/{sha}")).status_code == 404
    put = await s3_client.put(f"/api/v1/blobs/{sha}", content=data)
    assert put.status_code == 200 and put.json() == {"sha256": sha, "size_bytes": len(data)}
    assert (await s3_client.head(f"/api/v1/blobs/{sha}")).status_code == 200
    await _log_file(s3_client, str(run.id), sha, len(data))
    [info] = (await s3_client.get("/api/v1/runs/P-1/files")).json()["files"]
    assert (info["path"], info["sha256"], info["size_bytes"]) == ("model", sha, len(data))
    download = await s3_client.get("/api/v1/runs/P-1/files/model")
    assert download.status_code == 200 and download.content == data
    # The blob is in the bucket under its key, and nothing else (no upload temporaries).
    artifacts = s3_store.artifacts
    assert artifacts.fs.find(artifacts.root) == [f"{artifacts.root}/sha256/{sha[:2]}/{sha}"]


async def test_a_damaged_upload_stores_nothing(
    s3_client: httpx.AsyncClient, s3_store: Store
) -> None:
    claimed = hashlib.sha256(b"what I said").hexdigest()
    response = await s3_client.put(f"/api/v1/blobs/{claimed}", content=b"what I sent")
    assert response.status_code == 400 and claimed in response.json()["error"]["message"]
    assert s3_store.artifacts.fs.find(s3_store.artifacts.root) == []


async def test_a_blob_corrupted_in_the_bucket_never_downloads_whole(
    s3_client: httpx.AsyncClient, s3_store: Store
) -> None:
    run = s3_store.create_run("p")
    s3_store.apply_ops(run.id, [UploadOp(FieldPath("model"), File.from_bytes(b"good", name="m"))])
    sha = s3_store.get_file(run.id, "model").sha256
    s3_store.artifacts.fs.pipe(f"{s3_store.artifacts.root}/sha256/{sha[:2]}/{sha}", b"evil")
    with pytest.raises(CorruptDownload):
        await s3_client.get("/api/v1/runs/P-1/files/model")


# -- memory: the ASGI app driven directly, since httpx's ASGITransport buffers bodies ------


def _blocks(count: int) -> Iterator[bytes]:
    rng = random.Random(7)
    for _ in range(count):
        yield rng.randbytes(MiB)


async def _call(app: FastAPI, method: str, path: str, body: Iterator[bytes]) -> dict[str, Any]:
    """One request through the ASGI app; the body is fed and the answer consumed one block
    at a time, so that the only memory held is the app's own."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"cairn.test")],
        "client": ("127.0.0.1", 1),
        "server": ("cairn.test", 80),
    }
    pending = iter(body)
    answer: dict[str, Any] = {"digest": hashlib.sha256(), "size": 0, "largest": 0}
    body_sent = False
    answered = anyio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        block = next(pending, None)
        if block is not None:
            return {"type": "http.request", "body": block, "more_body": True}
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()  # a streaming response listens for the client going away
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            answer["digest"].update(chunk)
            answer["size"] += len(chunk)
            answer["largest"] = max(answer["largest"], len(chunk))
            if not message.get("more_body", False):
                answered.set()

    await app(scope, receive, send)
    return answer


async def test_large_blobs_stream_both_ways_in_bounded_memory(s3_store: Store) -> None:
    app = create_app(s3_store)
    blocks = 48
    digest = hashlib.sha256()
    for block in _blocks(blocks):
        digest.update(block)
    sha = digest.hexdigest()
    run = s3_store.create_run("p")
    tracemalloc.start()
    try:
        put = await _call(app, "PUT", f"/api/v1/blobs/{sha}", _blocks(blocks))
        upload_peak = tracemalloc.get_traced_memory()[1]
        assert put["status"] == 200
        s3_store.apply_ops(
            run.id,
            [
                UploadOp(
                    FieldPath("model"),
                    File.stored(sha, blocks * MiB, name="m", mime="application/octet-stream"),
                )
            ],
        )
        tracemalloc.reset_peak()
        got = await _call(app, "GET", "/api/v1/runs/P-1/files/model", iter(()))
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got["status"] == 200 and got["size"] == blocks * MiB
    assert got["digest"].hexdigest() == sha and got["largest"] <= MiB
    assert upload_peak < 24 * MiB, upload_peak  # 48 MiB sent; a few 5 MiB parts held
    assert download_peak < 16 * MiB, download_peak  # a few 1 MiB blocks
