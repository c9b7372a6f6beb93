"""Saved views of the dashboard: a name and the view's state (the runs table's query
string: filter, sort, columns, quick filters, grouping), per project.

The functions take an open connection; ``Store`` wraps each in one transaction
(``Store.create_view`` and the like). The state is kept as the text the dashboard sent:
the store does not interpret it, so a view saved by a newer dashboard survives an older
server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from cairn.errors import AlreadyExists, InvalidInput, ViewNotFound
from cairn.store.records import to_datetime
from cairn.store.schema import views as table

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_STATE_CHARS",
    "ViewRecord",
    "create_view",
    "delete_view",
    "get_view",
    "list_views",
    "update_view",
]

MAX_NAME_CHARS = 200
MAX_STATE_CHARS = 20_000
"""A view's state is an address's query string; browsers handle addresses up to a few
tens of thousands of characters, and a selection of hundreds of runs fits."""


@dataclass(frozen=True)
class ViewRecord:
    id: int
    project: str
    name: str
    state: str
    created_by: str
    created_at: datetime
    updated_at: datetime


def _checked_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > MAX_NAME_CHARS or "\x00" in clean:
        raise InvalidInput(
            f"view name {name!r:.60}: use 1-{MAX_NAME_CHARS} characters, not only spaces, no NUL"
        )
    return clean


def _checked_state(state: str) -> str:
    if len(state) > MAX_STATE_CHARS or "\x00" in state:
        raise InvalidInput(
            f"view state of {len(state)} characters: at most {MAX_STATE_CHARS}, no NUL"
        )
    return state


def _record(row: Row[tuple[object, ...]], project: str) -> ViewRecord:
    r = row._mapping
    return ViewRecord(
        id=int(r["id"]),
        project=project,
        name=str(r["name"]),
        state=str(r["state"]),
        created_by=str(r["created_by"]),
        created_at=to_datetime(r["created_at"]),  # type: ignore[arg-type]
        updated_at=to_datetime(r["updated_at"]),  # type: ignore[arg-type]
    )


def _taken(project: str, name: str) -> AlreadyExists:
    return AlreadyExists(
        f"project {project!r} has a view named {name!r} already; pick another name or "
        "update that view"
    )


def list_views(conn: Connection, project_id: int, project: str) -> list[ViewRecord]:
    """The project's views by name (case-insensitive)."""
    rows = conn.execute(select(table).where(table.c.project_id == project_id))
    return sorted((_record(r, project) for r in rows), key=lambda v: (v.name.lower(), v.id))


def get_view(conn: Connection, project_id: int, project: str, view_id: int) -> ViewRecord:
    """One view of the project; raises ViewNotFound."""
    row = conn.execute(
        select(table).where(table.c.id == view_id, table.c.project_id == project_id)
    ).first()
    if row is None:
        raise ViewNotFound(f"project {project!r} has no saved view with id {view_id}")
    return _record(row, project)


def create_view(
    conn: Connection,
    project_id: int,
    project: str,
    *,
    name: str,
    state: str,
    created_by: str,
    now: float,
) -> ViewRecord:
    """A new view; raises InvalidInput and AlreadyExists (a name is unique per project)."""
    name, state = _checked_name(name), _checked_state(state)
    if _find_by_name(conn, project_id, name) is not None:
        raise _taken(project, name)
    try:
        # The transaction is rolled back by the raise below, so no savepoint is needed.
        view_id = conn.execute(
            table.insert()
            .values(
                project_id=project_id,
                name=name,
                state=state,
                created_by=created_by[:256],
                created_at=now,
                updated_at=now,
            )
            .returning(table.c.id)
        ).scalar_one()
    except IntegrityError as exc:  # saved at the same moment by someone else
        raise _taken(project, name) from exc
    return get_view(conn, project_id, project, int(view_id))


def update_view(
    conn: Connection,
    project_id: int,
    project: str,
    view_id: int,
    *,
    name: str | None,
    state: str | None,
    now: float,
) -> ViewRecord:
    """Rename a view or replace its state; raises ViewNotFound, InvalidInput and
    AlreadyExists."""
    get_view(conn, project_id, project, view_id)
    changes: dict[str, object] = {"updated_at": now}
    if name is not None:
        name = _checked_name(name)
        other = _find_by_name(conn, project_id, name)
        if other is not None and other != view_id:
            raise _taken(project, name)
        changes["name"] = name
    if state is not None:
        changes["state"] = _checked_state(state)
    try:
        conn.execute(update(table).where(table.c.id == view_id).values(**changes))
    except IntegrityError as exc:
        raise _taken(project, str(name)) from exc
    return get_view(conn, project_id, project, view_id)


def delete_view(conn: Connection, project_id: int, project: str, view_id: int) -> None:
    """Delete a view; raises ViewNotFound."""
    get_view(conn, project_id, project, view_id)
    conn.execute(delete(table).where(table.c.id == view_id))


def _find_by_name(conn: Connection, project_id: int, name: str) -> int | None:
    found = conn.execute(
        select(table.c.id).where(table.c.project_id == project_id, table.c.name == name)
    ).scalar()
    return None if found is None else int(found)
