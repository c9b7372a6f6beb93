"""Wire the capture modules to a run: what they collect becomes fields, files and series.

Only cheap steps run on the training thread (argv, starting two threads); git, environment
and the source snapshot are collected on a background thread. Every step is guarded: a
failing capture writes its error under ``capture/errors/<name>`` and training goes on.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cairn.client.capture.argv import CommandInfo
from cairn.client.run import Run
from cairn.file import File

__all__ = ["CaptureOptions", "start_capture"]

logger = logging.getLogger("cairn")


@dataclass(frozen=True)
class CaptureOptions:
    code: bool = True
    environment: bool = True
    hardware: bool = True
    console: bool = True
    monitoring_interval_s: float = 10.0
    source_max_bytes: int = 10_000_000


def _guarded(run: Run, name: str, step: Callable[[], None]) -> None:
    try:
        step()
    except Exception as exc:  # a capture module failing must never reach training
        logger.warning("cairn: %s capture failed: %s", name, exc)
        try:
            run[f"capture/errors/{name}"] = f"{type(exc).__name__}: {exc}"
        except Exception:
            logger.exception("cairn: could not record the %s capture failure", name)


def start_capture(run: Run, options: CaptureOptions) -> None:
    """Start every capture enabled in ``options``; each stops when the run stops."""
    from cairn.client.capture.argv import collect_command

    command = collect_command()
    _guarded(run, "command", lambda: _record_command(run, command))
    if options.console:
        _guarded(run, "console", lambda: _start_console(run))
    if options.hardware:
        _guarded(run, "hardware", lambda: _start_hardware(run, options.monitoring_interval_s))
    if options.code or options.environment:
        worker = threading.Thread(
            target=_collect_slow,
            args=(run, options, command.entry_script),
            name="cairn-capture",
            daemon=True,
        )
        worker.start()
        run._on_stop.append(lambda: worker.join(timeout=30))


def _record_command(run: Run, command: CommandInfo) -> None:
    run["source/command/line"] = command.command_line
    run["source/command/argv"] = list(command.argv)
    run["source/command/executable"] = command.executable
    run["source/command/cwd"] = command.cwd
    if command.entry_script:
        run["source/command/entry_script"] = command.entry_script


def _start_console(run: Run) -> None:
    from cairn.client.capture.console import ConsoleCapture

    lock = threading.Lock()
    handles = {"stdout": run["monitoring/stdout"], "stderr": run["monitoring/stderr"]}

    def emit(stream: str, line: str, at: float) -> None:
        with lock:  # prints come from many threads; steps must still increase
            handles[stream].log(line, timestamp=at)

    capture = ConsoleCapture(emit)
    capture.start()
    run._on_stop.append(capture.stop)


def _start_hardware(run: Run, interval_s: float) -> None:
    from cairn.client.capture.hardware import HardwareMonitor

    def emit(values: dict[str, float], at: float) -> None:
        for path, value in values.items():
            run[path].log(value, timestamp=at)

    monitor = HardwareMonitor(emit, interval_s=interval_s, first_sample_s=min(0.5, interval_s))
    monitor.start()
    run._on_stop.append(monitor.stop)


def _collect_slow(run: Run, options: CaptureOptions, entry_script: str | None) -> None:
    from cairn.client.capture.source import find_project_root

    root = find_project_root(os.getcwd())
    if options.code:
        _guarded(run, "git", lambda: _record_git(run, root))
        _guarded(
            run,
            "source",
            lambda: _record_sources(run, root, entry_script, options.source_max_bytes),
        )
    if options.environment:
        _guarded(run, "environment", lambda: _record_environment(run, root))


def _record_git(run: Run, root: str) -> None:
    from cairn.client.capture.git import collect_git

    info = collect_git(root)
    if info is None:
        run["source/git/available"] = False
        return
    run["source/git/commit"] = info.commit or ""
    run["source/git/branch"] = info.branch or ""
    run["source/git/remote"] = info.remote_url or ""
    run["source/git/is_dirty"] = info.is_dirty
    run["source/git/root"] = info.root
    if info.diff:
        run["source/git/diff"].upload(
            File.from_bytes(info.diff.encode(), name="diff.patch", mime="text/x-diff")
        )
    run["source/git/is_diff_truncated"] = info.is_diff_truncated
    if info.untracked:
        run["source/git/untracked"] = list(info.untracked)


def _record_sources(run: Run, root: str, entry_script: str | None, max_bytes: int) -> None:
    from cairn.client.capture.source import detect_notebook, snapshot_sources

    snapshot = snapshot_sources(root, entry_script=entry_script, max_bytes=max_bytes)
    run["source/files"].upload(
        File.from_bytes(snapshot.data, name="sources.zip", mime="application/zip")
    )
    run["source/file_count"] = snapshot.file_count
    run["source/is_truncated"] = snapshot.truncated
    notebook = detect_notebook()
    if notebook:
        run["source/notebook"] = notebook


def _record_environment(run: Run, root: str) -> None:
    from cairn.client.capture.environment import collect_environment

    env = collect_environment(root)
    run["environment/python/version"] = env.python_version
    run["environment/python/implementation"] = env.implementation
    run["environment/platform"] = env.platform
    run["environment/os"] = env.os
    run["environment/packages"].upload(
        File.from_bytes("\n".join(env.packages).encode(), name="packages.txt")
    )
    run["environment/package_count"] = len(env.packages)
    if env.conda_name:
        run["environment/conda/name"] = env.conda_name
    if env.conda_export_error:
        run["capture/errors/conda"] = env.conda_export_error
    if env.conda_export:
        run["environment/conda/export"].upload(
            File.from_bytes(env.conda_export.encode(), name="environment.yml")
        )
    for name, data in env.project_files.items():
        run[f"environment/files/{name}"].upload(File.from_bytes(data, name=name))
