"""Integer expressions on NumPy arrays: the cheapest form for the shapes at hand, no wrapping.

Why an evaluator rather than compiled text: the cheapest way to compute a
polynomial over arrays depends on their shapes. Over flat arrays of a million
configurations every operation is a full pass, so the nested form
2*D*(D*L*(e + 2) + V) (six passes) wins; over a broadcast grid (D along one
axis, L along another...) the collected form 2*D**2*L*(e + 2) + 2*D*V keeps
most products small and only the last sum is full size. So each call estimates
the cost of every form from the operands' shapes (cached per shape signature),
multiplies the smallest operands first, and reuses its own temporaries in place.

No intermediate can wrap: :func:`bound` evaluates the same form with every
coefficient made positive at each variable's largest magnitude (at least 1),
with Python ints. Every partial sum or product the evaluation forms is at most
that, so when it fits in int64 the int64 evaluation is exact; otherwise the
caller evaluates on Python ints (object arrays).
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any, Mapping

from sympy import Expr

from .poly import Code

__all__ = ["bound", "evaluate", "choose"]


def bound(expr: Expr, bounds: Mapping[str, int]) -> int:
    """The magnitude bound of every intermediate value of evaluating ``expr``."""
    if expr.is_Integer:
        return abs(int(expr))
    if expr.is_Symbol:
        return bounds[expr.name]
    if expr.is_Pow:
        return bound(expr.base, bounds) ** int(expr.exp)
    parts = [bound(a, bounds) for a in expr.args]
    if expr.is_Mul:
        return reduce(operator.mul, (max(1, p) for p in parts), 1)
    return sum(parts)


def _size(shape: tuple[int, ...]) -> int:
    return reduce(operator.mul, shape, 1)


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + b
    return tuple(x if y == 1 else y for x, y in zip(a, b))


def _cost(expr: Expr, shapes: Mapping[str, tuple[int, ...]]) -> tuple[int, tuple[int, ...]]:
    """(elements written, result shape) of evaluating ``expr``, smallest operands first."""
    if expr.is_Integer:
        return 0, ()
    if expr.is_Symbol:
        return 0, shapes[expr.name]
    if expr.is_Pow:
        cost, shape = _cost(expr.base, shapes)
        return cost + (_size(shape) if shape else 0) * max(1, int(expr.exp) - 1), shape
    parts = sorted((_cost(a, shapes) for a in expr.args), key=lambda cs: _size(cs[1]) if cs[1] else 0)
    cost, shape = parts[0]
    for c, s in parts[1:]:
        shape = _broadcast(shape, s)
        cost += c + (_size(shape) if shape else 0)
    return cost, shape


def choose(code: Code, shapes: Mapping[str, tuple[int, ...]], cache: dict) -> Expr:
    """The form of ``code`` that writes the fewest elements for these operand shapes."""
    key = (code, tuple(shapes[n] for n in code.names))
    form = cache.get(key)
    if form is None:
        form = cache[key] = min(code.forms, key=lambda f: _cost(f, shapes)[0])
    return form


def evaluate(expr: Expr, values: Mapping[str, Any]):
    """``expr`` over NumPy arrays and Python ints (object arrays evaluate exactly)."""
    return _run(expr, values)[0]


def _run(expr: Expr, values: Mapping[str, Any]) -> tuple[Any, bool]:
    """(value, whether the value is a temporary this evaluation owns and may overwrite)."""
    import numpy as np

    if expr.is_Integer:
        return int(expr), False
    if expr.is_Symbol:
        return values[expr.name], False
    if expr.is_Pow:
        base, _ = _run(expr.base, values)
        n = int(expr.exp)
        value = base * base if n == 2 else base**n
        return value, isinstance(value, np.ndarray)
    items = sorted((_run(a, values) for a in expr.args), key=lambda vo: np.size(vo[0]) if isinstance(vo[0], np.ndarray) else 0)
    ufunc, pyop = (np.multiply, operator.mul) if expr.is_Mul else (np.add, operator.add)
    acc, owned = items[0]
    for value, own in items[1:]:
        acc, owned = _combine(ufunc, pyop, acc, owned, value, own)
    return acc, owned


def _combine(ufunc, pyop, a, a_owned: bool, b, b_owned: bool):
    import numpy as np

    a_arr, b_arr = isinstance(a, np.ndarray), isinstance(b, np.ndarray)
    if not a_arr and not b_arr:
        return pyop(a, b), False
    shape = _broadcast(a.shape if a_arr else (), b.shape if b_arr else ())
    if a_owned and a_arr and a.shape == shape and (not b_arr or b.dtype == a.dtype):
        return ufunc(a, b, out=a), True
    if b_owned and b_arr and b.shape == shape and (not a_arr or a.dtype == b.dtype):
        return ufunc(b, a, out=b), True
    return ufunc(a, b), True
