"""Apply a batch of ops to one run inside one write transaction.

Idempotent by sequence number: ops at or below the run's ``last_seq`` were applied before
(a resend after a failure) and are skipped. An op that clashes with what is stored (another
kind at the same path, a step not after the series' last step) is skipped and reported in the
result; the rest of the batch still lands, so nothing already logged is lost.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import RowMapping, delete, select, update
from sqlalchemy.engine import Connection

from cairn.errors import InvalidInput
from cairn.ops import (
    AddTagsOp,
    AppendOp,
    DeleteOp,
    HeartbeatOp,
    Op,
    RemoveTagsOp,
    SetOp,
    StatusOp,
    TrackFilesOp,
    UploadOp,
)
from cairn.store import chunks
from cairn.store.dialect import upsert
from cairn.store.schema import fields, files, run_tags, runs, series, series_entries
from cairn.types import FieldKind, RunStatus, SeriesKind

__all__ = ["ApplyResult", "StoredFile", "apply_ops"]

_TERMINAL = {RunStatus.FINISHED, RunStatus.FAILED, RunStatus.ABORTED, RunStatus.CRASHED}


@dataclass(frozen=True)
class StoredFile:
    """A file already written to the artifact store, ready to be recorded."""

    sha256: str
    size_bytes: int
    name: str
    mime: str


@dataclass
class ApplyResult:
    applied: int = 0
    skipped_seen: int = 0
    last_seq: int = 0
    rejected: list[str] = field(default_factory=list)
    # Someone asked the run to stop (`cairn runs stop`, the dashboard): the client learns
    # of it from the answer to its next batch or heartbeat.
    stop_requested: bool = False


def apply_ops(
    conn: Connection,
    run_id: str,
    ops: Sequence[Op],
    *,
    stored: Mapping[int, StoredFile | list[StoredFile]],
    now: float,
) -> ApplyResult:
    """Apply ``ops`` to ``run_id``; ``stored`` maps ``id(op)`` of uploads and file appends to
    what the artifact store holds for them. The caller owns the transaction."""
    # FOR UPDATE: two replicas handed the same resent batch at once would otherwise both
    # read the old last_seq and both apply it (PostgreSQL's READ COMMITTED); the second now
    # waits, then reads the new last_seq and skips. SQLite's BEGIN IMMEDIATE already
    # serialises writers, and SQLAlchemy leaves the clause out there.
    last_seq, stop_at = conn.execute(
        select(runs.c.last_seq, runs.c.stop_requested_at)
        .where(runs.c.id == run_id)
        .with_for_update()
    ).one()
    result = ApplyResult(last_seq=last_seq, stop_requested=stop_at is not None)
    writer = _Writer(conn, run_id, now, result)
    for op in ops:
        if op.seq and op.seq <= last_seq:
            result.skipped_seen += 1
            continue
        _refuse_nul(op)
        writer.apply(op, stored.get(id(op)))
        result.applied += 1
        result.last_seq = max(result.last_seq, op.seq)
    writer.flush_appends()
    if result.last_seq > last_seq:
        conn.execute(update(runs).where(runs.c.id == run_id).values(last_seq=result.last_seq))
    return result


def _refuse_nul(op: Op) -> None:
    """PostgreSQL refuses NUL in text and SQLite keeps it: refuse it on both, before any
    write, so that the batch fails whole the same way on either store."""
    texts: list[object] = []
    if isinstance(op, SetOp):
        texts = [op.value]
    elif isinstance(op, (AddTagsOp, RemoveTagsOp)):
        texts = list(op.tags)
    elif isinstance(op, AppendOp) and op.kind is SeriesKind.STRING:
        texts = list(op.values)
    elif isinstance(op, StatusOp):
        texts = [op.traceback]
    for text in texts:
        if isinstance(text, str) and "\x00" in text:
            where = getattr(op, "path", "tags" if isinstance(op, (AddTagsOp, RemoveTagsOp)) else "")
            raise InvalidInput(f"{where}: text may not contain NUL characters, got {text!r:.60}")


class _Writer:
    """Holds per-batch caches; float appends to one path are merged and written once."""

    def __init__(self, conn: Connection, run_id: str, now: float, result: ApplyResult) -> None:
        self.conn = conn
        self.run_id = run_id
        self.now = now
        self.result = result
        self.pending: dict[str, list[AppendOp]] = {}
        self.holders: dict[str, str] | None = None

    def apply(self, op: Op, stored: StoredFile | list[StoredFile] | None) -> None:
        path = getattr(op, "path", None)
        if path is not None and path in self.pending and not isinstance(op, AppendOp):
            self._flush_path(path)
        if isinstance(op, AppendOp):
            if op.kind is SeriesKind.FLOAT:
                self.pending.setdefault(op.path, []).append(op)
            else:
                self._append_entries(op, stored)
        elif isinstance(op, SetOp):
            self._set(op)
        elif isinstance(op, HeartbeatOp):
            self.conn.execute(
                update(runs).where(runs.c.id == self.run_id).values(heartbeat_at=op.at)
            )
        elif isinstance(op, StatusOp):
            self._status(op)
        elif isinstance(op, AddTagsOp):
            rows = [{"run_id": self.run_id, "tag": tag} for tag in op.tags]
            upsert(self.conn, run_tags, rows, keys=("run_id", "tag"), update=())
        elif isinstance(op, RemoveTagsOp):
            self.conn.execute(
                delete(run_tags).where(
                    run_tags.c.run_id == self.run_id, run_tags.c.tag.in_(op.tags)
                )
            )
        elif isinstance(op, UploadOp):
            assert isinstance(stored, StoredFile)
            self._upload(op, stored)
        elif isinstance(op, TrackFilesOp):
            self._track_files(op)
        elif isinstance(op, DeleteOp):
            self._delete(op)

    # -- fields -------------------------------------------------------------------------

    def _set(self, op: SetOp) -> None:
        if op.path in ("sys/name", "sys/description"):
            column = op.path.removeprefix("sys/")
            self.conn.execute(
                update(runs).where(runs.c.id == self.run_id).values({column: str(op.value)})
            )
            return
        if self._clashes(op.path, "field"):
            return
        self._upsert_field(op.path, op.kind, op.value, None)

    def _upsert_field(
        self, path: str, kind: FieldKind, value: object, extra: dict[str, object] | None
    ) -> None:
        value_num: float | None = None
        value_text: str | None = None
        if kind in (FieldKind.FLOAT, FieldKind.INT, FieldKind.BOOL, FieldKind.DATETIME):
            number = float(value)  # type: ignore[arg-type]
            value_num = None if math.isnan(number) else number
            if not math.isfinite(number):
                value_text = repr(number)
        else:
            value_text = None if value is None else str(value)
        row = {
            "run_id": self.run_id,
            "path": path,
            "kind": kind.value,
            "value_num": value_num,
            "value_text": value_text,
            "value_json": None if extra is None else json.dumps(extra),
        }
        upsert(
            self.conn,
            fields,
            [row],
            keys=("run_id", "path"),
            update=("kind", "value_num", "value_text", "value_json"),
        )

    def _track_files(self, op: TrackFilesOp) -> None:
        if self._clashes(op.path, "field"):
            return
        extra: dict[str, object] = {
            "hash": op.hash,
            "size_bytes": op.size_bytes,
            "file_count": op.file_count,
            "location": op.location,
            "files": [list(entry) for entry in op.files],
        }
        self._upsert_field(op.path, FieldKind.DATA_VERSION, op.hash, extra)

    def _upload(self, op: UploadOp, stored: StoredFile) -> None:
        if self._clashes(op.path, "file"):
            return
        row = {
            "run_id": self.run_id,
            "path": op.path,
            "name": stored.name,
            "mime": stored.mime,
            "size_bytes": stored.size_bytes,
            "sha256": stored.sha256,
            "created_at": self.now,
        }
        upsert(
            self.conn,
            files,
            [row],
            keys=("run_id", "path"),
            update=("name", "mime", "size_bytes", "sha256", "created_at"),
        )

    def _delete(self, op: DeleteOp) -> None:
        self._holders().pop(op.path, None)
        for table in (fields, files):
            self.conn.execute(
                delete(table).where(table.c.run_id == self.run_id, table.c.path == op.path)
            )
        series_id = self.conn.execute(
            select(series.c.id).where(series.c.run_id == self.run_id, series.c.path == op.path)
        ).scalar()
        if series_id is not None:
            chunks.delete_series_points(self.conn, series_id)
            self.conn.execute(delete(series).where(series.c.id == series_id))

    def _status(self, op: StatusOp) -> None:
        values: dict[str, object] = {"status": op.status.value, "heartbeat_at": op.at}
        if op.status in _TERMINAL:
            values["ended_at"] = op.at
        else:
            values["ended_at"] = None
        if op.traceback is not None:
            values["traceback"] = op.traceback
        self.conn.execute(update(runs).where(runs.c.id == self.run_id).values(values))

    def _holders(self) -> dict[str, str]:
        """What each of the run's paths holds ("field", "file", "series"), read once a batch:
        one query per table instead of three per op."""
        if self.holders is None:
            self.holders = {}
            for table, holder in ((fields, "field"), (files, "file"), (series, "series")):
                stmt = select(table.c.path).where(table.c.run_id == self.run_id)
                self.holders.update((path, holder) for path in self.conn.execute(stmt).scalars())
        return self.holders

    def _clashes(self, path: str, wanted: str) -> bool:
        """True (and reported) when ``path`` already holds something other than ``wanted``;
        otherwise ``path`` is recorded as holding ``wanted`` from now on."""
        held = self._holders().get(path)
        if held is not None and not wanted.startswith(held):
            self.result.rejected.append(
                f"{path}: cannot store a {wanted} here, it already holds a {held}"
            )
            return True
        self._holders()[path] = wanted.split(" ")[0]
        return False

    # -- series -------------------------------------------------------------------------

    def _series_row(self, path: str) -> RowMapping | None:
        row = self.conn.execute(
            select(series).where(series.c.run_id == self.run_id, series.c.path == path)
        ).first()
        return None if row is None else row._mapping

    def _series_for(self, path: str, kind: SeriesKind) -> RowMapping | None:
        row = self._series_row(path)
        if row is None:
            if self._clashes(path, f"series of {kind.value}s"):
                return None
            self.conn.execute(
                series.insert().values(run_id=self.run_id, path=path, kind=kind.value, count=0)
            )
            row = self._series_row(path)
            assert row is not None
        elif row["kind"] != kind.value:
            self.result.rejected.append(
                f"{path}: cannot append {kind.value} points to a series of {row['kind']}s"
            )
            return None
        return row

    def flush_appends(self) -> None:
        for path in list(self.pending):
            self._flush_path(path)

    def _flush_path(self, path: str) -> None:
        batch = self.pending.pop(path)
        row = self._series_for(path, SeriesKind.FLOAT)
        if row is None:
            return
        steps = np.fromiter((s for op in batch for s in op.steps), dtype=np.float64)
        values = np.fromiter((float(v) for op in batch for v in op.values), dtype=np.float64)  # type: ignore[arg-type]
        stamps = np.fromiter((t for op in batch for t in op.timestamps), dtype=np.float64)
        dropped = chunks.append_points(self.conn, row, steps, values, stamps)
        if dropped:
            self.result.rejected.append(
                f"{path}: {dropped} point(s) skipped, their steps were not after the last step"
            )

    def _append_entries(self, op: AppendOp, stored: StoredFile | list[StoredFile] | None) -> None:
        row = self._series_for(op.path, op.kind)
        if row is None:
            return
        if op.kind is SeriesKind.FILE:
            assert isinstance(stored, list)
            texts = [json.dumps(s.__dict__) for s in stored]
        else:
            texts = [str(v) for v in op.values]
        last = row["last_step"]
        entries = []
        for step, at, text in zip(op.steps, op.timestamps, texts, strict=False):
            if last is not None and step <= last:
                continue
            entries.append({"series_id": row["id"], "step": step, "at": at, "value": text})
            last = step
        skipped = len(op.steps) - len(entries)
        if skipped:
            self.result.rejected.append(
                f"{op.path}: {skipped} point(s) skipped, their steps were not after the last step"
            )
        if not entries:
            return
        self.conn.execute(series_entries.insert(), entries)
        self.conn.execute(
            update(series)
            .where(series.c.id == row["id"])
            .values(
                count=series.c.count + len(entries),
                first_step=entries[0]["step"] if row["first_step"] is None else row["first_step"],
                last_step=entries[-1]["step"],
                last_at=entries[-1]["at"],
            )
        )
