"""Compiled exact evaluators: a model's closed form as integer arithmetic, for one value or millions.

SymPy substitution costs about a millisecond per configuration, so a sweep over
depth x width x vocabulary x GQA ratio would take hours. A closed form is only
sums and products of whole numbers, so each model *structure* (tree, relations,
constraints; values aside) is compiled once, and cached, into

* plain Python integer arithmetic for one configuration: :func:`count_fn`;
* NumPy int64 arithmetic for arrays of configurations: :func:`vectorize`;

and no SymPy runs on the hot path. Exactness is kept by construction: no float
and no ``/`` appear in the compiled code (rational values travel as numerator and
denominator), divisions are exact ``//`` after a divisibility check, and int64 is
used only where a bound proves nothing can wrap (else Python ints, and
CountOverflow, a SymparamsError and OverflowError, for a count beyond int64).
The one float: over flat arrays a divisibility check or exact division runs in
float64 where both operands are proven below 2**53, where it is exact (see
:mod:`.flat`). An invalid configuration is handed to the Spec, so its error
message is the one ``Spec.total`` gives.

Modules: :mod:`.poly` (integer polynomials and the printer), :mod:`.plan` (what a
call computes), :mod:`.scalar` (single configurations), :mod:`.vector` and
:mod:`.arrays` (arrays), :mod:`.flat` (flat arrays, block by block). They load
on first use, so ``import symparams`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from ..spec import Spec
    from .vector import CountOverflow, Vectorized

__all__ = ["vectorize", "count_fn", "compiled", "Compiled", "Vectorized", "INT64_MAX", "CountOverflow"]

_LAZY = {"compiled": ".plan", "Compiled": ".plan", "Vectorized": ".vector", "INT64_MAX": ".vector",
         "CountOverflow": ".vector"}


def count_fn(model: "Spec", reading: str = "params") -> Callable[..., int]:
    """A fast exact counter for single configurations of the Spec ``model``: keyword sizes in, a Python int out.

    The function takes the model's symbols as keyword arguments (ints; a rational
    symbol such as ``e`` also a Fraction, a SymPy Rational or text like ``'8/3'``).
    Symbols left out keep the model's values, and symbols defined by relations
    (``H_kv``, ``d_h``, ``F``) follow them unless given. It returns exactly
    ``Spec.total`` (``Spec.active_total`` for ``reading="active"``) and raises the
    same SymparamsError for an invalid configuration. Compiling costs milliseconds
    once per model structure; each call then costs about a microsecond.

    >>> import symparams
    >>> count = count_fn(symparams.model("nanochat"))
    >>> count(), count(D=1536, H=12, L=24), count(H_kv=1)
    (560988160, 880803840, 502005760)
    >>> count(D=1536, H=12, L=24, e="8/3")
    729808896
    >>> count(D=320, H=3)
    Traceback (most recent call last):
    ...
    symparams.errors.SymparamsError: nanochat d20: H=3 does not divide D=320 (the head dimension d_h = D/H must be whole)
    """
    from .scalar import count_fn as build

    return build(model, reading)


def vectorize(model: "Spec", reading: str = "params") -> "Vectorized":
    """A function from NumPy integer arrays of symbol values to exact int64 counts.

    ``model`` is a :class:`~symparams.spec.Spec` (``symparams.vectorize`` also takes a
    name, through the catalog). Call the result with the model's symbols as
    keyword arguments; arrays broadcast against each other, and a symbol left out
    keeps the model's value, or follows its relation (``H_kv`` follows ``H``
    unless given). A rational symbol (``e``) takes integer arrays, an exact
    scalar (``Fraction(8, 3)``, ``"8/3"``) or a ``(numerators, denominators)``
    pair of integer arrays.

    Counts are exact: an entry whose count would not fit in int64 raises
    CountOverflow, a one-line SymparamsError that is also an OverflowError (it
    never wraps; ``.evaluate(..., exact=True)`` gives Python ints), and an
    invalid entry (H not dividing D, a size that is not positive) raises the
    SymparamsError ``Spec.total`` raises for it, with its index. ``.counts(...)``
    adds the top-level components, ``.valid(...)``
    says which entries are buildable, ``.evaluate(...)`` can skip invalid entries.

    >>> import numpy as np
    >>> import symparams
    >>> f = vectorize(symparams.model("nanochat"))
    >>> f(D=np.array([768, 1280, 1536]), H=np.array([6, 10, 12]), L=np.array([12, 20, 24])).tolist()
    [185597952, 560988160, 880803840]
    >>> f(H_kv=np.array([1, 2, 5, 10])).tolist()
    [502005760, 508559360, 528220160, 560988160]
    """
    from .vector import vectorize as build

    return build(model, reading)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
