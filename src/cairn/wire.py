"""Ops as JSON: what an HTTP client sends and the server accepts (``POST /api/v1/runs/{id}/ops``).

Float arrays travel as base64 of little-endian float64 (``*_f64`` keys): compact, fast with
numpy, and NaN/±inf survive (JSON has no literal for them). Single float values that are not
finite are the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``. Files travel as
references to blobs uploaded beforehand (``PUT /api/v1/blobs/{sha256}``).

Decoding checks every field and raises InvalidInput naming the op and the field, so a bad
batch is refused whole and nothing of it is stored.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from cairn.errors import InvalidInput
from cairn.file import File
from cairn.ops import (
    AddTagsOp,
    AppendOp,
    DeleteOp,
    HeartbeatOp,
    Op,
    RemoveTagsOp,
    SetOp,
    StatusOp,
    TrackFilesOp,
    UploadOp,
)
from cairn.paths import validate_path
from cairn.types import FieldKind, RunStatus, SeriesKind

__all__ = ["decode_float", "decode_ops", "encode_float", "encode_ops"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_DTYPE = np.dtype("<f8")


def encode_float(value: float) -> float | str:
    """A float for JSON: itself, or "NaN" / "Infinity" / "-Infinity"."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def decode_float(value: object, where: str) -> float:
    """The inverse of :func:`encode_float`; raises InvalidInput naming ``where``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    raise InvalidInput(f"{where}: expected a number, got {value!r:.60}")


def _f64(values: Sequence[float]) -> str:
    return base64.b64encode(np.asarray(values, dtype=_DTYPE).tobytes()).decode("ascii")


def _file_ref(file: File) -> dict[str, Any]:
    if file.sha256 is None:
        raise InvalidInput(f"{file.name}: upload the file's bytes before sending the op")
    return {
        "sha256": file.sha256,
        "size_bytes": file.size_bytes,
        "name": file.name,
        "mime": file.mime,
    }


def encode_ops(
    ops: Sequence[Op], *, store_file: Callable[[File], File] | None = None
) -> list[dict[str, Any]]:
    """JSON-ready dicts for ``ops``. Files holding bytes are first passed to ``store_file``,
    which uploads them and returns a reference (see :meth:`File.stored`).

    >>> from cairn.types import FieldPath
    >>> encode_ops([SetOp(FieldPath("lr"), FieldKind.FLOAT, float("inf"), seq=1)])
    [{'type': 'set', 'seq': 1, 'path': 'lr', 'kind': 'float', 'value': 'Infinity'}]
    """

    def ref(file: File) -> dict[str, Any]:
        if file.sha256 is None and store_file is not None:
            file = store_file(file)
        return _file_ref(file)

    return [_encode(op, ref) for op in ops]


def _encode(op: Op, ref: Callable[[File], dict[str, Any]]) -> dict[str, Any]:
    if isinstance(op, SetOp):
        value = encode_float(op.value) if isinstance(op.value, float) else op.value
        return {
            "type": "set",
            "seq": op.seq,
            "path": op.path,
            "kind": op.kind.value,
            "value": value,
        }
    if isinstance(op, AppendOp):
        body: dict[str, Any] = {
            "type": "append",
            "seq": op.seq,
            "path": op.path,
            "kind": op.kind.value,
            "steps_f64": _f64(op.steps),
            "timestamps_f64": _f64(op.timestamps),
        }
        if op.kind is SeriesKind.FLOAT:
            body["values_f64"] = _f64(op.values)  # type: ignore[arg-type]
        elif op.kind is SeriesKind.STRING:
            body["values"] = list(op.values)
        else:
            body["values"] = [ref(f) for f in op.values]  # type: ignore[arg-type]
        return body
    if isinstance(op, (AddTagsOp, RemoveTagsOp)):
        kind = "add_tags" if isinstance(op, AddTagsOp) else "remove_tags"
        return {"type": kind, "seq": op.seq, "tags": list(op.tags)}
    if isinstance(op, UploadOp):
        return {"type": "upload", "seq": op.seq, "path": op.path, "file": ref(op.file)}
    if isinstance(op, TrackFilesOp):
        return {
            "type": "track_files",
            "seq": op.seq,
            "path": op.path,
            "hash": op.hash,
            "size_bytes": op.size_bytes,
            "file_count": op.file_count,
            "location": op.location,
            "files": [list(f) for f in op.files],
        }
    if isinstance(op, StatusOp):
        return {
            "type": "status",
            "seq": op.seq,
            "status": op.status.value,
            "at": op.at,
            "traceback": op.traceback,
        }
    if isinstance(op, HeartbeatOp):
        return {"type": "heartbeat", "seq": op.seq, "at": op.at}
    return {"type": "delete", "seq": op.seq, "path": op.path}


def decode_ops(payload: object) -> list[Op]:
    """Ops from decoded JSON; raises InvalidInput naming the first bad op and field.

    >>> decode_ops([{"type": "heartbeat", "seq": 3, "at": 1.5}])
    [HeartbeatOp(at=1.5, seq=3)]
    """
    if not isinstance(payload, list):
        raise InvalidInput(f"ops: expected a list of ops, got {type(payload).__name__}")
    return [_decode(item, f"ops[{index}]") for index, item in enumerate(payload)]


class _Fields:
    """Typed access to one op's JSON object, with errors that name the field."""

    def __init__(self, item: Mapping[str, Any], where: str) -> None:
        self.item = item
        self.where = where

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.item:
            raise InvalidInput(f"{self.where}: missing {key!r}")
        value = self.item[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            raise InvalidInput(f"{self.where}.{key}: wrong type {type(value).__name__}")
        return value

    def seq(self) -> int:
        value = self.item.get("seq", 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(f"{self.where}.seq: expected a non-negative integer")
        return value

    def path(self) -> Any:
        try:
            return validate_path(self.get("path", str))
        except InvalidInput as exc:
            raise InvalidInput(f"{self.where}.path: {exc}") from exc

    def number(self, key: str) -> float:
        return decode_float(self.item.get(key), f"{self.where}.{key}")

    def f64(self, key: str) -> list[float]:
        try:
            raw = base64.b64decode(self.get(key, str), validate=True)
        except binascii.Error as exc:
            raise InvalidInput(f"{self.where}.{key}: not base64") from exc
        if len(raw) % 8:
            raise InvalidInput(f"{self.where}.{key}: length is not a multiple of 8 bytes")
        values: list[float] = np.frombuffer(raw, dtype=_DTYPE).tolist()
        return values

    def enum(self, key: str, kind: type[Any]) -> Any:
        value = self.get(key, str)
        try:
            return kind(value)
        except ValueError as exc:
            allowed = ", ".join(member.value for member in kind)
            raise InvalidInput(f"{self.where}.{key}: {value!r} is not one of {allowed}") from exc

    def tags(self) -> tuple[str, ...]:
        tags = self.get("tags", list)
        if not all(isinstance(t, str) and t.strip() for t in tags):
            raise InvalidInput(f"{self.where}.tags: tags must be non-empty strings")
        return tuple(tags)

    def file(self, value: object, where: str) -> File:
        if not isinstance(value, Mapping):
            raise InvalidInput(f"{where}: expected a file reference object")
        ref = _Fields(value, where)
        sha256 = ref.get("sha256", str)
        if not _SHA256.fullmatch(sha256):
            raise InvalidInput(f"{where}.sha256: not a SHA-256 hex digest")
        size = ref.get("size_bytes", int)
        return File.stored(sha256, size, name=ref.get("name", str), mime=ref.get("mime", str))


def _decode(item: object, where: str) -> Op:
    if not isinstance(item, Mapping):
        raise InvalidInput(f"{where}: expected an object")
    f = _Fields(item, where)
    kind = f.get("type", str)
    if kind == "set":
        return _decode_set(f)
    if kind == "append":
        return _decode_append(f)
    if kind == "add_tags":
        return AddTagsOp(f.tags(), seq=f.seq())
    if kind == "remove_tags":
        return RemoveTagsOp(f.tags(), seq=f.seq())
    if kind == "upload":
        return UploadOp(f.path(), f.file(item.get("file"), f"{where}.file"), seq=f.seq())
    if kind == "track_files":
        files = tuple(
            _file_entry(e, f"{where}.files[{i}]") for i, e in enumerate(f.get("files", list))
        )
        return TrackFilesOp(
            f.path(),
            hash=f.get("hash", str),
            size_bytes=f.get("size_bytes", int),
            file_count=f.get("file_count", int),
            location=f.get("location", str),
            files=files,
            seq=f.seq(),
        )
    if kind == "status":
        traceback = item.get("traceback")
        if traceback is not None and not isinstance(traceback, str):
            raise InvalidInput(f"{where}.traceback: expected a string")
        return StatusOp(
            f.enum("status", RunStatus), at=f.number("at"), traceback=traceback, seq=f.seq()
        )
    if kind == "heartbeat":
        return HeartbeatOp(at=f.number("at"), seq=f.seq())
    if kind == "delete":
        return DeleteOp(f.path(), seq=f.seq())
    raise InvalidInput(f"{where}.type: unknown op type {kind!r}")


def _file_entry(entry: object, where: str) -> tuple[str, int, str]:
    """One ``[relative path, size, sha256]`` entry of a data version."""
    if (
        not isinstance(entry, list)
        or len(entry) != 3
        or not isinstance(entry[0], str)
        or not isinstance(entry[1], int)
        or isinstance(entry[1], bool)
        or not isinstance(entry[2], str)
    ):
        raise InvalidInput(f"{where}: expected [path, size, sha256]")
    return entry[0], entry[1], entry[2]


def _decode_set(f: _Fields) -> SetOp:
    kind = f.enum("kind", FieldKind)
    if kind is FieldKind.DATA_VERSION:
        raise InvalidInput(f"{f.where}.kind: send data versions as track_files ops")
    value: Any
    if kind in (FieldKind.FLOAT, FieldKind.DATETIME):
        value = f.number("value")
    elif kind is FieldKind.INT:
        value = f.get("value", int)
    elif kind is FieldKind.BOOL:
        value = f.get("value", bool)
    elif kind is FieldKind.JSON:
        value = f.item.get("value")
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{f.where}.value: expected JSON text")
    else:
        value = f.get("value", str)
    return SetOp(f.path(), kind, value, seq=f.seq())


def _decode_append(f: _Fields) -> AppendOp:
    kind = f.enum("kind", SeriesKind)
    steps = f.f64("steps_f64")
    stamps = f.f64("timestamps_f64")
    values: list[Any]
    if kind is SeriesKind.FLOAT:
        values = f.f64("values_f64")
    elif kind is SeriesKind.STRING:
        values = f.get("values", list)
        if not all(isinstance(v, str) for v in values):
            raise InvalidInput(f"{f.where}.values: a string series takes strings only")
    else:
        values = [f.file(v, f"{f.where}.values[{i}]") for i, v in enumerate(f.get("values", list))]
    if not len(steps) == len(values) == len(stamps):
        raise InvalidInput(f"{f.where}: steps, values and timestamps differ in length")
    if any(not math.isfinite(s) for s in steps):
        raise InvalidInput(f"{f.where}.steps_f64: steps must be finite numbers")
    return AppendOp(f.path(), kind, steps, values, stamps, seq=f.seq())
