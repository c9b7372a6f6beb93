"""Access tokens of the team server: create, list, revoke, and authenticate a secret.

A token's secret is ``cairn_`` followed by 32 random bytes (``secrets.token_urlsafe``).
Only its SHA-256 is stored: a copy of the database holds no working token, and the secret
is shown once, when the token is created. A token belongs to a user, has a role, and is
either scoped to one project or server-wide (``project`` None: every project).

Roles grow: a viewer reads, an editor also writes runs, an admin also manages the tokens of
its project. The functions here take an open connection; ``Store`` wraps each in one
transaction (``Store.create_token`` and the like).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.engine import Connection, Row

from cairn.errors import InvalidInput, TokenNotFound, Unauthorized
from cairn.store.records import to_datetime
from cairn.store.schema import projects, tokens

__all__ = [
    "TOKEN_PREFIX",
    "NewToken",
    "Principal",
    "Role",
    "TokenRecord",
    "authenticate",
    "create_token",
    "hash_secret",
    "list_tokens",
    "revoke_token",
    "touch",
]

TOKEN_PREFIX = "cairn_"
"""Every secret starts with this, so that secret scanners and people can recognise one."""

TOUCH_EVERY_S = 60.0
"""``last_used_at`` is written at most this often per token: a write per request would
serialise every request on SQLite's write lock."""

_MAX_SECRET_CHARS = 200
_MAX_USER_CHARS = 256
_MAX_DESCRIPTION_CHARS = 2000


class Role(str, enum.Enum):
    """What a token may do in its project(s); each role includes the ones before it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def includes(self, other: Role) -> bool:
        """Whether this role may do what ``other`` may.

        >>> Role.EDITOR.includes(Role.VIEWER), Role.EDITOR.includes(Role.ADMIN)
        (True, False)
        """
        order = list(Role)
        return order.index(self) >= order.index(other)

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        """The role named ``value``; raises InvalidInput naming the roles there are."""
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise InvalidInput(f"role {value!r} does not exist; use one of {names}") from None


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: the owner of a valid token, and what it reaches."""

    token_id: int
    user: str
    project: str | None  # None: server-wide
    role: Role

    def reaches(self, project: str) -> bool:
        """Whether the token reaches ``project`` at all (whatever its role)."""
        return self.project is None or self.project == project

    def can(self, role: Role, project: str | None = None) -> bool:
        """Whether the token has at least ``role`` in ``project`` (``None``: in some project).

        >>> Principal(1, "alice", "mnist", Role.EDITOR).can(Role.VIEWER, "cifar")
        False
        """
        if project is not None and not self.reaches(project):
            return False
        return self.role.includes(role)


@dataclass(frozen=True)
class TokenRecord:
    """A stored token without its secret."""

    id: int
    user: str
    project: str | None  # None: server-wide
    role: Role
    description: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class NewToken:
    """A token just created: the only time its secret exists outside the client."""

    record: TokenRecord
    secret: str = field(repr=False)  # never in a log line or a traceback


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest stored in place of ``secret``.

    >>> len(hash_secret("cairn_abc"))
    64
    """
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _checked_text(name: str, value: str, limit: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: expected text, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name} is empty; say who the token is for, e.g. --user alice")
    if len(value) > limit:
        raise InvalidInput(f"{name} is {len(value)} characters long; the limit is {limit}")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise InvalidInput(f"{name} {value!r} contains control characters")
    return value


def create_token(
    conn: Connection,
    *,
    user: str,
    role: str | Role,
    project: str | None,
    project_id: int | None,
    description: str,
    now: float,
) -> NewToken:
    """Insert a new token and return it with its secret (shown once, never stored)."""
    user = _checked_text("user", user, _MAX_USER_CHARS, required=True)
    description = _checked_text("description", description, _MAX_DESCRIPTION_CHARS, required=False)
    parsed = Role.parse(role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(
        tokens.insert()
        .values(
            token_hash=hash_secret(secret),
            user=user,
            project_id=project_id,
            role=parsed.value,
            description=description,
            created_at=now,
        )
        .returning(tokens.c.id)
    ).scalar_one()
    record = TokenRecord(
        id=int(token_id),
        user=user,
        project=project,
        role=parsed,
        description=description,
        created_at=to_datetime(now),  # type: ignore[arg-type]
        last_used_at=None,
        revoked_at=None,
    )
    return NewToken(record=record, secret=secret)


def _query() -> Select[Any]:
    """Tokens with the name of their project (NULL for a server-wide one)."""
    return select(tokens, projects.c.name.label("project")).select_from(
        tokens.outerjoin(projects, projects.c.id == tokens.c.project_id)
    )


def _record(row: Row[Any]) -> TokenRecord:
    r = row._mapping
    return TokenRecord(
        id=int(r["id"]),
        user=r["user"],
        project=r["project"],
        role=Role(r["role"]),
        description=r["description"],
        created_at=to_datetime(r["created_at"]),  # type: ignore[arg-type]
        last_used_at=to_datetime(r["last_used_at"]),
        revoked_at=to_datetime(r["revoked_at"]),
    )


def list_tokens(
    conn: Connection, *, project_id: int | None, include_revoked: bool
) -> list[TokenRecord]:
    """Tokens scoped to ``project_id`` (None: every token), oldest first; no secrets."""
    stmt = _query().order_by(tokens.c.id)
    if project_id is not None:
        stmt = stmt.where(tokens.c.project_id == project_id)
    if not include_revoked:
        stmt = stmt.where(tokens.c.revoked_at.is_(None))
    return [_record(row) for row in conn.execute(stmt)]


def revoke_token(
    conn: Connection, token_id: int, *, project_id: int | None, now: float
) -> TokenRecord:
    """Revoke a token (at once, for every server sharing the database); revoking it again
    keeps the first time. ``project_id`` limits the search to that project's tokens.

    Raises TokenNotFound."""
    where: ColumnElement[bool] = tokens.c.id == token_id
    if project_id is not None:
        where = where & (tokens.c.project_id == project_id)
    conn.execute(update(tokens).where(where, tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    stmt = _query().where(where)
    row = conn.execute(stmt).first()
    if row is None:
        scope = "" if project_id is None else " in this project"
        raise TokenNotFound(f"no token with id {token_id}{scope}; `cairn token list` shows them")
    return _record(row)


def authenticate(conn: Connection, secret: str) -> tuple[Principal, float | None]:
    """The principal of a valid secret and when it was last used (epoch seconds).

    Raises Unauthorized for a secret that is malformed, unknown or revoked."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > _MAX_SECRET_CHARS:
        raise Unauthorized(
            f"the access token is not a Cairn token (those start with {TOKEN_PREFIX!r}); "
            "create one with `cairn token create`"
        )
    stmt = _query().where(tokens.c.token_hash == hash_secret(secret))
    row = conn.execute(stmt).first()
    if row is None:
        raise Unauthorized(
            "the access token is not known to this server; check CAIRN_TOKEN, or create "
            "a token with `cairn token create` against this server's store"
        )
    record = _record(row)
    if record.revoked_at is not None:
        raise Unauthorized(
            f"the access token {record.id} was revoked on {record.revoked_at:%Y-%m-%d %H:%M} "
            "UTC; ask an admin for a new one (`cairn token create`)"
        )
    principal = Principal(record.id, record.user, record.project, record.role)
    return principal, row._mapping["last_used_at"]


def touch(conn: Connection, token_id: int, *, now: float) -> None:
    """Record that the token was used at ``now``."""
    conn.execute(update(tokens).where(tokens.c.id == token_id).values(last_used_at=now))
