"""Runs grouped by a parameter (or any field, or status/owner/host) with aggregates:
what the runs table shows when grouped."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cairn.server.deps import StoreDep
from cairn.server.encode import json_safe
from cairn.server.schemas import ErrorBody, GroupAggregate, GroupList, GroupRow

__all__ = ["router"]

router = APIRouter(tags=["runs"])


@router.get(
    "/projects/{project}/groups", responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}}
)
def group_runs(
    project: str,
    store: StoreDep,
    by: Annotated[
        str,
        Query(
            min_length=1,
            max_length=1024,
            description="a field path (parameters/optimizer, data/train) or sys/status, "
            "sys/owner, sys/host",
        ),
    ],
    filter: Annotated[str, Query(description="the filter language of docs/query.md")] = "",
    columns: Annotated[
        list[str] | None,
        Query(description="comma-separated number columns to aggregate (x, x:min, x:max)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> GroupList:
    """The runs matching ``filter`` grouped by their value at ``by``: per group its runs'
    count and the mean, min and max of each column, and a ``filter`` that selects exactly
    the group's runs. Groups come numbers first (in order), then texts, then NaN, then
    the runs without the path; ``total_groups`` counts them all when ``limit`` cut."""
    wanted = [c.strip() for part in columns or () for c in part.split(",") if c.strip()]
    page = store.group_runs(project, by=by, filter=filter, columns=wanted, limit=limit)
    return GroupList(
        by=page.by,
        columns=page.columns,
        groups=[
            GroupRow(
                kind=g.kind,
                value=json_safe(g.value),
                filter=g.filter,
                count=g.count,
                aggregates={
                    name: GroupAggregate(
                        mean=json_safe(a.mean),  # type: ignore[arg-type]
                        min=json_safe(a.min),  # type: ignore[arg-type]
                        max=json_safe(a.max),  # type: ignore[arg-type]
                    )
                    for name, a in g.aggregates.items()
                },
            )
            for g in page.groups
        ],
        total_groups=page.total_groups,
        total_runs=page.total_runs,
    )
