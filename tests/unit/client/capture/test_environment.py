"""collect_environment: interpreter, packages, conda and project files."""

from __future__ import annotations

import os
import platform
import stat
import sys
from pathlib import Path

import pytest

from cairn.client.capture.environment import collect_environment, list_packages


def test_interpreter_and_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    info = collect_environment(str(tmp_path))
    assert info.python_version == platform.python_version()
    assert info.python_version.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}")
    assert info.implementation == platform.python_implementation()
    assert info.os == platform.system() and info.platform
    assert info.conda_name is None and info.conda_export is None
    assert info.project_files == {}


def test_packages_are_sorted_name_version_lines() -> None:
    packages = list_packages()
    assert any(line.startswith("psutil==") for line in packages)
    assert all("==" in line for line in packages)
    assert list(packages) == sorted(packages, key=str.lower)
    names = [line.split("==")[0].lower() for line in packages]
    assert len(names) == len(set(names))


def test_project_files_are_read_and_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    (tmp_path / "requirements.txt").write_text("numpy\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\n")
    (tmp_path / "uv.lock").write_bytes(b"x" * 100)
    (tmp_path / "README.md").write_text("not a project file")
    info = collect_environment(str(tmp_path), max_file_bytes=10)
    assert info.project_files == {
        "requirements.txt": b"numpy\n",
        "Dockerfile": b"FROM pytho",
        "uv.lock": b"x" * 10,
    }


def test_conda_name_and_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    conda = bin_dir / "conda"
    # A fake conda on PATH that prints what a real export would start with.
    conda.write_text("#!/bin/sh\necho \"name: $4\"\necho 'dependencies: []'\n")
    conda.chmod(conda.stat().st_mode | stat.S_IEXEC)
    prefix = str(tmp_path / "envs" / "torch")
    monkeypatch.setenv("CONDA_PREFIX", prefix)
    monkeypatch.delenv("CONDA_DEFAULT_ENV", raising=False)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    info = collect_environment(str(tmp_path))
    assert info.conda_name == "torch" and info.conda_prefix == prefix
    assert info.conda_export == f"name: {prefix}\ndependencies: []\n"
    assert info.conda_export_error is None


def test_a_failing_conda_keeps_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conda = tmp_path / "conda"
    conda.write_text("#!/bin/sh\necho 'broken env' >&2\nexit 3\n")
    conda.chmod(conda.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path))
    monkeypatch.setenv("CONDA_DEFAULT_ENV", "base")
    monkeypatch.setenv("PATH", str(tmp_path))
    info = collect_environment(str(tmp_path))
    assert info.conda_name == "base" and info.conda_export is None
    assert info.conda_export_error == "conda env export exited with 3: broken env"
    assert info.packages
