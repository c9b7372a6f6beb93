"""POST /projects/{project}/series/query: many runs' series in one answer, the same
points as one GET each; its bounds, its project check and its role (viewer)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest

from cairn.ops import AppendOp
from cairn.server.app import create_app
from cairn.store import series_batch
from cairn.store.store import Store
from cairn.types import FieldPath, SeriesKind

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]
URL = "/api/v1/projects/p/series/query"


def _floats(path: str, n: int, *, scale: float = 1.0) -> AppendOp:
    steps = np.arange(n, dtype=np.float64)
    values = np.sin(steps / 7) * scale
    values[n // 2] = math.nan
    return AppendOp(
        FieldPath(path), SeriesKind.FLOAT, steps.tolist(), values.tolist(), (steps + 0.5).tolist()
    )


def _runs(store: Store, count: int, points: int = 5000) -> list[str]:
    ids = []
    for i in range(count):
        run = store.create_run("p")
        ops = [_floats("train/loss", points, scale=i + 1)]
        if i % 2 == 0:  # every other run also has val/acc and a string series
            ops.append(_floats("val/acc", points // 3))
            ops.append(AppendOp(FieldPath("log"), SeriesKind.STRING, [0, 1], ["a", "b"], [1, 2]))
        store.apply_ops(run.id, ops)
        ids.append(run.id)
    return ids


async def test_answers_what_one_read_per_series_answers(
    client: httpx.AsyncClient, store: Store
) -> None:
    ids = _runs(store, 3)
    paths = ["train/loss", "val/acc", "log"]
    asked = {"runs": [ids[0], "P-2", ids[2]], "paths": paths, "max_points": 300}
    body = (await client.post(URL, json=asked)).json()
    got = [(s["run_id"], s["path"]) for s in body["series"]]
    assert got == [(i, p) for i in ids for p in paths if i != ids[1] or p == "train/loss"]
    assert body["missing"] == [
        {"run_id": ids[1], "path": "val/acc"},
        {"run_id": ids[1], "path": "log"},
    ]
    for item in body["series"]:
        one = await client.get(
            f"/api/v1/runs/{item['run_id']}/series/{item['path']}", params={"max_points": 300}
        )
        assert {k: v for k, v in item.items() if k != "run_id"} == one.json()
    loss = body["series"][0]
    assert loss["total_count"] == 5000 and len(loss["steps"]) <= 300


async def test_step_range_and_no_timestamps(client: httpx.AsyncClient, store: Store) -> None:
    ids = _runs(store, 2)
    asked = {
        "runs": ids,
        "paths": ["train/loss"],
        "max_points": 50,
        "step_min": 4090,
        "step_max": 4200.5,
        "timestamps": False,
    }
    body = (await client.post(URL, json=asked)).json()
    for item, run_id in zip(body["series"], ids, strict=True):
        assert "timestamps" not in item and item["run_id"] == run_id
        assert 4090 <= item["steps"][0] and item["steps"][-1] <= 4200 and len(item["steps"]) <= 50
        one = await client.get(
            f"/api/v1/runs/{run_id}/series/train/loss",
            params={"max_points": 50, "step_min": 4090, "step_max": 4200.5},
        )
        assert item["steps"] == one.json()["steps"] and item["values"] == one.json()["values"]


def test_more_series_than_one_chunk_query_reads(store: Store) -> None:
    ids = _runs(store, series_batch.GROUP + 3, points=10)
    batch = store.read_series_batch(
        "p", list(reversed(ids)), ["train/loss", "val/acc"], max_points=4
    )
    assert [(r, page.path) for r, page in batch.pages][:3] == [
        (ids[-1], "train/loss"),
        (ids[-1], "val/acc"),
        (ids[-2], "train/loss"),
    ]
    loss = [page for _, page in batch.pages if page.path == "train/loss"]
    assert len(loss) == len(ids) and all(page.steps.size == 4 for page in loss)
    # The runs' losses differ by their scale: each page is its own run's.
    highs = [float(np.nanmax(np.abs(page.values))) for page in loss]  # type: ignore[arg-type]
    assert highs == sorted(highs, reverse=True)
    assert len(batch.missing) == (len(ids)) // 2


async def test_runs_of_another_project_are_not_found(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    (mine,) = _runs(store, 1)
    other = store.create_run("q")
    for refs in ([mine, other.id], [mine, other.key], ["P-9"]):
        response = await client.post(URL, json={"runs": refs, "paths": ["train/loss"]})
        error = assert_error(response, 404, "run_not_found")
        assert "in this project" in str(error["message"])
    response = await client.post(
        "/api/v1/projects/nope/series/query", json={"runs": [mine], "paths": ["x"]}
    )
    assert_error(response, 404, "project_not_found")


async def test_size_is_bounded(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    ids = _runs(store, 2)
    paths = [f"m{k}" for k in range(501)]
    error = assert_error(
        await client.post(URL, json={"runs": ids, "paths": paths}), 400, "invalid_input"
    )
    assert "1,002 series" in str(error["message"]) and "at most 1,000" in str(error["message"])
    asked = {"runs": ids, "paths": ["train/loss"], "max_points": 1_500_000}
    error = assert_error(await client.post(URL, json=asked), 400, "invalid_input")
    assert "smaller max_points" in str(error["message"])
    for bad in ({"runs": [], "paths": ["x"]}, {"runs": ids, "paths": ["x"], "max_points": 1}):
        assert_error(await client.post(URL, json=bad), 400, "invalid_input")


async def test_a_viewer_may_ask_and_other_projects_may_not(store: Store) -> None:
    (run_id,) = _runs(store, 1)
    viewer = store.create_token(user="v", role="viewer", project="p").secret
    stranger = store.create_token(user="s", role="admin", project="q").secret
    store.create_run("q")
    transport = httpx.ASGITransport(app=create_app(store, auth=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://cairn.test") as http:
        asked = {"runs": [run_id], "paths": ["train/loss"], "max_points": 10}
        ok = await http.post(URL, json=asked, headers={"Authorization": f"Bearer {viewer}"})
        assert ok.status_code == 200 and len(ok.json()["series"][0]["steps"]) <= 10
        refused = await http.post(URL, json=asked, headers={"Authorization": f"Bearer {stranger}"})
        assert refused.status_code == 403
        # The stranger's own project does not hold p's runs either.
        theirs = await http.post(
            "/api/v1/projects/q/series/query",
            json=asked,
            headers={"Authorization": f"Bearer {stranger}"},
        )
        assert theirs.status_code == 404
        # Other POSTs still need an editor.
        made = await http.post(
            "/api/v1/projects/p/runs", json={}, headers={"Authorization": f"Bearer {viewer}"}
        )
        assert made.status_code == 403
