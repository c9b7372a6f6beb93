"""Turn a filter or sort AST into SQLAlchemy Core expressions over the ``runs`` table.

Every expression references ``runs`` columns and correlated ``EXISTS`` or scalar subqueries
on the other tables, so a caller writes ``select(runs).where(compile_filter(...))`` and adds
no joins. Literals and paths are always bound parameters; user text never becomes SQL.

Conditions are two-valued: each one is true or false for every run, never NULL, so ``not``
is a plain complement. A condition on a path a run lacks is false (``x != 1`` included:
"the run has x and it is not 1"); ``not x = 1`` is true for a run without x.

Lookups of one run's value go through the primary keys ``fields (run_id, path)`` and
``series (run_id, path)``, so a filter costs a few index probes per run.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import UnaryExpression

from cairn.errors import QuerySyntaxError
from cairn.store.query.parser import (
    And,
    Compare,
    Exists,
    Expr,
    Has,
    In,
    Not,
    Op,
    Or,
    Path,
    SortKey,
    Value,
)
from cairn.store.schema import fields, files, run_tags, runs, series
from cairn.types import FieldKind, RunStatus, SeriesKind

__all__ = ["compile_filter", "compile_sort", "effective_status", "number_value"]

Predicate = Callable[[ColumnElement[Any]], ColumnElement[bool]]

_TEXT_KINDS: Final = (FieldKind.STRING.value, FieldKind.DATA_VERSION.value, FieldKind.JSON.value)
_ORDER: Final[dict[Op, Callable[[Any, Any], Any]]] = {
    Op.EQ: operator.eq,
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}
# A mapping written out, never getattr(runs.c, user_text): the parser already refused
# unknown sys/ paths, and this table is the only way from a path to a column.
_SYS_COLUMNS: Final[dict[str, ColumnElement[Any]]] = {
    "sys/id": runs.c.key,
    "sys/name": runs.c.name,
    "sys/description": runs.c.description,
    "sys/owner": runs.c.owner,
    "sys/host": runs.c.host,
    "sys/created_at": runs.c.created_at,
    "sys/ended_at": runs.c.ended_at,
    "sys/heartbeat_at": runs.c.heartbeat_at,
    "sys/stop_requested_at": runs.c.stop_requested_at,
}
_NULLABLE: Final = frozenset({"sys/ended_at", "sys/heartbeat_at", "sys/stop_requested_at"})
_SUMMARY_COLUMNS: Final[dict[str | None, ColumnElement[Any]]] = {
    None: series.c.last_value,
    "last": series.c.last_value,
    "min": series.c.min_value,
    "max": series.c.max_value,
}


def effective_status(cutoff: float) -> ColumnElement[str]:
    """The run status people see: ``running`` with no heartbeat since ``cutoff`` is ``crashed``.

    ``cutoff`` is epoch seconds, ``time.time() - stale_after_s``. A run that never sent a
    heartbeat is judged by its ``created_at``.

    >>> from sqlalchemy import select
    >>> str(select(effective_status(0.0)))[:11]
    'SELECT CASE'
    """
    last_sign = func.coalesce(runs.c.heartbeat_at, runs.c.created_at)
    stale = and_(runs.c.status == RunStatus.RUNNING.value, last_sign < cutoff)
    return case((stale, RunStatus.CRASHED.value), else_=runs.c.status)


def compile_filter(expr: Expr | None, *, cutoff: float) -> ColumnElement[bool]:
    """A WHERE clause over ``runs`` for a parsed filter; None (no filter) gives TRUE.

    ``cutoff`` feeds :func:`effective_status`. Raises
    :class:`~cairn.errors.QuerySyntaxError` only for an AST the parser would not produce.

    >>> from cairn.store.query.parser import parse_filter
    >>> clause = compile_filter(parse_filter("parameters/lr < 0.01"), cutoff=0.0)
    >>> "parameters/lr" in str(clause)  # the path is a bound parameter, not SQL text
    False
    """
    if expr is None:
        return true()
    return _Compiler(cutoff).expr(expr)


def compile_sort(keys: Sequence[SortKey], *, cutoff: float) -> list[ColumnElement[Any]]:
    """ORDER BY clauses for parsed sort keys; runs lacking a path sort last either way.

    Nulls are ordered by an explicit "is missing" key first, which reads the same on SQLite
    (nulls first) and PostgreSQL (nulls last). Callers add their own unique tie-breaker.

    >>> from cairn.store.query.parser import parse_sort
    >>> len(compile_sort(parse_sort("-val/acc"), cutoff=0.0))
    3
    """
    clauses: list[ColumnElement[Any]] = []
    for key in keys:
        clauses.extend(_sort_clauses(key, cutoff))
    return clauses


class _Compiler:
    def __init__(self, cutoff: float) -> None:
        self.cutoff = cutoff

    def expr(self, node: Expr) -> ColumnElement[bool]:
        if isinstance(node, And):
            return and_(*(self.expr(operand) for operand in node.operands))
        if isinstance(node, Or):
            return or_(*(self.expr(operand) for operand in node.operands))
        if isinstance(node, Not):
            return not_(self.expr(node.operand))
        if isinstance(node, Has):
            return _has_tag(node.tag)
        if isinstance(node, Exists):
            return self.exists(node.path)
        if isinstance(node, In):
            return self.membership(node)
        return self.compare(node)

    def exists(self, path: Path) -> ColumnElement[bool]:
        if not path.is_sys:
            return _has_path(path)
        if path.name == "sys/tags":
            return exists().where(run_tags.c.run_id == runs.c.id).correlate(runs)
        if path.name in _NULLABLE:
            return _SYS_COLUMNS[path.name].is_not(None)
        return true()

    def membership(self, node: In) -> ColumnElement[bool]:
        if node.path.is_sys:
            column = self.sys_column(node.path)
            matched: ColumnElement[bool] = column.in_(node.values) if node.values else false()
        else:
            matched = _in_values(node.path, node.values)
        if not node.negated:
            return self.guard(node.path, matched)
        return and_(self.exists(node.path), not_(matched))

    def compare(self, node: Compare) -> ColumnElement[bool]:
        path, op, value = node.path, node.op, node.value
        if op in (Op.NE, Op.NOT_MATCH):
            positive = Op.EQ if op is Op.NE else Op.MATCH
            return and_(self.exists(path), not_(self.compare(Compare(path, positive, value))))
        if path.is_sys:
            return self.guard(path, _apply(op, self.sys_column(path), value))
        if isinstance(value, bool) or (isinstance(value, float) and math.isnan(value)):
            return _in_values(path, [value])  # the parser allows only = here
        if isinstance(value, str):
            return _text_exists(path, lambda column: _apply(op, column, value))
        return _number_exists(path, lambda column: _apply(op, column, value))

    def sys_column(self, path: Path) -> ColumnElement[Any]:
        if path.name == "sys/status":
            return effective_status(self.cutoff)
        column = _SYS_COLUMNS.get(path.name)
        if column is None:
            raise QuerySyntaxError(f"{path.name} cannot be compared", position=path.position)
        return column

    def guard(self, path: Path, condition: ColumnElement[bool]) -> ColumnElement[bool]:
        # A NULL time would make the comparison NULL, and NOT NULL is NULL: keep it false.
        if path.name in _NULLABLE:
            return and_(_SYS_COLUMNS[path.name].is_not(None), condition)
        return condition


def _in_values(path: Path, values: Sequence[Value]) -> ColumnElement[bool]:
    """One IN per kind of literal, not one condition per value: a list of thousands of
    values stays one expression with one parameter each."""
    flags = [float(v) for v in values if isinstance(v, bool)]
    texts = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if isinstance(v, float) and not isinstance(v, bool)]
    finite = [v for v in numbers if not math.isnan(v)]
    matched: list[ColumnElement[bool]] = [false()]
    if flags:
        kind_is_bool = fields.c.kind == FieldKind.BOOL.value
        matched.append(_field_exists(path, kind_is_bool, fields.c.value_num.in_(flags)))
    if texts:
        matched.append(_text_exists(path, lambda column: column.in_(texts)))
    if finite:
        matched.append(_number_exists(path, lambda column: column.in_(finite)))
    if len(finite) < len(numbers):
        matched.append(_nan_exists(path))
    return or_(*matched)


def _apply(op: Op, column: ColumnElement[Any], value: Value) -> ColumnElement[bool]:
    if op is Op.MATCH:
        return column.regexp_match(str(value))
    function = _ORDER.get(op)
    if function is None:
        raise QuerySyntaxError(f"operator {op} cannot be applied here")
    result: ColumnElement[bool] = function(column, value)
    return result


def _has_tag(tag: str) -> ColumnElement[bool]:
    return exists().where(run_tags.c.run_id == runs.c.id, run_tags.c.tag == tag).correlate(runs)


def _has_path(path: Path) -> ColumnElement[bool]:
    """The run has ``path`` as a field, a series or a file (a float series for a summary)."""
    if path.summary is not None:
        return _series_exists(path, series.c.kind == SeriesKind.FLOAT.value)
    return or_(
        _field_exists(path),
        _series_exists(path),
        exists().where(files.c.run_id == runs.c.id, files.c.path == path.name).correlate(runs),
    )


def _field_exists(path: Path, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return (
        exists()
        .where(fields.c.run_id == runs.c.id, fields.c.path == path.name, *conditions)
        .correlate(runs)
    )


def _series_exists(path: Path, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return (
        exists()
        .where(series.c.run_id == runs.c.id, series.c.path == path.name, *conditions)
        .correlate(runs)
    )


def _number_exists(path: Path, predicate: Predicate) -> ColumnElement[bool]:
    """A number field, or a float series' last (or chosen summary) value, satisfies it."""
    in_series = _series_exists(path, predicate(_SUMMARY_COLUMNS[path.summary]))
    if path.summary is not None:
        return in_series
    return or_(_field_exists(path, predicate(fields.c.value_num)), in_series)


def _text_exists(path: Path, predicate: Predicate) -> ColumnElement[bool]:
    if path.summary is not None:
        return false()
    return _field_exists(path, fields.c.kind.in_(_TEXT_KINDS), predicate(fields.c.value_text))


def _nan_exists(path: Path) -> ColumnElement[bool]:
    """The value is NaN: stored as NULL, with 'nan' as a number field's text (schema.py)."""
    in_series = _series_exists(
        path,
        series.c.kind == SeriesKind.FLOAT.value,
        series.c.count > 0,
        _SUMMARY_COLUMNS[path.summary].is_(None),
    )
    if path.summary is not None:
        return in_series
    nan_field = _field_exists(path, fields.c.value_num.is_(None), fields.c.value_text == "nan")
    return or_(nan_field, in_series)


def _sort_clauses(key: SortKey, cutoff: float) -> list[ColumnElement[Any]]:
    def directed(column: ColumnElement[Any]) -> UnaryExpression[Any]:
        return column.desc() if key.descending else column.asc()

    if key.path == "sys/id":
        # MNIST-10 after MNIST-9: order by the number, not the text of the key.
        return [directed(runs.c.number)]
    if key.path == "sys/status":
        return [directed(effective_status(cutoff))]
    if key.path in _SYS_COLUMNS:
        column = _SYS_COLUMNS[key.path]
        if key.path in _NULLABLE:
            return [_missing_last(column), directed(column)]
        return [directed(column)]
    if key.path.startswith("sys/"):
        raise QuerySyntaxError(f"cannot sort by {key.path}")
    number = _number_value(key)
    if key.summary is not None:
        return [_missing_last(number), directed(number)]
    text = (
        select(fields.c.value_text)
        .where(
            fields.c.run_id == runs.c.id,
            fields.c.path == key.path,
            fields.c.kind.in_(_TEXT_KINDS),
        )
        .correlate(runs)
        .scalar_subquery()
    )
    # Numbers first, then text, then runs without a value; each group in the asked order.
    group = case((number.is_not(None), 0), (text.is_not(None), 1), else_=2)
    return [group.asc(), directed(number), directed(text)]


def number_value(key: SortKey) -> ColumnElement[Any]:
    """A run's number at ``key.path`` as a correlated scalar subquery over ``runs``: a
    number field, else a float series' last value (or ``key.summary``); NULL when missing
    or NaN. What sorting uses, and what the runs table's group aggregates average.

    >>> "coalesce" in str(number_value(SortKey("val/acc"))).lower()
    True
    """
    return _number_value(key)


def _number_value(key: SortKey) -> ColumnElement[Any]:
    in_series = (
        select(_SUMMARY_COLUMNS[key.summary])
        .where(series.c.run_id == runs.c.id, series.c.path == key.path)
        .correlate(runs)
        .scalar_subquery()
    )
    if key.summary is not None:
        return in_series
    in_fields = (
        select(fields.c.value_num)
        .where(fields.c.run_id == runs.c.id, fields.c.path == key.path)
        .correlate(runs)
        .scalar_subquery()
    )
    return func.coalesce(in_fields, in_series)


def _missing_last(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((column.is_(None), 1), else_=0).asc()
