"""Saved views of a project (the dashboard's named runs-table states): list, save,
change, delete. Reading needs viewer, the rest editor (``server/auth.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from cairn.server.auth import current_principal
from cairn.server.deps import StoreDep
from cairn.server.schemas import ErrorBody, View, ViewCreate, ViewList, ViewPatch

__all__ = ["router"]

router = APIRouter(tags=["views"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
}
ViewId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the view's id")]


@router.get("/projects/{project}/views", responses=_ERRORS)
def list_views(project: str, store: StoreDep) -> ViewList:
    """The project's saved views, by name. 404 ``project_not_found``."""
    return ViewList(views=[View.of(v) for v in store.list_views(project)])


@router.post(
    "/projects/{project}/views", status_code=201, responses={**_ERRORS, 409: {"model": ErrorBody}}
)
def create_view(project: str, body: ViewCreate, request: Request, store: StoreDep) -> View:
    """Save a view under a name; 409 ``already_exists`` when the project has a view of
    that name (change that one with PUT instead)."""
    principal = current_principal(request)
    record = store.create_view(
        project,
        name=body.name,
        state=body.state,
        created_by="" if principal is None else principal.user,
    )
    return View.of(record)


@router.get("/projects/{project}/views/{view_id}", responses=_ERRORS)
def get_view(project: str, view_id: ViewId, store: StoreDep) -> View:
    """One saved view; 404 ``view_not_found``."""
    return View.of(store.get_view(project, view_id))


@router.put("/projects/{project}/views/{view_id}", responses={**_ERRORS, 409: {"model": ErrorBody}})
def update_view(project: str, view_id: ViewId, body: ViewPatch, store: StoreDep) -> View:
    """Rename a view or replace its state (fields left out stay as they are)."""
    return View.of(store.update_view(project, view_id, name=body.name, state=body.state))


@router.delete("/projects/{project}/views/{view_id}", status_code=204, responses=_ERRORS)
def delete_view(project: str, view_id: ViewId, store: StoreDep) -> Response:
    """Delete a saved view; 404 ``view_not_found``."""
    store.delete_view(project, view_id)
    return Response(status_code=204)
