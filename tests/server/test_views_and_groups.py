"""Saved views and grouped runs over HTTP, on SQLite and PostgreSQL; with auth, reading
needs a viewer and saving an editor, and a view records who saved it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cairn.ops import AppendOp, SetOp
from cairn.server.app import create_app
from cairn.store.store import Store
from cairn.types import FieldKind, FieldPath, SeriesKind

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


async def test_views_round_trip(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    store.create_run("mnist")
    base = "/api/v1/projects/mnist/views"
    assert (await client.get(base)).json() == {"views": []}
    state = "filter=parameters%2Flr+%3C+0.01&sort=-val%2Facc&cols=sys%2Fid%2Cval%2Facc"
    created = await client.post(base, json={"name": "best lr", "state": state})
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["name"] == "best lr" and view["state"] == state and view["created_by"] == ""
    assert view["project"] == "mnist" and view["created_at"].endswith("Z")
    assert (await client.get(base)).json() == {"views": [view]}
    assert (await client.get(f"{base}/{view['id']}")).json() == view

    assert_error(await client.post(base, json={"name": "best lr"}), 409, "already_exists")
    assert_error(await client.post(base, json={"name": " "}), 400, "invalid_input")
    assert_error(await client.post(base, json={"name": "x", "extra": 1}), 400, "invalid_input")
    assert_error(
        await client.post("/api/v1/projects/nope/views", json={"name": "a"}),
        404,
        "project_not_found",
    )

    changed = await client.put(f"{base}/{view['id']}", json={"name": "renamed"})
    assert changed.status_code == 200 and changed.json()["state"] == state
    assert changed.json()["name"] == "renamed"
    assert_error(await client.put(f"{base}/999", json={"name": "a"}), 404, "view_not_found")

    assert (await client.delete(f"{base}/{view['id']}")).status_code == 204
    assert_error(await client.delete(f"{base}/{view['id']}"), 404, "view_not_found")
    assert (await client.get(base)).json() == {"views": []}


async def test_groups_over_http(
    client: httpx.AsyncClient, store: Store, assert_error: Check
) -> None:
    for optimizer, lr, loss in [
        ("adam", 0.01, 1.0),
        ("adam", 0.001, 3.0),
        ("sgd", 0.1, float("nan")),
    ]:
        run = store.create_run("mnist")
        store.apply_ops(
            run.id,
            [
                SetOp(FieldPath("parameters/optimizer"), FieldKind.STRING, optimizer),
                SetOp(FieldPath("parameters/lr"), FieldKind.FLOAT, lr),
                AppendOp(FieldPath("val/loss"), SeriesKind.FLOAT, [0], [loss], [1.0]),
            ],
        )
    answer = await client.get(
        "/api/v1/projects/mnist/groups",
        params={
            "by": "parameters/optimizer",
            "columns": "val/loss,val/loss:max",
            "filter": "parameters/lr > 0",
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["by"] == "parameters/optimizer" and body["columns"] == ["val/loss", "val/loss:max"]
    assert body["total_groups"] == 2 and body["total_runs"] == 3
    adam, sgd = body["groups"]
    assert adam == {
        "kind": "string",
        "value": "adam",
        "filter": "`parameters/optimizer` = 'adam'",
        "count": 2,
        "aggregates": {
            "val/loss": {"mean": 2.0, "min": 1.0, "max": 3.0},
            "val/loss:max": {"mean": 2.0, "min": 1.0, "max": 3.0},
        },
    }
    assert sgd["aggregates"]["val/loss"] == {"mean": None, "min": None, "max": None}
    runs = await client.get("/api/v1/projects/mnist/runs", params={"filter": adam["filter"]})
    assert runs.json()["total"] == 2

    lr = (await client.get("/api/v1/projects/mnist/groups", params={"by": "parameters/lr"})).json()
    assert [g["value"] for g in lr["groups"]] == [0.001, 0.01, 0.1]

    groups = "/api/v1/projects/mnist/groups"
    assert_error(await client.get(groups, params={"by": "sys/tags"}), 400, "invalid_input")
    assert_error(await client.get(groups), 400, "invalid_input")
    bad = await client.get(groups, params={"by": "parameters/lr", "filter": "lr <"})
    assert_error(bad, 400, "query_syntax")
    assert_error(
        await client.get("/api/v1/projects/nope/groups", params={"by": "x"}),
        404,
        "project_not_found",
    )


async def test_views_with_auth(store: Store) -> None:
    store.create_run("mnist")
    viewer = store.create_token(user="val", role="viewer", project="mnist").secret
    editor = store.create_token(user="eddie", role="editor", project="mnist").secret
    transport = httpx.ASGITransport(app=create_app(store, auth=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://cairn.test") as http:
        base = "/api/v1/projects/mnist/views"
        as_viewer = {"Authorization": f"Bearer {viewer}"}
        as_editor = {"Authorization": f"Bearer {editor}"}
        assert (await http.get(base)).status_code == 401
        refused = await http.post(base, json={"name": "a"}, headers=as_viewer)
        assert refused.status_code == 403
        saved = await http.post(base, json={"name": "a", "state": "sort=x"}, headers=as_editor)
        assert saved.status_code == 201 and saved.json()["created_by"] == "eddie"
        listed = await http.get(base, headers=as_viewer)
        assert [v["name"] for v in listed.json()["views"]] == ["a"]
        view_id = saved.json()["id"]
        assert (await http.delete(f"{base}/{view_id}", headers=as_viewer)).status_code == 403
        grouped = await http.get(
            "/api/v1/projects/mnist/groups", params={"by": "sys/status"}, headers=as_viewer
        )
        assert grouped.status_code == 200
