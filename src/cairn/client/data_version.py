"""Hash a file or folder into a data version: content hash, size and file count."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cairn.errors import UnsupportedValue

__all__ = ["DataVersion", "hash_location"]

_BLOCK = 1024 * 1024
_LISTED_FILES = 100


@dataclass(frozen=True)
class DataVersion:
    hash: str
    size_bytes: int
    file_count: int
    location: str
    files: tuple[tuple[str, int, str], ...]
    """The first files (relative path, size, sha256), for showing what changed."""


def _hash_file(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def hash_location(location: str) -> DataVersion:
    """The data version of a file, or of every file under a folder (by relative path and
    content, so that renaming a file changes the version). Raises UnsupportedValue.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"; _ = p.write_text("x\\n1\\n")
    >>> hash_location(str(p)).file_count
    1
    """
    absolute = os.path.abspath(location)
    if os.path.isfile(absolute):
        digest, size = _hash_file(absolute)
        name = os.path.basename(absolute)
        return DataVersion(digest, size, 1, absolute, ((name, size, digest),))
    if not os.path.isdir(absolute):
        raise UnsupportedValue(f"track_files: {location!r} is neither a file nor a folder")
    total = hashlib.sha256()
    entries: list[tuple[str, int, str]] = []
    size_total = 0
    for folder, dirs, names in os.walk(absolute):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(folder, name)
            relative = os.path.relpath(full, absolute).replace(os.sep, "/")
            digest, size = _hash_file(full)
            total.update(f"{relative}\0{digest}\n".encode())
            size_total += size
            entries.append((relative, size, digest))
    return DataVersion(
        total.hexdigest(), size_total, len(entries), absolute, tuple(entries[:_LISTED_FILES])
    )
