"""One router per resource; each route is a call into the store and a translation."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from cairn.server.auth import authorize
from cairn.server.routes import (
    fields,
    file_series,
    files,
    groups,
    importance,
    live,
    ops,
    projects,
    runs,
    series,
    series_query,
    tokens,
    views,
)

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """Every /api/v1 route, each behind the access check (``auth.authorize``)."""
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorize)])
    for module in (projects, runs, fields, series, file_series, files, tokens, ops, live):
        router.include_router(module.router)
    for module in (groups, views):  # the dashboard's grouping and saved views
        router.include_router(module.router)
    router.include_router(importance.router)  # the compare view's parameter importance
    router.include_router(series_query.router)  # the compare view's curves, many runs at once
    return router
