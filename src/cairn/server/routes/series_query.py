"""POST /projects/{project}/series/query: the series of many runs in one answer.

A POST because a compare view of hundreds of runs names more run ids than fit in an
address; it only reads, so a viewer may call it (``auth.READ_ONLY_POSTS``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from cairn.server.deps import StoreDep
from cairn.server.encode import float_list, step_list
from cairn.server.schemas import ErrorBody
from cairn.store.series_batch import MAX_PAIRS, MAX_POINTS
from cairn.types import SeriesKind

__all__ = ["router"]

router = APIRouter(tags=["series"])


class SeriesQuery(BaseModel):
    runs: list[str] = Field(
        min_length=1, max_length=MAX_PAIRS, description="run ids or keys of this project"
    )
    paths: list[str] = Field(min_length=1, max_length=MAX_PAIRS, description="series paths")
    max_points: int = Field(
        1000,
        ge=2,
        le=MAX_POINTS,
        description="downsample each series to at most this (its lowest and highest point "
        "per bucket, as GET /runs/{ref}/series/{path})",
    )
    step_min: float | None = Field(None, allow_inf_nan=False)
    step_max: float | None = Field(None, allow_inf_nan=False)
    timestamps: bool = Field(True, description="false: leave the timestamps out")


class BatchSeries(BaseModel):
    """One run's series: as SeriesPoints, with the run's id."""

    run_id: str
    path: str
    kind: SeriesKind
    total_count: int
    steps: list[float]
    values: list[Any]
    timestamps: list[float] | None = Field(None, description="absent when not asked for")


class MissingSeries(BaseModel):
    run_id: str
    path: str


class SeriesBatchAnswer(BaseModel):
    series: list[BatchSeries] = Field(description="in the order asked: by run, then by path")
    missing: list[MissingSeries] = Field(description="pairs where the run has no such series")


@router.post(
    "/projects/{project}/series/query",
    response_model=SeriesBatchAnswer,
    responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
def query_series(project: str, query: SeriesQuery, store: StoreDep) -> Response:
    """The series at each of ``paths`` of each of ``runs``, downsampled to
    ``max_points`` each, in one answer; a pair whose run has no such series is listed in
    ``missing``. At most 1,000 run x path pairs and 2,000,000 points
    (pairs x ``max_points``), else 400 ``invalid_input``; 404 ``run_not_found`` when a run
    is not a run of ``project``."""
    batch = store.read_series_batch(
        project,
        query.runs,
        query.paths,
        max_points=query.max_points,
        step_min=query.step_min,
        step_max=query.step_max,
        timestamps=query.timestamps,
    )
    found = []
    for run_id, page in batch.pages:
        item: dict[str, Any] = {
            "run_id": run_id,
            "path": page.path,
            "kind": page.kind.value,
            "total_count": page.total_count,
            "steps": step_list(page.steps),
            "values": float_list(page.values)
            if isinstance(page.values, np.ndarray)
            else page.values,
        }
        if query.timestamps:
            item["timestamps"] = page.timestamps.tolist()
        found.append(item)
    missing = [{"run_id": run_id, "path": path} for run_id, path in batch.missing]
    # Serialised here, as GET /runs/{ref}/series/{path} does: 200 series of 1,000 points
    # must not be built and validated as Pydantic objects.
    return Response(
        orjson.dumps({"series": found, "missing": missing}), media_type="application/json"
    )
