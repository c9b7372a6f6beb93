"""GET /projects, GET /projects/{project}."""

from __future__ import annotations

from fastapi import APIRouter

from cairn.server.deps import StoreDep
from cairn.server.schemas import ErrorBody, Project, ProjectList

__all__ = ["router"]

router = APIRouter(tags=["projects"])


@router.get("/projects")
def list_projects(store: StoreDep) -> ProjectList:
    """Every project with its run count and last activity, by name."""
    return ProjectList(projects=[Project.of(p) for p in store.list_projects()])


@router.get("/projects/{project}", responses={404: {"model": ErrorBody}})
def get_project(project: str, store: StoreDep) -> Project:
    """One project; 404 ``project_not_found``."""
    return Project.of(store.get_project(project))
