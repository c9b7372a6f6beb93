"""GET /runs/{ref}/series and GET /runs/{ref}/series/{path}: summaries and points."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response

from cairn.server.deps import RunDep, StoreDep
from cairn.server.encode import float_list, step_list
from cairn.server.schemas import ErrorBody, SeriesList, SeriesPoints, SeriesSummary

__all__ = ["router"]

router = APIRouter(tags=["series"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


@router.get("/runs/{ref}/series", responses=_ERRORS)
def list_series(run: RunDep, store: StoreDep) -> SeriesList:
    """Every series of the run with its count, step range, last value, min and max."""
    return SeriesList(series=[SeriesSummary.of(s) for s in store.list_series(run.id)])


@router.get("/runs/{ref}/series/{path:path}", response_model=SeriesPoints, responses=_ERRORS)
def read_series(
    path: str,
    run: RunDep,
    store: StoreDep,
    max_points: Annotated[
        int | None, Query(ge=2, le=10_000_000, description="downsample to at most this")
    ] = None,
    step_min: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    step_max: Annotated[float | None, Query(allow_inf_nan=False)] = None,
) -> Response:
    """A series' points within ``[step_min, step_max]``, downsampled to ``max_points``
    by keeping each bucket's lowest and highest point (spikes survive); 404
    ``field_not_found`` when the run has no series at ``path``."""
    page = store.read_series(
        run.id, path, max_points=max_points, step_min=step_min, step_max=step_max
    )
    values: list[Any] = (
        float_list(page.values) if isinstance(page.values, np.ndarray) else page.values
    )
    body = {
        "path": page.path,
        "kind": page.kind.value,
        "total_count": page.total_count,
        "steps": step_list(page.steps),
        "values": values,
        "timestamps": page.timestamps.tolist(),
    }
    # Serialised here, not by the response model: a 100k-point read must not build and
    # validate 300k Python objects twice.
    return Response(orjson.dumps(body), media_type="application/json")
