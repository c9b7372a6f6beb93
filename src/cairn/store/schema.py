"""SQLAlchemy Core tables of the experiment database; no logic here.

Times are UTC seconds since the epoch as floats: sortable, dialect-neutral, and cheap to
compare against ``time.time()``. Records (``records.py``) turn them into aware datetimes.

A float series keeps its points in ``series_chunks``: each row holds up to ``CHUNK_POINTS``
consecutive points as three little-endian float64 arrays (steps, values, timestamps) with
the chunk's step range, count, min and max, so that writing and reading long series touches
few rows and coarse charts can be answered from chunk summaries. The ``series`` row keeps
count, last, min and max of the whole series so that run tables sort and filter by them
without touching points. String and file series keep one row a point in ``series_entries``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "CHUNK_POINTS",
    "fields",
    "files",
    "metadata",
    "projects",
    "run_tags",
    "runs",
    "series",
    "series_chunks",
    "series_entries",
    "tokens",
    "views",
]

CHUNK_POINTS = 4096

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("key", String(64), nullable=False),
    Column("next_number", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("key", String(80), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("owner", String(256), nullable=False),
    Column("host", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("heartbeat_at", Float, nullable=True),
    Column("traceback", Text, nullable=True),
    Column("last_seq", BigInteger, nullable=False),
    # set by `cairn runs stop` or the dashboard; the client sees it at its next heartbeat.
    Column("stop_requested_at", Float, nullable=True),
    UniqueConstraint("project_id", "number"),
    Index(None, "project_id", "created_at"),
    Index(None, "key"),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(256), primary_key=True),
    Index(None, "tag"),
)

fields = Table(
    "fields",
    metadata,
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("kind", String(16), nullable=False),
    # float/int/bool (0/1)/datetime (epoch s): the number; NULL for NaN (SQLite has no NaN).
    Column("value_num", Float, nullable=True),
    # string, json text, data-version hash, or the repr of a non-finite float.
    Column("value_text", Text, nullable=True),
    # extra structure: a data version's size, file count, location and file list.
    Column("value_json", Text, nullable=True),
    Index(None, "path", "value_num"),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("path", String(1024), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("first_step", Float, nullable=True),
    Column("last_step", Float, nullable=True),
    # last/min/max of a float series; last_value is NULL for a NaN last point (SQLite has no
    # NaN); min/max ignore NaN.
    Column("last_value", Float, nullable=True),
    Column("min_value", Float, nullable=True),
    Column("max_value", Float, nullable=True),
    Column("last_at", Float, nullable=True),
    UniqueConstraint("run_id", "path"),
    Index(None, "path", "last_value"),
)

series_chunks = Table(
    "series_chunks",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column("chunk_no", Integer, primary_key=True),
    Column("first_step", Float, nullable=False),
    Column("last_step", Float, nullable=False),
    Column("count", Integer, nullable=False),
    Column("min_value", Float, nullable=True),
    Column("max_value", Float, nullable=True),
    Column("steps", LargeBinary, nullable=False),
    Column("values", LargeBinary, nullable=False),
    Column("timestamps", LargeBinary, nullable=False),
)

series_entries = Table(
    "series_entries",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column("step", Float, primary_key=True),
    Column("at", Float, nullable=False),
    # a string point, or for a file series the JSON of the stored file (sha256, size, name, mime).
    Column("value", Text, nullable=False),
)

files = Table(
    "files",
    metadata,
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("name", String(1024), nullable=False),
    Column("mime", String(200), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # sha256 hex of the secret: the token itself is shown once and never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user", String(256), nullable=False),
    # NULL: a server-wide token (every project); otherwise the one project it may reach.
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    Column("role", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index(None, "project_id"),
)

views = Table(
    "views",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    # the dashboard's state of the view: the runs table's query string (filter, sort, ...).
    Column("state", Text, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project_id", "name"),
)
