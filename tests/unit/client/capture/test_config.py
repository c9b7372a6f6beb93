"""flatten_config over every supported kind of config, and its errors."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cairn.client.capture.config import flatten_config
from cairn.errors import UnsupportedValue


def test_nested_dict() -> None:
    config = {
        "model": {"layers": 4, "act": "relu", "dropout": None},
        "optimizer": {"name": "adam", "betas": [0.9, 0.999], "sched": {"warmup": True}},
        "seed": 3,
    }
    assert flatten_config(config) == {
        "model/layers": 4,
        "model/act": "relu",
        "model/dropout": None,
        "optimizer/name": "adam",
        "optimizer/betas": [0.9, 0.999],
        "optimizer/sched/warmup": True,
        "seed": 3,
    }


def test_argparse_namespace() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/out"))
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(["--lr", "0.5"])
    assert flatten_config(args) == {"lr": 0.5, "out": "/tmp/out", "layers": [1, 2]}


@dataclasses.dataclass
class Optimizer:
    name: str = "sgd"
    lr: float = 0.01


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class TrainConfig:
    optimizer: Optimizer = dataclasses.field(default_factory=Optimizer)
    epochs: int = 10
    color: Color = Color.RED
    shape: tuple[int, int] = (28, 28)
    started: dt.date = dt.date(2024, 1, 2)


def test_dataclass_nested() -> None:
    assert flatten_config(TrainConfig()) == {
        "optimizer/name": "sgd",
        "optimizer/lr": 0.01,
        "epochs": 10,
        "color": "red",
        "shape": (28, 28),
        "started": dt.date(2024, 1, 2),
    }


def test_pydantic_v2_model() -> None:
    import pydantic  # installed with the server's dependencies

    class Model(pydantic.BaseModel):
        lr: float = 0.1
        sizes: list[int] = [1, 2]
        inner: dict[str, int] = {"a": 1}

    assert flatten_config(Model()) == {"lr": 0.1, "sizes": [1, 2], "inner/a": 1}


def test_pydantic_v1_style_model() -> None:
    class V1Model:  # what pydantic v1 models look like from outside
        __fields__ = {"lr": None}

        def dict(self) -> dict[str, Any]:
            return {"lr": 0.2, "nested": {"x": 1}}

    assert flatten_config(V1Model()) == {"lr": 0.2, "nested/x": 1}


def test_omegaconf_through_the_imported_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for omegaconf so the test runs without it; only the duck-typed API is used.
    fake = types.ModuleType("omegaconf")

    class DictConfig:
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

    class ListConfig:
        pass

    class OmegaConf:
        @staticmethod
        def to_container(cfg: DictConfig, resolve: bool) -> dict[str, Any]:
            assert resolve
            return cfg.data

    fake.DictConfig = DictConfig  # type: ignore[attr-defined]
    fake.ListConfig = ListConfig  # type: ignore[attr-defined]
    fake.OmegaConf = OmegaConf  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "omegaconf", fake)
    cfg = DictConfig({"data": {"path": "/d", "batch": 32}})
    assert flatten_config(cfg) == {"data/path": "/d", "data/batch": 32}


def test_click_context_params(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for click (not installed here): a Context's parsed options are ``params``.
    fake = types.ModuleType("click")

    class Context:
        def __init__(self) -> None:
            self.params = {"lr": 0.5, "epochs": 3}
            self.command = "train"

    fake.Context = Context  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "click", fake)
    assert flatten_config(Context()) == {"lr": 0.5, "epochs": 3}


def test_plain_object_public_attributes() -> None:
    class Settings:
        def __init__(self) -> None:
            self.lr = 0.1
            self.nested = {"a": 1}
            self._private = "hidden"

    assert flatten_config(Settings()) == {"lr": 0.1, "nested/a": 1}


def test_keys_with_slashes_become_segments() -> None:
    assert flatten_config({"a/b": {"c": 1}, "d": 2}) == {"a/b/c": 1, "d": 2}


def test_lists_keep_json_structures_and_convert_scalars() -> None:
    flat = flatten_config(
        {
            "layers": [{"size": np.int64(3), "kind": Color.RED}, [1, 2]],
            "tags": {"b", "a"},
            "w": np.float32(0.5),
        }
    )
    assert flat == {"layers": [{"size": 3, "kind": "red"}, [1, 2]], "tags": ["a", "b"], "w": 0.5}
    assert type(flat["w"]) is float


def test_empty_nested_dict_is_dropped() -> None:
    assert flatten_config({"a": {}, "b": 1}) == {"b": 1}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"": 1}, "config key ''"),
        ({"opt": {"": 1}}, "under 'opt'"),
        ({"a//b": 1}, "empty '/' segment"),
        ({"a": object()}, "config value at 'a' is a object"),
        ({"a": [object()]}, "config value at 'a' is a object"),
        ({"a": {"b": b"raw"}}, "'a/b' is a bytes"),
        ({(1, 2): 1}, "keys must be strings"),
        ({"a/b": 1, "a": {"b": 2}}, "'a/b' appears twice"),
        ({"a": 1, "a/b": 2}, "holds a value and also nested keys"),
        ({"a": [{"": 1}]}, "keys must be non-empty strings"),
    ],
)
def test_unsupported_values_name_the_key(config: dict[Any, Any], message: str) -> None:
    with pytest.raises(UnsupportedValue, match=message.replace("(", r"\(")):
        flatten_config(config)


@pytest.mark.parametrize("config", [3, "lr=0.1", [1, 2], None, dict])
def test_unsupported_config_types(config: object) -> None:
    with pytest.raises(UnsupportedValue, match="cannot read a config from a"):
        flatten_config(config)


def test_a_cycle_is_an_error_not_a_recursion_error() -> None:
    config: dict[str, Any] = {"a": {}}
    config["a"]["self"] = config
    with pytest.raises(UnsupportedValue, match="contains itself"):
        flatten_config(config)
