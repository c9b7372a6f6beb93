"""Parse and validate field paths, and name the reserved namespaces."""

from __future__ import annotations

from typing import Final

from cairn.errors import InvalidPath
from cairn.types import FieldPath

__all__ = [
    "MAX_PATH_LENGTH",
    "SYS",
    "SYS_WRITABLE",
    "join",
    "validate_path",
]

MAX_PATH_LENGTH: Final = 1024

SYS: Final = "sys"
"""System fields live under ``sys/``; most are read-only and kept as run columns."""

SYS_WRITABLE: Final = frozenset({"sys/name", "sys/description", "sys/tags"})
"""The system paths that training code may assign."""

SYS_FIELDS: Final = (
    "sys/id",
    "sys/name",
    "sys/tags",
    "sys/status",
    "sys/owner",
    "sys/host",
    "sys/created_at",
    "sys/ended_at",
    "sys/heartbeat_at",
    "sys/description",
    "sys/stop_requested_at",
)

_valid_cache: dict[str, FieldPath] = {}


def validate_path(path: object) -> FieldPath:
    """Return ``path`` as a :class:`FieldPath`, or raise :class:`InvalidPath` saying what is wrong.

    >>> validate_path("train/loss")
    'train/loss'
    """
    if isinstance(path, str) and path in _valid_cache:
        return _valid_cache[path]
    if not isinstance(path, str):
        raise InvalidPath(f"a path must be a string like 'train/loss', got {type(path).__name__}")
    if not path:
        raise InvalidPath("a path must not be empty; use something like 'train/loss'")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidPath(
            f"path {path[:40]!r}... is {len(path)} characters long; the limit is {MAX_PATH_LENGTH}"
        )
    for index, segment in enumerate(path.split("/")):
        if not segment.strip():
            raise InvalidPath(
                f"path {path!r} has an empty segment (number {index + 1}); "
                "remove the doubled, leading or trailing '/'"
            )
    if any(ord(ch) < 32 for ch in path):
        raise InvalidPath(f"path {path!r} contains a control character")
    if path.endswith(":min") or path.endswith(":max") or path.endswith(":last"):
        raise InvalidPath(f"path {path!r} ends in a reserved suffix (:min, :max, :last)")
    if len(_valid_cache) < 100_000:
        _valid_cache[path] = FieldPath(path)
    return FieldPath(path)


def join(*parts: str) -> FieldPath:
    """Join path segments with ``/`` and validate the result.

    >>> join("parameters", "optimizer", "lr")
    'parameters/optimizer/lr'
    """
    return validate_path("/".join(p.strip("/") for p in parts if p))


def is_reserved(path: str) -> bool:
    """True when ``path`` is a read-only system path."""
    return path.startswith("sys/") and path not in SYS_WRITABLE
