"""GET /projects/{project}/importance: which parameters drive a metric (see
``cairn.store.importance``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cairn.server.deps import StoreDep
from cairn.server.schemas import ErrorBody
from cairn.store.importance import parameter_importance

__all__ = ["router"]

router = APIRouter(tags=["projects"])


class ParameterImportance(BaseModel):
    path: str
    kind: str = Field(description="numeric, or categorical (text: one-hot encoded)")
    importance: float = Field(description="share of a random forest's impurity decrease, 0..1")
    correlation: float | None = Field(
        description="numeric: Spearman's rank correlation; categorical: the strongest "
        "Pearson correlation of one value's one-hot column; null when undefined"
    )
    correlation_value: str | None = Field(description="categorical: the value it belongs to")
    run_count: int = Field(description="runs with the metric that have this parameter")


class Importance(BaseModel):
    metric: str
    run_count: int = Field(description="runs with a finite value of the metric")
    correlation_method: str = "spearman"
    importance_method: str = "random_forest_impurity"
    parameters: list[ParameterImportance] = Field(description="most important first")
    constant: list[str] = Field(description="parameters with one value across these runs")


@router.get(
    "/projects/{project}/importance",
    responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}},
)
def get_importance(
    project: str,
    store: StoreDep,
    metric: Annotated[
        str,
        Query(min_length=1, description="a float series (val/acc, val/acc:min) or numeric field"),
    ],
    filter: Annotated[
        str, Query(description="which runs (docs/query.md), e.g. id in ['MNIST-1', 'MNIST-2']")
    ] = "",
    prefix: Annotated[str, Query(description="the fields that count as parameters")] = (
        "parameters/"
    ),
) -> Importance:
    """Each varying parameter's correlation with ``metric`` and its importance from a
    random forest fitted on the runs matching ``filter``; 400 ``invalid_input`` when the
    metric is not a float series or numeric field, or fewer than 3 runs have it."""
    result = parameter_importance(store, project, metric, filter=filter, prefix=prefix)
    return Importance(
        metric=result.metric,
        run_count=result.run_count,
        parameters=[ParameterImportance(**vars(p)) for p in result.parameters],
        constant=result.constant,
    )
