"""Shared fixtures: every test gets its own store folder in tmp_path."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

import cairn
from cairn.store.store import Store


@pytest.fixture
def home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh embedded store folder; CAIRN_HOME points at it so the CLI and API agree."""
    folder = os.path.join(str(tmp_path), ".cairn")
    monkeypatch.setenv("CAIRN_HOME", folder)
    monkeypatch.chdir(tmp_path)
    return folder


POSTGRES_ADMIN_URL = os.environ.get(
    "CAIRN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cairn_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc.orig}); start it, or "
            "point CAIRN_TEST_POSTGRES_URL at a server where this user may create databases"
        )
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Store]:
    """The store contract runs against a SQLite file and a fresh PostgreSQL database."""
    artifacts = os.path.join(str(tmp_path), "artifacts")
    if request.param == "sqlite":
        opened = Store.open_home(os.path.join(str(tmp_path), "store"))
        yield opened
        opened.close()
        return
    with postgres_database() as url:
        opened = Store.open(url, artifacts_url=artifacts)
        yield opened
        opened.close()


@pytest.fixture
def make_run(home: str) -> Iterator[Callable[..., cairn.Run]]:
    """Factory for runs without automatic capture (fast); all are stopped at teardown."""
    made: list[cairn.Run] = []

    def factory(**kwargs: Any) -> cairn.Run:
        kwargs.setdefault("project", "test")
        kwargs.setdefault("capture", False)
        run = cairn.init(home=home, **kwargs)
        made.append(run)
        return run

    yield factory
    for run in made:
        run.stop()
