"""Automatic capture in a real process inside a real git repository."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import cairn

pytestmark = pytest.mark.slow


def git(repo: str, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_code_environment_console_and_hardware_are_captured(home: str, tmp_path: Any) -> None:
    repo = str(tmp_path / "project")
    os.makedirs(repo)
    train = os.path.join(repo, "train.py")
    with open(train, "w") as fh:
        fh.write(
            textwrap.dedent("""
            import sys, time, cairn
            run = cairn.init(project="cap", config={"lr": 0.1}, monitoring_interval_s=0.5)
            print("epoch 1 done")
            print("warning: slow", file=sys.stderr)
            time.sleep(2.5)
            run.stop()
        """)
        )
    with open(os.path.join(repo, "requirements.txt"), "w") as fh:
        fh.write("numpy\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    with open(os.path.join(repo, "requirements.txt"), "a") as fh:
        fh.write("pandas\n")  # an uncommitted change
    proc = subprocess.run(
        [sys.executable, "train.py", "--seed", "3"],
        cwd=repo,
        env={**os.environ, "CAIRN_HOME": home},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1 done" in proc.stdout  # the console still shows output
    run = cairn.get_run("CAP-1", home=home)
    data = run.fetch()
    assert "errors" not in data.get("capture", {}), data.get("capture")
    git_fields = data["source"]["git"]
    assert len(git_fields["commit"]) == 40 and git_fields["branch"] == "main"
    assert git_fields["is_dirty"] is True
    diff = run["source/git/diff"].download(str(tmp_path / "diff.patch"))
    with open(diff) as fh:
        assert "+pandas" in fh.read()
    assert data["source"]["command"]["argv"][-2:] == ["--seed", "3"]
    assert data["source"]["file_count"] >= 1
    assert data["environment"]["python"]["version"].startswith(f"{sys.version_info[0]}.")
    assert "requirements.txt" in data["environment"]["files"]
    assert run["monitoring/stdout"].fetch_values()["value"].tolist() == ["epoch 1 done"]
    assert run["monitoring/stderr"].fetch_values()["value"].tolist() == ["warning: slow"]
    cpu = run["monitoring/cpu/percent"].fetch_values()
    assert len(cpu) >= 2
    memory = run["monitoring/memory/process_rss_mb"].fetch_values()["value"]
    assert (memory > 1).all()
    assert data["parameters"] == {"lr": 0.1}


def test_capture_failures_become_fields_not_crashes(
    home: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cairn.client.capture import git as git_capture

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("git exploded")

    monkeypatch.setattr(git_capture, "collect_git", broken)
    run = cairn.init(project="broken", home=home, capture_hardware=False, capture_console=False)
    run.stop()
    assert run["capture/errors/git"].fetch() == "OSError: git exploded"
