"""snapshot_sources, find_project_root and detect_notebook on real folders."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

from cairn.client.capture.source import detect_notebook, find_project_root, snapshot_sources


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return sorted(archive.namelist())


def write(root: Path, relative: str, text: str = "x = 1\n") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "project"
    for relative in [
        "train.py",
        "pkg/model.py",
        "conf/train.yaml",
        "nb.ipynb",
        "README.md",
        ".venv/lib/site.py",
        "venv/x.py",
        "pkg/__pycache__/m.py",
        ".cairn/c.py",
        "node_modules/m/index.py",
        ".hidden/h.py",
        "build/out.py",
    ]:
        write(root, relative)
    write(root, ".gitignore", "build/\n")
    return root


def test_git_repository_respects_gitignore(project: Path) -> None:
    git(project, "init", "-q")
    git(project, "add", "train.py", "pkg/model.py", ".gitignore")
    git(project, "commit", "-qm", "first")
    snapshot = snapshot_sources(str(project), entry_script=None, max_bytes=10_000_000)
    # Tracked and untracked-but-not-ignored sources are in; build/ is ignored by .gitignore.
    assert "build/out.py" not in names(snapshot.data)
    assert {"train.py", "pkg/model.py", "conf/train.yaml", "nb.ipynb"} <= set(names(snapshot.data))
    assert "README.md" not in names(snapshot.data)
    assert snapshot.file_count == len(names(snapshot.data)) and not snapshot.truncated


def test_plain_folder_skips_environments_and_hidden_folders(project: Path) -> None:
    snapshot = snapshot_sources(str(project), entry_script=None, max_bytes=10_000_000)
    assert names(snapshot.data) == [
        "build/out.py",
        "conf/train.yaml",
        "nb.ipynb",
        "pkg/model.py",
        "train.py",
    ]
    with zipfile.ZipFile(io.BytesIO(snapshot.data)) as archive:
        assert archive.read("train.py") == b"x = 1\n"
    assert snapshot.total_bytes == 5 * len(b"x = 1\n")


def test_cap_stops_the_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for i in range(10):
        write(tmp_path, f"m{i}.py", "a" * 100)
    snapshot = snapshot_sources(str(tmp_path), entry_script=None, max_bytes=350)
    assert snapshot.truncated and snapshot.file_count == 3 and snapshot.total_bytes == 300
    assert len(names(snapshot.data)) == 3


def test_large_files_are_skipped_not_truncating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    write(tmp_path, "data.json", "[" + "1," * 1000 + "1]")
    write(tmp_path, "big.py", "b" * 500)
    write(tmp_path, "small.py")
    snapshot = snapshot_sources(
        str(tmp_path), entry_script=None, max_bytes=10_000, max_file_bytes=400, max_config_bytes=100
    )
    assert names(snapshot.data) == ["small.py"]
    assert sorted(snapshot.skipped) == ["big.py", "data.json"] and not snapshot.truncated


def test_entry_script_is_always_included(tmp_path: Path, project: Path) -> None:
    outside = write(tmp_path, "elsewhere/run_me.sh", "echo hi\n")
    inside = project / "build" / "out.py"
    git(project, "init", "-q")
    snapshot = snapshot_sources(str(project), entry_script=str(outside), max_bytes=10_000_000)
    assert "__entry__/run_me.sh" in names(snapshot.data)
    snapshot = snapshot_sources(str(project), entry_script=str(inside), max_bytes=10_000_000)
    assert "build/out.py" in names(snapshot.data)  # ignored by git, but it is what ran


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        snapshot_sources(str(tmp_path / "nope"), entry_script=None, max_bytes=10)


def test_find_project_root(project: Path) -> None:
    assert find_project_root(str(project / "pkg")) == str(project / "pkg")
    git(project, "init", "-q")
    assert os.path.samefile(find_project_root(str(project / "pkg")), project)


def test_find_project_root_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_project_root(str(tmp_path)) == str(tmp_path)


def test_detect_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/a/analysis.ipynb")
    assert detect_notebook() is None  # not inside a kernel: the variable alone does not count
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert detect_notebook() == "/home/a/analysis.ipynb"
    monkeypatch.setattr(sys.modules["__main__"], "__session__", "/home/a/lab.ipynb", raising=False)
    assert detect_notebook() == "/home/a/lab.ipynb"
