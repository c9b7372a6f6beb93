"""The Backend protocol: the one interface between the client and a store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cairn.ops import Op
from cairn.store.records import FileRecord, ProjectRecord, RunRecord, SeriesPage, SeriesRecord

__all__ = ["Backend", "Reader", "RunLayout"]


@dataclass(frozen=True)
class RunLayout:
    """What a resumed run needs to continue: each known path's kind, and each series' last
    step, so that type clashes and repeated steps are caught at the call site."""

    kinds: dict[str, str]
    last_steps: dict[str, float]


class Reader(Protocol):
    """Everything the read API needs: the embedded store answers directly, a team server
    over HTTP. Run ids are UUIDs; ``ref`` is a UUID or a short id such as ``MNIST-42``."""

    def get_run(self, ref: str, *, project: str | None = None) -> RunRecord: ...

    def list_projects(self) -> list[ProjectRecord]: ...

    def list_runs(
        self, project: str, *, filter: str, sort: str, limit: int | None, offset: int
    ) -> list[RunRecord]: ...

    def run_columns(self, run_ids: Sequence[str]) -> dict[str, dict[str, object]]: ...

    def read_fields(self, run_id: str) -> dict[str, object]: ...

    def list_series(self, run_id: str) -> list[SeriesRecord]: ...

    def read_series(
        self,
        run_id: str,
        path: str,
        *,
        max_points: int | None,
        step_min: float | None,
        step_max: float | None,
    ) -> SeriesPage: ...

    def list_files(self, run_id: str) -> list[FileRecord]: ...

    def get_file(self, run_id: str, path: str) -> FileRecord: ...

    def download(self, run_id: str, file: FileRecord, destination: str) -> str:
        """Write one of the run's files to ``destination``, verifying its SHA-256."""
        ...


class Backend(Reader, Protocol):
    """Creates runs and receives their ops. ``send`` must be safe to call again with the same
    ops after a failure (ops carry sequence numbers)."""

    def create_run(
        self,
        project: str,
        *,
        name: str,
        tags: Sequence[str],
        owner: str,
        host: str,
        description: str,
    ) -> RunRecord: ...

    def resume(self, record: RunRecord) -> int:
        """Get ready to write ``record``'s run again; returns the highest op sequence
        number already used, so that new ops follow it."""
        ...

    def layout(self, run_id: str) -> RunLayout: ...

    def send(self, run_id: str, ops: Sequence[Op]) -> None: ...

    def settle(self, run_id: str, timeout_s: float | None) -> bool:
        """Wait until everything sent for the run is stored where it is going (a server may
        lag behind ``send``); False on timeout."""
        ...

    def release(self, run_id: str, timeout_s: float | None) -> bool:
        """The run is stopped: deliver what is left within ``timeout_s`` and let go of it;
        False when something stays queued for ``cairn sync``."""
        ...

    def stop_requested(self, run_id: str) -> bool:
        """Whether someone asked the run to stop (``cairn runs stop``, the dashboard), as
        far as the last answer from the store says."""
        ...

    def close(self) -> None: ...
