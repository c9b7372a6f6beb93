"""Fields and series over HTTP: JSON-safe values, downsampling, step ranges."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import numpy as np
import pytest

from cairn.ops import AppendOp, SetOp
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, SeriesKind

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


def _floats(path: str, steps: list[float], values: list[float]) -> AppendOp:
    return AppendOp(FieldPath(path), SeriesKind.FLOAT, steps, values, [1.5] * len(steps))


async def test_fields_come_back_json_safe(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    store.apply_ops(
        run.id,
        [
            SetOp(FieldPath("a/float"), FieldKind.FLOAT, 0.5),
            SetOp(FieldPath("a/nan"), FieldKind.FLOAT, math.nan),
            SetOp(FieldPath("a/inf"), FieldKind.FLOAT, math.inf),
            SetOp(FieldPath("a/ninf"), FieldKind.FLOAT, -math.inf),
            SetOp(FieldPath("a/int"), FieldKind.INT, 7),
            SetOp(FieldPath("a/bool"), FieldKind.BOOL, True),
            SetOp(FieldPath("a/str"), FieldKind.STRING, "adam"),
            SetOp(FieldPath("a/json"), FieldKind.JSON, '{"betas": [0.9, 0.999]}'),
            SetOp(FieldPath("a/when"), FieldKind.DATETIME, moment.timestamp()),
        ],
    )
    body = (await client.get("/api/v1/runs/P-1/fields")).json()
    assert body["kinds"]["a/when"] == "datetime" and body["kinds"]["a/nan"] == "float"
    assert body["kinds"]["a/str"] == "string" and len(body["kinds"]) == 9
    assert body["fields"] == {
        "a/float": 0.5,
        "a/nan": "NaN",
        "a/inf": "Infinity",
        "a/ninf": "-Infinity",
        "a/int": 7,
        "a/bool": True,
        "a/str": "adam",
        "a/json": {"betas": [0.9, 0.999]},
        "a/when": "2024-05-01T12:00:00Z",
    }


async def test_fields_of_unknown_run_is_404(client: httpx.AsyncClient, assert_error: Check) -> None:
    assert_error(await client.get("/api/v1/runs/P-1/fields"), 404, "run_not_found")


async def test_series_summaries(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    store.apply_ops(
        run.id,
        [
            _floats("train/loss", [0, 1, 2], [3.0, 1.0, math.nan]),
            AppendOp(FieldPath("log"), SeriesKind.STRING, [0], ["hello"], [1.0]),
        ],
    )
    body = (await client.get("/api/v1/runs/P-1/series")).json()
    by_path = {s["path"]: s for s in body["series"]}
    loss = by_path["train/loss"]
    assert loss["kind"] == "float" and loss["count"] == 3
    assert loss["first_step"] == 0 and loss["last_step"] == 2
    assert loss["last_value"] == "NaN"
    assert by_path["log"]["kind"] == "string" and by_path["log"]["count"] == 1


async def test_non_finite_points_round_trip_as_strings(
    client: httpx.AsyncClient, store: Store
) -> None:
    run = store.create_run("p")
    values = [0.5, math.nan, math.inf, -math.inf, -2.0]
    store.apply_ops(run.id, [_floats("x", [0, 1, 2, 3, 4], values)])
    body = (await client.get("/api/v1/runs/P-1/series/x")).json()
    assert body == {
        "path": "x",
        "kind": "float",
        "total_count": 5,
        "steps": [0, 1, 2, 3, 4],
        "values": [0.5, "NaN", "Infinity", "-Infinity", -2.0],
        "timestamps": [1.5] * 5,
    }


async def test_downsampling_keeps_the_bound_and_the_ends(
    client: httpx.AsyncClient, store: Store
) -> None:
    run = store.create_run("p")
    n = 10_000
    values = np.sin(np.arange(n) / 100.0)
    values[4321] = 50.0  # a spike must survive downsampling
    store.apply_ops(run.id, [_floats("train/loss", list(map(float, range(n))), values.tolist())])
    url = "/api/v1/runs/P-1/series/train/loss"
    body = (await client.get(url, params={"max_points": 100})).json()
    assert body["total_count"] == n
    assert 2 <= len(body["steps"]) <= 100
    assert len(body["values"]) == len(body["steps"]) == len(body["timestamps"])
    assert body["steps"][0] == 0 and body["steps"][-1] == n - 1
    assert 50.0 in body["values"]
    full = (await client.get(url)).json()
    assert len(full["steps"]) == n


async def test_step_range(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [_floats("x", [0, 0.5, 1, 2, 3], [0, 1, 2, 3, 4])])
    body = (
        await client.get("/api/v1/runs/P-1/series/x", params={"step_min": 0.5, "step_max": 2})
    ).json()
    assert body["steps"] == [0.5, 1.0, 2.0] and body["values"] == [1.0, 2.0, 3.0]
    assert body["total_count"] == 5


async def test_string_series_read(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    lines = [f"line {i}" for i in range(50)]
    store.apply_ops(
        run.id,
        [
            AppendOp(
                FieldPath("monitoring/stdout"),
                SeriesKind.STRING,
                list(range(50)),
                lines,
                [2.0] * 50,
            )
        ],  # type: ignore[arg-type]
    )
    url = "/api/v1/runs/P-1/series/monitoring/stdout"
    body = (await client.get(url)).json()
    assert body["kind"] == "string" and body["values"] == lines
    thinned = (await client.get(url, params={"max_points": 10})).json()
    assert len(thinned["values"]) <= 10 and thinned["values"][-1] == "line 49"


async def test_series_errors(client: httpx.AsyncClient, store: Store, assert_error: Check) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [_floats("x", [0, 1], [0, 1])])
    assert_error(await client.get("/api/v1/runs/P-1/series/nope"), 404, "field_not_found")
    assert_error(await client.get("/api/v1/runs/P-9/series/x"), 404, "run_not_found")
    for params in (
        {"max_points": 1},
        {"step_min": "nan"},
        {"step_max": "inf"},
        {"max_points": "x"},
    ):
        response = await client.get("/api/v1/runs/P-1/series/x", params=params)
        assert_error(response, 400, "invalid_input")
    traversal = await client.get("/api/v1/runs/P-1/series/..%2F..%2Fetc%2Fpasswd")
    assert_error(traversal, 404, "field_not_found")
    nul = await client.get("/api/v1/runs/P-1/series/x%00")
    assert nul.status_code in (400, 404) and "error" in nul.json()


async def test_large_reads_are_gzipped(client: httpx.AsyncClient, store: Store) -> None:
    run = store.create_run("p")
    store.apply_ops(run.id, [_floats("x", list(map(float, range(5000))), [0.25] * 5000)])
    response = await client.get("/api/v1/runs/P-1/series/x", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["values"]) == 5000


async def test_float_series_as_raw_float64_columns_when_asked(
    client: httpx.AsyncClient, store: Store
) -> None:
    run = store.create_run("p")
    steps = [0.0, 1.0, 2.5, 4.0]
    values = [0.5, math.nan, -math.inf, 2.0]
    store.apply_ops(run.id, [_floats("loss", steps, values)])
    store.apply_ops(
        run.id, [AppendOp(FieldPath("notes"), SeriesKind.STRING, [0.0], ["hi"], [1.0], seq=2)]
    )
    raw = {"Accept": "application/octet-stream"}
    answer = await client.get("/api/v1/runs/P-1/series/loss", headers=raw)
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["x-cairn-points"] == "4" and answer.headers["x-cairn-kind"] == "float"
    assert "content-encoding" not in answer.headers, "floats barely compress; not worth gzip"
    columns = np.frombuffer(answer.content, dtype="<f8").reshape(3, 4)
    np.testing.assert_array_equal(columns[0], steps)
    np.testing.assert_array_equal(columns[1], values)  # NaN and -inf exact, no strings
    np.testing.assert_array_equal(columns[2], [1.5] * 4)
    coarse = await client.get("/api/v1/runs/P-1/series/loss?max_points=2", headers=raw)
    assert coarse.headers["x-cairn-total-count"] == "4"
    assert int(coarse.headers["x-cairn-points"]) * 24 == len(coarse.content)
    text = await client.get("/api/v1/runs/P-1/series/notes", headers=raw)
    assert text.headers["content-type"] == "application/json", "only floats travel raw"
    assert text.json()["values"] == ["hi"]
