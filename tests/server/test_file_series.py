"""GET /runs/{ref}/file-series/{path}?step=N: one entry of a file series, downloaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cairn.file import File
from cairn.ops import AppendOp
from cairn.store.store import Store
from cairn.types import FieldPath, SeriesKind

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


def _log_images(store: Store) -> None:
    run = store.create_run("p")
    images = [File(name=f"img-{i}.png", mime="image/png", data=b"png %d" % i) for i in range(3)]
    ops = [
        AppendOp(FieldPath("eval/images"), SeriesKind.FILE, [0, 10, 20], images, [1.0, 2.0, 3.0]),
        AppendOp(FieldPath("loss"), SeriesKind.FLOAT, [0], [0.5], [1.0]),
    ]
    store.apply_ops(run.id, ops)


async def test_each_step_downloads_its_file(client: httpx.AsyncClient, store: Store) -> None:
    _log_images(store)
    listing = (await client.get("/api/v1/runs/P-1/series/eval/images")).json()
    assert listing["steps"] == [0, 10, 20]
    assert [v["name"] for v in listing["values"]] == ["img-0.png", "img-1.png", "img-2.png"]
    for index, step in enumerate(listing["steps"]):
        response = await client.get(
            "/api/v1/runs/P-1/file-series/eval/images", params={"step": step}
        )
        assert response.status_code == 200, response.text
        assert response.content == b"png %d" % index
        assert response.headers["content-type"] == "image/png"
        assert response.headers["content-security-policy"] == "sandbox"
        assert response.headers["content-disposition"].startswith("attachment;")
    inline = await client.get(
        "/api/v1/runs/P-1/file-series/eval/images", params={"step": 10, "inline": "true"}
    )
    assert inline.headers["content-disposition"].startswith("inline;")


async def test_missing_step_series_or_kind_are_errors(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    _log_images(store)
    url = "/api/v1/runs/P-1/file-series"
    error = assert_error(
        await client.get(f"{url}/eval/images", params={"step": 5}), 404, "field_not_found"
    )
    assert "no file at step 5" in str(error["message"])
    assert_error(await client.get(f"{url}/eval/other", params={"step": 0}), 404, "field_not_found")
    assert_error(await client.get(f"{url}/loss", params={"step": 0}), 400, "invalid_input")
    missing = await client.get(f"{url}/eval/images")
    assert missing.status_code == 400  # step is required
    assert_error(
        await client.get("/api/v1/runs/P-9/file-series/eval/images", params={"step": 0}),
        404,
        "run_not_found",
    )
