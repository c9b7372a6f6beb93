"""One error shape for everything: CairnErrors, validation, unknown routes, the unexpected."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import cairn
from cairn.errors import CairnError, QuerySyntaxError
from cairn.server.app import create_app
from cairn.store.store import Store

pytestmark = pytest.mark.anyio
Check = Callable[..., dict[str, Any]]


def _subclasses(cls: type[CairnError]) -> list[type[CairnError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


ERRORS = _subclasses(CairnError)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The error shape does not depend on the database: SQLite only, for speed."""
    opened = Store.open_home(str(tmp_path / "store"))
    yield opened
    opened.close()


def _app_raising(store: Store, exc: BaseException) -> FastAPI:
    app = create_app(store)

    @app.get("/test/raise")
    def raise_it() -> None:
        raise exc

    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def test_every_error_class_is_covered() -> None:
    assert len(ERRORS) >= 19 and QuerySyntaxError in ERRORS


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__name__)
async def test_cairn_errors_keep_status_and_code(
    store: Store, assert_error: Check, error: type[CairnError]
) -> None:
    exc = (
        error("it went wrong")
        if error is not QuerySyntaxError
        else error("bad", text="a >", position=3)
    )
    async with _client(_app_raising(store, exc)) as client:
        body = assert_error(await client.get("/test/raise"), error.status, error.code)
    if error is QuerySyntaxError:
        assert body["details"] == {"position": 3, "text": "a >"}
    else:
        assert body["message"] == "it went wrong" and body["details"] == {}


async def test_unexpected_exception_is_a_logged_500(
    store: Store, assert_error: Check, caplog: pytest.LogCaptureFixture
) -> None:
    async with _client(_app_raising(store, KeyError("secret internals"))) as client:
        with caplog.at_level(logging.ERROR, logger="cairn.server"):
            body = assert_error(await client.get("/test/raise"), 500, "internal")
    assert "secret" not in str(body)
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records)


async def test_unknown_route_and_method(client: httpx.AsyncClient, assert_error: Check) -> None:
    assert_error(await client.get("/api/v1/nothing"), 404, "not_found")
    assert_error(await client.delete("/api/v1/projects"), 405, "method_not_allowed")


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "Cairn" and spec["info"]["version"] == cairn.__version__
    for path in (
        "/api/v1/projects",
        "/api/v1/projects/{project}/runs",
        "/api/v1/runs/{ref}",
        "/api/v1/runs/{ref}/fields",
        "/api/v1/runs/{ref}/series/{path}",
        "/api/v1/runs/{ref}/files/{path}",
        "/api/v1/blobs/{sha256}",
        "/api/v1/runs/{run_id}/ops",
    ):
        assert path in spec["paths"], path
    ops_body = spec["paths"]["/api/v1/runs/{run_id}/ops"]["post"]["requestBody"]
    assert "ops" in str(ops_body)
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
