"""collect_git against real repositories made with the git command line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cairn.client.capture.git import collect_git, strip_credentials


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('hi')\n")
    (root / ".gitignore").write_text("*.log\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    return root


def test_clean_repository(repo: Path) -> None:
    info = collect_git(str(repo / "."))
    assert info is not None
    assert os.path.samefile(info.root, repo)
    assert info.commit == git(repo, "rev-parse", "HEAD") and len(info.commit) == 40
    assert info.branch == "main"
    assert info.remote_url is None
    assert info.is_dirty is False and info.diff == "" and info.untracked == ()


def test_subfolder_finds_the_root(repo: Path) -> None:
    (repo / "pkg").mkdir()
    info = collect_git(str(repo / "pkg"))
    assert info is not None and os.path.samefile(info.root, repo)


def test_dirty_diff_includes_staged_and_unstaged_changes(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    (repo / "staged.py").write_text("x = 1\n")
    git(repo, "add", "staged.py")
    (repo / "new.py").write_text("y = 2\n")
    (repo / "ignored.log").write_text("noise\n")
    info = collect_git(str(repo))
    assert info is not None and info.is_dirty
    assert "+print('changed')" in info.diff and "+x = 1" in info.diff
    assert info.is_diff_truncated is False
    assert info.untracked == ("new.py",)


def test_untracked_files_alone_do_not_make_the_tree_dirty(repo: Path) -> None:
    (repo / "new.py").write_text("y = 2\n")
    info = collect_git(str(repo))
    assert info is not None and not info.is_dirty and info.untracked == ("new.py",)


def test_diff_and_untracked_are_capped(repo: Path) -> None:
    (repo / "train.py").write_text("é" * 5000 + "\n")
    for i in range(5):
        (repo / f"u{i}.py").write_text("")
    info = collect_git(str(repo), max_diff_bytes=300, max_untracked=3)
    assert info is not None
    assert info.is_diff_truncated
    assert "diff truncated to 300 of" in info.diff
    assert len(info.diff.encode()) < 400
    assert info.untracked == ("u0.py", "u1.py", "u2.py") and info.is_untracked_truncated


def test_detached_head_has_no_branch(repo: Path) -> None:
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach")
    info = collect_git(str(repo))
    assert info is not None and info.branch is None and info.commit == commit


def test_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("")
    git(tmp_path, "add", "a.py")
    info = collect_git(str(tmp_path))
    assert info is not None
    assert info.commit is None and info.branch == "main" and info.is_dirty


def test_remote_url_loses_its_credentials(repo: Path) -> None:
    git(repo, "remote", "add", "upstream", "https://alice:s3cret@example.com/org/repo.git")
    info = collect_git(str(repo))
    assert info is not None and info.remote_url == "https://example.com/org/repo.git"
    git(repo, "remote", "add", "origin", "git@github.com:org/repo.git")
    info = collect_git(str(repo))
    assert info is not None and info.remote_url == "git@github.com:org/repo.git"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@host/x.git", "https://host/x.git"),
        ("https://ghp_token@github.com/o/r", "https://github.com/o/r"),
        ("ssh://git:pw@host:22/x.git", "ssh://git@host:22/x.git"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
        ("https://host/x.git", "https://host/x.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_outside_a_repository_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stop git from finding a repository above tmp_path (the checkout itself may be one).
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert collect_git(str(tmp_path)) is None


def test_missing_git_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert collect_git(str(tmp_path)) is None


def test_a_git_that_hangs_raises_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(["git"], 0.1)

    monkeypatch.setattr(subprocess, "run", slow)
    with pytest.raises(subprocess.TimeoutExpired):
        collect_git(str(tmp_path), timeout_s=0.1)
