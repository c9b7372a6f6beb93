"""GET /projects, GET /projects/{project}."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cairn.server.auth import current_principal
from cairn.server.deps import StoreDep
from cairn.server.schemas import ErrorBody, Project, ProjectList

__all__ = ["router"]

router = APIRouter(tags=["projects"])


@router.get("/projects")
def list_projects(request: Request, store: StoreDep) -> ProjectList:
    """Every project the token reaches (with auth off: every project), with its run count
    and last activity, by name."""
    principal = current_principal(request)
    records = [
        p for p in store.list_projects() if principal is None or principal.reaches(p.name)
    ]
    return ProjectList(projects=[Project.of(p) for p in records])


@router.get("/projects/{project}", responses={404: {"model": ErrorBody}})
def get_project(project: str, store: StoreDep) -> Project:
    """One project; 404 ``project_not_found``."""
    return Project.of(store.get_project(project))
