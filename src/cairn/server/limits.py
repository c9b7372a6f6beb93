"""Refuse request bodies over a size limit with 413, before or while they arrive."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.server.errors import error_response

__all__ = ["BodyLimit"]


class BodyLimit:
    """Cap request bodies at ``max_bytes``; paths starting with ``large_prefix`` (blob
    uploads, which are streamed to disk) get ``large_max_bytes`` instead (None: no cap).

    A declared Content-Length over the cap is refused before the body is read. A body
    without one (chunked) is counted as it arrives and refused when it passes the cap.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        large_prefix: str,
        large_max_bytes: int | None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.large_prefix = large_prefix
        self.large_max_bytes = large_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.large_max_bytes if path.startswith(self.large_prefix) else self.max_bytes
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised inside the route's body read; the HTTPException handler
                    # answers with the error shape (FastAPI passes HTTPException through).
                    raise HTTPException(413, _message(limit))
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _message(limit: int) -> str:
    return f"the request body is larger than the server's limit of {limit} bytes"


def _too_large(limit: int) -> ASGIApp:
    return error_response(413, "payload_too_large", _message(limit))
