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

    def download(self, sha256: str, destination: str) -> str: ...


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

    def layout(self, run_id: str) -> RunLayout: ...

    def send(self, run_id: str, ops: Sequence[Op]) -> None: ...

    def close(self) -> None: ...
