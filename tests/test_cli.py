"""The cairn command against a store filled by the real client."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

import cairn
from cairn.cli import app
from cairn.ops import StatusOp
from cairn.store.store import Store
from cairn.types import RunStatus

runner = CliRunner()


@pytest.fixture
def seeded(make_run: Callable[..., cairn.Run]) -> list[str]:
    keys = []
    for lr, acc in ((0.1, 0.7), (0.01, 0.9), (0.001, 0.8)):
        run = make_run(project="cli", config={"lr": lr, "optimizer": "adam"}, tags=["cnn"])
        for step in range(3):
            run["val/acc"].log(acc - 0.1 * (2 - step))
        run["model"].upload(cairn.File.from_bytes(b"w", name="model.bin"))
        run.stop()
        keys.append(run.key)
    return keys


def test_projects(seeded: list[str]) -> None:
    result = runner.invoke(app, ["projects"])
    assert result.exit_code == 0 and "cli" in result.output and "3" in result.output


def test_runs_list_filters_and_sorts(seeded: list[str]) -> None:
    result = runner.invoke(
        app, ["runs", "list", "--filter", "parameters/lr < 0.05", "--sort", "-val/acc"]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "CLI-" in line]
    assert [line.split()[1] for line in lines] == ["CLI-2", "CLI-3"]


def test_runs_list_reports_a_bad_filter_with_its_position(seeded: list[str]) -> None:
    result = runner.invoke(app, ["runs", "list", "--filter", "val/acc >> 1"])
    assert result.exit_code == 2
    assert "position" in result.output


def test_runs_show(seeded: list[str]) -> None:
    result = runner.invoke(app, ["runs", "show", "CLI-2"])
    assert result.exit_code == 0, result.output
    for text in ("parameters/lr", "0.01", "val/acc", "model.bin", "finished"):
        assert text in result.output


def test_runs_show_unknown(seeded: list[str]) -> None:
    result = runner.invoke(app, ["runs", "show", "CLI-99"])
    assert result.exit_code == 2 and "no run 'CLI-99'" in result.output


def test_compare_shows_only_differences(seeded: list[str]) -> None:
    result = runner.invoke(app, ["compare", "CLI-1", "CLI-2"])
    assert result.exit_code == 0, result.output
    assert "parameters/lr" in result.output
    assert "parameters/optimizer" not in result.output
    everything = runner.invoke(app, ["compare", "CLI-1", "CLI-2", "--all"])
    assert "parameters/optimizer" in everything.output


def test_server_refuses_a_public_address_without_auth(tmp_path: object) -> None:
    result = runner.invoke(
        app,
        ["server", "--store", "sqlite:///x.db", "--artifacts", "a", "--host", "0.0.0.0",
         "--no-auth"],
    )  # fmt: skip
    assert result.exit_code == 2 and "without authentication" in result.output


def test_runs_stop_sets_the_request(home: str) -> None:
    # A run without a live client: one would act on the request and interrupt the test.
    store = Store.open_home(home)
    try:
        run = store.create_run("cli")
        result = runner.invoke(app, ["runs", "stop", run.key])
        assert result.exit_code == 0, result.output
        assert f"asked {run.key} to stop" in result.output
        assert store.get_run(run.key).stop_requested_at is not None
        store.apply_ops(run.id, [StatusOp(RunStatus.ABORTED, at=time.time(), seq=1)])
        ended = runner.invoke(app, ["runs", "stop", run.key])
        assert ended.exit_code == 2 and "has already ended (aborted)" in ended.output
        unknown = runner.invoke(app, ["runs", "stop", "CLI-99"])
        assert unknown.exit_code == 2 and "no run 'CLI-99'" in unknown.output
    finally:
        store.close()


def test_runs_delete_asks_first(seeded: list[str]) -> None:
    declined = runner.invoke(app, ["runs", "delete", seeded[0]], input="n\n")
    assert declined.exit_code == 1 and "Delete run" in declined.output
    assert runner.invoke(app, ["runs", "show", seeded[0]]).exit_code == 0
    confirmed = runner.invoke(app, ["runs", "delete", seeded[0]], input="y\n")
    assert confirmed.exit_code == 0 and f"deleted {seeded[0]}" in confirmed.output
    assert runner.invoke(app, ["runs", "show", seeded[0]]).exit_code == 2
    quiet = runner.invoke(app, ["runs", "delete", "--yes", seeded[1]])
    assert quiet.exit_code == 0, quiet.output
    listed = runner.invoke(app, ["runs", "list"])
    assert seeded[2] in listed.output and seeded[1] not in listed.output
    assert "1 run(s)" in listed.output
