"""A zip of the project's source files, so that a run can be read and re-run later."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from cairn.client.capture.git import run_git

__all__ = ["SourceSnapshot", "detect_notebook", "find_project_root", "snapshot_sources"]

CODE_SUFFIXES = (".py", ".ipynb")
CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".cfg", ".json")
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "__pycache__",
        ".cairn",
        "node_modules",
        "site-packages",
        "dist-packages",
    }
)
DEFAULT_MAX_FILE_BYTES = 2_000_000
DEFAULT_MAX_CONFIG_BYTES = 256_000  # larger .json/.yaml files are usually data, not config
MAX_SCANNED_ENTRIES = 200_000  # a walk from a home folder must end; git listings are exact
_MAX_SKIPPED_NAMES = 100


@dataclass(frozen=True)
class SourceSnapshot:
    """A zip of source files; ``truncated`` is True when ``max_bytes`` stopped the snapshot."""

    data: bytes  # the zip archive
    file_count: int
    total_bytes: int  # uncompressed size of the files in the zip
    truncated: bool
    skipped: tuple[str, ...]  # files left out for their size or because they were unreadable


def find_project_root(start: str) -> str:
    """The top of the git repository holding ``start``, else ``start`` itself (absolute).

    Never raises: without git, or when git hangs, the answer is ``start``.

    >>> os.path.isabs(find_project_root("."))
    True
    """
    try:
        out = run_git(["rev-parse", "--show-toplevel"], start)
    except (OSError, subprocess.SubprocessError):
        out = None  # no git, or it timed out: the folder itself is the best root we know
    top = out.decode("utf-8", errors="replace").strip() if out else ""
    return os.path.abspath(top or start)


def _git_listing(root: str) -> list[str] | None:
    try:
        out = run_git(
            ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], root, timeout_s=30.0
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no usable git: fall back to walking the folder
    if out is None:
        return None
    return sorted({n.decode("utf-8", errors="replace") for n in out.split(b"\0") if n})


def _walk(root: str) -> Iterator[str]:
    scanned = 0
    for folder, dirs, files in os.walk(root):
        # Pruning in place keeps os.walk out of environments, caches and hidden folders.
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            scanned += 1
            if scanned > MAX_SCANNED_ENTRIES:
                return
            yield os.path.relpath(os.path.join(folder, name), root)


def _size_limit(name: str, max_file_bytes: int, max_config_bytes: int) -> int | None:
    lower = name.lower()
    if lower.endswith(CODE_SUFFIXES):
        return max_file_bytes
    if lower.endswith(CONFIG_SUFFIXES):
        return max_config_bytes
    return None


def _arcname(root: str, path: str) -> str:
    relative = os.path.relpath(path, root)
    if relative.startswith(os.pardir):
        # An entry script outside the project still belongs in the zip, under its own name.
        relative = os.path.join("__entry__", os.path.basename(path))
    return relative.replace(os.sep, "/")


def snapshot_sources(
    root: str,
    *,
    entry_script: str | None,
    max_bytes: int,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_config_bytes: int = DEFAULT_MAX_CONFIG_BYTES,
) -> SourceSnapshot:
    """Zip the Python sources and small config files under ``root``.

    In a git repository the files are those git lists (tracked, or untracked and not
    ignored); elsewhere the folder is walked, skipping SKIPPED_DIRS and hidden folders.
    ``entry_script`` goes in first, whatever its suffix or place. Files larger than
    ``max_file_bytes`` (code) or ``max_config_bytes`` (config) are skipped; the snapshot stops,
    with ``truncated=True``, before the files would exceed ``max_bytes`` in all.
    Unreadable files are skipped, never raised. Raises OSError only if ``root`` is missing.

    >>> snapshot_sources(".", entry_script=None, max_bytes=10_000).data[:2]
    b'PK'
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f"source root {root!r} is not a folder")
    root = os.path.abspath(root)
    listing = _git_listing(root)
    names = listing if listing is not None else _walk(root)
    candidates: list[tuple[str, int | None]] = []
    if entry_script:
        candidates.append((os.path.abspath(entry_script), max_bytes))
    for name in names:
        limit = _size_limit(name, max_file_bytes, max_config_bytes)
        if limit is not None:
            candidates.append((os.path.join(root, name), limit))
    return _zip(root, candidates, max_bytes)


def _zip(root: str, candidates: list[tuple[str, int | None]], max_bytes: int) -> SourceSnapshot:
    buffer = io.BytesIO()
    seen: set[str] = set()
    skipped: list[str] = []
    total = count = 0
    truncated = False
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, limit in candidates:
            arcname = _arcname(root, path)
            if arcname in seen:
                continue
            seen.add(arcname)
            try:
                size = os.path.getsize(path)
                if limit is not None and size > limit:
                    skipped.append(arcname)
                    continue
                if total + size > max_bytes:
                    truncated = True
                    break
                with open(path, "rb") as fh:
                    data = fh.read(size)  # a file growing meanwhile is cut at the size checked
                info = zipfile.ZipInfo.from_file(path, arcname, strict_timestamps=False)
            except OSError:
                skipped.append(arcname)  # deleted since listed, a broken link, no permission
                continue
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            total += len(data)
            count += 1
    return SourceSnapshot(
        data=buffer.getvalue(),
        file_count=count,
        total_bytes=total,
        truncated=truncated,
        skipped=tuple(skipped[:_MAX_SKIPPED_NAMES]),
    )


def detect_notebook() -> str | None:
    """The path or name of the Jupyter notebook running this kernel, when it can be told.

    Jupyter sets ``__session__`` in the notebook's namespace (JupyterLab, VS Code) or the
    JPY_SESSION_NAME variable (jupyter_server 2); both only count inside an ipykernel.

    >>> detect_notebook() is None  # not inside Jupyter
    True
    """
    if "ipykernel" not in sys.modules:
        return None
    session = getattr(sys.modules.get("__main__"), "__session__", None)
    if isinstance(session, str) and session:
        return session
    return os.environ.get("JPY_SESSION_NAME") or None
