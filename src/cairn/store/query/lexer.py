"""Split run filter and sort text into tokens, each with its 0-based position in the text.

The lexer knows characters, not meaning: it tells a path from a keyword, reads numbers and
quoted strings, and rejects what can never be part of a query (an unknown operator, an
unterminated string) with a :class:`~cairn.errors.QuerySyntaxError` that points at it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from cairn.errors import QuerySyntaxError

__all__ = ["KEYWORDS", "MAX_QUERY_LENGTH", "SUMMARIES", "Token", "TokenKind", "tokenize"]

MAX_QUERY_LENGTH: Final = 262_144
"""Longer text is refused: a filter that size is a mistake or an attack, not a question."""

KEYWORDS: Final = frozenset(
    {"and", "or", "not", "in", "has", "exists", "true", "false", "nan", "inf"}
)
"""Words with a meaning in the language, matched case-insensitively; write a path with one of
these names in backticks."""

SUMMARIES: Final = frozenset({"min", "max", "last"})
"""Suffixes that pick one summary of a float series: ``val/acc:max``."""

_OPERATORS: Final = frozenset({"=", "==", "!=", "<", "<=", ">", ">=", "~", "!~"})
_OPERATOR_CHARS: Final = frozenset("=!<>~")
# Operators people bring from other languages, with the word to write instead.
_OPERATOR_HINTS: Final = {
    "<>": "use != for 'not equal'",
    "=~": "use ~ for a regular expression match",
    "=<": "use <=",
    "=>": "use >=",
    "!": "write 'not' before a condition",
    "&": "use 'and'",
    "&&": "use 'and'",
    "|": "use 'or'",
    "||": "use 'or'",
}
_PUNCTUATION: Final = {
    "(": "LPAREN",
    ")": "RPAREN",
    "[": "LBRACKET",
    "]": "RBRACKET",
    ",": "COMMA",
    "-": "MINUS",
    "+": "PLUS",
}
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "`": "`"}


class TokenKind(str, enum.Enum):
    PATH = "path"
    KEYWORD = "keyword"
    NUMBER = "number"
    STRING = "string"
    OPERATOR = "operator"
    LPAREN = "LPAREN"
    RPAREN = "RPAREN"
    LBRACKET = "LBRACKET"
    RBRACKET = "RBRACKET"
    COMMA = "COMMA"
    MINUS = "MINUS"
    PLUS = "PLUS"
    END = "end"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Token:
    """One token. ``value`` is the decoded meaning: a path without its suffix, a lowercased
    keyword, a float, an unescaped string or the operator itself; ``summary`` is a path's
    ``:min``/``:max``/``:last`` suffix; ``text`` is the raw source, for messages."""

    kind: TokenKind
    text: str
    position: int
    value: str | float = ""
    summary: str | None = None


def tokenize(text: str) -> list[Token]:
    """Return the tokens of ``text``, ending with one ``END`` token at ``len(text)``.

    Raises :class:`~cairn.errors.QuerySyntaxError` for characters no token can start with,
    unknown operators, malformed numbers, and unterminated strings or backtick paths.

    >>> [t.text for t in tokenize("val/acc:max >= 0.9")]
    ['val/acc:max', '>=', '0.9', '']
    """
    if "\x00" in text:
        # No database accepts NUL inside text (PostgreSQL refuses it outright).
        raise QuerySyntaxError(
            "the query contains a NUL character", text=text, position=text.index("\x00")
        )
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"the query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}",
            position=MAX_QUERY_LENGTH,
        )
    return _Lexer(text).run()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []

    def error(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, text=self.text, position=position)

    def run(self) -> list[Token]:
        while True:
            self.skip_space()
            if self.pos >= len(self.text):
                self.tokens.append(Token(TokenKind.END, "", len(self.text)))
                return self.tokens
            self.tokens.append(self.next_token())

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def next_token(self) -> Token:
        ch = self.text[self.pos]
        if _is_path_start(ch):
            return self.bare_word()
        if ch == "`":
            return self.backtick_path()
        if ch.isascii() and ch.isdigit() or (ch == "." and self.peek_digit(1)):
            return self.number()
        if ch in "'\"":
            return self.string()
        if ch in _OPERATOR_CHARS or ch in "&|":
            return self.operator()
        if ch in _PUNCTUATION:
            self.pos += 1
            return Token(TokenKind(_PUNCTUATION[ch]), ch, self.pos - 1, ch)
        raise self.error(f"unexpected character {ch!r}", self.pos)

    def peek_digit(self, offset: int) -> bool:
        at = self.pos + offset
        return at < len(self.text) and self.text[at].isascii() and self.text[at].isdigit()

    def bare_word(self) -> Token:
        start = self.pos
        while self.pos < len(self.text) and _is_path_char(self.text[self.pos]):
            self.pos += 1
        word = self.text[start : self.pos]
        if word.lower() in KEYWORDS and self.peek() != ":":
            return Token(TokenKind.KEYWORD, word, start, word.lower())
        return self.path_token(start, word)

    def backtick_path(self) -> Token:
        start = self.pos
        path = self.quoted("`", "backtick path")
        if not path:
            raise self.error("a backtick path must not be empty", start)
        return self.path_token(start, path)

    def path_token(self, start: int, path: str) -> Token:
        """Read an optional ``:min``/``:max``/``:last`` after a path."""
        summary = None
        if self.peek() == ":":
            colon = self.pos
            self.pos += 1
            word_start = self.pos
            while self.pos < len(self.text) and self.text[self.pos].isalpha():
                self.pos += 1
            summary = self.text[word_start : self.pos].lower()
            if summary not in SUMMARIES:
                shown = self.text[colon : self.pos] or ":"
                raise self.error(f"unknown summary {shown!r}; use :min, :max or :last", colon)
        return Token(TokenKind.PATH, self.text[start : self.pos], start, path, summary)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def number(self) -> Token:
        start = self.pos
        self.digits()
        if self.peek() == ".":
            self.pos += 1
            self.digits()
        if self.peek() in ("e", "E"):
            self.pos += 1
            if self.peek() in ("+", "-"):
                self.pos += 1
            if not self.peek_digit(0):
                raise self.error("malformed number: expected digits after the exponent", start)
            self.digits()
        if _is_path_char(self.peek()) or self.peek() in ("`", ":"):
            # `1abc` or `2.5.1` is neither a number nor a path: paths start with a letter.
            raise self.error(
                f"malformed number {self.text[start : self.pos + 1]!r}; "
                "a path must start with a letter or '_', or be written in backticks",
                start,
            )
        raw = self.text[start : self.pos]
        return Token(TokenKind.NUMBER, raw, start, float(raw))

    def digits(self) -> None:
        while self.peek_digit(0):
            self.pos += 1

    def string(self) -> Token:
        start = self.pos
        value = self.quoted(self.text[start], "string")
        return Token(TokenKind.STRING, self.text[start : self.pos], start, value)

    def quoted(self, quote: str, what: str) -> str:
        """Read from an opening ``quote`` to its closing one, decoding backslash escapes.

        An unknown escape keeps its backslash, so that regular expressions such as
        ``'\\d+'`` read as written."""
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == quote:
                self.pos += 1
                return "".join(out)
            if ch == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
                self.pos += 2
                continue
            out.append(ch)
            self.pos += 1
        raise self.error(f"unterminated {what}: expected a closing {quote}", start)

    def operator(self) -> Token:
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos] in _OPERATOR_CHARS or self.text[self.pos] in "&|"
        ):
            self.pos += 1
        op = self.text[start : self.pos]
        if op not in _OPERATORS:
            hint = _OPERATOR_HINTS.get(op, "use one of = != < <= > >= ~ !~")
            raise self.error(f"unknown operator {op!r}; {hint}", start)
        return Token(TokenKind.OPERATOR, op, start, op)


def _is_path_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_path_char(ch: str) -> bool:
    return ch != "" and ch.isascii() and (ch.isalnum() or ch in "_./-")
