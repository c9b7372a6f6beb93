"""Cheap reads that a live stream repeats every second or so to notice changes.

The server is stateless (replicas share one database and nothing else), so a stream learns
of changes by polling the database, never from an in-process channel. Each poll is one
indexed query; the heavier read (a run's series, a project's runs) follows only when the
cheap one shows that something moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from cairn.store.query.compile import effective_status
from cairn.store.records import RunRecord, run_record
from cairn.store.schema import projects, run_tags, runs, series
from cairn.types import RunStatus

__all__ = ["ProjectProbe", "RunBrief", "RunProbe", "probe_project", "probe_run"]


@dataclass(frozen=True)
class RunProbe:
    """A run's record and a summary of its series: the points stored and how many series.
    ``series_version`` changes whenever any series may have changed."""

    record: RunRecord
    series_count: int
    point_count: int

    @property
    def series_version(self) -> tuple[int, int, int]:
        return (self.record.last_seq, self.series_count, self.point_count)


@dataclass(frozen=True)
class RunBrief:
    """What a project stream tells about a run: enough to update a table row or refetch."""

    id: str
    key: str
    number: int
    name: str
    status: RunStatus
    last_seq: int


@dataclass(frozen=True)
class ProjectProbe:
    """``fingerprint`` is (runs, highest run number, sum of last_seq, crashed runs): it moves
    when a run is created, deleted, receives ops or loses its heartbeat. ``runs`` is by id."""

    fingerprint: tuple[int, int, int, int]
    runs: Mapping[str, RunBrief]


def probe_run(conn: Connection, run_id: str, *, cutoff: float) -> RunProbe | None:
    """The run's state in one query (its row, its tags, its series totals), or None when
    the run no longer exists."""
    series_count = (
        select(func.count()).where(series.c.run_id == runs.c.id).scalar_subquery()
    ).label("series_count")
    point_count = (
        select(func.coalesce(func.sum(series.c.count), 0))
        .where(series.c.run_id == runs.c.id)
        .scalar_subquery()
    ).label("point_count")
    stmt = (
        select(runs, projects.c.name.label("project"), run_tags.c.tag, series_count, point_count)
        .join(projects, projects.c.id == runs.c.project_id)
        .outerjoin(run_tags, run_tags.c.run_id == runs.c.id)
        .where(runs.c.id == run_id)
    )
    rows = conn.execute(stmt).all()
    if not rows:
        return None
    tags = [r.tag for r in rows if r.tag is not None]
    first = rows[0]
    return RunProbe(
        record=run_record(first, tags, cutoff=cutoff),
        series_count=int(first.series_count),
        point_count=int(first.point_count),
    )


def probe_project(
    conn: Connection,
    project_id: int,
    *,
    cutoff: float,
    previous: ProjectProbe | None,
) -> ProjectProbe:
    """The project's fingerprint (one aggregate query); its runs are read again only when
    the fingerprint differs from ``previous``'s."""
    stale = (runs.c.status == RunStatus.RUNNING.value) & (
        func.coalesce(runs.c.heartbeat_at, runs.c.created_at) < cutoff
    )
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.max(runs.c.number), 0),
            func.coalesce(func.sum(runs.c.last_seq), 0),
            func.coalesce(func.sum(case((stale, 1), else_=0)), 0),
        ).where(runs.c.project_id == project_id)
    ).one()
    fingerprint = (int(row[0]), int(row[1]), int(row[2]), int(row[3]))
    if previous is not None and previous.fingerprint == fingerprint:
        return previous
    status = effective_status(cutoff).label("status")
    stmt = select(runs.c.id, runs.c.key, runs.c.number, runs.c.name, status, runs.c.last_seq).where(
        runs.c.project_id == project_id
    )
    briefs = {
        r.id: RunBrief(
            id=r.id,
            key=r.key,
            number=r.number,
            name=r.name,
            status=RunStatus(r.status),
            last_seq=r.last_seq,
        )
        for r in conn.execute(stmt)
    }
    return ProjectProbe(fingerprint=fingerprint, runs=briefs)
