"""GET /runs/{ref}/series and GET /runs/{ref}/series/{path}: summaries and points."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cairn.server.deps import RunDep, StoreDep
from cairn.server.encode import float_list, step_list
from cairn.server.schemas import ErrorBody, SeriesList, SeriesPoints, SeriesSummary
from cairn.store.records import SeriesPage

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


F64_MEDIA_TYPE = "application/octet-stream"
"""Asked for with ``Accept``, a float series comes back as three little-endian float64
arrays (steps, values, timestamps) one after the other: no JSON to build or parse and no
gzip to spend on incompressible floats. Headers carry the rest."""


@router.get(
    "/runs/{ref}/series/{path:path}",
    response_model=SeriesPoints,
    responses={
        **_ERRORS,
        200: {
            "content": {
                F64_MEDIA_TYPE: {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "steps, values, timestamps as little-endian float64, "
                    "X-Cairn-Points long each; X-Cairn-Total-Count, X-Cairn-Kind headers",
                }
            }
        },
    },
)
def read_series(
    path: str,
    run: RunDep,
    store: StoreDep,
    request: Request,
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
    if isinstance(page.values, np.ndarray) and F64_MEDIA_TYPE in request.headers.get(
        "accept", ""
    ):
        return _f64_response(page)
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


def _f64_response(page: SeriesPage) -> Response:
    assert isinstance(page.values, np.ndarray)
    little = np.dtype("<f8")
    body = b"".join(
        np.ascontiguousarray(a, dtype=little).tobytes()
        for a in (page.steps, page.values, page.timestamps)
    )
    headers = {
        "X-Cairn-Kind": page.kind.value,
        "X-Cairn-Points": str(len(page.steps)),
        "X-Cairn-Total-Count": str(page.total_count),
    }
    return Response(body, media_type=F64_MEDIA_TYPE, headers=headers)
