"""The client against a real server: the same API as the embedded store, over HTTP."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

import cairn
from cairn.errors import BackendError, QuerySyntaxError, RunNotFound

from .conftest import ServerProcess

pytestmark = pytest.mark.slow


def test_a_run_logged_over_http_reads_back_the_same(
    server: ServerProcess, client_home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(os.urandom(3 * 1024 * 1024))
    with cairn.init(project="mnist", url=server.url, capture=False, tags=["http"]) as run:
        run["parameters"] = {"lr": 0.01, "optimizer": {"name": "adam"}}
        run["parameters/nan"] = math.nan
        for step in range(10_000):
            run["train/loss"].log(1.0 / (step + 1), step=step)
        run["notes"].log("first", step=0)
        run["model"].upload(weights)
        run["preview"].log(cairn.File.from_bytes(b"\x89PNG fake", name="p.png"), step=1)
        key = run.key
    assert key == "MNIST-1"
    outboxes = os.path.join(client_home, "outbox")
    assert os.listdir(outboxes) == [], "a delivered run leaves no outbox behind"
    monkeypatch.setenv("CAIRN_URL", server.url)

    read = cairn.get_run(key)
    assert read.fetch()["sys"]["status"] == "finished"
    assert read["parameters/optimizer/name"].fetch() == "adam"
    assert math.isnan(read["parameters/nan"].fetch())
    loss = read["train/loss"].fetch_values()
    assert len(loss) == 10_000 and loss["value"].iloc[-1] == pytest.approx(1e-4)
    assert loss["step"].dtype == np.int64
    coarse = read["train/loss"].fetch_values(max_points=100)
    assert 2 <= len(coarse) <= 100
    assert read["notes"].fetch_values()["value"].tolist() == ["first"]
    downloaded = read["model"].download(str(tmp_path / "out"))
    assert Path(downloaded).read_bytes() == weights.read_bytes()

    table = cairn.Project("mnist").runs(filter="train/loss < 0.001")
    assert table["sys/id"].tolist() == ["MNIST-1"]
    assert table["parameters/lr"].tolist() == [0.01]
    with pytest.raises(QuerySyntaxError, match="position"):
        cairn.Project("mnist").runs(filter="train/loss <")
    with pytest.raises(RunNotFound):
        cairn.get_run("MNIST-99")
    assert [p.name for p in cairn.list_projects()] == ["mnist"]


def test_resume_over_http_continues_the_sequence(
    server: ServerProcess, client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_URL", server.url)
    with cairn.init(project="p", capture=False) as run:
        run["loss"].log(1.0, step=0)
        key = run.key
    with cairn.init(run=key, capture=False) as again:
        with pytest.warns(cairn.StepWarning):
            again["loss"].log(9.0, step=0)  # the server already has step 0
        again["loss"].log(0.5, step=1)
    values = cairn.get_run(key)["loss"].fetch_values()
    assert values["value"].tolist() == [1.0, 0.5]


def test_an_unreachable_server_is_a_clear_error_for_reads(
    client_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIRN_URL", "http://127.0.0.1:9")
    with pytest.raises(BackendError, match="cannot reach the Cairn server at"):
        cairn.get_run("P-1")
