"""The ASGI application: ``create_app(store)`` builds the /api/v1 REST API over a Store."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

import cairn
from cairn.server.dashboard import install_dashboard
from cairn.server.errors import LastResort, install_error_handlers
from cairn.server.limits import BodyLimit
from cairn.server.routes import api_router
from cairn.store.store import Store

__all__ = ["DEFAULT_MAX_BODY_BYTES", "create_app"]

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest JSON request body (an ops batch); blob uploads have their own limit."""


def create_app(
    store: Store,
    *,
    auth: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_blob_bytes: int | None = None,
) -> FastAPI:
    """The Cairn server over ``store``; the caller keeps the store and closes it.

    ``auth`` makes every /api/v1 route ask for a token (``server/auth.py``); without it,
    anyone who can connect may read and change everything (``cairn ui`` on loopback).
    ``max_body_bytes`` caps request bodies (413 above it); ``max_blob_bytes`` caps blob
    uploads, which are streamed to disk (None: no cap).

    >>> from cairn.store.store import Store
    >>> app = create_app(Store.open("sqlite://", artifacts_url="memory://doctest-app"))
    >>> app.title, app.openapi_url
    ('Cairn', '/openapi.json')
    """
    app = FastAPI(
        title="Cairn",
        version=cairn.__version__,
        summary="Experiment tracker: projects, runs, fields, series and files.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.store = store
    app.state.auth = auth
    app.state.max_body_bytes = max_body_bytes
    install_error_handlers(app)
    app.include_router(api_router())
    install_dashboard(app)  # the web dashboard at /, for every GET no route answers
    # Added innermost first: LastResort sees every failure, BodyLimit every request body.
    app.add_middleware(LastResort)
    app.add_middleware(
        BodyLimit,
        max_bytes=max_body_bytes,
        large_prefix="/api/v1/blobs/",
        large_max_bytes=max_blob_bytes,
    )
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        compresslevel=1,  # on a 4 MB series: ~5x less CPU than level 5, 5% larger
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream"),
    )
    return app
