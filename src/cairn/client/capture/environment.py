"""The software a run executes in: Python, platform, installed packages, conda, project files."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

__all__ = ["PROJECT_FILE_NAMES", "EnvironmentInfo", "collect_environment", "list_packages"]

PROJECT_FILE_NAMES = (
    "requirements.txt",
    "environment.yml",
    "environment.yaml",
    "pyproject.toml",
    "setup.py",
    "Dockerfile",
    "uv.lock",
    "poetry.lock",
)
DEFAULT_MAX_FILE_BYTES = 2_000_000
DEFAULT_CONDA_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class EnvironmentInfo:
    """What :func:`collect_environment` found."""

    python_version: str  # "3.11.7"
    implementation: str  # "CPython"
    platform: str  # platform.platform(): "Linux-6.1.0-x86_64-with-glibc2.36"
    os: str  # "Linux", "Darwin", "Windows"
    packages: tuple[str, ...]  # sorted "name==version" lines
    conda_name: str | None = None
    conda_prefix: str | None = None
    conda_export: str | None = None  # ``conda env export`` output when conda is on PATH
    conda_export_error: str | None = None  # why the export failed; the rest is still good
    project_files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes, from root


_package_cache: dict[tuple[tuple[str, int], ...], tuple[str, ...]] = {}


def _sys_path_state() -> tuple[tuple[str, int], ...]:
    """Each import folder with its modification time: installing or removing a package adds
    or removes a ``*.dist-info`` folder there, which changes the time."""
    state = []
    for entry in sys.path:
        try:
            state.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(state)


def list_packages() -> tuple[str, ...]:
    """Sorted ``name==version`` lines for every installed distribution, read from metadata.

    Parsing every distribution's metadata takes tens of milliseconds, so the result is kept
    for as long as no import folder changes: a sweep of many runs in one process pays once.

    >>> any(line.startswith("psutil==") for line in list_packages())
    True
    """
    key = _sys_path_state()
    cached = _package_cache.get(key)
    if cached is None:
        cached = _package_cache[key] = _read_packages()
    return cached


def _read_packages() -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue  # a broken install without metadata; nothing to name it by
        # The same name can be installed twice on sys.path; the first one wins on import.
        seen.setdefault(name.lower(), f"{name}=={dist.version}")
    return tuple(sorted(seen.values(), key=str.lower))


def _conda_export(prefix: str, timeout_s: float) -> tuple[str | None, str | None]:
    """The export text and None, or None and why it failed."""
    conda = shutil.which("conda")
    if conda is None:
        return None, None
    # A slow or broken conda must not cost the packages list, so its failure is reported
    # beside the result instead of raised.
    try:
        proc = subprocess.run(
            [conda, "env", "export", "--prefix", prefix],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"conda env export: {type(exc).__name__}: {exc}"
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", errors="replace").strip()[-500:]
        return None, f"conda env export exited with {proc.returncode}: {detail}"
    return proc.stdout.decode("utf-8", errors="replace"), None


def _project_files(root: str, max_file_bytes: int) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for name in PROJECT_FILE_NAMES:
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            continue
        # Lock files can be large; a cut-off copy is still useful, a whole one could be huge.
        with open(path, "rb") as fh:
            found[name] = fh.read(max_file_bytes)
    return found


def collect_environment(
    root: str,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    conda_timeout_s: float = DEFAULT_CONDA_TIMEOUT_S,
) -> EnvironmentInfo:
    """Describe the interpreter, platform and packages, and read the project files in ``root``.

    Files listed in PROJECT_FILE_NAMES are read up to ``max_file_bytes`` each. When
    CONDA_PREFIX is set, the conda environment is named and, with ``conda`` on PATH,
    exported; a failed or slow (``conda_timeout_s``) export is reported in
    ``conda_export_error``. Raises OSError when a project file exists but cannot be read.

    >>> collect_environment(".").implementation in ("CPython", "PyPy")
    True
    """
    conda_prefix = os.environ.get("CONDA_PREFIX") or None
    conda_name = None
    conda_export = conda_export_error = None
    if conda_prefix:
        conda_name = os.environ.get("CONDA_DEFAULT_ENV") or os.path.basename(conda_prefix)
        conda_export, conda_export_error = _conda_export(conda_prefix, conda_timeout_s)
    return EnvironmentInfo(
        python_version=platform.python_version(),
        implementation=platform.python_implementation(),
        platform=platform.platform(),
        os=platform.system(),
        packages=list_packages(),
        conda_name=conda_name,
        conda_prefix=conda_prefix,
        conda_export=conda_export,
        conda_export_error=conda_export_error,
        project_files=_project_files(root, max_file_bytes),
    )
