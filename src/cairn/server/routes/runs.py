"""Runs: create, list (filter, sort, page, columns), get, update name/description/tags,
stop, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from cairn.ops import AddTagsOp, Op, RemoveTagsOp, SetOp
from cairn.paths import SYS_FIELDS
from cairn.server.deps import RunDep, StoreDep
from cairn.server.encode import json_safe
from cairn.server.schemas import ErrorBody, Run, RunCreate, RunList, RunPatch, RunRow
from cairn.types import FieldKind, FieldPath

__all__ = ["router"]

router = APIRouter(tags=["runs"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


@router.post(
    "/projects/{project}/runs",
    status_code=201,
    responses={**_ERRORS, 409: {"model": ErrorBody}},
)
def create_run(project: str, body: RunCreate, store: StoreDep) -> Run:
    """Start a run in ``project`` (created when new) with the next key; 409 when ``id``
    is taken."""
    record = store.create_run(
        project,
        name=body.name,
        tags=body.tags,
        owner=body.owner,
        host=body.host,
        description=body.description,
        run_id=None if body.id is None else str(body.id),
    )
    return Run.of(record)


@router.get("/projects/{project}/runs", responses=_ERRORS)
def list_runs(
    project: str,
    store: StoreDep,
    filter: Annotated[str, Query(description="the filter language of docs/query.md")] = "",
    sort: Annotated[str, Query(description="for example -val/acc,sys/created_at")] = "",
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    columns: Annotated[
        list[str] | None,
        Query(description="comma-separated columns besides sys/ (default: all); may repeat"),
    ] = None,
) -> RunList:
    """One row a run, like ``cairn.Project(...).runs()``: ``sys/`` columns, every field,
    and for each float series its last value, ``:min`` and ``:max``; ``total`` counts the
    runs matching the filter, for paging. A bad filter is 400 ``query_syntax`` with
    ``details.position``."""
    records = store.list_runs(project, filter=filter, sort=sort, limit=limit, offset=offset)
    if limit is None and offset == 0:
        total = len(records)
    else:
        total = store.count_runs(project, filter=filter)
    wanted = {c.strip() for part in columns or () for c in part.split(",") if c.strip()}
    details = store.run_columns([r.id for r in records])
    rows: list[RunRow] = []
    names: set[str] = set()
    for record in records:
        extra = details.get(record.id, {})
        if wanted:
            extra = {k: v for k, v in extra.items() if k in wanted}
        names.update(extra)
        cells = json_safe({**record.sys_fields(), **extra})
        rows.append(RunRow(id=record.id, key=record.key, columns=cells))  # type: ignore[arg-type]
    return RunList(
        runs=rows,
        columns=[*SYS_FIELDS, *sorted(names)],
        offset=offset,
        limit=limit,
        total=total,
    )


@router.get("/runs/{ref}", responses=_ERRORS)
def get_run(run: RunDep) -> Run:
    """A run by key (``MNIST-42``) or UUID; ``?project=`` when a key is ambiguous."""
    return Run.of(run)


@router.patch("/runs/{ref}", responses=_ERRORS)
def update_run(body: RunPatch, run: RunDep, store: StoreDep) -> Run:
    """Change a run's name or description, add or remove tags. The changes are ops
    without sequence numbers, so they never collide with the training client's."""
    ops: list[Op] = []
    if body.name is not None:
        ops.append(SetOp(FieldPath("sys/name"), FieldKind.STRING, body.name))
    if body.description is not None:
        ops.append(SetOp(FieldPath("sys/description"), FieldKind.STRING, body.description))
    if body.add_tags:
        ops.append(AddTagsOp(tuple(body.add_tags)))
    if body.remove_tags:
        ops.append(RemoveTagsOp(tuple(body.remove_tags)))
    if ops:
        store.apply_ops(run.id, ops)
    return Run.of(store.get_run(run.id))


@router.post("/runs/{ref}/stop", responses={**_ERRORS, 409: {"model": ErrorBody}})
def stop_run(run: RunDep, store: StoreDep) -> Run:
    """Ask a running run to stop. Its client learns of it in the answer to its next batch
    or heartbeat (``stop_requested``, within seconds) and ends the run as ``aborted``;
    ``stop_requested_at`` is set at once. Asking again is harmless. 409 ``run_finished``
    when the run has already ended."""
    return Run.of(store.request_stop(run.id))


@router.delete("/runs/{ref}", status_code=204, responses=_ERRORS)
def delete_run(run: RunDep, store: StoreDep) -> Response:
    """Delete the run with its fields, series and files (stored file bytes stay: they are
    content-addressed and may be shared by other runs). Its key is not reused."""
    store.delete_run(run.id)
    return Response(status_code=204)
