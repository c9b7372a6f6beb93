"""Shared fixtures: every test gets its own store folder in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cairn
from cairn.store.store import Store


@pytest.fixture
def home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh embedded store folder; CAIRN_HOME points at it so the CLI and API agree."""
    folder = os.path.join(str(tmp_path), ".cairn")
    monkeypatch.setenv("CAIRN_HOME", folder)
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Store]:
    opened = Store.open_home(os.path.join(str(tmp_path), "store"))
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
