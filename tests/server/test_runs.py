"""Projects and runs over HTTP: create, list with the filter language, get, update."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from cairn.ops import AppendOp, SetOp
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, SeriesKind

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


def _is_utc_iso(text: str) -> bool:
    return text.endswith("Z") and datetime.fromisoformat(text.replace("Z", "+00:00")) is not None


def _sweep(store: Store) -> list[str]:
    """Three runs of project mnist with lr 0.1, 0.01, 0.001 and a loss curve each."""
    ids = []
    for number, lr in enumerate((0.1, 0.01, 0.001)):
        run = store.create_run("mnist", name=f"lr{lr}", tags=["sweep"])
        loss = [1.0 / (step + 1) + number for step in range(5)]
        store.apply_ops(
            run.id,
            [
                SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, lr),
                AppendOp(
                    FieldPath("train/loss"), SeriesKind.FLOAT, [0, 1, 2, 3, 4], loss, [1.0] * 5
                ),
            ],
        )
        ids.append(run.id)
    return ids


async def test_projects_list_counts_runs(client: httpx.AsyncClient, store: Store) -> None:
    assert (await client.get("/api/v1/projects")).json() == {"projects": []}
    store.create_run("mnist")
    store.create_run("mnist")
    body = (await client.get("/api/v1/projects")).json()
    [project] = body["projects"]
    assert project["name"] == "mnist" and project["key"] == "MNIST"
    assert project["run_count"] == 2
    assert _is_utc_iso(project["created_at"]) and _is_utc_iso(project["last_activity_at"])
    assert (await client.get("/api/v1/projects/mnist")).json() == project


async def test_unknown_project_is_404(client: httpx.AsyncClient, assert_error: Check) -> None:
    assert_error(await client.get("/api/v1/projects/nope"), 404, "project_not_found")
    assert_error(await client.get("/api/v1/projects/nope/runs"), 404, "project_not_found")


async def test_create_run_returns_the_record(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/projects/mnist/runs",
        json={"name": "baseline", "tags": ["b", "a"], "description": "d", "owner": "ann"},
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["key"] == "MNIST-1" and run["project"] == "mnist"
    assert run["name"] == "baseline" and run["tags"] == ["a", "b"]
    assert run["status"] == "running" and run["owner"] == "ann" and run["description"] == "d"
    assert uuid.UUID(run["id"]) and _is_utc_iso(run["created_at"]) and run["ended_at"] is None
    second = (await client.post("/api/v1/projects/mnist/runs", json={})).json()
    assert second["key"] == "MNIST-2" and second["name"] == ""


async def test_create_run_with_chosen_id_twice_conflicts(
    client: httpx.AsyncClient, assert_error: Check
) -> None:
    chosen = str(uuid.uuid4())
    first = await client.post("/api/v1/projects/p/runs", json={"id": chosen})
    assert first.status_code == 201 and first.json()["id"] == chosen
    again = await client.post("/api/v1/projects/p/runs", json={"id": chosen})
    assert_error(again, 409, "already_exists")


@pytest.mark.parametrize(
    "body",
    [
        {"tags": [""]},
        {"tags": ["x" * 257]},
        {"tags": "not-a-list"},
        {"name": 3},
        {"name": "x" * 1025},
        {"owner": "x" * 257},
        {"id": "not-a-uuid"},
        {"unknown": 1},
    ],
)
async def test_create_run_refuses_bad_bodies(
    client: httpx.AsyncClient, assert_error: Check, body: dict[str, Any]
) -> None:
    assert_error(await client.post("/api/v1/projects/p/runs", json=body), 400, "invalid_input")


async def test_create_run_refuses_bad_json_and_project_names(
    client: httpx.AsyncClient, assert_error: Check
) -> None:
    broken = await client.post(
        "/api/v1/projects/p/runs",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert_error(broken, 400, "invalid_input")
    assert_error(await client.post("/api/v1/projects/bad!name/runs", json={}), 400, "invalid_input")


async def test_list_runs_filters_sorts_and_pages(client: httpx.AsyncClient, store: Store) -> None:
    _sweep(store)
    url = "/api/v1/projects/mnist/runs"
    body = (
        await client.get(url, params={"filter": "parameters/lr < 0.05", "sort": "parameters/lr"})
    ).json()
    assert [r["key"] for r in body["runs"]] == ["MNIST-3", "MNIST-2"]
    row = body["runs"][0]["columns"]
    assert row["sys/id"] == "MNIST-3" and row["sys/tags"] == ["sweep"]
    assert row["parameters/lr"] == 0.001
    assert row["train/loss"] == pytest.approx(2.2) and row["train/loss:min"] == pytest.approx(2.2)
    assert row["train/loss:max"] == pytest.approx(3.0)
    assert _is_utc_iso(row["sys/created_at"])
    assert body["columns"][0] == "sys/id"
    assert {"parameters/lr", "train/loss", "train/loss:min"} <= set(body["columns"])
    paged = (
        await client.get(url, params={"sort": "-parameters/lr", "limit": 1, "offset": 1})
    ).json()
    assert [r["key"] for r in paged["runs"]] == ["MNIST-2"]
    assert paged["limit"] == 1 and paged["offset"] == 1
    assert paged["total"] == 3 and body["total"] == 2


async def test_list_runs_total_counts_the_filter_not_the_page(
    client: httpx.AsyncClient, store: Store
) -> None:
    _sweep(store)
    store.create_run("other")
    url = "/api/v1/projects/mnist/runs"
    filtered = {"filter": "parameters/lr < 0.05"}
    past_the_end = (await client.get(url, params={**filtered, "offset": 5})).json()
    assert past_the_end["runs"] == [] and past_the_end["total"] == 2
    one = (await client.get(url, params={**filtered, "limit": 1})).json()
    assert len(one["runs"]) == 1 and one["total"] == 2
    everything = (await client.get(url)).json()
    assert len(everything["runs"]) == 3 and everything["total"] == 3
    none = (await client.get(url, params={"filter": "parameters/lr > 1", "limit": 2})).json()
    assert none["runs"] == [] and none["total"] == 0


async def test_list_runs_selects_columns(client: httpx.AsyncClient, store: Store) -> None:
    _sweep(store)
    params = {"columns": "parameters/lr, train/loss:min"}
    body = (await client.get("/api/v1/projects/mnist/runs", params=params)).json()
    for row in body["runs"]:
        extra = {k for k in row["columns"] if not k.startswith("sys/")}
        assert extra == {"parameters/lr", "train/loss:min"}
    assert [c for c in body["columns"] if not c.startswith("sys/")] == [
        "parameters/lr",
        "train/loss:min",
    ]


async def test_bad_filter_is_400_with_position(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    store.create_run("mnist")
    response = await client.get("/api/v1/projects/mnist/runs", params={"filter": "val/acc >"})
    error = assert_error(response, 400, "query_syntax")
    assert error["details"]["position"] == 9
    bad_sort = await client.get("/api/v1/projects/mnist/runs", params={"sort": "--x"})
    assert bad_sort.status_code == 400
    nul = await client.get("/api/v1/projects/mnist/runs", params={"filter": "sys/name = 'a\x00'"})
    assert nul.status_code in (200, 400), nul.text  # SQLite matches nothing; PostgreSQL refuses


@pytest.mark.parametrize("params", [{"limit": 0}, {"offset": -1}, {"limit": "many"}])
async def test_list_runs_refuses_bad_paging(
    client: httpx.AsyncClient, store: Store, assert_error: Check, params: dict[str, Any]
) -> None:
    store.create_run("mnist")
    response = await client.get("/api/v1/projects/mnist/runs", params=params)
    assert_error(response, 400, "invalid_input")


async def test_get_run_by_key_or_uuid(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    run = store.create_run("mnist", name="baseline")
    by_key = (await client.get("/api/v1/runs/MNIST-1")).json()
    assert by_key["id"] == run.id and by_key["name"] == "baseline"
    assert (await client.get(f"/api/v1/runs/{run.id}")).json() == by_key
    assert (await client.get("/api/v1/runs/mnist-1")).json()["id"] == run.id
    assert (
        await client.get("/api/v1/runs/MNIST-1", params={"project": "mnist"})
    ).status_code == 200
    assert_error(await client.get("/api/v1/runs/MNIST-9"), 404, "run_not_found")
    wrong_project = await client.get("/api/v1/runs/MNIST-1", params={"project": "other"})
    assert_error(wrong_project, 404, "run_not_found")


@pytest.mark.parametrize("ref", ["%00", "MNIST-1%00", "x" * 5000, "..%2F..%2Fetc"])
async def test_strange_run_refs_are_4xx(client: httpx.AsyncClient, store: Store, ref: str) -> None:
    store.create_run("mnist")
    response = await client.get(f"/api/v1/runs/{ref}")
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()


async def test_patch_run_changes_name_description_and_tags(
    client: httpx.AsyncClient, store: Store
) -> None:
    store.create_run("mnist", name="old", tags=["keep", "drop"])
    response = await client.patch(
        "/api/v1/runs/MNIST-1",
        json={"name": "new", "description": "why", "add_tags": ["best"], "remove_tags": ["drop"]},
    )
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["name"] == "new" and run["description"] == "why"
    assert run["tags"] == ["best", "keep"]
    assert store.get_run("MNIST-1").tags == ("best", "keep")
    assert (await client.patch("/api/v1/runs/MNIST-1", json={})).json()["name"] == "new"


async def test_patch_refuses_unknown_runs_and_fields(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    store.create_run("mnist")
    assert_error(
        await client.patch("/api/v1/runs/MNIST-7", json={"name": "x"}), 404, "run_not_found"
    )
    assert_error(
        await client.patch("/api/v1/runs/MNIST-1", json={"tags": ["x"]}), 400, "invalid_input"
    )
    assert_error(
        await client.patch("/api/v1/runs/MNIST-1", json={"add_tags": [" "]}), 400, "invalid_input"
    )
