"""The client authenticates with CAIRN_TOKEN; the server's refusals arrive as CairnErrors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import cairn
from cairn.errors import Forbidden, Unauthorized
from cairn.store.store import Store

from .conftest import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'guarded.db'}",
        str(tmp_path / "artifacts"),
        tmp_path / "server.log",
        60.0,
        auth=True,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _token(server: ServerProcess, project: str, role: str) -> str:
    store = Store.open(server.store_url, artifacts_url="memory://tokens")
    try:
        return store.create_token(user="alice", role=role, project=project).secret
    finally:
        store.close()


def test_a_token_lets_the_client_log_and_read(
    guarded: ServerProcess, client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_URL", guarded.url)
    monkeypatch.setenv("CAIRN_TOKEN", _token(guarded, "mnist", "editor"))
    with cairn.init(project="mnist", capture=False) as run:
        run["model"].upload(cairn.File.from_bytes(b"weights", name="w.bin"))
        run["loss"].log(0.5, step=0)
    read = cairn.get_run(run.key)
    assert read["loss"].fetch_values()["value"].tolist() == [0.5]
    assert Path(read["model"].download(client_home)).read_bytes() == b"weights"


def test_without_a_token_init_says_what_to_do(
    guarded: ServerProcess, client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_URL", guarded.url)
    with pytest.raises(Unauthorized, match="token"):
        cairn.init(project="mnist", capture=False)


def test_a_viewer_token_cannot_start_runs(
    guarded: ServerProcess, client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_URL", guarded.url)
    monkeypatch.setenv("CAIRN_TOKEN", _token(guarded, "mnist", "viewer"))
    with pytest.raises(Forbidden):
        cairn.init(project="mnist", capture=False)
    with pytest.raises(Forbidden):
        cairn.init(project="other", capture=False)
