"""A real Cairn server in a subprocess on loopback, which a test may kill and restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import free_port, postgres_database, wait_until_serving

_SERVE = """
import sys, uvicorn
from cairn.server.app import create_app
from cairn.store.store import Store
store = Store.open(sys.argv[1], artifacts_url=sys.argv[2], stale_after_s=float(sys.argv[4]))
app = create_app(store, auth=sys.argv[5] == "auth")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


class ServerProcess:
    """``cairn.server`` over one store, on a fixed port so that a restart comes back at the
    same address."""

    def __init__(
        self,
        store_url: str,
        artifacts: str,
        log: Path,
        stale_after_s: float,
        *,
        auth: bool = False,
    ) -> None:
        self.auth = auth
        self.store_url = store_url
        self.artifacts = artifacts
        self.log = log
        self.stale_after_s = stale_after_s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _SERVE,
                    self.store_url,
                    self.artifacts,
                    str(self.port),
                    str(self.stale_after_s),
                    "auth" if self.auth else "open",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_serving(self.url, self.process, self.log, timeout_s=30)

    def kill(self) -> None:
        """SIGKILL: no shutdown, connections cut mid-request."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """A running server over a fresh SQLite file or PostgreSQL database. Runs count as
    crashed 3 s after their last heartbeat."""
    artifacts = str(tmp_path / "server-artifacts")
    log = tmp_path / "server.log"
    if request.param == "sqlite":
        process = ServerProcess(f"sqlite:///{tmp_path / 'server.db'}", artifacts, log, 3.0)
        process.start()
        try:
            yield process
        finally:
            process.stop()
        return
    with postgres_database() as url:
        process = ServerProcess(url, artifacts, log, 3.0)
        process.start()
        try:
            yield process
        finally:
            process.stop()


@pytest.fixture
def client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The client machine's folder (its outboxes); no CAIRN_* from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("CAIRN_"):
            monkeypatch.delenv(name)
    folder = str(tmp_path / "client" / ".cairn")
    monkeypatch.setenv("CAIRN_HOME", folder)
    return folder
