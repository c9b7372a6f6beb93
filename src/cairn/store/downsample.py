"""Reduce a float series to at most N points that keep its shape (min and max per bucket)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cairn.errors import InvalidInput

__all__ = ["downsample"]

Array = NDArray[np.float64]


def downsample(
    steps: Array, values: Array, timestamps: Array, max_points: int
) -> tuple[Array, Array, Array]:
    """At most ``max_points`` points: per bucket of consecutive points, the minimum and the
    maximum (in step order), plus the first and last point, so spikes survive. NaN is only
    kept for an all-NaN bucket. Raises InvalidInput when ``max_points`` < 2.

    >>> s = np.arange(10.0); v = np.array([0, 1, 9, 1, 0, 0, -5, 0, 0, 1.0])
    >>> downsample(s, v, s, 4)[1].tolist()
    [0.0, 9.0, -5.0, 1.0]
    """
    if not isinstance(max_points, int) or max_points < 2:
        raise InvalidInput(f"max_points must be an integer of at least 2, got {max_points!r}")
    n = steps.size
    if n <= max_points:
        return steps, values, timestamps
    buckets = (max_points - 2) // 2
    if buckets == 0:  # room for the ends only
        ends = np.array([0, n - 1])
        return steps[ends], values[ends], timestamps[ends]
    inner = np.arange(1, n - 1)
    edges = np.linspace(0, inner.size, buckets + 1).astype(np.int64)
    starts = edges[:-1]
    inner_values = values[1:-1]
    # NaN must not win min/max: replace by +inf/-inf for the argmin/argmax search only.
    is_nan = np.isnan(inner_values)
    for_min = np.where(is_nan, np.inf, inner_values)
    for_max = np.where(is_nan, -np.inf, inner_values)
    lows = _arg_reduce(for_min, starts, edges, np.minimum)
    highs = _arg_reduce(for_max, starts, edges, np.maximum)
    picks = np.unique(np.concatenate(([0], lows + 1, highs + 1, [n - 1])))
    return steps[picks], values[picks], timestamps[picks]


def _arg_reduce(
    values: Array, starts: NDArray[np.int64], edges: NDArray[np.int64], ufunc: np.ufunc
) -> NDArray[np.int64]:
    """The index of each bucket's extreme value (first occurrence), vectorised."""
    extremes = ufunc.reduceat(values, starts)
    bucket_of = np.repeat(np.arange(starts.size), np.diff(edges))
    hits = np.flatnonzero(values == extremes[bucket_of])
    # first hit per bucket; an all-NaN bucket (extreme is ±inf from NaN) still has hits.
    first = np.unique(bucket_of[hits], return_index=True)[1]
    return hits[first].astype(np.int64)
