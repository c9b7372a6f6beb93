"""The run filter and sort language: text -> AST (``parser``) -> SQLAlchemy Core (``compile``).

>>> from sqlalchemy import select
>>> from cairn.store.schema import runs
>>> where = compile_filter(parse_filter("val/acc > 0.9 and tags has 'cnn'"), cutoff=0.0)
>>> order = compile_sort(parse_sort("-val/acc"), cutoff=0.0)
>>> query = select(runs.c.key).where(where).order_by(*order)

The grammar and its semantics are written down for users in ``docs/query.md``.
"""

from __future__ import annotations

from cairn.store.query.compile import compile_filter, compile_sort, effective_status
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
    parse_filter,
    parse_sort,
    referenced_paths,
)

__all__ = [
    "And",
    "Compare",
    "Exists",
    "Expr",
    "Has",
    "In",
    "Not",
    "Op",
    "Or",
    "Path",
    "SortKey",
    "Value",
    "compile_filter",
    "compile_sort",
    "effective_status",
    "parse_filter",
    "parse_sort",
    "referenced_paths",
]
