"""The one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

__all__ = ["lock_schema", "upsert"]

SCHEMA_LOCK_KEY = 0x636169726E5F6462  # "cairn_db": one advisory lock per database


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``rows``; where a row with the same ``keys`` exists, overwrite ``update`` columns."""
    if not rows:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={name: stmt.excluded[name] for name in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, list(rows))


def lock_schema(conn: Connection) -> None:
    """Hold the schema lock until ``conn``'s transaction ends, so that one process at a
    time creates or upgrades the schema.

    On PostgreSQL a transaction does not serialise DDL: two processes both find no tables,
    both run CREATE TABLE, and one fails on a duplicate. A transaction-scoped advisory lock
    queues them; it is scoped to the database, so other databases on the server are not
    held up. On SQLite the write transaction (``BEGIN IMMEDIATE``) already is that lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
