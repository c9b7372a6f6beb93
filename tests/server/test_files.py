"""Blobs up, files down: digests checked both ways, traversal refused, bytes streamed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cairn import wire
from cairn.file import File
from cairn.ops import UploadOp
from cairn.server.routes.files import CorruptDownload
from cairn.store.store import Store
from cairn.types import FieldPath

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


async def _upload(client: httpx.AsyncClient, store: Store, data: bytes, name: str) -> str:
    """PUT the blob, then an upload op naming it at ``model``, as an HTTP client does."""
    run = store.create_run("p")
    sha = hashlib.sha256(data).hexdigest()
    put = await client.put(f"/api/v1/blobs/{sha}", content=data)
    assert put.status_code == 200, put.text
    assert put.json() == {"sha256": sha, "size_bytes": len(data)}
    op = UploadOp(
        FieldPath("model"), File.stored(sha, len(data), name=name, mime="application/x-pt"), seq=1
    )
    posted = await client.post(f"/api/v1/runs/{run.id}/ops", json={"ops": wire.encode_ops([op])})
    assert posted.status_code == 200, posted.text
    assert posted.json()["rejected"] == []
    return sha


async def test_upload_then_download_is_byte_identical(
    client: httpx.AsyncClient, store: Store
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several streaming blocks, one partial
    sha = await _upload(client, store, data, "weights é.pt")
    listing = (await client.get("/api/v1/runs/P-1/files")).json()
    [info] = listing["files"]
    assert info["path"] == "model" and info["sha256"] == sha and info["size_bytes"] == len(data)
    assert info["name"] == "weights é.pt" and info["mime"] == "application/x-pt"
    response = await client.get("/api/v1/runs/P-1/files/model")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/x-pt"
    disposition = response.headers["content-disposition"]
    assert (
        disposition.startswith("attachment;")
        and "filename*=UTF-8''weights%20%C3%A9.pt" in disposition
    )
    assert response.headers["content-security-policy"] == "sandbox"
    inline = await client.get("/api/v1/runs/P-1/files/model", params={"inline": "true"})
    assert inline.headers["content-disposition"].startswith("inline;")


async def test_file_logged_by_the_store_downloads(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    html = File(name="chart.html", mime="text/html", data=b"<script>alert(1)</script>")
    store.apply_ops(run.id, [UploadOp(FieldPath("charts/loss"), html)])
    response = await client.get("/api/v1/runs/P-1/files/charts/loss")
    assert response.content == html.data
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_blob_head_and_idempotent_put(client: httpx.AsyncClient) -> None:
    data = b"checkpoint"
    sha = hashlib.sha256(data).hexdigest()
    assert (await client.head(f"/api/v1/blobs/{sha}")).status_code == 404
    for _ in range(2):
        assert (await client.put(f"/api/v1/blobs/{sha}", content=data)).status_code == 200
    assert (await client.head(f"/api/v1/blobs/{sha}")).status_code == 200
    empty = hashlib.sha256(b"").hexdigest()
    assert (await client.put(f"/api/v1/blobs/{empty}", content=b"")).json()["size_bytes"] == 0


async def test_digest_mismatch_is_400_and_stores_nothing(
    client: httpx.AsyncClient, assert_error: Check
) -> None:
    claimed = hashlib.sha256(b"what I said").hexdigest()
    response = await client.put(f"/api/v1/blobs/{claimed}", content=b"what I sent")
    error = assert_error(response, 400, "invalid_input")
    assert claimed in str(error["message"])
    assert (await client.head(f"/api/v1/blobs/{claimed}")).status_code == 404


@pytest.mark.parametrize(
    "sha",
    [
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "%2e%2e",
        "g" * 64,
        "a" * 63 + "%00",
    ],
)
async def test_malformed_digests_are_400(
    client: httpx.AsyncClient, assert_error: Check, sha: str
) -> None:
    assert_error(await client.put(f"/api/v1/blobs/{sha}", content=b"x"), 400, "invalid_input")
    head = await client.head(f"/api/v1/blobs/{sha}")
    assert head.status_code == 400


@pytest.mark.parametrize("sha", ["..%2F..%2F..%2Fetc%2Fpasswd", "a" * 62 + "%2F..", "%2F" * 64])
async def test_digests_with_slashes_match_no_route(
    client: httpx.AsyncClient, assert_error: Check, sha: str
) -> None:
    assert_error(await client.put(f"/api/v1/blobs/{sha}", content=b"x"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    ["..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "%2Fetc%2Fpasswd", "model%00", "nope"],
)
async def test_file_paths_never_escape(client: httpx.AsyncClient, store: Store, path: str) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [UploadOp(FieldPath("model"), File.from_bytes(b"w", name="m"))])
    response = await client.get(f"/api/v1/runs/P-1/files/{path}")
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()


async def test_unknown_run_or_file_is_404(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    store.create_run("p")
    assert_error(await client.get("/api/v1/runs/P-1/files/model"), 404, "field_not_found")
    assert_error(await client.get("/api/v1/runs/P-2/files"), 404, "run_not_found")
    assert_error(await client.get("/api/v1/runs/P-2/files/model"), 404, "run_not_found")


async def test_corrupt_blob_never_downloads_whole(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    store.apply_ops(
        run.id, [UploadOp(FieldPath("model"), File.from_bytes(b"good bytes", name="m"))]
    )
    sha = store.get_file(run.id, "model").sha256
    key = f"{store.artifacts.root}/sha256/{sha[:2]}/{sha}"
    with store.artifacts.fs.open(key, "wb") as fh:
        fh.write(b"evil bytes")
    with pytest.raises(CorruptDownload):
        await client.get("/api/v1/runs/P-1/files/model")


async def test_upload_over_the_blob_limit_is_413(store: Store, assert_error: Check) -> None:
    from cairn.server.app import create_app

    app = create_app(store, max_blob_bytes=1000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        data = b"x" * 1001
        sha = hashlib.sha256(data).hexdigest()
        assert_error(await c.put(f"/api/v1/blobs/{sha}", content=data), 413, "payload_too_large")

        async def chunked() -> Any:
            yield data[:600]
            yield data[600:]

        streamed = await c.put(f"/api/v1/blobs/{sha}", content=chunked())
        assert_error(streamed, 413, "payload_too_large")
        assert (await c.head(f"/api/v1/blobs/{sha}")).status_code == 404
