"""Many series of many runs in one read: what a compare view of 50 runs x 4 metrics needs.

One request per run and metric costs a round trip, a run lookup, a series lookup and a
chunk query each; on two cores 200 of them took 2.4 s. Here the runs are resolved in one
query, their series in one, and the chunks of up to ``GROUP`` float series in one, and
each series is downsampled as its chunks arrive (``downsample.downsample``), so memory
holds one group's points at a time, not every point of every series.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.engine import Connection

from cairn.errors import InvalidInput, RunNotFound
from cairn.store.chunks import decode
from cairn.store.downsample import downsample
from cairn.store.records import SeriesPage
from cairn.store.schema import runs, series_chunks
from cairn.types import SeriesKind

__all__ = [
    "GROUP",
    "MAX_PAIRS",
    "MAX_POINTS",
    "SeriesBatch",
    "check_size",
    "read_float_pages",
    "resolve_runs",
]

MAX_PAIRS = 1_000
"""At most this many run x path pairs in one batch read."""
MAX_POINTS = 2_000_000
"""At most this many points in one answer: pairs x ``max_points``."""
GROUP = 64
"""Float series whose chunks are read by one query."""

_EMPTY = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class SeriesBatch:
    """What a batch read found: ``pages`` as ``(run_id, page)`` in the order asked (runs,
    then paths within a run), and the ``(run_id, path)`` pairs that have no series."""

    pages: list[tuple[str, SeriesPage]]
    missing: list[tuple[str, str]]


def check_size(runs_asked: int, paths_asked: int, max_points: int) -> None:
    """Raise InvalidInput when the batch is empty or too big (see MAX_PAIRS, MAX_POINTS)."""
    if runs_asked == 0 or paths_asked == 0:
        raise InvalidInput("a series batch read needs at least one run and one path")
    if max_points < 2:
        raise InvalidInput(f"max_points must be an integer of at least 2, got {max_points!r}")
    pairs = runs_asked * paths_asked
    if pairs > MAX_PAIRS:
        raise InvalidInput(
            f"{runs_asked} runs x {paths_asked} paths is {pairs:,} series; one batch read "
            f"takes at most {MAX_PAIRS:,}: split the runs over several requests"
        )
    if pairs * max_points > MAX_POINTS:
        raise InvalidInput(
            f"{pairs:,} series x max_points {max_points} could be more than {MAX_POINTS:,} "
            "points; pass a smaller max_points (a chart needs about its width in pixels)"
        )


def _is_uuid(ref: str) -> bool:
    try:
        return str(uuid.UUID(ref)) == ref.lower()
    except ValueError:
        return False


def resolve_runs(conn: Connection, project_id: int, refs: Sequence[str]) -> list[str]:
    """The run ids of ``refs`` (UUIDs or keys, ``MNIST-42``) in the project, in order and
    without repeats. Raises RunNotFound naming the refs that are not runs of the project,
    the same whether they are runs of another project or no run at all."""
    ids = [r.lower() for r in refs if _is_uuid(r)]
    keys = [r.upper() for r in refs if not _is_uuid(r) and "\x00" not in r]
    by_ref: dict[str, str] = {}
    for start in range(0, max(len(ids), len(keys)), 500):
        found = [
            runs.c.id.in_(ids[start : start + 500]),
            func.upper(runs.c.key).in_(keys[start : start + 500]),
        ]
        stmt = select(runs.c.id, runs.c.key).where(runs.c.project_id == project_id, or_(*found))
        for run_id, key in conn.execute(stmt):
            by_ref[run_id.lower()] = run_id
            by_ref[key.upper()] = run_id
    unknown = [r for r in refs if (r.lower() if _is_uuid(r) else r.upper()) not in by_ref]
    if unknown:
        shown = ", ".join(repr(r) for r in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise RunNotFound(f"no run {shown}{more} in this project; `cairn runs list` shows the runs")
    chosen = [by_ref[r.lower() if _is_uuid(r) else r.upper()] for r in refs]
    return list(dict.fromkeys(chosen))


def read_float_pages(
    conn: Connection,
    wanted: Sequence[tuple[int, str, int]],
    *,
    max_points: int,
    step_min: float | None,
    step_max: float | None,
    timestamps: bool,
) -> Iterator[tuple[int, SeriesPage]]:
    """``(series_id, page)`` for each float series of ``wanted`` (``(series_id, path,
    total_count)``), its chunks read ``GROUP`` series a query; without ``timestamps`` the
    pages' timestamps are empty and that column is not read."""
    columns = [series_chunks.c.series_id, series_chunks.c.steps, series_chunks.c["values"]]
    if timestamps:
        columns.append(series_chunks.c.timestamps)
    for start in range(0, len(wanted), GROUP):
        group = wanted[start : start + GROUP]
        conditions: list[ColumnElement[bool]] = [
            series_chunks.c.series_id.in_([sid for sid, _, _ in group])
        ]
        if step_min is not None:
            conditions.append(series_chunks.c.last_step >= step_min)
        if step_max is not None:
            conditions.append(series_chunks.c.first_step <= step_max)
        stmt = (
            select(*columns)
            .where(and_(*conditions))
            .order_by(series_chunks.c.series_id, series_chunks.c.chunk_no)
        )
        parts: dict[int, list[tuple[bytes, ...]]] = {}
        for row in conn.execute(stmt):
            parts.setdefault(row[0], []).append(tuple(row[1:]))
        for series_id, path, total in group:
            yield (
                series_id,
                _page(path, parts.pop(series_id, []), total, max_points, step_min, step_max),
            )


def _page(
    path: str,
    rows: list[tuple[bytes, ...]],
    total: int,
    max_points: int,
    step_min: float | None,
    step_max: float | None,
) -> SeriesPage:
    if not rows:
        return SeriesPage(path, SeriesKind.FLOAT, _EMPTY, _EMPTY, _EMPTY, total)
    steps = np.concatenate([decode(r[0]) for r in rows])
    values = np.concatenate([decode(r[1]) for r in rows])
    with_stamps = len(rows[0]) > 2
    stamps = np.concatenate([decode(r[2]) for r in rows]) if with_stamps else steps
    if step_min is not None or step_max is not None:
        lo = -np.inf if step_min is None else step_min
        hi = np.inf if step_max is None else step_max
        mask = (steps >= lo) & (steps <= hi)
        steps, values, stamps = steps[mask], values[mask], stamps[mask]
    steps, values, stamps = downsample(steps, values, stamps, max_points)
    return SeriesPage(
        path, SeriesKind.FLOAT, steps, values, stamps if with_stamps else _EMPTY, total
    )
