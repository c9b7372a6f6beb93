"""Parameter importance: which parameters drive a metric across a project's runs.

For one metric (a float series' last value, ``path:min`` / ``path:max``, or a numeric
field) over the runs a filter matches, each parameter that varies gets

- a **correlation** with the metric: Spearman's rank correlation for numbers (a learning
  rate spread over decades correlates by rank, not linearly); for text, each value is a
  one-hot column and the strongest of their Pearson correlations is reported with the
  value it belongs to (``optimizer = 'adam'`` goes with a higher accuracy);
- an **importance**: the impurity importance of a random forest (scikit-learn's
  ``RandomForestRegressor``) fitted from all parameters to the metric, the one-hot
  columns of a text parameter summed back into it; the importances add up to 1. This is
  the measure W&B's parameter importance panel shows, and it sees interactions and
  non-monotonic effects that a correlation misses.

Runs without the metric, or whose metric is not finite, are left out. A missing numeric
parameter takes the median of the others (for the forest only); a missing text parameter
is its own value, ``(missing)``.

>>> from cairn.store.store import Store                        # doctest: +SKIP
>>> parameter_importance(Store.open_home(".cairn"), "mnist", "val/acc")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from cairn.errors import InvalidInput

if TYPE_CHECKING:
    from cairn.store.store import Store

__all__ = ["Importance", "ParameterImportance", "parameter_importance", "rank_parameters"]

#: Fewer runs than this cannot say anything about a parameter.
MIN_RUNS = 3
#: A text parameter with more values than this keeps the most frequent ones, the rest
#: become ``(other)``: the forest would otherwise grow a column per run.
MAX_CATEGORIES = 50
MISSING = "(missing)"
OTHER = "(other)"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ParameterImportance:
    """One parameter's relation to the metric."""

    path: str
    kind: str  # "numeric" or "categorical"
    importance: float  # share of the forest's impurity decrease, 0..1
    correlation: float | None  # Spearman (numeric) or the strongest one-hot Pearson
    correlation_value: str | None  # categorical: the value whose one-hot gave it
    run_count: int  # runs (among those with the metric) that have the parameter


@dataclass(frozen=True)
class Importance:
    """The answer for one metric: parameters by importance, and those that never vary."""

    metric: str
    run_count: int
    parameters: list[ParameterImportance]
    constant: list[str]


def parameter_importance(
    store: Store, project: str, metric: str, *, filter: str = "", prefix: str = "parameters/"
) -> Importance:
    """Rank the parameters (fields under ``prefix``) of the runs of ``project`` matching
    ``filter`` by how much they drive ``metric``.

    Raises ProjectNotFound, QuerySyntaxError, and InvalidInput when the metric is not a
    float series or numeric field of the runs, or fewer than 3 runs have it."""
    records = store.list_runs(project, filter=filter)
    columns = store.run_columns([r.id for r in records])
    return rank_parameters(metric, [columns[r.id] for r in records], prefix=prefix)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def rank_parameters(
    metric: str, rows: Sequence[Mapping[str, object]], *, prefix: str = "parameters/"
) -> Importance:
    """``parameter_importance`` over rows already read (one mapping of columns per run,
    as ``Store.run_columns`` gives them). Raises InvalidInput."""
    present = [row[metric] for row in rows if metric in row]
    if not present:
        raise InvalidInput(
            f"metric {metric!r}: none of the {len(rows)} runs has it; choose a float series "
            "(such as val/acc, or val/acc:min) or a numeric field"
        )
    wrong = next((v for v in present if v is not None and not _is_number(v)), None)
    if wrong is not None:
        raise InvalidInput(
            f"metric {metric!r}: expected a float series or a numeric field, got "
            f"{type(wrong).__name__} {str(wrong)[:40]!r}"
        )
    used = [row for row in rows if _is_number(row.get(metric)) and math.isfinite(row[metric])]  # type: ignore[arg-type]
    if len(used) < MIN_RUNS:
        raise InvalidInput(
            f"metric {metric!r}: {len(used)} run(s) have a finite value of it, importance "
            f"needs at least {MIN_RUNS}; widen the filter or choose another metric"
        )
    target = np.array([float(row[metric]) for row in used])  # type: ignore[arg-type]
    paths = sorted({p for row in used for p in row if p.startswith(prefix) and p != metric})
    varying: list[tuple[str, str, FloatArray | list[str], int]] = []
    constant: list[str] = []
    for path in paths:
        values = [row.get(path) for row in used]
        have = sum(v is not None for v in values)
        if len({_key(v) for v in values}) < 2:
            constant.append(path)
        elif all(v is None or _is_number(v) or isinstance(v, bool) for v in values):
            numbers = np.array([np.nan if v is None else float(v) for v in values])  # type: ignore[arg-type]
            numbers[~np.isfinite(numbers)] = np.nan
            varying.append((path, "numeric", numbers, have))
        else:
            varying.append((path, "categorical", _categories(values), have))
    importances = _forest_importances(target, varying)
    parameters = [
        ParameterImportance(path, kind, share, *_correlation(target, column), have)
        for (path, kind, column, have), share in zip(varying, importances, strict=True)
    ]
    parameters.sort(key=lambda p: (-p.importance, -abs(p.correlation or 0.0), p.path))
    return Importance(metric, len(used), parameters, constant)


def _key(value: object) -> str:
    return "\0none" if value is None else repr(value)


def _categories(values: Sequence[object]) -> list[str]:
    texts = [MISSING if v is None else v if isinstance(v, str) else repr(v) for v in values]
    counts: dict[str, int] = {}
    for t in texts:
        counts[t] = counts.get(t, 0) + 1
    if len(counts) <= MAX_CATEGORIES:
        return texts
    kept = set(sorted(counts, key=lambda t: (-counts[t], t))[: MAX_CATEGORIES - 1])
    return [t if t in kept else OTHER for t in texts]


def _one_hot(texts: list[str]) -> tuple[list[str], FloatArray]:
    names = sorted(set(texts))
    matrix = np.array([[t == n for n in names] for t in texts], dtype=np.float64)
    return names, matrix


def _forest_importances(
    target: FloatArray, varying: list[tuple[str, str, FloatArray | list[str], int]]
) -> list[float]:
    if not varying:
        return []
    from sklearn.ensemble import RandomForestRegressor  # type: ignore[import-untyped]

    blocks: list[FloatArray] = []
    owner: list[int] = []
    for index, (_, kind, column, _) in enumerate(varying):
        if kind == "numeric":
            numbers = np.asarray(column, dtype=np.float64)
            fill = np.nanmedian(numbers) if np.isfinite(numbers).any() else 0.0
            blocks.append(np.where(np.isnan(numbers), fill, numbers)[:, None])
            owner.append(index)
        else:
            _, matrix = _one_hot(list(column))
            blocks.append(matrix)
            owner.extend([index] * matrix.shape[1])
    features = np.hstack(blocks)
    if np.ptp(target) == 0:
        return [0.0] * len(varying)
    # A fixed seed: the same runs give the same answer on every reload.
    forest = RandomForestRegressor(n_estimators=200, random_state=0, n_jobs=1)
    forest.fit(features, target)
    shares = [0.0] * len(varying)
    for index, share in zip(owner, forest.feature_importances_, strict=True):
        shares[index] += float(share)
    return shares


def _pearson(x: FloatArray, y: FloatArray) -> float | None:
    if len(x) < MIN_RUNS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(values: FloatArray) -> FloatArray:
    """Ranks from 1, ties sharing their average rank (what Spearman's correlation needs)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    result: FloatArray = sums[inverse] / counts[inverse]
    return result


def _correlation(
    target: FloatArray, column: FloatArray | list[str]
) -> tuple[float | None, str | None]:
    if isinstance(column, np.ndarray):
        have = ~np.isnan(column)
        return _pearson(_ranks(column[have]), _ranks(target[have])), None
    names, matrix = _one_hot(column)
    best: tuple[float | None, str | None] = (None, None)
    for index, name in enumerate(names):
        r = _pearson(matrix[:, index], target)
        if r is not None and (best[0] is None or abs(r) > abs(best[0])):
            best = (r, name)
    return best
