"""Store: the experiment database's one entry point, a method per use case, a transaction each."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Engine,
    RowMapping,
    Select,
    delete,
    func,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection

from cairn.errors import (
    AlreadyExists,
    FieldNotFound,
    InvalidInput,
    ProjectNotFound,
    RunFinished,
    RunNotFound,
)
from cairn.ops import AppendOp, Op, UploadOp
from cairn.store import chunks, groups, live, migrate, series_batch
from cairn.store import tokens as access
from cairn.store import views as saved_views
from cairn.store.apply import ApplyResult, StoredFile, apply_ops
from cairn.store.artifacts import ArtifactStore
from cairn.store.downsample import downsample
from cairn.store.engine import WRITE, make_engine
from cairn.store.groups import GroupPage
from cairn.store.live import ProjectProbe, RunProbe
from cairn.store.records import (
    FileRecord,
    ProjectRecord,
    RunRecord,
    SeriesPage,
    SeriesRecord,
    run_record,
    to_datetime,
)
from cairn.store.schema import (
    fields,
    files,
    projects,
    run_tags,
    runs,
    series,
    series_chunks,
    series_entries,
)
from cairn.store.series_batch import SeriesBatch
from cairn.store.tokens import NewToken, Principal, Role, TokenRecord
from cairn.store.values import field_value
from cairn.store.views import ViewRecord
from cairn.types import FieldKind, RunStatus, SeriesKind

__all__ = ["SeriesPage", "Store"]  # SeriesPage re-exported for callers of read_series


def _is_uuid(ref: str) -> bool:
    try:
        return str(uuid.UUID(ref)) == ref.lower()
    except ValueError:
        return False


_PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,199}$")


class Store:
    """Runs, fields, series and files over one SQL database and one artifact store.

    >>> store = Store.open("sqlite://", artifacts_url="memory://cairn-doctest")
    >>> store.create_run("mnist", name="baseline").key
    'MNIST-1'
    """

    def __init__(self, engine: Engine, artifacts: ArtifactStore, *, stale_after_s: float) -> None:
        self.engine = engine
        self.artifacts = artifacts
        self.stale_after_s = stale_after_s

    @classmethod
    def open(
        cls,
        url: str,
        *,
        artifacts_url: str,
        create: bool = True,
        stale_after_s: float = 60.0,
    ) -> Store:
        """Open (and by default create or upgrade) the database at ``url``.

        Raises SchemaOutdated when ``create`` is False and the schema is behind."""
        engine = make_engine(url)
        migrate.upgrade(engine, create=create)
        return cls(engine, ArtifactStore.open(artifacts_url), stale_after_s=stale_after_s)

    @classmethod
    def open_home(cls, home: str, *, stale_after_s: float = 60.0) -> Store:
        """Open the embedded store in folder ``home`` (``cairn.db`` and ``artifacts/``)."""
        os.makedirs(home, exist_ok=True)
        db = os.path.join(os.path.abspath(home), "cairn.db")
        return cls.open(
            f"sqlite:///{db}",
            artifacts_url=os.path.join(home, "artifacts"),
            stale_after_s=stale_after_s,
        )

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def cutoff(self) -> float:
        """Heartbeats older than this (epoch seconds) mean a running run has crashed."""
        return time.time() - self.stale_after_s

    # -- projects -------------------------------------------------------------------------

    def _ensure_project(self, conn: Connection, name: str) -> int:
        if not isinstance(name, str) or not _PROJECT_NAME.match(name):
            raise InvalidInput(
                f"project name {name!r} is invalid: use 1-200 letters, digits, '_', '-', '.' "
                "or spaces, starting with a letter or digit"
            )
        found = conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar()
        if found is not None:
            return int(found)
        key = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "RUN"
        return int(
            conn.execute(
                projects.insert()
                .values(name=name, key=key, next_number=1, created_at=time.time())
                .returning(projects.c.id)
            ).scalar_one()
        )

    def get_project(self, name: str) -> ProjectRecord:
        """The project called ``name``; raises ProjectNotFound."""
        found = self._project_records(projects.c.name == name)
        if not found:
            raise ProjectNotFound(f"no project named {name!r}; `cairn projects` lists them")
        return found[0]

    def list_projects(self) -> list[ProjectRecord]:
        """Every project with its run count and last activity, by name."""
        return self._project_records(true())

    def _project_records(self, where: ColumnElement[bool]) -> list[ProjectRecord]:
        activity = func.max(func.coalesce(runs.c.heartbeat_at, runs.c.created_at))
        stmt = (
            select(projects, func.count(runs.c.id).label("run_count"), activity.label("last"))
            .select_from(projects.outerjoin(runs, runs.c.project_id == projects.c.id))
            .where(where)
            .group_by(projects.c.id)
            .order_by(projects.c.name)
        )
        with self._read() as conn:
            return [
                ProjectRecord(
                    id=r.id,
                    name=r.name,
                    key=r.key,
                    created_at=to_datetime(r.created_at),  # type: ignore[arg-type]
                    run_count=r.run_count,
                    last_activity_at=to_datetime(r.last),
                )
                for r in conn.execute(stmt)
            ]

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        project: str,
        *,
        name: str = "",
        tags: Sequence[str] = (),
        owner: str = "",
        host: str = "",
        description: str = "",
        run_id: str | None = None,
    ) -> RunRecord:
        """Create a running run in ``project`` (created if new) with the next short id.
        Raises InvalidInput for a text with a NUL character, AlreadyExists for a taken id."""
        texts = {"name": name, "description": description, "owner": owner, "host": host}
        for what, text in [*texts.items(), *(("tags", tag) for tag in tags)]:
            # PostgreSQL refuses NUL in text and SQLite would keep it: refuse it on both.
            if "\x00" in text:
                raise InvalidInput(f"run {what} {text!r:.60}: text may not contain NUL characters")
        run_id = run_id or str(uuid.uuid4())
        now = time.time()
        with self._write() as conn:
            if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first():
                raise AlreadyExists(f"a run with id {run_id} exists already")
            project_id = self._ensure_project(conn, project)
            number, key = conn.execute(
                update(projects)
                .where(projects.c.id == project_id)
                .values(next_number=projects.c.next_number + 1)
                .returning(projects.c.next_number - 1, projects.c.key)
            ).one()
            conn.execute(
                runs.insert().values(
                    id=run_id,
                    project_id=project_id,
                    number=number,
                    key=f"{key}-{number}",
                    name=name,
                    description=description,
                    status=RunStatus.RUNNING.value,
                    owner=owner,
                    host=host,
                    created_at=now,
                    heartbeat_at=now,
                    last_seq=0,
                )
            )
            if tags:
                conn.execute(run_tags.insert(), [{"run_id": run_id, "tag": t} for t in set(tags)])
            return self._run_records(conn, [run_id])[0]

    def get_run(self, ref: str, *, project: str | None = None) -> RunRecord:
        """A run by short id (``MNIST-42``) or UUID; raises RunNotFound."""
        if "\x00" in ref or (project is not None and "\x00" in project):
            raise RunNotFound(f"no run {ref!r}: a run reference has no NUL characters")
        with self._read() as conn:
            stmt = select(runs.c.id).join(projects, projects.c.id == runs.c.project_id)
            # A UUID whose last group is all digits also looks like a key ("...-445102367044"),
            # so the UUID form is recognised first.
            if _is_uuid(ref):
                stmt = stmt.where(runs.c.id == ref)
            else:
                stmt = stmt.where(func.upper(runs.c.key) == ref.upper())
            if project is not None:
                stmt = stmt.where(projects.c.name == project)
            ids = list(conn.execute(stmt).scalars())
            if not ids:
                where = f" in project {project!r}" if project else ""
                raise RunNotFound(f"no run {ref!r}{where}; `cairn runs list` shows the runs")
            if len(ids) > 1:
                raise InvalidInput(f"{ref!r} names runs in several projects; pass project=")
            return self._run_records(conn, ids)[0]

    def list_runs(
        self,
        project: str,
        *,
        filter: str = "",
        sort: str = "",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs of ``project`` matching the filter language (docs/query.md), sorted.

        Raises ProjectNotFound and QuerySyntaxError."""
        from cairn.store.query import compile_sort, parse_sort

        order = compile_sort(parse_sort(sort), cutoff=self.cutoff()) if sort.strip() else []
        stmt = self._matching_runs(project, filter, select(runs.c.id))
        stmt = stmt.order_by(*order, runs.c.number.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as conn:
            return self._run_records(conn, list(conn.execute(stmt).scalars()))

    def count_runs(self, project: str, *, filter: str = "") -> int:
        """How many runs of ``project`` match the filter (what ``list_runs`` pages through).

        Raises ProjectNotFound and QuerySyntaxError."""
        stmt = self._matching_runs(project, filter, select(func.count(runs.c.id)))
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())

    def _matching_runs(self, project: str, filter: str, stmt: Select[Any]) -> Select[Any]:
        from cairn.store.query import compile_filter, parse_filter

        expr = parse_filter(filter)
        self.get_project(project)
        stmt = stmt.join(projects, projects.c.id == runs.c.project_id).where(
            projects.c.name == project
        )
        if expr is not None:
            stmt = stmt.where(compile_filter(expr, cutoff=self.cutoff()))
        return stmt

    def _run_records(self, conn: Connection, ids: Sequence[str]) -> list[RunRecord]:
        if not ids:
            return []
        tags: dict[str, list[str]] = {}
        cutoff = self.cutoff()
        records: dict[str, RunRecord] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            for run_id, tag in conn.execute(
                select(run_tags.c.run_id, run_tags.c.tag).where(run_tags.c.run_id.in_(part))
            ):
                tags.setdefault(run_id, []).append(tag)
            stmt = (
                select(runs, projects.c.name.label("project"))
                .join(projects, projects.c.id == runs.c.project_id)
                .where(runs.c.id.in_(part))
            )
            for r in conn.execute(stmt):
                records[r.id] = run_record(r, tags.get(r.id, []), cutoff=cutoff)
        return [records[i] for i in ids if i in records]

    def request_stop(self, run_id: str) -> RunRecord:
        """Ask a running run to stop: its client learns of it from the answer to its next
        batch or heartbeat (``ApplyResult.stop_requested``) and ends the run as aborted.
        Asking twice keeps the first time. A run read as crashed may still be alive (its
        heartbeat is late, not gone), so it can be asked too.

        Raises RunNotFound, and RunFinished when the run has already ended."""
        with self._write() as conn:
            row = conn.execute(
                select(runs.c.key, runs.c.status, runs.c.stop_requested_at).where(
                    runs.c.id == run_id
                )
            ).first()
            if row is None:
                raise RunNotFound(f"no run with id {run_id}")
            if row.status != RunStatus.RUNNING.value:
                raise RunFinished(
                    f"{row.key} has already ended ({row.status}); only a running run can be "
                    "asked to stop"
                )
            if row.stop_requested_at is None:
                conn.execute(
                    update(runs).where(runs.c.id == run_id).values(stop_requested_at=time.time())
                )
            return self._run_records(conn, [run_id])[0]

    def delete_run(self, run_id: str) -> None:
        """Delete a run with its fields, series, points, files and tags. The files' blobs
        stay in the artifact store: they are content-addressed and may be shared with other
        runs. The run's key is not handed out again. Raises RunNotFound."""
        with self._write() as conn:
            if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                raise RunNotFound(f"no run with id {run_id}")
            # Explicit deletes, child tables first, instead of relying on ON DELETE CASCADE
            # (SQLite enforces it only with PRAGMA foreign_keys, per connection).
            series_ids = select(series.c.id).where(series.c.run_id == run_id)
            for table in (series_chunks, series_entries):
                conn.execute(delete(table).where(table.c.series_id.in_(series_ids)))
            for table in (series, fields, files, run_tags):
                conn.execute(delete(table).where(table.c.run_id == run_id))
            conn.execute(delete(runs).where(runs.c.id == run_id))

    # -- live streams ---------------------------------------------------------------------

    def probe_run(self, run_id: str) -> RunProbe | None:
        """The run's record and series totals in one query, for a live stream to compare
        with its previous poll; None when the run was deleted."""
        with self._read() as conn:
            return live.probe_run(conn, run_id, cutoff=self.cutoff())

    def probe_project(self, project: str, *, previous: ProjectProbe | None = None) -> ProjectProbe:
        """The project's runs in brief, read again only when they changed since
        ``previous`` (one aggregate query otherwise). Raises ProjectNotFound."""
        project_id = self.get_project(project).id if previous is None else None
        with self._read() as conn:
            if project_id is None:
                project_id = conn.execute(
                    select(projects.c.id).where(projects.c.name == project)
                ).scalar()
                if project_id is None:
                    raise ProjectNotFound(f"no project named {project!r}")
            return live.probe_project(conn, project_id, cutoff=self.cutoff(), previous=previous)

    # -- writes ---------------------------------------------------------------------------

    def apply_ops(self, run_id: str, ops: Sequence[Op]) -> ApplyResult:
        """Apply a batch of ops in one transaction; file bytes go to the artifact store first
        (content-addressed, so a retried batch stores nothing twice). Raises RunNotFound."""
        stored: dict[int, StoredFile | list[StoredFile]] = {}
        for op in ops:
            if isinstance(op, UploadOp):
                stored[id(op)] = self._put(op.file)
            elif isinstance(op, AppendOp) and op.kind is SeriesKind.FILE:
                stored[id(op)] = [self._put(f) for f in op.values]
        with self._write() as conn:
            if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                raise RunNotFound(f"no run with id {run_id}")
            return apply_ops(conn, run_id, ops, stored=stored, now=time.time())

    def _put(self, file: object) -> StoredFile:
        from cairn.file import File

        assert isinstance(file, File)
        if file.sha256 is not None:
            if not self.artifacts.exists(file.sha256):
                raise InvalidInput(
                    f"{file.name}: blob {file.sha256} is not stored; upload it before the ops"
                )
            # The size comes from the artifact store, not from what the client claimed.
            size = self.artifacts.size(file.sha256)
            return StoredFile(sha256=file.sha256, size_bytes=size, name=file.name, mime=file.mime)
        if file.data is not None:
            blob = self.artifacts.put_bytes(file.data)
        else:
            assert file.source is not None
            blob = self.artifacts.put_file(file.source)
        return StoredFile(
            sha256=blob.sha256, size_bytes=blob.size_bytes, name=file.name, mime=file.mime
        )

    # -- reads ----------------------------------------------------------------------------

    def read_fields(self, run_id: str) -> dict[str, object]:
        """Every field of a run (not sys/, series or files) as path -> value."""
        with self._read() as conn:
            rows = conn.execute(
                select(fields).where(fields.c.run_id == run_id).order_by(fields.c.path)
            )
            return {r.path: field_value(r._mapping) for r in rows}

    def field_kinds(self, run_id: str) -> dict[str, FieldKind]:
        """What each field of a run holds, by path: lets an answer in JSON say which strings
        are times and which are a float that is not finite."""
        with self._read() as conn:
            rows = conn.execute(
                select(fields.c.path, fields.c.kind).where(fields.c.run_id == run_id)
            )
            return {r.path: FieldKind(r.kind) for r in rows}

    def list_series(self, run_id: str) -> list[SeriesRecord]:
        """Every series of a run with its summary, by path."""
        with self._read() as conn:
            rows = conn.execute(
                select(series).where(series.c.run_id == run_id).order_by(series.c.path)
            )
            return [_series_record(r._mapping) for r in rows]

    def get_series(self, run_id: str, path: str) -> SeriesRecord:
        """One series' summary; raises FieldNotFound."""
        with self._read() as conn:
            row = conn.execute(
                select(series).where(series.c.run_id == run_id, series.c.path == path)
            ).first()
        if row is None:
            raise FieldNotFound(f"run has no series at {path!r}")
        return _series_record(row._mapping)

    def read_series(
        self,
        run_id: str,
        path: str,
        *,
        max_points: int | None = None,
        step_min: float | None = None,
        step_max: float | None = None,
    ) -> SeriesPage:
        """A series' points, optionally within a step range and downsampled to ``max_points``
        (min/max per bucket, see downsample.py). Raises FieldNotFound, InvalidInput."""
        record = self.get_series(run_id, path)
        with self._read() as conn:
            if record.kind is SeriesKind.FLOAT:
                steps, values, stamps = chunks.read_points(
                    conn, record.id, step_min=step_min, step_max=step_max
                )
                if max_points is not None:
                    steps, values, stamps = downsample(steps, values, stamps, max_points)
                return SeriesPage(path, record.kind, steps, values, stamps, record.count)
            return self._read_entries(conn, record, max_points, step_min, step_max)

    def _read_entries(
        self,
        conn: Connection,
        record: SeriesRecord,
        max_points: int | None,
        step_min: float | None,
        step_max: float | None,
    ) -> SeriesPage:
        import json

        stmt = select(series_entries).where(series_entries.c.series_id == record.id)
        if step_min is not None:
            stmt = stmt.where(series_entries.c.step >= step_min)
        if step_max is not None:
            stmt = stmt.where(series_entries.c.step <= step_max)
        rows = conn.execute(stmt.order_by(series_entries.c.step)).all()
        if max_points is not None and len(rows) > max_points:
            # Strings and images cannot be averaged: keep evenly spaced entries, last included.
            picks = np.linspace(0, len(rows) - 1, max_points).round().astype(int)
            rows = [rows[i] for i in np.unique(picks)]
        decode = json.loads if record.kind is SeriesKind.FILE else str
        return SeriesPage(
            record.path,
            record.kind,
            np.array([r.step for r in rows], dtype=np.float64),
            [decode(r.value) for r in rows],
            np.array([r.at for r in rows], dtype=np.float64),
            record.count,
        )

    def read_series_batch(
        self,
        project: str,
        run_refs: Sequence[str],
        paths: Sequence[str],
        *,
        max_points: int,
        step_min: float | None = None,
        step_max: float | None = None,
        timestamps: bool = True,
    ) -> SeriesBatch:
        """The series at ``paths`` of each run of ``run_refs`` (ids or keys of runs of
        ``project``), each as ``read_series`` would answer it, in a few queries (see
        series_batch.py); pairs without a series are listed as missing, not an error.

        Raises ProjectNotFound, RunNotFound (a ref that is not a run of ``project``), and
        InvalidInput for more than ``series_batch.MAX_PAIRS`` pairs or points."""
        paths = list(dict.fromkeys(paths))
        series_batch.check_size(len(set(run_refs)), len(paths), max_points)
        with self._read() as conn:
            run_ids = series_batch.resolve_runs(conn, self._project_id(conn, project), run_refs)
            records: dict[tuple[str, str], SeriesRecord] = {}
            asked = [p for p in paths if "\x00" not in p]  # no stored path holds NUL
            for start in range(0, len(run_ids), 500):
                stmt = select(series).where(
                    series.c.run_id.in_(run_ids[start : start + 500]), series.c.path.in_(asked)
                )
                for r in conn.execute(stmt):
                    records[(r.run_id, r.path)] = _series_record(r._mapping)
            floats = [
                (rec.id, rec.path, rec.count)
                for rec in records.values()
                if rec.kind is SeriesKind.FLOAT
            ]
            pages = dict(
                series_batch.read_float_pages(
                    conn,
                    floats,
                    max_points=max_points,
                    step_min=step_min,
                    step_max=step_max,
                    timestamps=timestamps,
                )
            )
            found: list[tuple[str, SeriesPage]] = []
            missing: list[tuple[str, str]] = []
            for run_id in run_ids:
                for path in paths:
                    record = records.get((run_id, path))
                    if record is None:
                        missing.append((run_id, path))
                        continue
                    page = pages.get(record.id) or self._read_entries(
                        conn, record, max_points, step_min, step_max
                    )
                    found.append((run_id, page))
        return SeriesBatch(found, missing)

    def run_columns(self, run_ids: Sequence[str]) -> dict[str, dict[str, object]]:
        """For each run, its fields and float-series summaries (``path``, ``path:min``,
        ``path:max``) as a flat dict: the non-sys columns of a runs table."""
        columns: dict[str, dict[str, object]] = {run_id: {} for run_id in run_ids}
        with self._read() as conn:
            for start in range(0, len(run_ids), 500):
                part = list(run_ids[start : start + 500])
                for r in conn.execute(select(fields).where(fields.c.run_id.in_(part))):
                    columns[r.run_id][r.path] = field_value(r._mapping)
                stmt = select(series).where(
                    series.c.run_id.in_(part), series.c.kind == SeriesKind.FLOAT.value
                )
                for r in conn.execute(stmt):
                    record = _series_record(r._mapping)
                    row = columns[r.run_id]
                    row[record.path] = record.last_value
                    row[f"{record.path}:min"] = record.min_value
                    row[f"{record.path}:max"] = record.max_value
        return columns

    def list_files(self, run_id: str) -> list[FileRecord]:
        """Every file uploaded to a run, by path."""
        with self._read() as conn:
            rows = conn.execute(
                select(files).where(files.c.run_id == run_id).order_by(files.c.path)
            )
            return [_file_record(r._mapping) for r in rows]

    def get_file(self, run_id: str, path: str) -> FileRecord:
        """One file's record; raises FieldNotFound when the run has no file at ``path``."""
        with self._read() as conn:
            row = conn.execute(
                select(files).where(files.c.run_id == run_id, files.c.path == path)
            ).first()
        if row is None:
            raise FieldNotFound(f"run has no file at {path!r}")
        return _file_record(row._mapping)

    # -- access tokens --------------------------------------------------------------------

    def create_token(
        self,
        *,
        user: str,
        role: str | Role,
        project: str | None = None,
        description: str = "",
    ) -> NewToken:
        """A new access token for ``user`` with ``role`` in ``project`` (created when new);
        ``project=None`` makes a server-wide token that reaches every project. The secret is
        in the result only: the store keeps its SHA-256.

        Raises InvalidInput for an empty user, an unknown role or a bad project name.

        >>> store = Store.open("sqlite://", artifacts_url="memory://doctest-tokens")
        >>> new = store.create_token(user="alice", role="editor", project="mnist")
        >>> store.authenticate(new.secret).role.value
        'editor'
        """
        with self._write() as conn:
            project_id = None if project is None else self._ensure_project(conn, project)
            return access.create_token(
                conn,
                user=user,
                role=role,
                project=project,
                project_id=project_id,
                description=description,
                now=time.time(),
            )

    def list_tokens(
        self, *, project: str | None = None, include_revoked: bool = False
    ) -> list[TokenRecord]:
        """Tokens scoped to ``project`` (None: every token, server-wide ones included),
        oldest first, without secrets. Raises ProjectNotFound."""
        with self._read() as conn:
            project_id = None if project is None else self._project_id(conn, project)
            return access.list_tokens(conn, project_id=project_id, include_revoked=include_revoked)

    def revoke_token(self, token_id: int, *, project: str | None = None) -> TokenRecord:
        """Revoke a token; every server on this database refuses it from now on. With
        ``project``, only a token scoped to that project is found.

        Raises TokenNotFound, ProjectNotFound."""
        with self._write() as conn:
            project_id = None if project is None else self._project_id(conn, project)
            return access.revoke_token(conn, token_id, project_id=project_id, now=time.time())

    def authenticate(self, secret: str) -> Principal:
        """Who holds ``secret``, and what the token reaches. Raises Unauthorized for a
        secret that is malformed, unknown or revoked."""
        with self._read() as conn:
            principal, last_used_at = access.authenticate(conn, secret)
        now = time.time()
        if last_used_at is None or now - last_used_at >= access.TOUCH_EVERY_S:
            with self._write() as conn:
                access.touch(conn, principal.token_id, now=now)
        return principal

    # -- saved views and groups of the dashboard -----------------------------------------

    def list_views(self, project: str) -> list[ViewRecord]:
        """The project's saved views, by name. Raises ProjectNotFound."""
        with self._read() as conn:
            return saved_views.list_views(conn, self._project_id(conn, project), project)

    def get_view(self, project: str, view_id: int) -> ViewRecord:
        """One saved view. Raises ProjectNotFound, ViewNotFound."""
        with self._read() as conn:
            return saved_views.get_view(conn, self._project_id(conn, project), project, view_id)

    def create_view(
        self, project: str, *, name: str, state: str, created_by: str = ""
    ) -> ViewRecord:
        """Save a named view (the dashboard's query string ``state``) in ``project``.

        Raises ProjectNotFound, InvalidInput, and AlreadyExists for a name taken in the
        project.

        >>> store = Store.open("sqlite://", artifacts_url="memory://doctest-views")
        >>> _ = store.create_run("mnist")
        >>> store.create_view("mnist", name="best", state="sort=-val/acc").state
        'sort=-val/acc'
        """
        with self._write() as conn:
            return saved_views.create_view(
                conn,
                self._project_id(conn, project),
                project,
                name=name,
                state=state,
                created_by=created_by,
                now=time.time(),
            )

    def update_view(
        self, project: str, view_id: int, *, name: str | None = None, state: str | None = None
    ) -> ViewRecord:
        """Rename a saved view or replace its state.

        Raises ProjectNotFound, ViewNotFound, InvalidInput, AlreadyExists."""
        with self._write() as conn:
            project_id = self._project_id(conn, project)
            return saved_views.update_view(
                conn, project_id, project, view_id, name=name, state=state, now=time.time()
            )

    def delete_view(self, project: str, view_id: int) -> None:
        """Delete a saved view. Raises ProjectNotFound, ViewNotFound."""
        with self._write() as conn:
            saved_views.delete_view(conn, self._project_id(conn, project), project, view_id)

    def group_runs(
        self,
        project: str,
        *,
        by: str,
        filter: str = "",
        columns: Sequence[str] = (),
        limit: int = 1000,
    ) -> GroupPage:
        """The runs matching ``filter`` grouped by their value at ``by`` (a field path, or
        sys/status, sys/owner, sys/host), with count and mean/min/max of each number
        column per group (see groups.py).

        Raises ProjectNotFound, QuerySyntaxError, InvalidInput.

        >>> store = Store.open("sqlite://", artifacts_url="memory://doctest-groups")
        >>> run = store.create_run("mnist")
        >>> [(g.value, g.count) for g in store.group_runs("mnist", by="sys/status").groups]
        [('running', 1)]
        """
        key_columns, source = groups.group_key(by, cutoff=self.cutoff())
        value_columns = groups.value_columns(columns)
        matching = self._matching_runs(project, filter, select(*key_columns).select_from(source))
        with self._read() as conn:
            return groups.group_runs(conn, matching, by=by, columns=value_columns, limit=limit)

    def _project_id(self, conn: Connection, name: str) -> int:
        found = conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar()
        if found is None:
            raise ProjectNotFound(f"no project named {name!r}; `cairn projects` lists them")
        return int(found)


def _series_record(r: RowMapping) -> SeriesRecord:
    count = int(r["count"])
    last = r["last_value"]
    kind = SeriesKind(r["kind"])
    if last is None and count and kind is SeriesKind.FLOAT:
        last = float("nan")
    return SeriesRecord(
        id=r["id"],
        path=r["path"],
        kind=kind,
        count=count,
        first_step=r["first_step"],
        last_step=r["last_step"],
        last_value=last,
        min_value=r["min_value"],
        max_value=r["max_value"],
        last_at=to_datetime(r["last_at"]),
    )


def _file_record(r: RowMapping) -> FileRecord:
    return FileRecord(
        path=r["path"],
        name=r["name"],
        mime=r["mime"],
        size_bytes=r["size_bytes"],
        sha256=r["sha256"],
        created_at=datetime.fromtimestamp(r["created_at"], tz=timezone.utc),
    )
