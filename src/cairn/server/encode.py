"""Stored values as JSON: non-finite floats as strings, times as ISO-8601 UTC.

JSON has no NaN or infinity, and a tracker must show a diverged loss as it is, not as
``null``. So ``NaN``, ``Infinity`` and ``-Infinity`` travel as those strings, the same
spelling that ``cairn.wire`` uses for ops (``encode_float``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone

import numpy as np
from numpy.typing import NDArray

from cairn.wire import encode_float

__all__ = ["float_list", "iso", "json_safe", "step_list"]


def iso(moment: datetime) -> str:
    """``2024-05-01T12:00:00.250000Z``: ISO-8601 in UTC, as Pydantic writes datetimes."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def json_safe(value: object) -> object:
    """``value`` with every non-finite float and datetime replaced by a string.

    >>> json_safe({"loss": float("nan"), "best": [1.0, float("-inf")]})
    {'loss': 'NaN', 'best': [1.0, '-Infinity']}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else encode_float(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def float_list(values: NDArray[np.float64]) -> list[float | str]:
    """A float array as a JSON-ready list; only the non-finite entries are touched.

    >>> float_list(np.array([0.5, np.nan, np.inf]))
    [0.5, 'NaN', 'Infinity']
    """
    out: list[float | str] = values.tolist()
    for index in np.flatnonzero(~np.isfinite(values)).tolist():
        out[index] = encode_float(values[index])
    return out


def step_list(steps: NDArray[np.float64]) -> list[int] | list[float]:
    """Steps as integers when all are whole (the usual case), else as floats.

    >>> step_list(np.array([0.0, 1.0])), step_list(np.array([0.5]))
    ([0, 1], [0.5])
    """
    if steps.size and np.all(steps == np.floor(steps)) and np.all(np.abs(steps) < 2**53):
        whole: list[int] = steps.astype(np.int64).tolist()
        return whole
    fractional: list[float] = steps.tolist()
    return fractional
