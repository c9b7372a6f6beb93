"""Group a project's runs by one path and aggregate columns per group, in one query.

The runs are those a filter selects (the same compiler as ``list_runs``); the key is a
field's value (a parameter, a data version's hash, any single value) or one of a few
``sys/`` columns; each group counts its runs and takes the mean, min and max of every
asked number column (a number field, or a float series' last value or ``:min``/``:max``).
Each group also carries a filter in the query language that selects exactly its runs, so
that a client opens a group by adding it to its own filter; no value is ever spliced into
SQL, only into that query text, quoted by the rules of ``docs/query.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import ColumnElement, Float, Select, String, and_, cast, func, literal, null, select
from sqlalchemy.engine import Connection

from cairn.errors import InvalidInput
from cairn.store.query import SortKey, effective_status
from cairn.store.query.compile import number_value
from cairn.store.schema import fields, runs
from cairn.types import FieldKind

__all__ = ["Aggregate", "Group", "GroupPage", "group_key", "group_runs", "value_columns"]

MISSING: Final = "missing"
"""The kind of the group of runs that lack the path."""

_SYS_KEYS: Final[dict[str, str]] = {
    "sys/status": "status",
    "sys/owner": "owner",
    "sys/host": "host",
}
_SUMMARIES: Final = ("last", "min", "max")
_MAX_PATH_CHARS: Final = 1024


@dataclass(frozen=True)
class Aggregate:
    """One column over one group's runs; None where no run of the group has a number."""

    mean: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True)
class Group:
    """The runs that hold one value at the grouping path."""

    kind: str  # a FieldKind value, "string" for a sys/ column, or MISSING
    value: object  # the value (NaN as float('nan')), None for MISSING
    filter: str  # query text selecting exactly this group's runs
    count: int
    aggregates: dict[str, Aggregate] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupPage:
    by: str
    columns: list[str]
    groups: list[Group]
    total_groups: int  # the groups there are; ``groups`` may hold fewer (``limit``)
    total_runs: int


def value_columns(columns: Sequence[str]) -> list[tuple[str, SortKey]]:
    """The asked columns that can be averaged, each with its key: ``sys/`` columns are
    left out; ``x:min``/``x:max``/``x:last`` name a float series' summary."""
    keys: list[tuple[str, SortKey]] = []
    for column in dict.fromkeys(columns):
        if not column or column.startswith("sys/"):
            continue
        _check_path(column, "column")
        path, _, summary = column.rpartition(":")
        if path and summary in _SUMMARIES:
            keys.append((column, SortKey(path, None if summary == "last" else summary)))
        else:
            keys.append((column, SortKey(column)))
    return keys


def group_key(by: str, *, cutoff: float) -> tuple[list[ColumnElement[Any]], Any]:
    """The key columns (kind, number, text) for grouping by ``by``, and the FROM clause
    that provides them (``runs`` with the field joined). Raises InvalidInput."""
    _check_path(by, "group by")
    if by.startswith("sys/"):
        if by not in _SYS_KEYS:
            raise InvalidInput(
                f"cannot group by {by!r}: of the sys/ columns, only "
                f"{', '.join(sorted(_SYS_KEYS))} group runs; any other path is a field"
            )
        column = effective_status(cutoff) if by == "sys/status" else _sys_column(by)
        kind = cast(literal(FieldKind.STRING.value), String)
        number = cast(null(), Float)
        return [kind.label("k_kind"), number.label("k_num"), column.label("k_text")], runs
    value = fields.alias("group_field")
    joined = runs.outerjoin(value, and_(value.c.run_id == runs.c.id, value.c.path == by))
    return [
        value.c.kind.label("k_kind"),
        value.c.value_num.label("k_num"),
        value.c.value_text.label("k_text"),
    ], joined


def _sys_column(by: str) -> ColumnElement[Any]:
    return {"sys/owner": runs.c.owner, "sys/host": runs.c.host}[by]


def group_runs(
    conn: Connection,
    matching: Select[Any],
    *,
    by: str,
    columns: list[tuple[str, SortKey]],
    limit: int,
) -> GroupPage:
    """Group the runs of ``matching`` (a SELECT of key columns over the filtered runs,
    from ``group_key``) and aggregate ``columns`` per group."""
    values = [number_value(key).label(f"v{i}") for i, (_, key) in enumerate(columns)]
    inner = matching.add_columns(*values).subquery("matched")
    keys = [inner.c.k_kind, inner.c.k_num, inner.c.k_text]
    aggregates: list[ColumnElement[Any]] = []
    for i in range(len(columns)):
        column = inner.c[f"v{i}"]
        aggregates += [func.avg(column), func.min(column), func.max(column)]
    stmt = select(*keys, func.count().label("n"), *aggregates).group_by(*keys)
    groups: list[Group] = []
    for row in conn.execute(stmt):
        kind, number, text, count = row[0], row[1], row[2], int(row[3])
        kind = kind or MISSING
        cells = {
            name: Aggregate(*(_number(row[4 + 3 * i + j]) for j in range(3)))
            for i, (name, _) in enumerate(columns)
        }
        value = _value(kind, number, text)
        groups.append(Group(kind, value, _filter(by, kind, value), count, cells))
    groups.sort(key=_order)
    return GroupPage(
        by=by,
        columns=[name for name, _ in columns],
        groups=groups[:limit],
        total_groups=len(groups),
        total_runs=sum(g.count for g in groups),
    )


def _check_path(path: str, what: str) -> None:
    if not path.strip() or len(path) > _MAX_PATH_CHARS or "\x00" in path:
        raise InvalidInput(
            f"{what} {path!r:.60}: expected a path of 1-{_MAX_PATH_CHARS} characters, "
            "such as parameters/optimizer"
        )


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _value(kind: str, number: float | None, text: str | None) -> object:
    if kind == MISSING:
        return None
    if kind == FieldKind.BOOL.value:
        return bool(number)
    if kind == FieldKind.INT.value and number is not None:
        return int(number)
    if kind in (FieldKind.FLOAT.value, FieldKind.DATETIME.value):
        if number is None:  # NaN or ±inf: kept as text (schema.py)
            return float(text) if text is not None else math.nan
        return float(number)
    return text


def _order(group: Group) -> tuple[int, float, str]:
    """Numbers (and booleans) in order, then texts, then NaN, then runs without the path."""
    value = group.value
    if group.kind == MISSING:
        return (3, 0.0, "")
    if isinstance(value, bool | int | float):
        if isinstance(value, float) and math.isnan(value):
            return (2, 0.0, "")
        return (0, float(value), "")
    return (1, 0.0, str(value))


_BARE_SHORTCUT = {"sys/status": "status", "sys/owner": "owner", "sys/host": "host"}


def _quote_path(path: str) -> str:
    if path in _BARE_SHORTCUT:
        return _BARE_SHORTCUT[path]
    # Backticks always: a bare word could be a keyword or a sys/ shortcut (``status``).
    return "`" + path.replace("\\", "\\\\").replace("`", "\\`") + "`"


_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _quote_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + re.sub(r"[\n\r\t]", lambda m: _ESCAPES[m[0]], escaped) + "'"


def _filter(by: str, kind: str, value: object) -> str:
    path = _quote_path(by)
    if kind == MISSING:
        return f"not {path} exists"
    if isinstance(value, bool):
        return f"{path} = {'true' if value else 'false'}"
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return f"{path} = nan"
        if math.isinf(number):
            return f"{path} = {'inf' if number > 0 else '-inf'}"
        return f"{path} = {value!r}"
    return f"{path} = {_quote_text(str(value))}"
