"""collect_command in this process and in real child processes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from cairn.client.capture.argv import collect_command

_PRINT = (
    "import json, dataclasses\n"
    "from cairn.client.capture.argv import collect_command\n"
    "print(json.dumps(dataclasses.asdict(collect_command())))\n"
)


def run_child(args: list[str], cwd: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_this_process() -> None:
    info = collect_command()
    assert info.argv == tuple(sys.argv)
    assert info.executable == sys.executable
    assert info.cwd == os.getcwd()
    parts = shlex.split(info.command_line)
    assert parts[len(parts) - len(sys.argv) + 1 :] == sys.argv[1:]


def test_a_script_with_arguments(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(_PRINT)
    info = run_child(["train.py", "--seed", "3", "--name", "two words"], tmp_path)
    assert info["argv"] == ["train.py", "--seed", "3", "--name", "two words"]
    assert info["entry_script"] == str(script.resolve())
    assert os.path.samefile(str(info["cwd"]), tmp_path)
    assert shlex.split(str(info["command_line"]))[1:] == [
        "train.py",
        "--seed",
        "3",
        "--name",
        "two words",
    ]


def test_a_module_run_with_dash_m(tmp_path: Path) -> None:
    (tmp_path / "trainer.py").write_text(_PRINT)
    info = run_child(["-m", "trainer", "--lr", "0.1"], tmp_path)
    assert info["entry_script"] == str((tmp_path / "trainer.py").resolve())
    assert shlex.split(str(info["command_line"]))[1:] == ["-m", "trainer", "--lr", "0.1"]


def test_interactive_code_has_no_entry_script(tmp_path: Path) -> None:
    info = run_child(["-c", _PRINT], tmp_path)
    assert info["entry_script"] is None
    assert info["argv"] == ["-c"]
