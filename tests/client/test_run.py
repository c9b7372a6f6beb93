"""The client API used as training code would, against a real SQLite store."""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import cairn

MakeRun = Callable[..., cairn.Run]


def test_fields_series_and_nested_fetch(make_run: MakeRun) -> None:
    run = make_run(name="baseline", tags=["cnn"])
    run["parameters/optimizer"] = {"name": "adam", "lr": 1e-3}
    run["accuracy"] = 0.92
    for loss in (0.9, 0.5, 0.3):
        run["train/loss"].log(loss)
    run.log({"val/loss": 0.4, "val/acc": 0.8}, step=3)
    run["sys/tags"].add("best")
    run.stop()
    data = run.fetch()
    assert data["parameters"]["optimizer"] == {"name": "adam", "lr": 1e-3}
    assert data["accuracy"] == 0.92 and data["train"]["loss"] == 0.3
    assert data["sys"]["status"] == "finished" and data["sys"]["tags"] == ["best", "cnn"]
    assert data["sys"]["name"] == "baseline" and data["sys"]["id"] == "TEST-1"
    frame = run["train/loss"].fetch_values()
    assert frame["step"].tolist() == [0, 1, 2] and frame["value"].tolist() == [0.9, 0.5, 0.3]
    assert str(frame["timestamp"].dt.tz) == "UTC"
    assert run["val/acc"].fetch_values()["step"].tolist() == [3]


def test_config_objects_become_parameters(make_run: MakeRun) -> None:
    @dataclasses.dataclass
    class Config:
        lr: float = 0.1
        layers: tuple[int, ...] = (64, 32)

    args = argparse.Namespace(batch_size=32, model={"depth": 3})
    first = make_run(config=Config())
    second = make_run(config=args)
    first.stop()
    second.stop()
    assert first.fetch()["parameters"] == {"lr": 0.1, "layers": [64, 32]}
    assert second.fetch()["parameters"] == {"batch_size": 32, "model": {"depth": 3}}


def test_a_repeated_step_is_refused_with_one_warning(make_run: MakeRun) -> None:
    run = make_run()
    run["x"].log(1.0, step=5)
    with pytest.warns(cairn.StepWarning, match="step 5 is not after"):
        run["x"].log(2.0, step=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run["x"].log(3.0, step=4)  # dropped silently after the first warning
    run["x"].log(4.0, step=6)
    run.stop()
    assert run["x"].fetch_values()["value"].tolist() == [1.0, 4.0]


def test_nan_and_inf_are_kept(make_run: MakeRun) -> None:
    run = make_run()
    run["x"].log(float("nan"))
    run["x"].log(float("inf"))
    run["f"] = float("-inf")
    run.stop()
    values = run["x"].fetch_values()["value"].tolist()
    assert math.isnan(values[0]) and values[1] == math.inf
    assert run["f"].fetch() == -math.inf


def test_numpy_scalars_are_accepted(make_run: MakeRun) -> None:
    run = make_run()
    run["x"].log(np.float32(0.5))
    run["n"] = np.int64(3)
    run.stop()
    assert run["x"].fetch() == 0.5 and run["n"].fetch() == 3


@pytest.mark.parametrize("path", ["", "a//b", "/a", "a/", "x" * 1025, 42])
def test_bad_paths_are_refused(make_run: MakeRun, path: Any) -> None:
    run = make_run()
    with pytest.raises(cairn.InvalidPath):
        run[path] = 1


def test_type_clashes_raise_at_the_call_site(make_run: MakeRun) -> None:
    run = make_run()
    run["acc"] = 0.5
    with pytest.raises(cairn.TypeClash, match="acc: already holds a field"):
        run["acc"].log(0.6)
    run["loss"].log(1.0)
    with pytest.raises(cairn.TypeClash):
        run["loss"] = 2.0
    with pytest.raises(cairn.TypeClash):
        run["loss"].log("text")
    with pytest.raises(cairn.UnsupportedValue, match="obj: cannot store"):
        run["obj"] = object()
    with pytest.raises(cairn.InvalidInput, match="sys/"):
        run["sys/status"] = "finished"
    run.stop()
    assert run["acc"].fetch() == 0.5 and run["loss"].fetch() == 1.0


def test_writing_after_stop_raises(make_run: MakeRun) -> None:
    run = make_run()
    handle = run["x"]
    handle.log(1.0)
    run.stop()
    with pytest.raises(cairn.RunFinished):
        run["y"] = 1
    with pytest.raises(cairn.RunFinished, match="is stopped"):
        handle.log(2.0)
    assert run["x"].fetch_values()["value"].tolist() == [1.0]


def test_resume_continues_steps(make_run: MakeRun, home: str) -> None:
    run = make_run()
    run["x"].log(1.0)
    run["x"].log(2.0)
    run.stop()
    again = cairn.init(run=run.key, home=home, capture=False)
    assert again.key == run.key
    again["x"].log(3.0)
    with pytest.raises(cairn.TypeClash):
        again["x"] = 5
    again.stop()
    frame = again["x"].fetch_values()
    assert frame["step"].tolist() == [0, 1, 2] and frame["value"].tolist() == [1, 2, 3]
    assert cairn.get_run(run.key, home=home)["sys/status"].fetch() == "finished"


def test_resume_unknown_run(home: str) -> None:
    with pytest.raises(cairn.RunNotFound, match="NOPE-3"):
        cairn.init(run="NOPE-3", home=home, capture=False)


def test_with_block_marks_failed_and_keeps_traceback(make_run: MakeRun, home: str) -> None:
    with pytest.raises(ZeroDivisionError), make_run() as run:
        run["x"].log(1.0)
        1 / 0  # noqa: B018
    record = cairn.get_run(run.key, home=home)
    assert record["sys/status"].fetch() == "failed"
    assert "ZeroDivisionError" in (record._refresh().traceback or "")
    assert record["x"].fetch() == 1.0


def test_keyboard_interrupt_marks_aborted(make_run: MakeRun) -> None:
    with pytest.raises(KeyboardInterrupt), make_run() as run:
        raise KeyboardInterrupt
    assert run["sys/status"].fetch() == "aborted"


def test_read_only_run_refuses_writes(make_run: MakeRun, home: str) -> None:
    run = make_run()
    run.stop()
    reader = cairn.get_run(run.key, home=home)
    with pytest.raises(cairn.RunFinished, match="read-only"):
        reader["x"].log(1.0)


def test_upload_download_and_images(make_run: MakeRun, tmp_path: Any) -> None:
    model = tmp_path / "model.pt"
    model.write_bytes(b"\x00weights" * 1000)
    run = make_run()
    run["model"].upload(str(model))
    run["pred"].log(cairn.File.as_image(np.random.default_rng(0).random((8, 8))), step=1)
    run["pred"].log(cairn.File.as_image(np.zeros((4, 4, 3), dtype=np.uint8)), step=2)
    with pytest.raises(cairn.UnsupportedValue, match="shape"):
        cairn.File.as_image(np.zeros((2, 2, 7)))
    run.stop()
    target = run["model"].download(str(tmp_path / "out"))
    with open(target, "rb") as fh:
        assert fh.read() == model.read_bytes()
    folder = tmp_path / "folder"
    folder.mkdir()
    assert run["model"].download(str(folder)) == os.path.join(str(folder), "model.pt")
    frame = run["pred"].fetch_values()
    assert frame["step"].tolist() == [1, 2] and frame["value"][0]["mime"] == "image/png"


def test_track_files_records_a_data_version(make_run: MakeRun, tmp_path: Any) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("x\n1\n")
    (data / "b.csv").write_text("x\n2\n")
    run = make_run()
    run["data/train"].track_files(str(data))
    run.stop()
    version = run["data/train"].fetch()
    assert version["file_count"] == 2 and version["size_bytes"] == 8
    (data / "b.csv").write_text("x\n3\n")
    other = make_run()
    other["data/train"].track_files(str(data))
    other.stop()
    assert other["data/train"].fetch()["hash"] != version["hash"]


def test_downsampled_fetch(make_run: MakeRun) -> None:
    run = make_run()
    handle = run["x"]
    for i in range(10_000):
        handle.log(math.sin(i / 50))
    run.stop()
    assert len(run["x"].fetch_values(max_points=200)) <= 200
    assert len(run["x"].fetch_values()) == 10_000
