"""One router per resource; each route is a call into the store and a translation."""

from __future__ import annotations

from fastapi import APIRouter

from cairn.server.routes import fields, files, ops, projects, runs, series

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """Every /api/v1 route."""
    router = APIRouter(prefix="/api/v1")
    for module in (projects, runs, fields, series, files, ops):
        router.include_router(module.router)
    return router
