"""Turn stored field rows back into Python values."""

from __future__ import annotations

import json
import math

from sqlalchemy import RowMapping

from cairn.store.records import to_datetime
from cairn.types import FieldKind

__all__ = ["field_value"]


def field_value(row: RowMapping) -> object:
    """The Python value of one ``fields`` row (kind, value_num, value_text, value_json)."""
    kind = FieldKind(row["kind"])
    number, text = row["value_num"], row["value_text"]
    if kind is FieldKind.FLOAT:
        if text is not None:  # a non-finite float keeps its repr; SQLite cannot hold NaN
            return float(str(text))
        return float(number) if number is not None else math.nan
    if kind is FieldKind.INT:
        return int(number)
    if kind is FieldKind.BOOL:
        return bool(number)
    if kind is FieldKind.DATETIME:
        return to_datetime(float(number))
    if kind is FieldKind.JSON:
        return json.loads(str(text))
    if kind is FieldKind.DATA_VERSION:
        return json.loads(str(row["value_json"]))
    return text
