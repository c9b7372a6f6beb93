"""LocalBackend: writes ops straight into the embedded store."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

from cairn.client.backends.base import RunLayout
from cairn.ops import Op
from cairn.store.records import FileRecord, ProjectRecord, RunRecord, SeriesPage, SeriesRecord
from cairn.store.store import Store

__all__ = ["CairnWarning", "LocalBackend"]

logger = logging.getLogger("cairn")


class CairnWarning(UserWarning):
    """Something was not stored as asked; training goes on."""


class LocalBackend:
    """Ops applied to a :class:`Store` in the same process.

    >>> import tempfile
    >>> backend = LocalBackend(Store.open_home(tempfile.mkdtemp()))
    >>> backend.create_run("demo", name="a", tags=[], owner="", host="", description="").key
    'DEMO-1'
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._stop_requested: set[str] = set()

    def create_run(
        self,
        project: str,
        *,
        name: str,
        tags: Sequence[str],
        owner: str,
        host: str,
        description: str,
    ) -> RunRecord:
        return self.store.create_run(
            project, name=name, tags=tags, owner=owner, host=host, description=description
        )

    def get_run(self, ref: str, *, project: str | None = None) -> RunRecord:
        return self.store.get_run(ref, project=project)

    def list_projects(self) -> list[ProjectRecord]:
        return self.store.list_projects()

    def list_runs(
        self, project: str, *, filter: str, sort: str, limit: int | None, offset: int
    ) -> list[RunRecord]:
        return self.store.list_runs(project, filter=filter, sort=sort, limit=limit, offset=offset)

    def run_columns(self, run_ids: Sequence[str]) -> dict[str, dict[str, object]]:
        return self.store.run_columns(run_ids)

    def read_fields(self, run_id: str) -> dict[str, object]:
        return self.store.read_fields(run_id)

    def list_series(self, run_id: str) -> list[SeriesRecord]:
        return self.store.list_series(run_id)

    def read_series(
        self,
        run_id: str,
        path: str,
        *,
        max_points: int | None,
        step_min: float | None,
        step_max: float | None,
    ) -> SeriesPage:
        return self.store.read_series(
            run_id, path, max_points=max_points, step_min=step_min, step_max=step_max
        )

    def list_files(self, run_id: str) -> list[FileRecord]:
        return self.store.list_files(run_id)

    def get_file(self, run_id: str, path: str) -> FileRecord:
        return self.store.get_file(run_id, path)

    def download(self, run_id: str, file: FileRecord, destination: str) -> str:
        return self.store.artifacts.download(file.sha256, destination)

    def resume(self, record: RunRecord) -> int:
        return record.last_seq

    def layout(self, run_id: str) -> RunLayout:
        kinds: dict[str, str] = {}
        last_steps: dict[str, float] = {}
        for path in self.store.read_fields(run_id):
            kinds[path] = "field"
        for record in self.store.list_files(run_id):
            kinds[record.path] = "file"
        for s in self.store.list_series(run_id):
            kinds[s.path] = f"series:{s.kind.value}"
            if s.last_step is not None:
                last_steps[s.path] = s.last_step
        return RunLayout(kinds=kinds, last_steps=last_steps)

    def send(self, run_id: str, ops: Sequence[Op]) -> None:
        result = self.store.apply_ops(run_id, ops)
        if result.stop_requested:
            self._stop_requested.add(run_id)
        for message in result.rejected:
            warnings.warn(f"cairn: {message}", CairnWarning, stacklevel=2)

    def settle(self, run_id: str, timeout_s: float | None) -> bool:
        return True  # send() stored it already

    def release(self, run_id: str, timeout_s: float | None) -> bool:
        self._stop_requested.discard(run_id)
        return True

    def stop_requested(self, run_id: str) -> bool:
        return run_id in self._stop_requested

    def close(self) -> None:
        self.store.close()
