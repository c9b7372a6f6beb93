"""One JSON error shape for every failure the API reports.

    {"error": {"code": "run_not_found", "message": "no run 'MNIST-9'...", "details": {}}}

- a CairnError becomes its own ``status`` and ``code`` (cairn/errors.py draws the tree);
- a request that fails validation (a wrong type, a missing field, a bad path parameter)
  becomes 400 ``invalid_input``, as does a value the database refuses (a NUL character
  in text, a number out of range);
- Starlette's own HTTP errors (unknown route, wrong method, body too large) keep their
  status with a code derived from it;
- anything else is logged with its traceback and becomes 500 ``internal``, without
  internals in the body (``LastResort``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.errors import CairnError, QuerySyntaxError

__all__ = ["LastResort", "error_body", "error_response", "install_error_handlers"]

logger = logging.getLogger("cairn.server")

_HTTP_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> bytes:
    """The error shape as JSON bytes."""
    error = {"code": code, "message": message, "details": dict(details or {})}
    return orjson.dumps({"error": error})


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A response with the error shape; the one way the server reports a failure."""
    return Response(
        error_body(code, message, details),
        status_code=status,
        media_type="application/json",
        headers=dict(headers or {}),
    )


async def _cairn_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, CairnError)
    details: dict[str, Any] = {}
    if isinstance(exc, QuerySyntaxError):
        details = {"position": exc.position, "text": exc.text}
    if exc.status >= 500:
        logger.error("%s: %s", type(exc).__name__, exc, exc_info=exc)
    # RFC 9110: a 401 names the scheme the client should use.
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, str(exc), details, headers)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # Only loc and msg: ``input`` and ``ctx`` may hold values that are not JSON.
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    messages = [f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors]
    message = "; ".join(messages) or "the request is invalid"
    return error_response(400, "invalid_input", message, {"errors": errors})


async def _data_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DataError)
    # The database refused a value the API let through (a NUL character in text, a
    # number out of range): the request is at fault, and nothing of it was stored.
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "invalid value"
    return error_response(400, "invalid_input", f"the database refused a value: {reason}")


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app`` (LastResort is a middleware, see app.py)."""
    app.add_exception_handler(CairnError, _cairn_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(HTTPException, _http_error)


class LastResort:
    """Turn an unexpected exception into a logged 500 with the error shape.

    A pure ASGI middleware rather than an ``Exception`` handler: Starlette re-raises after
    such a handler, so the server would log every failure twice."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client went away mid-request (a cancelled upload): nobody to answer.
            logger.info("client disconnected during %s %s", scope.get("method"), scope.get("path"))
        except Exception:
            logger.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # too late for an error body: let the server drop the connection
            response = error_response(500, "internal", "internal server error; see the server log")
            await response(scope, receive, send)
