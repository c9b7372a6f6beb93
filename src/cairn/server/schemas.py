"""The /api/v1 contract: request and response bodies, snake_case, times as ISO-8601 UTC.

Values read from runs (fields, series points, table cells) are JSON with one addition:
a float that is not finite is the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cairn.store.records import FileRecord, ProjectRecord, RunRecord, SeriesRecord
from cairn.store.tokens import Role, TokenRecord
from cairn.store.views import MAX_NAME_CHARS, MAX_STATE_CHARS, ViewRecord
from cairn.types import FieldKind, RunStatus, SeriesKind
from cairn.wire import encode_float

__all__ = [
    "BlobStored",
    "ErrorBody",
    "FieldList",
    "FileInfo",
    "FileList",
    "GroupAggregate",
    "GroupList",
    "GroupRow",
    "OpsBatch",
    "OpsResult",
    "Project",
    "ProjectList",
    "Run",
    "RunChanged",
    "RunCreate",
    "RunDeleted",
    "RunList",
    "RunPatch",
    "RunRow",
    "SeriesChanged",
    "SeriesList",
    "SeriesPoints",
    "SeriesSummary",
    "TokenCreate",
    "TokenCreated",
    "TokenInfo",
    "TokenList",
    "View",
    "ViewCreate",
    "ViewList",
    "ViewPatch",
]

# Bounds follow the database columns, so that PostgreSQL never sees an overlong value.
Tag = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"\S")]
FloatOrText = float | str


def _safe(value: float | None) -> FloatOrText | None:
    if value is None or math.isfinite(value):
        return value
    return encode_float(value)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["run_not_found"])
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    """Every error response: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


class Project(BaseModel):
    name: str
    key: str = Field(description="prefix of the project's run keys, as in MNIST-42")
    run_count: int
    last_activity_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, record: ProjectRecord) -> Project:
        # Field names match the record's attributes one to one.
        return cls.model_validate(record, from_attributes=True)


class ProjectList(BaseModel):
    projects: list[Project]


class RunCreate(_Request):
    name: str = Field("", max_length=1024)
    tags: list[Tag] = Field(default_factory=list, max_length=1000)
    description: str = ""
    owner: str = Field("", max_length=256)
    host: str = Field("", max_length=256)
    id: UUID | None = Field(None, description="the run's UUID when the client chose it")


class RunPatch(_Request):
    name: str | None = Field(None, max_length=1024)
    description: str | None = None
    add_tags: list[Tag] = Field(default_factory=list, max_length=1000)
    remove_tags: list[Tag] = Field(default_factory=list, max_length=1000)


class Run(BaseModel):
    id: str = Field(description="UUID")
    key: str = Field(examples=["MNIST-42"])
    project: str
    name: str
    description: str
    status: RunStatus
    owner: str
    host: str
    tags: list[str]
    created_at: datetime
    ended_at: datetime | None
    heartbeat_at: datetime | None
    traceback: str | None
    last_seq: int = Field(description="highest op sequence number stored")
    stop_requested_at: datetime | None = Field(
        None, description="when someone asked the run to stop (POST /runs/{ref}/stop)"
    )

    @classmethod
    def of(cls, record: RunRecord) -> Run:
        # Field names match the record's attributes one to one.
        return cls.model_validate(record, from_attributes=True)


class RunRow(BaseModel):
    id: str = Field(description="UUID")
    key: str
    columns: dict[str, Any] = Field(
        description="sys/ fields, then field paths and float-series summaries "
        "(path = last value, path:min, path:max)"
    )


class RunList(BaseModel):
    runs: list[RunRow]
    columns: list[str] = Field(description="every column present in this page, in table order")
    offset: int
    limit: int | None
    total: int = Field(description="runs matching the filter, ignoring limit and offset")


class FieldList(BaseModel):
    fields: dict[str, Any] = Field(description="path -> value, JSON-safe")
    kinds: dict[str, FieldKind] = Field(description="path -> what the field holds")


class SeriesSummary(BaseModel):
    path: str
    kind: SeriesKind
    count: int
    first_step: float | None
    last_step: float | None
    last_value: FloatOrText | None
    min_value: FloatOrText | None
    max_value: FloatOrText | None
    last_at: datetime | None

    @classmethod
    def of(cls, record: SeriesRecord) -> SeriesSummary:
        return cls(
            path=record.path,
            kind=record.kind,
            count=record.count,
            first_step=record.first_step,
            last_step=record.last_step,
            last_value=_safe(record.last_value),
            min_value=_safe(record.min_value),
            max_value=_safe(record.max_value),
            last_at=record.last_at,
        )


class SeriesList(BaseModel):
    series: list[SeriesSummary]


class SeriesPoints(BaseModel):
    """Points of one series. ``values`` are numbers (or "NaN"/"Infinity"/"-Infinity") for
    float series, strings for string series, file references for file series;
    ``timestamps`` are epoch seconds; ``total_count`` is the length before downsampling."""

    path: str
    kind: SeriesKind
    total_count: int
    steps: list[float]
    values: list[Any]
    timestamps: list[float]


class FileInfo(BaseModel):
    path: str
    name: str
    mime: str
    size_bytes: int
    sha256: str
    created_at: datetime

    @classmethod
    def of(cls, record: FileRecord) -> FileInfo:
        # Field names match the record's attributes one to one.
        return cls.model_validate(record, from_attributes=True)


class FileList(BaseModel):
    files: list[FileInfo]


class BlobStored(BaseModel):
    sha256: str
    size_bytes: int


class TokenInfo(BaseModel):
    """An access token, without its secret."""

    id: int
    user: str
    project: str | None = Field(description="null: a server-wide token (every project)")
    role: Role
    description: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="updated at most once a minute")
    revoked_at: datetime | None

    @classmethod
    def of(cls, record: TokenRecord) -> TokenInfo:
        # Field names match the record's attributes one to one.
        return cls.model_validate(record, from_attributes=True)


class TokenList(BaseModel):
    tokens: list[TokenInfo]


class TokenCreate(_Request):
    """``POST /projects/{project}/tokens``: a token scoped to that project."""

    user: Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"\S")]
    role: Role
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class TokenCreated(BaseModel):
    """A new token. Its secret is in this answer only: the server keeps a hash."""

    token: str = Field(description="the secret, for `Authorization: Bearer`; shown once")
    info: TokenInfo


class OpsBatch(BaseModel):
    """``POST /runs/{run_id}/ops``: ops as ``cairn.wire.encode_ops`` writes them. The body
    may be gzip-compressed (``Content-Encoding: gzip``)."""

    ops: list[dict[str, Any]]


class OpsResult(BaseModel):
    applied: int
    skipped_seen: int = Field(description="ops at or below the run's last_seq (a resend)")
    last_seq: int
    rejected: list[str] = Field(description="ops refused by the store, and why")
    stop_requested: bool = Field(
        False, description="someone asked the run to stop: the client should end it (aborted)"
    )


class SeriesChanged(BaseModel):
    """Live event ``series``: the series of a run that are new or got points since the
    previous event (the dashboard refetches the points it shows), and those deleted."""

    series: list[SeriesSummary]
    removed: list[str]


class RunChanged(BaseModel):
    """Live event ``run_created`` / ``run_changed`` of a project stream."""

    id: str
    key: str
    name: str
    status: RunStatus
    last_seq: int


class RunDeleted(BaseModel):
    """Live event ``run_deleted``: of a run stream (then it ends) or of a project stream."""

    id: str
    key: str


ViewName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS, pattern=r"\S")]
ViewState = Annotated[str, StringConstraints(max_length=MAX_STATE_CHARS)]


class View(BaseModel):
    """A saved view of the dashboard's runs table."""

    id: int
    project: str
    name: str
    state: str = Field(
        description="the runs table's query string (filter, sort, cols, status, tag, group)",
        examples=["filter=parameters%2Flr+%3C+0.01&sort=-val%2Facc"],
    )
    created_by: str = Field(description="the user of the token that saved it; empty without auth")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ViewRecord) -> View:
        # Field names match the record's attributes one to one.
        return cls.model_validate(record, from_attributes=True)


class ViewList(BaseModel):
    views: list[View]


class ViewCreate(_Request):
    """``POST /projects/{project}/views``."""

    name: ViewName
    state: ViewState = ""


class ViewPatch(_Request):
    """``PUT /projects/{project}/views/{view_id}``: the parts to change."""

    name: ViewName | None = None
    state: ViewState | None = None


class GroupAggregate(BaseModel):
    mean: FloatOrText | None
    min: FloatOrText | None
    max: FloatOrText | None


class GroupRow(BaseModel):
    kind: str = Field(description="what the value is (a field kind), or `missing`")
    value: Any = Field(description="the group's value; null for runs without the path")
    filter: str = Field(description="a filter selecting exactly this group's runs")
    count: int
    aggregates: dict[str, GroupAggregate] = Field(description="column -> mean, min, max")


class GroupList(BaseModel):
    by: str
    columns: list[str] = Field(description="the number columns aggregated")
    groups: list[GroupRow]
    total_groups: int
    total_runs: int
