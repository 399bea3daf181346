"""Exact inputs and exact rounding for the scaling laws.

Budgets arrive as text, ints, Fractions or SymPy numbers and become exact Rationals;
zero, negatives, NaN and infinities are refused with the quantity named. Optima are
irrational (N* = G (C/6)^a), so rounding one to a whole number of parameters is done
at a precision that provably decides it: the value is evaluated with enough digits
for its integer part plus a margin, and more until its fraction is clearly away from
one half.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import sympy
from sympy import Expr, Rational

from ..errors import SymparamsError

__all__ = ["positive", "nearest_integer", "below", "as_number", "DIGITS"]

# Significant digits of every printed approximation of an irrational optimum.
DIGITS = 30


def positive(value: Any, what: str) -> Rational:
    """``value`` as an exact positive Rational, or a one-line refusal naming ``what``."""
    if isinstance(value, bool) or value is None:
        raise SymparamsError(f"{what} must be a positive number, got {value!r}")
    if isinstance(value, str):
        from ..parse import parse_number

        try:
            value = parse_number(value)
        except SymparamsError as err:
            raise SymparamsError(f"{what}: {err}") from None
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise SymparamsError(f"{what} must be a finite number, got {value!r}")
        value = Rational(repr(value))
    elif isinstance(value, Fraction):
        value = Rational(value.numerator, value.denominator)
    if not isinstance(value, sympy.Basic):
        if not isinstance(value, int):
            raise SymparamsError(f"{what} must be a number, got {type(value).__name__}")
        value = sympy.Integer(value)
    if not value.is_Rational:
        raise SymparamsError(f"{what} must be a finite exact number, got {value}")
    if value <= 0:
        raise SymparamsError(f"{what} must be positive, got {value}")
    return value


def below(x: Expr, bound: int, limit: int = 4000) -> bool:
    """Whether the real ``x`` is less than ``bound``, decided exactly.

    SymPy's own comparison of a power with a fractional exponent first proves it real,
    some 20 ms a call, and leaves a value within its working precision undecided. Here
    ``x`` is evaluated with 30 digits, doubled (up to ``limit``) while the evaluation's
    error could cross ``bound``; a value still undecided must equal ``bound``, which SymPy checks.
    """
    if x.is_Rational:
        return bool(x < bound)
    digits = 30
    while digits <= limit:
        value = sympy.N(x, digits)
        if not value.is_real:
            raise SymparamsError(f"{x} is not a real number")
        if abs(value - bound) > sympy.Float(10, digits) ** (10 - digits) * max(1, abs(bound)):
            return bool(value < bound)
        digits *= 2
    if (x - bound).equals(0):
        return False
    raise SymparamsError(f"cannot tell whether {x} is below {bound}")


def nearest_integer(x: Expr, limit: int = 4000) -> int:
    """``x`` rounded to the nearest integer (halves up), decided exactly.

    Rationals round exactly. An irrational positive value is evaluated with as many
    digits as its integer part has, plus 30; when its fraction lies within the
    evaluation's error of one half, the digits are doubled (up to ``limit``), and a
    value that is still undecided is compared with the half-integer exactly.
    """
    if x.is_Rational:
        return int(sympy.floor(x + Rational(1, 2)))
    magnitude = sympy.N(x, 15)
    if not magnitude.is_real:
        raise SymparamsError(f"{x} is not a real number")
    whole = max(len(str(abs(int(magnitude)))), 1)
    digits = whole + 30
    while digits <= limit:
        value = sympy.N(x + Rational(1, 2), digits)
        floor = int(sympy.floor(value))
        fraction = value - floor
        margin = sympy.Float(10, digits) ** (whole + 5 - digits)
        if margin < fraction < 1 - margin:
            return floor
        digits *= 2
    return int(sympy.floor(x + Rational(1, 2)))


def as_number(x: Expr) -> int | float:
    """An exact integer as an int, anything else as its float approximation (for JSON)."""
    return int(x) if x.is_Integer else float(sympy.N(x, DIGITS))
