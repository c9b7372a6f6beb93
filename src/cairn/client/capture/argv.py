"""How the running process was started, so that a run can be told apart and started again."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass

__all__ = ["CommandInfo", "collect_command"]


@dataclass(frozen=True)
class CommandInfo:
    """The command line of the current process."""

    argv: tuple[str, ...]  # sys.argv: the script (or -c / -m target) and its arguments
    executable: str  # the Python interpreter
    cwd: str
    entry_script: str | None  # absolute path of the main script; None when interactive
    command_line: str  # the whole invocation, shell-quoted, ready to paste into a shell


def _entry_script(argv: list[str]) -> str | None:
    # __main__.__file__ is set for ``python train.py`` and ``python -m pkg.train`` alike, and
    # is absent in a REPL, ``python -c`` and Jupyter, which have no script to point at.
    main = sys.modules.get("__main__")
    candidate = getattr(main, "__file__", None)
    if not isinstance(candidate, str) and argv and argv[0] not in ("", "-c", "-m"):
        candidate = argv[0]
    if isinstance(candidate, str) and os.path.isfile(candidate):
        return os.path.abspath(candidate)
    return None


def collect_command() -> CommandInfo:
    """The argv, interpreter, working directory and entry script of this process.

    Raises OSError only if the working directory has been deleted.

    >>> collect_command().executable == sys.executable
    True
    """
    argv = list(sys.argv)
    # sys.orig_argv (3.10+) keeps interpreter options and ``-m module`` that sys.argv loses.
    invocation = list(getattr(sys, "orig_argv", None) or [sys.executable, *argv])
    return CommandInfo(
        argv=tuple(argv),
        executable=sys.executable,
        cwd=os.getcwd(),
        entry_script=_entry_script(argv),
        command_line=shlex.join(invocation),
    )
