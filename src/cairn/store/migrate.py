"""Create or upgrade the schema with Alembic, safely when several processes start at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from cairn.errors import SchemaOutdated
from cairn.store.dialect import lock_schema
from cairn.store.engine import WRITE

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD_REVISION", "current_revision", "upgrade"]

HEAD_REVISION = "0003"
"""The newest migration; checked against the scripts by a test, so that opening an
up-to-date store needs one SELECT instead of loading Alembic."""

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    # Alembic is imported only when a migration runs: opening an up-to-date store (every
    # client, every server start) skips its ~0.1-1 s of imports.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def script_head() -> str:
    """The head revision according to the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, *, create: bool = True, revision: str = "head") -> None:
    """Bring the schema to ``revision``; raises SchemaOutdated when ``create`` is False and
    the database is behind."""
    if revision == "head" and current_revision(engine) == HEAD_REVISION:
        return
    if not create:
        raise SchemaOutdated(
            f"the store at {engine.url!r} is not at schema {HEAD_REVISION}; "
            "run `cairn db upgrade --store URL` first"
        )
    config = _config()
    # One write transaction holding the schema lock around the whole upgrade: a second
    # process starting at the same moment (another replica) waits for the lock, then finds
    # the schema current and does nothing.
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        lock_schema(conn)
        config.attributes["connection"] = conn
        from alembic import command

        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to ``revision`` (used by tests and by operators)."""
    config = _config()
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        lock_schema(conn)
        config.attributes["connection"] = conn
        from alembic import command

        command.downgrade(config, revision)
