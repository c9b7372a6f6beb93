"""Shared fixtures: every test gets its own store folder in tmp_path."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    *,
    path: str = "/api/v1/projects",
    timeout_s: float = 60.0,
) -> None:
    """Poll ``url + path`` until the server answers; if the process exits or time runs out,
    kill it and fail with its log."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(f"{url}{path}", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(log.read_text()) from None
            time.sleep(0.05)


def s3_environment(endpoint: str) -> dict[str, str]:
    """The standard AWS variables that point botocore (and so s3fs) at a local S3."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "cairn-test",
        "AWS_SECRET_ACCESS_KEY": "cairn-test",
        "AWS_REGION": "us-east-1",
    }


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local S3-compatible server (moto's server mode) on a loopback port, in its own
    process so that its memory never counts as the test's."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto's S3 server did not start: {log_path.read_text()}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def s3_url(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``s3://<a new bucket>/artifacts`` on the local S3; the AWS variables point at it."""
    import fsspec

    for name, value in s3_environment(s3_endpoint).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"cairn-test-{uuid.uuid4().hex[:12]}"
    fsspec.filesystem("s3").mkdir(bucket)
    return f"s3://{bucket}/artifacts"
