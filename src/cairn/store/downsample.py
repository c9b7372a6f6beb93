"""Reduce a float series to at most N points that keep its shape.

Two entry points, both vectorised (no Python loop per point, per bucket or per chunk):

- :func:`downsample` works on the points themselves: it splits them into buckets of
  consecutive points and keeps each bucket's lowest and highest point, so a one-step spike
  survives any budget of at least four points.
- :func:`downsample_chunks` works on chunk summaries only (``series_chunks`` rows without
  their point arrays) and gives a coarse envelope for series so long that reading every
  point for one chart would be wasteful.

NaN is a "missing" value here: it is never chosen as a minimum or maximum while a bucket
holds a number, and a bucket of nothing but NaN keeps one NaN point so that the chart can
show the gap. ``±inf`` are ordinary values and may be chosen.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cairn.errors import InvalidInput

__all__ = ["ChunkSummaries", "downsample", "downsample_chunks"]

Array = NDArray[np.float64]
Index = NDArray[np.intp]


def downsample(
    steps: ArrayLike, values: ArrayLike, timestamps: ArrayLike, max_points: int
) -> tuple[Array, Array, Array]:
    """At most ``max_points`` points of a series that keep its shape.

    A series no longer than ``max_points`` comes back unchanged. A longer one keeps its
    first and last point, and splits the points between them into ``(max_points - 2) // 2``
    buckets of consecutive points (sizes differ by at most one); each bucket contributes its
    lowest and its highest point in step order, or one point when both are the same. The
    two ends take one bucket's room, so the result never exceeds ``max_points``.

    ``steps`` must be strictly increasing (the store guarantees it); the result is a subset
    of the input in the same order, so its steps are strictly increasing too.

    Raises InvalidInput when ``max_points`` is not an integer of at least 2, or when the
    three arrays are not one-dimensional arrays of the same length.

    >>> steps = np.arange(10.0)
    >>> values = np.array([0, 1, 9, 1, 0, 0, -5, 0, 0, 1.0])
    >>> downsample(steps, values, steps, 4)[1].tolist()
    [0.0, 9.0, -5.0, 1.0]
    """
    budget = _check_budget(max_points)
    steps_, values_, stamps_ = _as_columns(steps=steps, values=values, timestamps=timestamps)
    n = steps_.size
    if n <= budget:
        return steps_, values_, stamps_
    # The ends are kept outright, so only the inner points are bucketed.
    inner = _pick_extremes(values_[1:-1], (budget - 2) // 2) + 1
    picks = np.unique(np.concatenate(([0], inner, [n - 1])))
    return steps_[picks], values_[picks], stamps_[picks]


@dataclass(frozen=True, eq=False)
class ChunkSummaries:
    """The summary columns of a float series' chunks, in chunk order, one entry a chunk.

    ``min_value``/``max_value`` are NaN for a chunk holding only NaN (the table stores
    NULL); :meth:`from_rows` does that conversion.
    """

    first_step: Array
    last_step: Array
    count: NDArray[np.int64]
    min_value: Array
    max_value: Array

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[float, float, int, float | None, float | None]]
    ) -> ChunkSummaries:
        """Build from ``(first_step, last_step, count, min_value, max_value)`` rows as read
        from ``series_chunks`` (None for NULL).

        >>> ChunkSummaries.from_rows([(0.0, 9.0, 10, None, None)]).min_value.tolist()
        [nan]
        """
        table = np.array(
            [tuple(np.nan if v is None else v for v in row) for row in rows], dtype=np.float64
        ).reshape(-1, 5)
        return cls(
            first_step=table[:, 0].copy(),
            last_step=table[:, 1].copy(),
            count=table[:, 2].astype(np.int64),
            min_value=table[:, 3].copy(),
            max_value=table[:, 4].copy(),
        )

    @property
    def points(self) -> int:
        """How many points the chunks hold together."""
        return int(self.count.sum())


def downsample_chunks(summaries: ChunkSummaries, max_points: int) -> tuple[Array, Array]:
    """A min/max envelope of at most ``max_points`` ``(steps, values)`` from chunk summaries.

    Meant for series so long that even their chunk count is over the chart's budget: the
    caller reads only the summary columns, never the point arrays. Consecutive chunks are
    grouped into ``min(chunks, max_points // 2)`` groups of equal chunk counts (chunks are
    full except the open tail, so this is close to equal point counts). Each group yields
    two points:

    - its lowest chunk minimum, placed at the **first** step of the chunk holding it;
    - its highest chunk maximum, placed at the **last** step of the chunk holding it.

    Values are exact extremes of the series; steps are exact only to within the span of one
    chunk, since a summary does not say where inside its chunk the extreme lies. Placing the
    minimum early and the maximum late keeps the two points inside their chunks and the
    groups in step order, and keeps the direction of a move between chunks (a drop from a
    high chunk to a low chunk still draws as a drop). The points come back sorted by step,
    one point where both fall on the same step (a one-point chunk). A group whose chunks
    hold only NaN yields one NaN point at its first step.

    Raises InvalidInput when ``max_points`` is not an integer of at least 2 or the summary
    arrays differ in length.

    >>> s = ChunkSummaries.from_rows([(0, 9, 10, 0.0, 1.0), (10, 19, 10, -3.0, 0.5)])
    >>> steps, values = downsample_chunks(s, 4)
    >>> steps.tolist(), values.tolist()
    ([0.0, 9.0, 10.0, 19.0], [0.0, 1.0, -3.0, 0.5])
    """
    budget = _check_budget(max_points)
    first, last, lows, highs = _as_columns(
        first_step=summaries.first_step,
        last_step=summaries.last_step,
        min_value=summaries.min_value,
        max_value=summaries.max_value,
    )
    if first.size == 0:
        return first, lows
    groups = min(first.size, budget // 2)
    low_chunks = _group_extreme(lows, groups, lowest=True)
    high_chunks = _group_extreme(highs, groups, lowest=False)
    # An all-NaN group picks NaN for both ends; its minimum point alone marks the gap.
    high_chunks = high_chunks[~np.isnan(highs[high_chunks])]
    steps = np.concatenate((first[low_chunks], last[high_chunks]))
    values = np.concatenate((lows[low_chunks], highs[high_chunks]))
    # Chunks never overlap, so two points on one step are one point of a one-point chunk.
    steps, keep = np.unique(steps, return_index=True)
    return steps, values[keep]


def _check_budget(max_points: object) -> int:
    try:
        budget = operator.index(max_points)  # type: ignore[arg-type]
    except TypeError:
        budget = -1
    if isinstance(max_points, bool) or budget < 2:
        raise InvalidInput(f"max_points must be an integer of at least 2, got {max_points!r}")
    return budget


def _as_columns(**columns: ArrayLike) -> list[Array]:
    """The arguments as float64 vectors of one length (no copy when they already are)."""
    arrays = [np.asarray(column, dtype=np.float64) for column in columns.values()]
    if any(a.ndim != 1 for a in arrays) or len({a.size for a in arrays}) > 1:
        shown = ", ".join(f"{name} {a.shape}" for name, a in zip(columns, arrays, strict=True))
        raise InvalidInput(f"expected one-dimensional arrays of one length, got {shown}")
    return arrays


def _pick_extremes(values: Array, buckets: int) -> Index:
    """Indices into ``values`` of each bucket's lowest and highest value (unsorted)."""
    if buckets == 0:
        return np.empty(0, dtype=np.intp)
    return np.concatenate(
        (
            _group_extreme(values, buckets, lowest=True),
            _group_extreme(values, buckets, lowest=False),
        )
    )


def _group_extreme(values: Array, groups: int, *, lowest: bool) -> Index:
    """Split ``values`` into ``groups`` runs of consecutive values whose sizes differ by at
    most one, and return, per run, the index of its lowest (or highest) value.

    NaN is ignored unless a run is all NaN (then the run's first index). The first
    ``n % groups`` runs hold one value more than the rest, so the runs form two blocks of
    equal-sized rows: two zero-copy reshapes let one argmin/argmax serve every run, with
    no per-run loop and no padding.
    """
    size, longer = divmod(values.size, groups)
    split = longer * (size + 1)
    blocks = (
        (0, values[:split].reshape(longer, size + 1)),
        (split, values[split:].reshape(groups - longer, size)),
    )
    found = [
        offset + np.arange(block.shape[0]) * block.shape[1] + _row_extreme(block, lowest)
        for offset, block in blocks
        if block.size
    ]
    chosen: Index = np.concatenate(found)
    return chosen


def _row_extreme(block: Array, lowest: bool) -> Index:
    """Per row, the column of the lowest (or highest) value; NaN only for an all-NaN row."""
    if np.isfinite(block).all():  # the common case needs no NaN or infinity care
        found: Index = block.argmin(axis=1) if lowest else block.argmax(axis=1)
        return found
    # NaN gets the value that can never win, so argmin/argmax skip it...
    fill = np.inf if lowest else -np.inf
    key = np.where(np.isnan(block), fill, block)
    pick: Index = key.argmin(axis=1) if lowest else key.argmax(axis=1)
    # ...unless the winner is that same infinity: then either the row holds a real ±inf
    # tied with NaN (keep the first real one) or nothing but NaN (keep its first point).
    rows = np.arange(block.shape[0])
    real = block == fill
    fallback = np.where(real.any(axis=1), real.argmax(axis=1), 0)
    chosen: Index = np.where(key[rows, pick] == fill, fallback, pick)
    return chosen
