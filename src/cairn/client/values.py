"""Check and normalise what training code assigns or logs, before anything is queued."""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
from typing import Any

from cairn.errors import TypeClash, UnsupportedValue
from cairn.file import File
from cairn.types import FieldKind, SeriesKind

__all__ = ["field_value", "float_value", "series_kind_of"]


def _unwrap(value: Any) -> Any:
    """numpy scalars, 0-d arrays and one-element tensors become plain Python values."""
    item = getattr(value, "item", None)
    if item is not None and not isinstance(value, (str, bytes)):
        size = getattr(value, "size", None)
        numel = getattr(value, "numel", None)
        count = numel() if callable(numel) else size
        if count in (None, 1):
            return item()
    return value


def field_value(path: str, value: Any) -> tuple[FieldKind, float | int | bool | str | None]:
    """The kind and stored form of a single field value; raises UnsupportedValue.

    >>> field_value("parameters/lr", 0.001)
    (<FieldKind.FLOAT: 'float'>, 0.001)
    """
    value = _unwrap(value)
    if isinstance(value, bool):
        return FieldKind.BOOL, value
    if isinstance(value, int):
        return FieldKind.INT, value
    if isinstance(value, float):
        return FieldKind.FLOAT, value
    if isinstance(value, enum.Enum):
        return field_value(path, value.value)
    if isinstance(value, str):
        return FieldKind.STRING, value
    if isinstance(value, os.PathLike):
        return FieldKind.STRING, os.fspath(value)
    if isinstance(value, dt.datetime):
        return FieldKind.DATETIME, value.timestamp()
    if isinstance(value, (dt.date, dt.time)):
        return FieldKind.STRING, value.isoformat()
    if value is None or isinstance(value, (list, tuple, set, frozenset)):
        try:
            items = sorted(value) if isinstance(value, (set, frozenset)) else value
            return FieldKind.JSON, json.dumps(items, default=_json_default, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise UnsupportedValue(f"{path}: cannot store {value!r}: {exc}") from exc
    raise UnsupportedValue(
        f"{path}: cannot store a value of type {type(value).__name__}; use a number, string, "
        "bool, datetime, list, a dict (becomes several fields) or cairn.File"
    )


def _json_default(value: Any) -> Any:
    unwrapped = _unwrap(value)
    if unwrapped is not value:
        return unwrapped
    if isinstance(value, (os.PathLike, enum.Enum)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def series_kind_of(path: str, value: Any) -> SeriesKind:
    """Which kind of series a first logged value starts; raises UnsupportedValue."""
    value = _unwrap(value)
    if isinstance(value, File):
        return SeriesKind.FILE
    if isinstance(value, str):
        return SeriesKind.STRING
    if isinstance(value, (int, float)):
        return SeriesKind.FLOAT
    raise UnsupportedValue(
        f"{path}: cannot log a value of type {type(value).__name__}; log numbers, strings "
        "or cairn.File (cairn.File.as_image(array) for pictures)"
    )


def float_value(path: str, value: Any) -> float:
    """``value`` as a float for a float series; NaN and infinities are kept as they are."""
    value = _unwrap(value)
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeClash(
        f"{path}: this is a series of numbers; got {type(value).__name__} {value!r:.60}"
    )
