"""The migration scripts build exactly the tables that ``schema.py`` declares, once, however
many processes upgrade at the same moment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from tests.conftest import postgres_database

from cairn.store import migrate
from cairn.store.engine import make_engine
from cairn.store.schema import metadata
from cairn.store.store import Store


def test_migrations_match_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


_UPGRADE_WHEN_TOLD = """
import sys
from cairn.store import migrate
from cairn.store.engine import make_engine

engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
migrate.upgrade(engine)
engine.dispose()
"""


@pytest.mark.slow
def test_replicas_starting_at_once_upgrade_one_postgresql_database() -> None:
    # Four processes are started, wait until all have imported Cairn, then upgrade the
    # same empty database at the same moment, as replicas behind a load balancer would.
    with postgres_database() as url:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _UPGRADE_WHEN_TOLD, url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        try:
            for process in processes:
                assert process.stdout is not None
                assert process.stdout.readline().strip() == "ready", process.stderr
            for process in processes:
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            results = [process.communicate(timeout=120) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        assert [p.returncode for p in processes] == [0] * 4, [err for _, err in results]
        engine = make_engine(url)
        try:
            assert migrate.current_revision(engine) == migrate.HEAD_REVISION
            with engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) >= set(metadata.tables)
                assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        finally:
            engine.dispose()


def test_cairn_db_upgrade_creates_and_then_keeps_the_schema(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cairn.cli import app

    url = f"sqlite:///{tmp_path / 'team.db'}"
    for _ in range(2):
        result = CliRunner().invoke(app, ["db", "upgrade", "--store", url])
        assert result.exit_code == 0, result.output
        assert f"at schema {migrate.HEAD_REVISION}" in result.output
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.HEAD_REVISION
    finally:
        engine.dispose()


def test_cairn_db_upgrade_names_a_store_it_cannot_reach() -> None:
    from typer.testing import CliRunner

    from cairn.cli import app

    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = CliRunner().invoke(app, ["db", "upgrade", "--store", url])
    assert result.exit_code == 2
    assert "cannot upgrade postgresql+psycopg://nobody@127.0.0.1:1/none" in result.output
    bad = CliRunner().invoke(app, ["db", "upgrade", "--store", "not a url"])
    assert bad.exit_code == 2 and "--store 'not a url'" in bad.output
