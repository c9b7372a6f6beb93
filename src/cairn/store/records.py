"""Frozen records that the store returns; times are aware UTC datetimes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cairn.types import RunId, RunKey, RunStatus, SeriesKind

__all__ = [
    "FileRecord",
    "ProjectRecord",
    "RunRecord",
    "SeriesPage",
    "SeriesRecord",
    "run_record",
    "to_datetime",
]


def to_datetime(seconds: float | None) -> datetime | None:
    """Epoch seconds as an aware UTC datetime (None stays None)."""
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


@dataclass(frozen=True)
class ProjectRecord:
    id: int
    name: str
    key: str
    created_at: datetime
    run_count: int = 0
    last_activity_at: datetime | None = None


@dataclass(frozen=True)
class RunRecord:
    id: RunId
    key: RunKey
    project: str
    name: str
    description: str
    status: RunStatus
    owner: str
    host: str
    tags: tuple[str, ...]
    created_at: datetime
    ended_at: datetime | None
    heartbeat_at: datetime | None
    traceback: str | None
    last_seq: int
    # set by Store.request_stop (`cairn runs stop`, the dashboard); kept after the run ends.
    stop_requested_at: datetime | None = None

    def sys_fields(self) -> dict[str, object]:
        """The run's ``sys/`` fields as path -> value."""
        return {
            "sys/id": self.key,
            "sys/name": self.name,
            "sys/tags": list(self.tags),
            "sys/status": self.status.value,
            "sys/owner": self.owner,
            "sys/host": self.host,
            "sys/created_at": self.created_at,
            "sys/ended_at": self.ended_at,
            "sys/heartbeat_at": self.heartbeat_at,
            "sys/description": self.description,
            "sys/stop_requested_at": self.stop_requested_at,
        }


def run_record(row: Any, tags: Sequence[str], *, cutoff: float) -> RunRecord:
    """The record of a ``runs`` row (with a ``project`` name column); a running run whose
    last sign of life is older than ``cutoff`` (epoch seconds) reads as crashed."""
    status = RunStatus(row.status)
    if status is RunStatus.RUNNING and (row.heartbeat_at or row.created_at) < cutoff:
        status = RunStatus.CRASHED
    return RunRecord(
        id=RunId(row.id),
        key=RunKey(row.key),
        project=row.project,
        name=row.name,
        description=row.description,
        status=status,
        owner=row.owner,
        host=row.host,
        tags=tuple(sorted(tags)),
        created_at=datetime.fromtimestamp(row.created_at, tz=timezone.utc),
        ended_at=to_datetime(row.ended_at),
        heartbeat_at=to_datetime(row.heartbeat_at),
        traceback=row.traceback,
        last_seq=row.last_seq,
        stop_requested_at=to_datetime(row.stop_requested_at),
    )


@dataclass(frozen=True)
class SeriesRecord:
    id: int
    path: str
    kind: SeriesKind
    count: int
    first_step: float | None
    last_step: float | None
    last_value: float | None
    min_value: float | None
    max_value: float | None
    last_at: datetime | None


@dataclass(frozen=True)
class FileRecord:
    path: str
    name: str
    mime: str
    size_bytes: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class SeriesPage:
    """Points of one series; ``values`` are floats for float series, else strings or file
    dicts. ``total_count`` is the series' length before downsampling."""

    path: str
    kind: SeriesKind
    steps: NDArray[np.float64]
    values: NDArray[np.float64] | list[object]
    timestamps: NDArray[np.float64]
    total_count: int
