"""HttpBackend: a run on a team server, through an outbox on local disk.

Reads go straight to the server. Writes never do: ``send`` appends the batch to the run's
outbox (fsync'd) and returns, and the run's Shipper delivers it. So the sender thread, and
with it training, never waits on the network; an outage only grows the outbox.

``mode="offline"`` is the same backend with no shipping: every run stays in its outbox,
created nowhere, until ``cairn sync`` delivers it (see ``cairn.client.sync``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from cairn.client.backends.base import RunLayout
from cairn.client.backends.http_api import ServerApi, run_record
from cairn.client.outbox import Outbox, RunTicket
from cairn.client.shipper import HttpTarget, Result, Shipper, outbox_root
from cairn.errors import BackendError, CairnError, FieldNotFound, InvalidInput, RunNotFound
from cairn.ops import Op
from cairn.store.records import FileRecord, ProjectRecord, RunRecord, SeriesPage, SeriesRecord
from cairn.types import RunId, RunKey, RunStatus

__all__ = ["HttpBackend"]

logger = logging.getLogger("cairn")


class HttpBackend:
    """Runs on the server at ``url``; outboxes under ``home``/outbox.

    With ``offline=True`` nothing is sent: runs are created and written in their outbox
    only, and reads raise BackendError until ``cairn sync`` has delivered them.
    """

    def __init__(
        self, url: str | None, *, token: str | None, home: str, offline: bool = False
    ) -> None:
        if url is None and not offline:
            raise InvalidInput("HttpBackend needs a server URL unless it is offline")
        self.url = url
        self.offline = offline
        self.api = None if url is None else ServerApi(url, token=token)
        self.outbox_root = outbox_root(home)
        self._outboxes: dict[str, Outbox] = {}
        self._shippers: dict[str, Shipper] = {}
        self._stop_requested: set[str] = set()
        self._new_runs: set[str] = set()
        self._lock = threading.Lock()
        self._columns: dict[str, dict[str, Any]] = {}

    def _server(self) -> ServerApi:
        if self.api is None or self.offline:
            raise BackendError(
                "this client is offline: its runs are in the outbox until `cairn sync` "
                "delivers them; read them from the store they are synced to"
            )
        return self.api

    # -- runs -------------------------------------------------------------------------------

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
        create = {
            "name": name,
            "tags": list(tags),
            "owner": owner,
            "host": host,
            "description": description,
        }
        run_id = str(uuid.uuid4())
        now = time.time()
        if not self.offline:
            api = self._server()
            try:
                record = api.create_run(project, {**create, "id": run_id})
            except CairnError as exc:
                if exc.status < 500:  # a refusal, not an outage: say so now
                    raise
                # The server is away: training starts anyway, and the shipper creates the
                # run when the server answers again (the run id is ours, so that is safe).
                logger.warning("cairn: %s; run %s will be created when it is back", exc, run_id)
            else:
                self._new_runs.add(run_id)
                ticket = RunTicket(id=run_id, project=project, url=self.url, key=record.key)
                self._open(Outbox.create(self.outbox_root, replace(ticket, created_at=now)))
                return record
        ticket = RunTicket(
            id=run_id, project=project, url=self.url, create=create, created_at=now
        )
        self._open(Outbox.create(self.outbox_root, ticket))
        return _provisional_record(ticket, create, now)

    def resume(self, record: RunRecord) -> int:
        """Continue writing ``record``'s run; returns the highest sequence number already
        used (on the server, or queued in a leftover outbox of this machine)."""
        folder = f"{self.outbox_root}/{record.id}"
        try:
            box = Outbox.open(folder)
        except FileNotFoundError:
            ticket = RunTicket(
                id=record.id, project=record.project, url=self.url, key=record.key
            )
            box = Outbox.create(self.outbox_root, replace(ticket, created_at=time.time()))
        queued = max((b.last_seq for b in box.pending()), default=0)
        self._open(box)
        return max(record.last_seq, queued)

    def _open(self, box: Outbox) -> None:
        run_id = box.ticket.id
        self._outboxes[run_id] = box
        if self.offline or self.api is None:
            return
        shipper = Shipper(box, HttpTarget(self.api), on_result=lambda r: self._heard(run_id, r))
        self._shippers[run_id] = shipper
        shipper.start()

    def _heard(self, run_id: str, result: Result) -> None:
        if result.get("stop_requested"):
            self._stop_requested.add(run_id)

    def layout(self, run_id: str) -> RunLayout:
        box = self._outboxes.get(run_id)
        if run_id in self._new_runs or (box is not None and box.ticket.create is not None):
            return RunLayout(kinds={}, last_steps={})  # created by this client just now: empty
        api = self._server()
        kinds: dict[str, str] = {path: "field" for path in api.read_fields(run_id)}
        last_steps: dict[str, float] = {}
        for record in api.list_files(run_id):
            kinds[record.path] = "file"
        for s in api.list_series(run_id):
            kinds[s.path] = f"series:{s.kind.value}"
            if s.last_step is not None:
                last_steps[s.path] = s.last_step
        return RunLayout(kinds=kinds, last_steps=last_steps)

    def send(self, run_id: str, ops: Sequence[Op]) -> None:
        batch = self._outboxes[run_id].append(ops)
        shipper = self._shippers.get(run_id)
        if shipper is not None:
            shipper.submit(batch)

    def settle(self, run_id: str, timeout_s: float | None) -> bool:
        shipper = self._shippers.get(run_id)
        return shipper is None or shipper.wait_delivered(timeout_s)

    def release(self, run_id: str, timeout_s: float | None) -> bool:
        box = self._outboxes.pop(run_id, None)
        shipper = self._shippers.pop(run_id, None)
        self._new_runs.discard(run_id)
        if box is None:
            return True
        if shipper is None:
            logger.warning(
                "cairn: run %s is kept offline in %s; `cairn sync` delivers it",
                box.ticket.key or box.ticket.id,
                box.folder,
            )
            return False
        delivered = shipper.close(timeout_s)
        if delivered and box.is_empty():
            box.remove()
        return delivered

    def stop_requested(self, run_id: str) -> bool:
        return run_id in self._stop_requested

    def close(self) -> None:
        for run_id in list(self._outboxes):
            self.release(run_id, 0)
        if self.api is not None:
            self.api.close()

    # -- reads ------------------------------------------------------------------------------

    def get_run(self, ref: str, *, project: str | None = None) -> RunRecord:
        return self._server().get_run(ref, project=project)

    def list_projects(self) -> list[ProjectRecord]:
        return self._server().list_projects()

    def list_runs(
        self, project: str, *, filter: str, sort: str, limit: int | None, offset: int
    ) -> list[RunRecord]:
        api = self._server()
        ids, columns = api.list_runs(
            project, filter=filter, sort=sort, limit=limit, offset=offset
        )
        self._columns.update(columns)
        return [_record_from_columns(run_id, project, columns[run_id]) for run_id in ids]

    def run_columns(self, run_ids: Sequence[str]) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for run_id in run_ids:
            cells = self._columns.get(run_id)
            if cells is None:
                cells = dict(self.read_fields(run_id))
                for s in self.list_series(run_id):
                    if s.kind.value == "float":
                        cells.update(
                            {s.path: s.last_value, f"{s.path}:min": s.min_value,
                             f"{s.path}:max": s.max_value}
                        )
            out[run_id] = {k: v for k, v in cells.items() if not k.startswith("sys/")}
        return out

    def read_fields(self, run_id: str) -> dict[str, object]:
        return self._server().read_fields(run_id)

    def list_series(self, run_id: str) -> list[SeriesRecord]:
        return self._server().list_series(run_id)

    def read_series(
        self,
        run_id: str,
        path: str,
        *,
        max_points: int | None,
        step_min: float | None,
        step_max: float | None,
    ) -> SeriesPage:
        return self._server().read_series(
            run_id, path, max_points=max_points, step_min=step_min, step_max=step_max
        )

    def list_files(self, run_id: str) -> list[FileRecord]:
        return self._server().list_files(run_id)

    def get_file(self, run_id: str, path: str) -> FileRecord:
        for record in self.list_files(run_id):
            if record.path == path:
                return record
        raise FieldNotFound(f"run has no file at {path!r}")

    def download(self, run_id: str, file: FileRecord, destination: str) -> str:
        return self._server().download(run_id, file, destination)


def _provisional_record(ticket: RunTicket, create: dict[str, Any], now: float) -> RunRecord:
    """The record of a run that exists only in its outbox: its key is given by the store
    it is delivered to, so until then it goes by its id."""
    return RunRecord(
        id=RunId(ticket.id),
        key=RunKey(ticket.id),
        project=ticket.project,
        name=create["name"],
        description=create["description"],
        status=RunStatus.RUNNING,
        owner=create["owner"],
        host=create["host"],
        tags=tuple(create["tags"]),
        created_at=datetime.fromtimestamp(now, tz=timezone.utc),
        ended_at=None,
        heartbeat_at=None,
        traceback=None,
        last_seq=0,
    )


def _record_from_columns(run_id: str, project: str, cells: dict[str, Any]) -> RunRecord:
    def when(name: str) -> Any:
        return cells.get(f"sys/{name}")

    body = {
        "id": run_id,
        "key": cells["sys/id"],
        "project": project,
        "name": cells.get("sys/name", ""),
        "description": cells.get("sys/description", ""),
        "status": cells["sys/status"],
        "owner": cells.get("sys/owner", ""),
        "host": cells.get("sys/host", ""),
        "tags": cells.get("sys/tags", []),
        "created_at": when("created_at"),
        "ended_at": when("ended_at"),
        "heartbeat_at": when("heartbeat_at"),
        "stop_requested_at": when("stop_requested_at"),
        "traceback": None,
        "last_seq": 0,
    }
    try:
        return run_record(body)
    except (KeyError, ValueError) as exc:
        raise RunNotFound(f"the server sent an unreadable row for run {run_id}: {exc}") from exc
