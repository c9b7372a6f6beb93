"""The cairn command against a store filled by the real client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

import cairn
from cairn.cli import app

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
        app, ["server", "--store", "sqlite:///x.db", "--artifacts", "a", "--host", "0.0.0.0"]
    )
    assert result.exit_code == 2 and "no authentication yet" in result.output
