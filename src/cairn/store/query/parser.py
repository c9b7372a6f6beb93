"""Parse run filter and sort text into small frozen dataclasses (the AST).

Grammar (keywords are case-insensitive; ``docs/query.md`` says it for users)::

    filter    := or_expr END
    or_expr   := and_expr ("or" and_expr)*
    and_expr  := not_expr ("and" not_expr)*
    not_expr  := "not" not_expr | "(" or_expr ")" | condition
    condition := path ( op value | ("~" | "!~") string | ["not"] "in" list
                      | "has" string | "exists" )
    list      := "[" [value ("," value)* [","]] "]"
    value     := ["-" | "+"] (number | "inf") | "nan" | string | "true" | "false"
    sort      := [key ("," key)*] END
    key       := ["-" | "+"] path

The parser also checks meaning that needs no database: a path's shortcut (``status``) becomes
its ``sys/`` path, a ``sys/`` path gets only operators and literals its column can take, a
time may be given as an ISO-8601 date, and a regular expression must compile.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Final, NoReturn

from cairn.errors import InvalidPath, QuerySyntaxError
from cairn.paths import validate_path
from cairn.store.query.lexer import Token, TokenKind, tokenize
from cairn.types import RunStatus

__all__ = [
    "And",
    "Compare",
    "Exists",
    "Expr",
    "Has",
    "In",
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_VALUES",
    "Not",
    "Op",
    "Or",
    "Path",
    "SHORTCUTS",
    "SYS_PATHS",
    "SortKey",
    "SysKind",
    "Value",
    "parse_filter",
    "parse_sort",
    "referenced_paths",
]

MAX_DEPTH: Final = 64
"""Deepest nesting of parentheses and ``not``; deeper text is refused before it can exhaust
the Python stack here or the SQL parser's."""

MAX_CONDITIONS: Final = 256
"""Most conditions in one filter: SQLite refuses expressions deeper than 1,000 and more than
32,766 bound parameters, and a filter near those limits is generated, not written."""

MAX_VALUES: Final = 10_000
"""Most literals in one filter, ``in`` lists included, to stay under SQLite's parameters."""


class SysKind(str, enum.Enum):
    """What a ``sys/`` path holds, which decides the operators and literals it accepts."""

    TEXT = "text"
    TIME = "time"
    STATUS = "status"
    TAGS = "tags"

    def __str__(self) -> str:
        return self.value


SYS_PATHS: Final = {
    "sys/id": SysKind.TEXT,
    "sys/name": SysKind.TEXT,
    "sys/description": SysKind.TEXT,
    "sys/owner": SysKind.TEXT,
    "sys/host": SysKind.TEXT,
    "sys/status": SysKind.STATUS,
    "sys/tags": SysKind.TAGS,
    "sys/created_at": SysKind.TIME,
    "sys/ended_at": SysKind.TIME,
    "sys/heartbeat_at": SysKind.TIME,
    "sys/stop_requested_at": SysKind.TIME,
}
SHORTCUTS: Final = {path.removeprefix("sys/"): path for path in SYS_PATHS}
"""``status`` means ``sys/status``; shortcuts are lowercase and case-sensitive."""


class Op(str, enum.Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    MATCH = "~"
    NOT_MATCH = "!~"

    def __str__(self) -> str:
        return self.value


_ORDER_OPS: Final = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
_STATUSES: Final = tuple(status.value for status in RunStatus)

Value = str | float | bool
"""A literal: a string, a number (``inf`` and ``nan`` included) or a boolean. Times written
as ISO-8601 strings against a ``sys/`` time are already converted to epoch seconds."""


@dataclass(frozen=True)
class Path:
    """A field or series path, resolved from any shortcut, with its optional summary."""

    name: str
    summary: str | None = None
    position: int = field(default=0, compare=False, repr=False)

    @property
    def is_sys(self) -> bool:
        return self.name.startswith("sys/")

    def __str__(self) -> str:
        return self.name if self.summary is None else f"{self.name}:{self.summary}"


@dataclass(frozen=True)
class Compare:
    path: Path
    op: Op
    value: Value


@dataclass(frozen=True)
class In:
    path: Path
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class Has:
    path: Path
    tag: str


@dataclass(frozen=True)
class Exists:
    path: Path


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Compare | In | Has | Exists | Not | And | Or


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY key: ``-val/acc:max`` is ``SortKey("val/acc", "max", descending=True)``."""

    path: str
    summary: str | None = None
    descending: bool = False


def parse_filter(text: str) -> Expr | None:
    """Parse a run filter into its AST; empty or blank text means "no filter" and gives None.

    Raises :class:`~cairn.errors.QuerySyntaxError` with the position of the offending token.

    >>> parse_filter("status = 'failed' and tags has 'cnn'")  # doctest: +NORMALIZE_WHITESPACE
    And(operands=(Compare(path=Path(name='sys/status', summary=None), op=<Op.EQ: '='>,
        value='failed'), Has(path=Path(name='sys/tags', summary=None), tag='cnn')))
    """
    parser = _Parser(text)
    if parser.at(TokenKind.END):
        return None
    expr = parser.or_expr()
    if parser.at(TokenKind.RPAREN):
        parser.fail("unexpected ')' with no matching '('")
    parser.expect(TokenKind.END, "expected 'and', 'or' or the end of the filter")
    return expr


def parse_sort(text: str) -> list[SortKey]:
    """Parse a comma-separated sort, each path optionally prefixed ``-`` (descending) or ``+``.

    Raises :class:`~cairn.errors.QuerySyntaxError` for malformed text and for paths that cannot
    be sorted by (``tags``).

    >>> parse_sort("-val/acc:max, created_at")  # doctest: +NORMALIZE_WHITESPACE
    [SortKey(path='val/acc', summary='max', descending=True),
     SortKey(path='sys/created_at', summary=None, descending=False)]
    """
    parser = _Parser(text)
    keys: list[SortKey] = []
    if parser.at(TokenKind.END):
        return keys
    while True:
        keys.append(parser.sort_key())
        if parser.at(TokenKind.END):
            return keys
        parser.expect(TokenKind.COMMA, "expected ',' between sort keys or the end of the sort")


def referenced_paths(expr: Expr | None) -> set[str]:
    """The paths (``sys/`` form, no summary) that a filter reads.

    >>> sorted(referenced_paths(parse_filter("val/acc:max > 0.9 or name ~ 'a'")))
    ['sys/name', 'val/acc']
    """
    return {node.path.name for node in _conditions(expr)}


def _conditions(expr: Expr | None) -> Iterator[Compare | In | Has | Exists]:
    stack: list[Expr] = [] if expr is None else [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend(node.operands)
        elif isinstance(node, Not):
            stack.append(node.operand)
        else:
            yield node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.conditions = 0
        self.values = 0

    # -- token stream -------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        if token.kind is not TokenKind.END:
            self.index += 1
        return token

    def at(self, kind: TokenKind, keyword: str | None = None) -> bool:
        token = self.token
        return token.kind is kind and (keyword is None or token.value == keyword)

    def expect(self, kind: TokenKind, message: str) -> Token:
        if not self.at(kind):
            self.fail(message)
        return self.advance()

    def fail(self, message: str) -> NoReturn:
        token = self.token
        got = "the end" if token.kind is TokenKind.END else repr(token.text)
        raise QuerySyntaxError(f"{message}, got {got}", text=self.text, position=token.position)

    def fail_at(self, message: str, position: int) -> NoReturn:
        raise QuerySyntaxError(message, text=self.text, position=position)

    # -- filter -------------------------------------------------------------------------

    def or_expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.at(TokenKind.KEYWORD, "or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Expr:
        operands = [self.not_expr()]
        while self.at(TokenKind.KEYWORD, "and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail_at(f"the filter is nested more than {MAX_DEPTH} deep", self.token.position)
        try:
            if self.at(TokenKind.KEYWORD, "not"):
                self.advance()
                return Not(self.not_expr())
            if self.at(TokenKind.LPAREN):
                return self.parenthesized()
            return self.condition()
        finally:
            self.depth -= 1

    def parenthesized(self) -> Expr:
        opening = self.advance()
        if self.at(TokenKind.RPAREN):
            self.fail("expected a condition inside the parentheses")
        expr = self.or_expr()
        if self.at(TokenKind.END):
            self.fail_at("unclosed parenthesis: expected ')'", opening.position)
        self.expect(TokenKind.RPAREN, "expected ')', 'and' or 'or'")
        return expr

    def condition(self) -> Expr:
        if not self.at(TokenKind.PATH):
            previous = self.tokens[self.index - 1].text if self.index else ""
            where = f" after {previous!r}" if previous else ""
            self.fail(f"expected a condition such as parameters/lr < 0.01{where}")
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            self.fail_at(
                f"the filter has more than {MAX_CONDITIONS} conditions", self.token.position
            )
        path = self.path(self.advance())
        token = self.token
        if token.kind is TokenKind.OPERATOR:
            return self.comparison(path)
        if token.kind is TokenKind.KEYWORD and token.value in ("in", "not"):
            return self.membership(path)
        if token.kind is TokenKind.KEYWORD and token.value == "has":
            return self.has(path)
        if token.kind is TokenKind.KEYWORD and token.value == "exists":
            self.advance()
            return self.exists(path, token)
        self.fail(
            f"expected an operator after {str(path)!r} "
            "(= != < <= > >= ~ !~, in, not in, has or exists)"
        )

    def path(self, token: Token) -> Path:
        name = str(token.value)
        if not token.text.startswith("`"):
            name = SHORTCUTS.get(name, name)
        try:
            validate_path(name)
        except InvalidPath as exc:
            self.fail_at(str(exc), token.position)
        if name.startswith("sys/"):
            if name not in SYS_PATHS:
                known = ", ".join(sorted(SHORTCUTS))
                self.fail_at(f"unknown system path {name!r}; known: {known}", token.position)
            if token.summary is not None:
                self.fail_at(
                    f":{token.summary} applies to float series, not to {name}", token.position
                )
        return Path(name, token.summary, token.position)

    def comparison(self, path: Path) -> Expr:
        op_token = self.advance()
        op = Op("=" if op_token.value == "==" else str(op_token.value))
        value_token = self.token
        value = self.value(f"expected a value after {op_token.text!r}")
        return Compare(path, op, self.check_compare(path, op, value, value_token))

    def membership(self, path: Path) -> Expr:
        negated = self.advance().value == "not"
        if negated and not self.at(TokenKind.KEYWORD, "in"):
            self.fail("expected 'in' after 'not' (to negate a condition, write 'not' before it)")
        if negated:
            self.advance()
        bracket = self.expect(TokenKind.LBRACKET, "expected '[' to start the list after 'in'")
        values: list[Value] = []
        while not self.at(TokenKind.RBRACKET):
            value_token = self.token
            if value_token.kind is TokenKind.END:
                self.fail_at("unclosed list: expected ']'", bracket.position)
            value = self.value("expected a value in the list")
            values.append(self.check_compare(path, Op.EQ, value, value_token))
            if not self.at(TokenKind.RBRACKET) and not self.at(TokenKind.END):
                self.expect(TokenKind.COMMA, "expected ',' or ']' in the list")
        self.advance()
        return In(path, tuple(values), negated)

    def has(self, path: Path) -> Expr:
        has_token = self.advance()
        if path.name != "sys/tags":
            self.fail_at(f"'has' works only on tags, not on {str(path)!r}", has_token.position)
        if not self.at(TokenKind.STRING):
            self.fail("expected a quoted tag after 'has'")
        return Has(path, str(self.advance().value))

    def exists(self, path: Path, token: Token) -> Expr:
        if path.summary is not None:
            self.fail_at(f"write 'exists' without :{path.summary}", token.position)
        return Exists(path)

    def value(self, message: str) -> Value:
        token = self.token
        self.values += 1
        if self.values > MAX_VALUES:
            self.fail_at(f"the filter has more than {MAX_VALUES} values", token.position)
        if token.kind is TokenKind.STRING:
            return str(self.advance().value)
        if token.kind is TokenKind.NUMBER:
            return float(self.advance().value)
        if token.kind is TokenKind.KEYWORD and token.value in ("true", "false", "nan", "inf"):
            self.advance()
            return {"true": True, "false": False, "nan": math.nan, "inf": math.inf}[
                str(token.value)
            ]
        if token.kind in (TokenKind.MINUS, TokenKind.PLUS):
            sign = -1.0 if self.advance().kind is TokenKind.MINUS else 1.0
            if self.at(TokenKind.NUMBER) or self.at(TokenKind.KEYWORD, "inf"):
                number = self.advance()
                return sign * (math.inf if number.value == "inf" else float(number.value))
            self.fail(f"expected a number after {token.text!r}")
        self.fail(message)

    # -- meaning ------------------------------------------------------------------------

    def check_compare(self, path: Path, op: Op, value: Value, token: Token) -> Value:
        """Refuse what no run can ever match; return the value, a time converted to seconds."""
        at = token.position
        if op in (Op.MATCH, Op.NOT_MATCH):
            return self.check_regex(path, op, value, at)
        if isinstance(value, float) and math.isnan(value) and op not in (Op.EQ, Op.NE):
            self.fail_at("nan is not ordered; compare it only with = or !=", at)
        if isinstance(value, bool) and op not in (Op.EQ, Op.NE):
            self.fail_at("true and false compare only with = or !=", at)
        if not path.is_sys:
            if path.summary is not None and not _is_number(value):
                self.fail_at(f"{path}: a series summary is a number; compare it to one", at)
            return value
        return self.check_sys(path, op, value, at)

    def check_regex(self, path: Path, op: Op, value: Value, at: int) -> Value:
        if not isinstance(value, str):
            self.fail_at(f"{op} needs a quoted regular expression, such as 'res.*net'", at)
        if path.summary is not None or SYS_PATHS.get(path.name) in (SysKind.TIME, SysKind.TAGS):
            self.fail_at(f"{op} matches text, and {path} is not text", path.position)
        try:
            re.compile(value)
        except (re.error, OverflowError, RecursionError) as exc:
            # Python's re raises more than re.error for huge repeats and deep nesting.
            self.fail_at(f"invalid regular expression: {exc}", at)
        return value

    def check_sys(self, path: Path, op: Op, value: Value, at: int) -> Value:
        kind = SYS_PATHS[path.name]
        if kind is SysKind.TAGS:
            self.fail_at("tags take only 'has' and 'exists': write tags has 'cnn'", path.position)
        if kind is SysKind.TIME:
            return self.check_time(path, value, at)
        if not isinstance(value, str):
            self.fail_at(f"{path} is text; compare it to a quoted string", at)
        if kind is SysKind.STATUS:
            if op in _ORDER_OPS:
                self.fail_at("status compares only with =, !=, in, ~ and !~", at)
            if value not in _STATUSES:
                self.fail_at(f"unknown status {value!r}; use one of {', '.join(_STATUSES)}", at)
        return value

    def check_time(self, path: Path, value: Value, at: int) -> Value:
        if isinstance(value, float) and math.isnan(value):
            # SQLite stores a bound NaN as NULL, which would make the condition NULL.
            self.fail_at(f"{path} is a time and is never nan", at)
        if _is_number(value):
            return value
        if isinstance(value, str):
            seconds = _iso_to_epoch(value)
            if seconds is not None:
                return seconds
        self.fail_at(
            f"{path} is a time: compare it to epoch seconds or an ISO-8601 date such as "
            "'2026-11-01' or '2026-11-01T12:30:00+02:00'",
            at,
        )

    # -- sort ---------------------------------------------------------------------------

    def sort_key(self) -> SortKey:
        descending = False
        if self.at(TokenKind.MINUS) or self.at(TokenKind.PLUS):
            descending = self.advance().kind is TokenKind.MINUS
        if not self.at(TokenKind.PATH):
            self.fail("expected a path to sort by, such as -val/acc")
        path = self.path(self.advance())
        if path.name == "sys/tags":
            self.fail_at("cannot sort by tags", path.position)
        return SortKey(path.name, path.summary, descending)


def _is_number(value: Value) -> bool:
    return isinstance(value, float) and not isinstance(value, bool)


def _iso_to_epoch(text: str) -> float | None:
    """Epoch seconds of an ISO-8601 date or date-time, read as UTC when it names no zone."""
    candidate = text.strip()
    if candidate[-1:] in ("Z", "z"):
        # Python 3.10's fromisoformat does not read a trailing Z.
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    except (ValueError, OverflowError):  # OverflowError: a zone pushes year 1 out of range
        return None
