"""Filter and sort text to AST: precedence, shortcuts, meaning checks, every error's position."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.errors import QuerySyntaxError
from cairn.store.query import (
    And,
    Compare,
    Exists,
    Has,
    In,
    Not,
    Op,
    Or,
    Path,
    SortKey,
    parse_filter,
    parse_sort,
    referenced_paths,
)
from cairn.store.query.parser import MAX_CONDITIONS, MAX_DEPTH, MAX_VALUES


def cmp(path: str, op: str, value: str | float | bool, summary: str | None = None) -> Compare:
    return Compare(Path(path, summary), Op(op), value)


A, B, C = cmp("a", "=", 1.0), cmp("b", "=", 2.0), cmp("c", "=", 3.0)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_text_is_no_filter(text: str) -> None:
    assert parse_filter(text) is None
    assert parse_sort(text) == []


def test_the_example_from_the_readme() -> None:
    expr = parse_filter(
        "parameters/lr < 0.01 and val/acc > 0.9 and tags has 'cnn' and status = 'finished'"
    )
    assert expr == And(
        (
            cmp("parameters/lr", "<", 0.01),
            cmp("val/acc", ">", 0.9),
            Has(Path("sys/tags"), "cnn"),
            cmp("sys/status", "=", "finished"),
        )
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1 or b = 2 and c = 3", Or((A, And((B, C))))),
        ("a = 1 and b = 2 or c = 3", Or((And((A, B)), C))),
        ("not a = 1 and b = 2", And((Not(A), B))),
        ("not a = 1 or b = 2", Or((Not(A), B))),
        ("not (a = 1 or b = 2)", Not(Or((A, B)))),
        ("(a = 1 or b = 2) and c = 3", And((Or((A, B)), C))),
        ("not not a = 1", Not(Not(A))),
        ("a = 1 and b = 2 and c = 3", And((A, B, C))),
        ("((a = 1))", A),
        ("a = 1 AND b = 2 Or NOT c = 3", Or((And((A, B)), Not(C)))),
    ],
)
def test_precedence_not_binds_tighter_than_and_than_or(text: str, expected: object) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x == 1", cmp("x", "=", 1.0)),
        ("x != 1", cmp("x", "!=", 1.0)),
        ("x <= -2.5", cmp("x", "<=", -2.5)),
        ("x >= +3", cmp("x", ">=", 3.0)),
        ("x > 1e-3", cmp("x", ">", 0.001)),
        ("x < inf", cmp("x", "<", math.inf)),
        ("x > -inf", cmp("x", ">", -math.inf)),
        ("x = true", cmp("x", "=", True)),
        ("x != FALSE", cmp("x", "!=", False)),
        ("x = 'a b'", cmp("x", "=", "a b")),
        ("data/train = 'abc123'", cmp("data/train", "=", "abc123")),
        ("name ~ '^res.*'", cmp("sys/name", "~", "^res.*")),
        ("name !~ 'x'", cmp("sys/name", "!~", "x")),
        ("val/acc:max > 0.9", cmp("val/acc", ">", 0.9, "max")),
        ("`my metric/x y`:min < 1", cmp("my metric/x y", "<", 1.0, "min")),
        ("`status` = 'x'", cmp("status", "=", "x")),  # backticks: a user path, not the shortcut
        ("sys/name = 'n'", cmp("sys/name", "=", "n")),
        ("id = 'MNIST-42'", cmp("sys/id", "=", "MNIST-42")),
        ("x in [1, 'a', true,]", In(Path("x"), (1.0, "a", True))),
        ("id not in ['MNIST-1']", In(Path("sys/id"), ("MNIST-1",), negated=True)),
        ("x in []", In(Path("x"), ())),
        ("not tags has 'x'", Not(Has(Path("sys/tags"), "x"))),
        ("model exists", Exists(Path("model"))),
        ("ended_at exists", Exists(Path("sys/ended_at"))),
        ("created_at > 1700000000", cmp("sys/created_at", ">", 1.7e9)),
        ("created_at > '2026-11-01'", cmp("sys/created_at", ">", 1793491200.0)),
        ("created_at > '2026-11-01T02:00:00+02:00'", cmp("sys/created_at", ">", 1793491200.0)),
        ("created_at > '2026-11-01T00:00:00Z'", cmp("sys/created_at", ">", 1793491200.0)),
        ("status in ['failed', 'crashed']", In(Path("sys/status"), ("failed", "crashed"))),
    ],
)
def test_conditions(text: str, expected: object) -> None:
    assert parse_filter(text) == expected


def test_nan_is_a_value_for_equality() -> None:
    expr = parse_filter("x = nan")
    assert isinstance(expr, Compare)
    assert isinstance(expr.value, float) and math.isnan(expr.value)


def test_paths_remember_their_position() -> None:
    expr = parse_filter("a = 1 and  val/acc > 2")
    assert isinstance(expr, And)
    second = expr.operands[1]
    assert isinstance(second, Compare)
    assert second.path.position == 11


def test_referenced_paths() -> None:
    expr = parse_filter("(a:max > 1 or not tags has 'x') and b exists and id in ['K-1']")
    assert referenced_paths(expr) == {"a", "sys/tags", "b", "sys/id"}
    assert referenced_paths(None) == set()


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("x <", "expected a value after '<', got the end", 3),
        ("x < and y = 1", "expected a value after '<', got 'and'", 4),
        ("x = -'a'", "expected a number after '-'", 5),
        ("(a = 1", "unclosed parenthesis", 0),
        ("a = 1 and (b = 2 or (c = 3)", "unclosed parenthesis", 10),
        ("a = 1)", "unexpected ')' with no matching '('", 5),
        ("()", "expected a condition inside the parentheses", 1),
        ("(a = 1 b = 2)", "expected ')', 'and' or 'or', got 'b'", 7),
        ("a = 1 b = 2", "expected 'and', 'or' or the end of the filter, got 'b'", 6),
        ("a = 1 and", "expected a condition such as parameters/lr < 0.01 after 'and'", 9),
        ("not", "expected a condition", 3),
        ("= 1", "expected a condition", 0),
        ("5 = x", "expected a condition", 0),
        ("a", "expected an operator after 'a'", 1),
        ("a 5", "expected an operator after 'a'", 2),
        ("a not exists", "expected 'in' after 'not'", 6),
        ("a in 1", "expected '[' to start the list after 'in'", 5),
        ("a in [1", "unclosed list", 5),
        ("a in [1,", "unclosed list", 5),
        ("a in [1 2]", "expected ',' or ']' in the list", 8),
        ("a in [b]", "expected a value in the list", 6),
        ("name has 'x'", "'has' works only on tags", 5),
        ("tags has 5", "expected a quoted tag after 'has'", 9),
        ("tags = 'cnn'", "tags take only 'has' and 'exists'", 0),
        ("tags in ['cnn']", "tags take only 'has' and 'exists'", 0),
        ("tags ~ 'cnn'", "~ matches text, and sys/tags is not text", 0),
        ("name ~ 5", "~ needs a quoted regular expression", 7),
        ("x !~ true", "!~ needs a quoted regular expression", 5),
        ("name ~ '('", "invalid regular expression", 7),
        ("name ~ 'a{99999999999}'", "invalid regular expression", 7),
        ("created_at ~ '2026'", "~ matches text, and sys/created_at is not text", 0),
        ("val/acc:max ~ 'a'", "~ matches text, and val/acc:max is not text", 0),
        ("name:min < 1", ":min applies to float series, not to sys/name", 0),
        ("sys/colour = 'red'", "unknown system path 'sys/colour'", 0),
        ("name = 5", "sys/name is text; compare it to a quoted string", 7),
        ("status = 'finshed'", "unknown status 'finshed'", 9),
        ("status < 'running'", "status compares only with =, !=, in, ~ and !~", 9),
        ("created_at > 'last tuesday'", "sys/created_at is a time", 13),
        ("created_at = true", "sys/created_at is a time", 13),
        ("ended_at != nan", "sys/ended_at is a time and is never nan", 12),
        ("x < true", "true and false compare only with = or !=", 4),
        ("x > nan", "nan is not ordered", 4),
        ("x:max = 'a'", "a series summary is a number", 8),
        ("x:last = true", "a series summary is a number", 9),
        ("x:max exists", "write 'exists' without :max", 6),
        ("a//b = 1", "empty segment", 0),
        ("a/ = 1", "empty segment", 0),
        ("`a:min` = 1", "reserved suffix", 0),
        ("a = 1 and " + "(" * (MAX_DEPTH + 1) + "a = 1" + ")" * (MAX_DEPTH + 1), "nested", 74),
        ("not " * (MAX_DEPTH + 1) + "a = 1", "nested", 4 * MAX_DEPTH),
    ],
)
def test_filter_errors_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_filter(text)
    assert message in str(info.value)
    assert info.value.position == position
    assert info.value.text == text
    assert info.value.code == "query_syntax"


def test_the_message_shows_a_caret_under_the_position() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_filter("x < and")
    assert str(info.value).endswith("  x < and\n      ^")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-val/acc", [SortKey("val/acc", None, True)]),
        ("+val/acc", [SortKey("val/acc", None, False)]),
        ("val/acc:max", [SortKey("val/acc", "max", False)]),
        (
            "-val/acc, created_at",
            [SortKey("val/acc", None, True), SortKey("sys/created_at", None, False)],
        ),
        ("- `a b`:min,id", [SortKey("a b", "min", True), SortKey("sys/id", None, False)]),
    ],
)
def test_sort(text: str, expected: list[SortKey]) -> None:
    assert parse_sort(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("-", "expected a path to sort by", 1),
        ("a,", "expected a path to sort by", 2),
        ("a b", "expected ',' between sort keys", 2),
        ("a, -5", "expected a path to sort by", 4),
        ("tags", "cannot sort by tags", 0),
        ("name:max", ":max applies to float series", 0),
        ("sys/nope", "unknown system path", 0),
        ("a;b", "unexpected character ';'", 1),
    ],
)
def test_sort_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_sort(text)
    assert message in str(info.value)
    assert info.value.position == position


def test_hostile_text_stays_a_literal() -> None:
    expr = parse_filter(r"name = '\'; DROP TABLE runs; --'")
    assert expr == cmp("sys/name", "=", "'; DROP TABLE runs; --")


_ALPHABET = st.sampled_from(
    list("ab/_.:-+~!=<>()[],'\"`\\ 019e")
    + [
        "and ",
        "or ",
        "not ",
        "in ",
        "has ",
        "tags ",
        "exists",
        "status",
        "created_at",
        "nan",
        "inf",
        "true",
        ":max",
        "'x'",
        "1e-3",
        "sys/",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_query_like_text_raises_nothing_but_query_syntax_error(text: str) -> None:
    for parse in (parse_filter, parse_sort):
        try:
            parse(text)
        except QuerySyntaxError as exc:
            assert 0 <= exc.position <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_raises_nothing_but_query_syntax_error(text: str) -> None:
    for parse in (parse_filter, parse_sort):
        try:
            parse(text)
        except QuerySyntaxError as exc:
            assert 0 <= exc.position <= len(text)


def test_a_filter_has_at_most_max_conditions() -> None:
    assert parse_filter(" or ".join(["a = 1"] * MAX_CONDITIONS)) is not None
    text = " or ".join(["a = 1"] * (MAX_CONDITIONS + 1))
    with pytest.raises(QuerySyntaxError, match="more than 256 conditions") as info:
        parse_filter(text)
    assert info.value.position == len(text) - len("a = 1")


def test_a_filter_has_at_most_max_values() -> None:
    values = ", ".join(["1"] * MAX_VALUES)
    assert parse_filter(f"a in [{values}]") is not None
    with pytest.raises(QuerySyntaxError, match="more than 10000 values"):
        parse_filter(f"a in [{values}, 2]")
