from __future__ import annotations

import dataclasses

import pytest

from cairn.errors import ConfigError, InvalidPath
from cairn.paths import join, validate_path
from cairn.settings import SETTINGS, Settings


def test_valid_paths() -> None:
    assert validate_path("train/loss") == "train/loss"
    assert join("parameters", "optimizer/", "lr") == "parameters/optimizer/lr"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "empty"),
        ("a//b", "empty segment"),
        ("a/ /b", "empty segment"),
        ("x" * 1025, "1025"),
        ("a\nb", "control"),
        ("acc:min", "reserved suffix"),
        (None, "string"),
    ],
)
def test_invalid_paths_say_why(path: object, message: str) -> None:
    with pytest.raises(InvalidPath, match=message):
        validate_path(path)


def test_settings_are_declared_once_and_complete() -> None:
    assert {s.field for s in SETTINGS} == {f.name for f in dataclasses.fields(Settings)}
    assert all(s.env.startswith("CAIRN_") and s.doc for s in SETTINGS)


def test_settings_from_env() -> None:
    settings = Settings.from_env({"CAIRN_STALE_AFTER_S": "2.5", "CAIRN_PROJECT": "x"})
    assert settings.stale_after_s == 2.5 and settings.project == "x"
    with pytest.raises(ConfigError, match="CAIRN_STALE_AFTER_S='soon'"):
        Settings.from_env({"CAIRN_STALE_AFTER_S": "soon"})
