"""An in-process HTTP client over the app, for each store of the ``store`` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from cairn.server.app import create_app
from cairn.store.store import Store


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://cairn.test") as http:
        yield http


ErrorCheck = Callable[[httpx.Response, int, str], dict[str, object]]


@pytest.fixture
def assert_error() -> ErrorCheck:
    """``assert_error(response, status, code)`` checks the one error shape and returns
    its ``error`` object."""
    return _assert_error


def _assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)
