"""Operations: every change a client makes to a run is one op.

Ops are built on the training thread without sequence numbers (``seq=0``); the sender thread
numbers them in queue order just before they are handed to a backend, so that a resend of
the same batch can be recognised and skipped by the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cairn.file import File
from cairn.types import FieldKind, FieldPath, RunStatus, SeriesKind

__all__ = [
    "AddTagsOp",
    "AppendOp",
    "DeleteOp",
    "HeartbeatOp",
    "Op",
    "RemoveTagsOp",
    "SetOp",
    "StatusOp",
    "TrackFilesOp",
    "UploadOp",
]


@dataclass(frozen=True, slots=True)
class SetOp:
    """Assign one field. ``value`` is already normalised for ``kind`` (see ``client/values.py``)."""

    path: FieldPath
    kind: FieldKind
    value: float | int | bool | str | None
    seq: int = 0


@dataclass(frozen=True, slots=True)
class AppendOp:
    """Append points to a series; ``steps`` strictly increase within the op."""

    path: FieldPath
    kind: SeriesKind
    steps: list[float]
    values: list[float] | list[str] | list[File]
    timestamps: list[float]
    seq: int = 0


@dataclass(frozen=True, slots=True)
class AddTagsOp:
    tags: tuple[str, ...]
    seq: int = 0


@dataclass(frozen=True, slots=True)
class RemoveTagsOp:
    tags: tuple[str, ...]
    seq: int = 0


@dataclass(frozen=True, slots=True)
class UploadOp:
    """Store a file's bytes in the artifact store and record it at ``path``."""

    path: FieldPath
    file: File
    seq: int = 0


@dataclass(frozen=True, slots=True)
class TrackFilesOp:
    """Record a data version (content hash, size, file count) at ``path``; nothing is uploaded."""

    path: FieldPath
    hash: str
    size_bytes: int
    file_count: int
    location: str
    files: tuple[tuple[str, int, str], ...] = field(default=())
    seq: int = 0


@dataclass(frozen=True, slots=True)
class StatusOp:
    status: RunStatus
    at: float
    traceback: str | None = None
    seq: int = 0


@dataclass(frozen=True, slots=True)
class HeartbeatOp:
    at: float
    seq: int = 0


@dataclass(frozen=True, slots=True)
class DeleteOp:
    path: FieldPath
    seq: int = 0


Op = (
    SetOp
    | AppendOp
    | AddTagsOp
    | RemoveTagsOp
    | UploadOp
    | TrackFilesOp
    | StatusOp
    | HeartbeatOp
    | DeleteOp
)
