"""Tokens and their positions; what the lexer refuses, and where."""

from __future__ import annotations

import math

import pytest

from cairn.errors import QuerySyntaxError
from cairn.store.query.lexer import MAX_QUERY_LENGTH, Token, TokenKind, tokenize


def kinds(text: str) -> list[str]:
    return [token.kind.value for token in tokenize(text)]


def test_a_comparison_has_path_operator_number_and_end() -> None:
    tokens = tokenize("parameters/lr < 0.01")
    assert [(t.kind, t.value, t.position) for t in tokens] == [
        (TokenKind.PATH, "parameters/lr", 0),
        (TokenKind.OPERATOR, "<", 14),
        (TokenKind.NUMBER, 0.01, 16),
        (TokenKind.END, "", 20),
    ]


@pytest.mark.parametrize(
    "text",
    ["val/acc", "parameters/optimizer/name", "data/train", "_x", "a.b-c/d_e9", "sys/tags"],
)
def test_bare_paths(text: str) -> None:
    (token, end) = tokenize(text)
    assert token == Token(TokenKind.PATH, text, 0, text, None)
    assert end.kind is TokenKind.END


@pytest.mark.parametrize("summary", ["min", "max", "last", "MAX"])
def test_a_summary_suffix_is_split_from_the_path(summary: str) -> None:
    (token, _) = tokenize(f"val/acc:{summary}")
    assert token.value == "val/acc"
    assert token.summary == summary.lower()
    assert token.text == f"val/acc:{summary}"


def test_backtick_paths_take_any_character_and_escapes() -> None:
    (token, _) = tokenize(r"`my metric/x y\`s`:max")
    assert token.kind is TokenKind.PATH
    assert token.value == "my metric/x y`s"
    assert token.summary == "max"


@pytest.mark.parametrize("word", ["and", "OR", "Not", "in", "HAS", "exists", "True", "false"])
def test_keywords_are_case_insensitive(word: str) -> None:
    (token, _) = tokenize(word)
    assert token.kind is TokenKind.KEYWORD
    assert token.value == word.lower()


def test_a_keyword_inside_a_longer_path_is_a_path() -> None:
    assert kinds("android or order/in") == ["path", "keyword", "path", "end"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0.0),
        ("42", 42.0),
        ("3.5", 3.5),
        (".5", 0.5),
        ("1e-3", 1e-3),
        ("2E+2", 200.0),
        ("1.", 1.0),
    ],
)
def test_numbers(text: str, value: float) -> None:
    (token, _) = tokenize(text)
    assert token.kind is TokenKind.NUMBER
    assert token.value == value


def test_a_minus_is_its_own_token() -> None:
    assert kinds("x > -1") == ["path", "operator", "MINUS", "number", "end"]
    assert kinds("-val/acc, +name") == ["MINUS", "path", "COMMA", "PLUS", "path", "end"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'cnn'", "cnn"),
        ('"cnn"', "cnn"),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'a\\b'", "a\\b"),
        (r"'tab\there'", "tab\there"),
        (r"'\d+'", r"\d+"),  # an unknown escape keeps its backslash, for regexes
        ("''", ""),
        ("'ünïcode ✓'", "ünïcode ✓"),
    ],
)
def test_strings_and_escapes(text: str, value: str) -> None:
    (token, _) = tokenize(text)
    assert token.kind is TokenKind.STRING
    assert token.value == value


@pytest.mark.parametrize("op", ["=", "==", "!=", "<", "<=", ">", ">=", "~", "!~"])
def test_operators(op: str) -> None:
    tokens = tokenize(f"x{op}1")
    assert tokens[1] == Token(TokenKind.OPERATOR, op, 1, op)
    assert tokens[2].position == 1 + len(op)


def test_punctuation_and_positions() -> None:
    tokens = tokenize("(a in [1, 2])")
    assert [(t.kind.value, t.position) for t in tokens] == [
        ("LPAREN", 0),
        ("path", 1),
        ("keyword", 3),
        ("LBRACKET", 6),
        ("number", 7),
        ("COMMA", 8),
        ("number", 10),
        ("RBRACKET", 11),
        ("RPAREN", 12),
        ("end", 13),
    ]


def test_nan_and_inf_are_keywords() -> None:
    assert [t.value for t in tokenize("nan inf")[:2]] == ["nan", "inf"]
    assert not any(isinstance(t.value, float) and math.isnan(t.value) for t in tokenize("nan"))


def test_whitespace_of_any_kind_separates() -> None:
    assert kinds("a\t=\n1\r\n") == ["path", "operator", "number", "end"]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("name = 'abc", "unterminated string", 7),
        ('name = "abc\\"', "unterminated string", 7),
        ("`abc", "unterminated backtick path", 0),
        ("``", "must not be empty", 0),
        ("x <> 1", "unknown operator '<>'; use != for 'not equal'", 2),
        ("x =~ 'a'", "unknown operator '=~'", 2),
        ("x => 1", "unknown operator '=>'", 2),
        ("a && b", "unknown operator '&&'; use 'and'", 2),
        ("a || b", "unknown operator '||'; use 'or'", 2),
        ("x === 1", "unknown operator '==='", 2),
        ("!x", "unknown operator '!'", 0),
        ("x = 1 ; DROP", "unexpected character ';'", 6),
        ("x @ 1", "unexpected character '@'", 2),
        ("x = 1abc", "malformed number", 4),
        ("x = 1.2.3", "malformed number", 4),
        ("x = 1e", "expected digits after the exponent", 4),
        ("x = 1e+", "expected digits after the exponent", 4),
        ("val/acc:median > 1", "unknown summary ':median'; use :min, :max or :last", 7),
        ("val/acc: > 1", "unknown summary ':'", 7),
        ("ä = 1", "unexpected character 'ä'", 0),
    ],
)
def test_errors_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        tokenize(text)
    assert message in str(info.value)
    assert info.value.position == position
    assert info.value.text == text


def test_overlong_text_is_refused() -> None:
    with pytest.raises(QuerySyntaxError, match="limit"):
        tokenize("a" * (MAX_QUERY_LENGTH + 1))
