"""Exact numbers and small expressions typed by people, parsed without ``eval``.

``--set F=8*D/3`` is an expression in the model's symbols. SymPy's ``sympify``
would run arbitrary Python on such text, so this module has its own grammar::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('+' | '-') unary | power
    power  := atom (('^' | '**') unary)?
    atom   := NUMBER | NAME | '(' expr ')'

NUMBER is a decimal literal (``4096``, ``2.5``, ``1e3``, ``8/3`` via division),
converted exactly to a SymPy Rational; NAME must be one of the allowed symbols.
Anything else (attribute access, calls, strings, unknown names) is refused with a
:class:`~symparams.errors.SymparamsError`. Length, nesting and exponent sizes are
bounded so that no input can make the parser hang or exhaust memory.
"""

from __future__ import annotations

import re
from typing import Iterable

import sympy
from sympy import Expr, Integer, Rational

from .errors import SymparamsError

__all__ = ["parse_expr", "parse_number", "MAX_LENGTH", "MAX_DEPTH"]

MAX_LENGTH = 200
MAX_DEPTH = 20
MAX_EXPONENT = 64
MAX_DIGITS = 60

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/^()]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].strip()[:20]
            raise SymparamsError(f"unexpected {bad!r} in {text!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _number(text: str) -> Rational:
    mantissa, _, exp = text.lower().partition("e")
    if len(mantissa) > MAX_DIGITS or (exp and abs(int(exp)) > MAX_DIGITS):
        raise SymparamsError(f"number {text!r} is too large")
    whole, _, frac = mantissa.partition(".")
    value = Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))
    if exp:
        value *= Rational(10) ** int(exp)
    return value


class _Parser:
    def __init__(self, text: str, names: dict[str, sympy.Symbol]):
        self.text, self.names = text, names
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise SymparamsError(f"expression {self.text!r} ends too early")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Expr:
        if not self.toks:
            raise SymparamsError("empty value")
        value = self.expr()
        if self.i != len(self.toks):
            raise SymparamsError(f"unexpected {self.toks[self.i][1]!r} in {self.text!r}")
        return value

    def expr(self) -> Expr:
        value = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self) -> Expr:
        value = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            rhs = self.unary()
            if op == "/":
                if rhs == 0:
                    raise SymparamsError(f"division by zero in {self.text!r}")
                value = value / rhs
            else:
                value = value * rhs
        return value

    def unary(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise SymparamsError(f"expression {self.text[:40]!r}... is nested too deeply")
        try:
            if self.peek() in ("+", "-"):
                op = self.take()[1]
                value = self.unary()
                return -value if op == "-" else value
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Expr:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            exp = self.unary()
            if not (exp.is_Integer and 0 <= exp <= MAX_EXPONENT):
                raise SymparamsError(f"exponent {exp} in {self.text!r} must be a whole number from 0 to {MAX_EXPONENT}")
            if base.is_number and abs(base) > 10**MAX_DIGITS:
                raise SymparamsError(f"number in {self.text!r} is too large")
            value = base**exp
            if value.is_number and value.is_Rational and max(abs(value.p), value.q).bit_length() > 4 * MAX_DIGITS:
                raise SymparamsError(f"number in {self.text!r} is too large")
            return value
        return base

    def atom(self) -> Expr:
        kind, tok = self.take()
        if kind == "num":
            return _number(tok)
        if kind == "name":
            if tok not in self.names:
                allowed = ", ".join(self.names) or "none here"
                raise SymparamsError(f"unknown name {tok!r} in {self.text!r} (allowed: {allowed})")
            if self.peek() == "(":
                raise SymparamsError(f"function calls are not allowed: {self.text!r}")
            return self.names[tok]
        if tok == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise SymparamsError(f"expression {self.text[:40]!r}... is nested too deeply")
            value = self.expr()
            self.depth -= 1
            if self.take()[1] != ")":
                raise SymparamsError(f"missing ')' in {self.text!r}")
            return value
        raise SymparamsError(f"unexpected {tok!r} in {self.text!r}")


def parse_expr(text: str, symbols: Iterable[sympy.Symbol] = ()) -> Expr:
    """Parse ``text`` into an exact SymPy expression over ``symbols`` (and nothing else).

    >>> from symparams.symbols import D
    >>> parse_expr("8*D/3", [D])
    8*D/3
    >>> parse_expr("1e3")
    1000
    """
    if not isinstance(text, str):
        raise SymparamsError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise SymparamsError(f"value is too long ({len(text)} characters; at most {MAX_LENGTH})")
    names = {s.name: s for s in symbols}
    return _Parser(text, names).parse()


def parse_number(text: str) -> Rational:
    """An exact number (no symbols): '4096', '1e3', '8/3', '2.5'."""
    return parse_expr(text, ())
