"""Whole training processes against one store: concurrency, SIGKILL, crashes, exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

import cairn

pytestmark = pytest.mark.slow


def script(tmp_path: Any, body: str) -> str:
    path = os.path.join(str(tmp_path), f"train_{abs(hash(body))}.py")
    with open(path, "w") as fh:
        fh.write(textwrap.dedent(body))
    return path


def start(path: str, home: str, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, path, *args],
        env={**os.environ, "CAIRN_HOME": home, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_log_to_one_store_at_once(home: str, tmp_path: Any) -> None:
    path = script(
        tmp_path,
        """
        import sys, cairn
        run = cairn.init(project="par", name=sys.argv[1], capture=False)
        for i in range(20_000):
            run["train/loss"].log(1.0 / (i + 1))
            if i % 2000 == 0:
                run[f"checkpoints/{i}"] = i
                run.wait()
        run.stop()
    """,
    )
    procs = [start(path, home, name) for name in ("a", "b", "c")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    frame = cairn.Project("par", home=home).runs()
    assert sorted(frame["sys/name"]) == ["a", "b", "c"]
    assert set(frame["sys/status"]) == {"finished"}
    for key in frame["sys/id"]:
        values = cairn.get_run(key, home=home)["train/loss"].fetch_values()
        assert len(values) == 20_000 and values["step"].tolist() == list(range(20_000))


def test_sigkill_keeps_what_was_flushed_and_is_later_crashed(
    home: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = script(
        tmp_path,
        """
        import time, cairn
        run = cairn.init(project="kill", capture=False)
        for i in range(5000):
            run["x"].log(float(i))
        run["marker"] = "flushed"
        run.wait()
        print(run.key, flush=True)
        i = 5000
        while True:
            run["x"].log(float(i)); i += 1
            time.sleep(0.001)
    """,
    )
    proc = start(path, home, CAIRN_HEARTBEAT_INTERVAL_S="0.2")
    assert proc.stdout is not None
    key = proc.stdout.readline().strip()
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    monkeypatch.setenv("CAIRN_STALE_AFTER_S", "30")
    run = cairn.get_run(key, home=home)
    assert run["sys/status"].fetch() == "running"  # heartbeat still fresh
    values = run["x"].fetch_values()["value"].tolist()
    assert values[:5000] == [float(i) for i in range(5000)]
    assert values == [float(i) for i in range(len(values))]  # no gaps, no half batches
    assert run["marker"].fetch() == "flushed"
    monkeypatch.setenv("CAIRN_STALE_AFTER_S", "1")
    time.sleep(1.5)
    assert cairn.get_run(key, home=home)["sys/status"].fetch() == "crashed"
    crashed = cairn.Project("kill", home=home).runs(filter="status = 'crashed'")
    assert crashed["sys/id"].tolist() == [key]


def test_uncaught_exception_marks_failed_with_traceback(home: str, tmp_path: Any) -> None:
    path = script(
        tmp_path,
        """
        import cairn
        run = cairn.init(project="fail", capture=False)
        run["x"].log(1.0)
        raise RuntimeError("diverged at step 1")
    """,
    )
    proc = start(path, home)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "diverged at step 1" in err
    record = cairn.get_run("FAIL-1", home=home)._refresh()
    assert record.status is cairn.RunStatus.FAILED
    assert "RuntimeError: diverged at step 1" in (record.traceback or "")


def test_a_script_that_never_calls_stop_ends_finished(home: str, tmp_path: Any) -> None:
    path = script(
        tmp_path,
        """
        import cairn
        run = cairn.init(project="exit", capture=False)
        for i in range(1000):
            run["x"].log(i)
    """,
    )
    proc = start(path, home)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    run = cairn.get_run("EXIT-1", home=home)
    assert run["sys/status"].fetch() == "finished"
    assert len(run["x"].fetch_values()) == 1000
