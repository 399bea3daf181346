"""Exact numbers and small expressions typed by people, parsed without ``eval``.

``--set F=8*D/3`` is an expression in the model's symbols. SymPy's ``sympify``
would run arbitrary Python on such text, so this module has its own grammar::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('+' | '-') unary | power
    power  := atom (('^' | '**') unary)?
    atom   := NUMBER | NAME | '(' expr ')'

NUMBER is a decimal literal in ASCII digits (``4096``, ``2.5``, ``1e3``; ``8/3`` via
division), converted exactly to a SymPy Rational; NAME must be one of the allowed
symbols. Anything else (attribute access, calls, strings, unknown names, ``0x10``,
``1_000``, ``nan``, ``inf``) is refused with a :class:`~symparams.errors.SymparamsError`.

Every limit below exists so that no input can make the tool hang or exhaust memory:
the text's length and nesting, the size of every exact number met on the way
(so ``9^9^9^9`` is refused before it is computed), and the number of terms an
expression would expand to (``(D+H+L+V)^64`` would take SymPy minutes to expand
into the closed form).
"""

from __future__ import annotations

import math
import numbers
import re
from fractions import Fraction
from typing import Iterable

import sympy
from sympy import Expr, Integer, Rational

from .errors import SymparamsError

__all__ = [
    "parse_expr", "parse_number", "to_exact", "terms", "degree", "check_size",
    "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "MAX_DIGITS", "MAX_BITS", "MAX_TERMS",
]

MAX_LENGTH = 200
MAX_DEPTH = 20
MAX_EXPONENT = 64
MAX_DIGITS = 60
MAX_BITS = 400
MAX_TERMS = 64

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/^()]))"
)


def terms(expr: Expr) -> int:
    """An upper bound on the number of terms ``expr`` has once expanded.

    Expanding is what makes a large expression expensive (every closed form is
    expanded to be shown), so this is the measure of size that matters. Powers of
    sums count their monomials, C(t+n-1, n); a negative power is counted like a
    positive one, to be cautious about what a common denominator multiplies out.
    """
    if expr.is_Add:
        return sum(terms(a) for a in expr.args)
    if expr.is_Mul:
        out = 1
        for a in expr.args:
            out *= terms(a)
        return out
    if expr.is_Pow:
        base, n = terms(expr.base), expr.exp
        if not n.is_Integer:
            return MAX_TERMS + 1
        n = abs(int(n))
        if base == 1:
            return 1
        return math.comb(base + n - 1, n) if n <= MAX_TERMS else MAX_TERMS + 1
    return 1


def degree(expr: Expr) -> int:
    """The total degree of ``expr`` in its symbols, a negative power counting as positive.

    It bounds how large a value the expression can produce from bounded inputs:
    ``D^4096`` is one short term, yet at D = 1,280 a number of 12,700 digits.
    """
    if expr.is_Symbol:
        return 1
    if expr.is_Add:
        return max(degree(a) for a in expr.args)
    if expr.is_Mul:
        return sum(degree(a) for a in expr.args)
    if expr.is_Pow:
        n = expr.exp
        return degree(expr.base) * abs(int(n)) if n.is_Integer else MAX_EXPONENT + 1
    return 0


def check_size(value: Expr, what: str) -> Expr:
    """``value`` if its numbers, degree and expansion are small enough to compute with.

    ``what`` names the input in the error (the text typed, or ``F = d_h^64``).
    """
    if any(_bits(r) > MAX_BITS for r in value.atoms(sympy.Rational)):
        raise SymparamsError(f"a number in {what} is too large (at most about 10^{MAX_BITS * 3 // 10})")
    if degree(value) > MAX_EXPONENT:
        raise SymparamsError(f"{what} is too large (degree {degree(value)}; at most {MAX_EXPONENT})")
    if terms(value) > MAX_TERMS:
        raise SymparamsError(f"{what} is too large (it expands to more than {MAX_TERMS} terms)")
    return value


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].strip()[:20]
            raise SymparamsError(f"unexpected {bad!r} in {text!r}")
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _bits(x: Rational) -> int:
    return max(abs(int(x.p)), int(x.q)).bit_length()


def _number(text: str) -> Rational:
    mantissa, _, exp = text.lower().partition("e")
    if exp and int(exp) < -MAX_DIGITS:
        raise SymparamsError(f"number {text!r} is too small (an exponent of at least -{MAX_DIGITS})")
    if len(mantissa) > MAX_DIGITS or (exp and int(exp) > MAX_DIGITS):
        raise SymparamsError(f"number {text!r} is too large "
                             f"(at most {MAX_DIGITS} digits and an exponent of at most {MAX_DIGITS})")
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

    def bounded(self, value: Expr) -> Expr:
        return check_size(value, repr(self.text))

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
            value = self.bounded(value + rhs if op == "+" else value - rhs)
        return value

    def term(self) -> Expr:
        value = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            rhs = self.unary()
            if op == "/":
                if rhs == 0:
                    raise SymparamsError(f"division by zero in {self.text!r}")
                value = self.bounded(value / rhs)
            else:
                value = self.bounded(value * rhs)
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
            if base.is_Rational and (_bits(base) - 1) * int(exp) > MAX_BITS:
                raise SymparamsError(f"a number in {self.text!r} is too large (at most about 10^{MAX_BITS * 3 // 10})")
            if base == 0 and exp == 0:
                raise SymparamsError(f"0^0 in {self.text!r} is undefined")
            return self.bounded(base**exp)
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
        raise SymparamsError(f"value {text[:20]!r}... is too long ({len(text)} characters; at most {MAX_LENGTH})")
    names = {s.name: s for s in symbols}
    return _Parser(text, names).parse()


def parse_number(text: str) -> Rational:
    """An exact number (no symbols): '4096', '1e3', '8/3', '2.5'."""
    return parse_expr(text, ())


def to_exact(value: object, symbols: Iterable[sympy.Symbol] = (), what: str = "value") -> Expr:
    """The exact SymPy value of what a caller passed: an int, a Fraction, a SymPy value, or text.

    Text goes through the grammar above, never through ``sympify`` (which would run it);
    floats are refused because 8/3 as a float is no longer 8/3.

    >>> to_exact("8/3")
    8/3
    >>> to_exact(2.5)
    Traceback (most recent call last):
    ...
    symparams.errors.SymparamsError: value = 2.5 is a float; give an int, a Fraction or text such as '5/2' so it stays exact
    """
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool):
        raise SymparamsError(f"{what} = {value!r} is not a number")
    if isinstance(value, str):
        return parse_expr(value, symbols)
    if isinstance(value, numbers.Integral):
        return Integer(int(value))
    if isinstance(value, numbers.Rational):
        return Rational(int(value.numerator), int(value.denominator))
    if isinstance(value, float):
        hint = str(Fraction(value).limit_denominator(1000)) if math.isfinite(value) else "8/3"
        raise SymparamsError(f"{what} = {value!r} is a float; give an int, a Fraction or text such as {hint!r} so it stays exact")
    raise SymparamsError(f"{what}: expected a number or an expression, got {type(value).__name__}")
