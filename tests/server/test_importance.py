"""GET /projects/{project}/importance over HTTP (in-process), on both stores."""

from __future__ import annotations

import httpx
import pytest
from tests.server.conftest import ErrorCheck
from tests.store.test_importance import _sweep

from cairn.store.store import Store

pytestmark = pytest.mark.anyio


async def test_importance_ranks_the_driving_parameter_first(
    client: httpx.AsyncClient, store: Store
) -> None:
    _sweep(store)
    response = await client.get("/api/v1/projects/sweep/importance", params={"metric": "val/acc"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metric"] == "val/acc" and body["run_count"] == 16
    assert body["correlation_method"] == "spearman"
    assert body["importance_method"] == "random_forest_impurity"
    assert [p["path"] for p in body["parameters"]][0] == "parameters/lr"
    assert body["parameters"][0]["correlation"] < -0.9
    assert body["constant"] == ["parameters/epochs", "parameters/note"]


async def test_importance_errors(
    client: httpx.AsyncClient, store: Store, assert_error: ErrorCheck
) -> None:
    _sweep(store)
    url = "/api/v1/projects/sweep/importance"
    error = assert_error(await client.get(url, params={"metric": "nothing"}), 400, "invalid_input")
    assert "none of the 16 runs has it" in str(error["message"])
    few = {"metric": "val/acc", "filter": "id in ['SWEEP-1']"}
    assert_error(await client.get(url, params=few), 400, "invalid_input")
    assert_error(
        await client.get(url, params={"metric": "val/acc", "filter": "id <"}), 400, "query_syntax"
    )
    assert_error(
        await client.get("/api/v1/projects/none/importance", params={"metric": "x"}),
        404,
        "project_not_found",
    )
