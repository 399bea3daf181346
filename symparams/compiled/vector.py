"""Exact counts over NumPy arrays: millions of configurations at the speed of NumPy itself.

A call converts its inputs (integer arrays, exact scalars, numerator/denominator
pairs for a rational ``e``), runs the plan's checks on them, then its steps and
outputs. Each expression runs in int64 only when its bound (see
:mod:`.poly`) proves no intermediate can wrap; otherwise it runs on Python ints in
an object array, and a count that does not fit in int64 raises
:class:`CountOverflow` (a SymparamsError and an OverflowError, naming the limit),
or is returned as Python ints when asked for (``exact=True``).

NumPy is imported inside the functions that use it, so importing symparams stays
light.
"""

from __future__ import annotations

from contextlib import nullcontext
from fractions import Fraction
from numbers import Integral
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import sympy

from ..errors import SymparamsError
from ..spec import Spec
from . import flat
from .arrays import bound, choose, evaluate
from .plan import Check, Step, compiled
from .poly import Code
from .scalar import as_spec, exact_scalar, spec_at

if TYPE_CHECKING:  # pragma: no cover
    import numpy

__all__ = ["Vectorized", "vectorize", "CountOverflow", "INT64_MAX", "INT64_MIN"]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


class CountOverflow(SymparamsError, OverflowError):
    """A count beyond int64 where int64 arrays were asked for.

    A one-line refusal like every other (a SymparamsError, so the CLI and callers
    catching it see a clear message, not a raw error), and still an
    OverflowError for code that catches that. Nothing wraps: the exact value is
    in the message, and ``exact=True`` returns it.
    """


def _nonzero(den):
    """``den`` with its zeros made 1 (their entries are masked out anyway), without forcing int64.

    A Python int beyond int64 stays one: ``np.where`` would try to convert it.
    """
    np = _np()
    if isinstance(den, np.ndarray):
        return np.where(den == 0, 1, den)
    return den if den != 0 else 1


def _np():
    import numpy

    return numpy


def _int_input(name: str, x: Any):
    """A Python int, an int64 array, or (beyond int64) an object array of Python ints."""
    np = _np()
    if isinstance(x, (bool, np.bool_)):
        raise SymparamsError(f"{name} = {x!r} is not a whole number")
    if isinstance(x, Integral):
        return int(x)
    a = np.asarray(x)
    if a.dtype.kind == "O":
        flat = [v for v in a.ravel()]
        if any(isinstance(v, bool) or not isinstance(v, Integral) for v in flat):
            raise SymparamsError(f"{name}: expected whole numbers, got an array holding {type(flat[0]).__name__}")
        a = np.array([int(v) for v in flat] or [0], dtype=object)[: len(flat)].reshape(a.shape)
        if not flat or (min(flat) >= INT64_MIN and max(flat) <= INT64_MAX):
            a = a.astype(np.int64)
    elif a.dtype.kind == "u":
        a = a.astype(object) if a.size and int(a.max()) > INT64_MAX else a.astype(np.int64)
    elif a.dtype.kind == "i":
        a = a.astype(np.int64, copy=False)
    else:
        raise SymparamsError(f"{name}: expected whole numbers, got an array of {a.dtype}")
    return int(a[()]) if a.ndim == 0 else a


def _rational_input(name: str, x: Any):
    """A rational symbol's value: a whole input, or a (numerators, denominators) pair."""
    np = _np()
    if isinstance(x, tuple) and len(x) == 2:
        n, d = _int_input(f"{name} numerator", x[0]), _int_input(f"{name} denominator", x[1])
    elif isinstance(x, (Fraction, str, sympy.Basic)):
        v = exact_scalar(name, x)
        if isinstance(v, int):
            return v
        n, d = v.numerator, v.denominator
    else:
        a = x if isinstance(x, Integral) else np.asarray(x)
        if isinstance(a, np.ndarray) and a.dtype.kind == "O" and any(isinstance(v, Fraction) for v in a.ravel()):
            fr = [exact_scalar(name, v) for v in a.ravel()]
            n = _int_input(name, np.array([Fraction(v).numerator for v in fr], dtype=object).reshape(a.shape))
            d = _int_input(name, np.array([Fraction(v).denominator for v in fr], dtype=object).reshape(a.shape))
        else:
            return _int_input(name, x)
    if isinstance(d, int) and d == 1:
        return n
    if isinstance(d, np.ndarray) and d.size and not (d != 1).any():
        return n
    return (n, d)


def _bound_of(x) -> int:
    np = _np()
    if isinstance(x, np.ndarray):
        return max(1, abs(int(x.max())), abs(int(x.min()))) if x.size else 1
    return max(1, abs(int(x)))


def _fits(a):
    """An object array back to int64 when every entry fits, else unchanged."""
    np = _np()
    if isinstance(a, np.ndarray) and a.dtype == object and a.size:
        flat = a.ravel()
        if INT64_MIN <= min(flat) and max(flat) <= INT64_MAX:
            return a.astype(np.int64)
    return a


class _Env:
    """The variables of one call, with a bound on each one's magnitude."""

    def __init__(self, exact: bool, forms: dict):
        self.values: dict[str, Any] = {}
        self.bounds: dict[str, int] = {}
        self.exact = exact
        self.forms = forms

    def set(self, name: str, value, bound: int | None = None) -> None:
        self.values[name] = value
        self.bounds[name] = bound if bound is not None else _bound_of(value)

    def eval(self, code: Code):
        """``code`` in int64 when its bound proves nothing wraps, else on Python ints."""
        np = _np()
        if code.symbol is not None:
            return self.values[code.symbol]
        values = {n: self.values[n] for n in code.names}
        form = choose(code, {n: np.shape(v) for n, v in values.items()}, self.forms)
        if self.exact or bound(form, self.bounds) > INT64_MAX:
            values = {n: v.astype(object) if isinstance(v, np.ndarray) and v.dtype != object else v
                      for n, v in values.items()}
        return evaluate(form, values)

    def restrict(self, mask) -> "_Env":
        """The same variables over the entries ``mask`` keeps, as flat arrays (C order)."""
        np = _np()
        out = _Env(self.exact, self.forms)
        for name, v in self.values.items():
            if isinstance(v, np.ndarray):
                out.set(name, np.broadcast_to(v, mask.shape)[mask])
            else:
                out.set(name, v, self.bounds[name])
        return out


class Vectorized:
    """A model's exact counts over arrays of symbol values: see :func:`vectorize`."""

    def __init__(self, spec: Spec, reading: str = "params"):
        self.spec, self.reading = spec, reading
        self.compiled = compiled(spec, reading)
        self.symbols: tuple[str, ...] = self.compiled.names
        self.components: tuple[str, ...] = tuple(n for n, _ in self.compiled.outputs[1:])
        self._forms: dict = {}

    def __repr__(self) -> str:
        return f"<vectorized {self.reading} count of {self.spec.name}: {', '.join(self.symbols)}>"

    def __call__(self, /, **values) -> "numpy.ndarray":
        """Exact int64 totals over the broadcast of the inputs; an invalid entry raises."""
        return self.evaluate(values, ("total",))["total"]

    def counts(self, /, **values) -> dict[str, "numpy.ndarray"]:
        """The total and each top-level component's count, as int64 arrays."""
        return self.evaluate(values, ("total",) + self.components)

    def valid(self, /, **values) -> "numpy.ndarray":
        """True where the configuration describes a buildable model."""
        return self.evaluate(values, (), invalid="mask")["valid"]

    def evaluate(self, values: Mapping[str, Any], outputs: Iterable[str] = ("total",), invalid: str = "raise",
                 exact: bool = False) -> dict[str, Any]:
        """Evaluate ``outputs`` (``"total"`` and component names) at ``values``.

        ``invalid="raise"``: Spec's error for the first invalid entry, with its index.
        ``invalid="mask"``: invalid entries are left out instead; the result also
        holds ``valid`` (a boolean array over the broadcast shape) and ``reasons``
        (entries rejected per check, each counted under the first check it fails),
        ``rules`` (every check's label, in the order they apply), and the outputs
        are flat arrays over the valid entries in C order. ``exact=True`` returns
        object arrays of Python ints instead of raising CountOverflow.
        """
        if invalid not in ("raise", "mask"):
            raise SymparamsError(f"invalid must be 'raise' or 'mask', not {invalid!r}")
        np = _np()
        comp = self.compiled
        unknown = [k for k in values if k not in comp.names]
        if unknown:
            raise SymparamsError(f"{self.spec.name} has no symbol {unknown[0]!r} (it uses: {', '.join(comp.names)})")
        free = {s.name for s in comp.free}
        inputs: dict[str, Any] = {}
        for s, default in self.spec.values:
            raw = values.get(s.name)
            if raw is None:
                raw = int(default) if default.is_Integer else Fraction(int(default.p), int(default.q))
            inputs[s.name] = self._input(s.name, raw)
        given = frozenset(k for k, v in values.items() if k not in free and v is not None)
        for name in sorted(given):
            inputs[name] = self._input(name, values[name])
        rational = frozenset(k for k, v in inputs.items() if isinstance(v, tuple))
        plan = comp.plan(given, rational)
        parts = [p for v in inputs.values() for p in (v if isinstance(v, tuple) else (v,))]
        shape = np.broadcast_shapes(*[np.shape(p) for p in parts])
        masking = invalid == "mask"
        if not exact:
            fast = flat.run(plan, inputs, shape, set(outputs), masking)
            if fast is not None:
                return fast
        mask = np.ones(shape, dtype=bool) if masking else None
        reasons: dict[str, int] = {}

        env = _Env(exact, self._forms)
        for name, names in plan.inputs:
            v = inputs[name]
            for cname, part in zip(names, v if isinstance(v, tuple) else (v,)):
                low, high = (int(part.min()), int(part.max())) if isinstance(part, np.ndarray) and part.size else (part, part)
                if isinstance(part, np.ndarray) and not part.size:
                    low = high = 1
                if low <= 0:
                    self._fail(inputs, shape, np.asarray(part) <= 0, mask, reasons, f"{name} is not positive")
                env.set(cname, part, max(1, abs(low), abs(high)))
        with np.errstate(divide="ignore", invalid="ignore") if masking else nullcontext():
            for st in plan.pre:
                self._step(env, st, masking)
            for c in plan.checks:
                ok = self._check(env, c, masking)
                if ok is not True:
                    self._fail(inputs, shape, ~np.asarray(ok), mask, reasons, c.label)
            if plan.opaque:
                ok = self._opaque(inputs, shape, mask)
                if not ok.all():
                    self._fail(inputs, shape, ~ok, mask, reasons, "a constraint of the model fails")
        out_shape = shape
        if mask is not None:
            env = env.restrict(mask)
            out_shape = (int(mask.sum()),)
        for st in plan.steps:
            self._step(env, st, False)
        out: dict[str, Any] = {}
        wanted = set(outputs)
        for name, num, den in plan.outputs:
            if name in wanted:
                value = env.eval(num)
                if not den.one:
                    value = value // env.eval(den)
                out[name] = self._finish(value, out_shape, name, exact)
        if masking:
            out["valid"], out["reasons"], out["rules"] = mask, reasons, flat.rules(plan)
        return out

    def _input(self, name: str, raw: Any):
        if name in self.compiled.rational_names:
            return _rational_input(name, raw)
        return _int_input(name, raw)

    def _fail(self, inputs, shape, bad, mask, reasons: dict, label: str) -> None:
        """An invalid entry: Spec's error (raise mode), or the entries left out (mask mode)."""
        np = _np()
        bad = np.broadcast_to(bad, shape)
        if mask is None:
            self._raise(inputs, shape, bad)
        newly = mask & bad
        n = int(newly.sum())
        if n:
            reasons[label] = reasons.get(label, 0) + n
            mask &= ~bad

    @staticmethod
    def _step(env: _Env, st: Step, safe: bool) -> None:
        num = env.eval(st.num)
        if st.kind == "pair":
            n, d = st.target.split(", ")
            env.set(n, _fits(num))
            env.set(d, _fits(env.eval(st.den)))
            return
        if not st.den.one:
            den = env.eval(st.den)
            if safe:
                den = _nonzero(den)
            num = -((-num) // den) if st.kind == "ceil" else num // den
        env.set(st.target, _fits(num))

    @staticmethod
    def _check(env: _Env, c: Check, safe: bool):
        """True when the check holds for every entry, else a boolean array of where it holds."""
        np = _np()
        x = env.eval(c.x)
        if c.kind == "mod":
            assert c.den is not None
            den = env.eval(c.den)
            if safe:
                den = _nonzero(den)
            r = x % den
            if not isinstance(r, np.ndarray):
                return True if r == 0 else np.asarray(False)
            return True if not bool(r.any()) else np.asarray(r == 0, dtype=bool)
        if c.kind == "even":
            assert c.den is not None
            den = env.eval(c.den)  # the plan proved it positive
            odd = (x > 4 * den) & (x % (2 * den) == den)
            if not isinstance(odd, np.ndarray):
                return True if not odd else np.asarray(False)
            return True if not bool(odd.any()) else ~odd
        if c.kind == "nonzero":
            if not isinstance(x, np.ndarray):
                return True if x != 0 else np.asarray(False)
            return True if bool(x.all()) else np.asarray(x != 0, dtype=bool)
        low = x.min() if isinstance(x, np.ndarray) and x.size else x
        if isinstance(x, np.ndarray) and not x.size:
            return True
        if (c.kind == "pos" and low > 0) or (c.kind == "nonneg" and low >= 0):
            return True
        return np.asarray(x > 0 if c.kind == "pos" else x >= 0, dtype=bool)

    def _finish(self, value, shape, name: str, exact: bool):
        np = _np()
        if exact:
            value = np.asarray(value, dtype=object)
        elif not isinstance(value, np.ndarray) or value.dtype == object:
            flat = np.asarray(value, dtype=object).ravel()
            if flat.size and (min(flat) < INT64_MIN or max(flat) > INT64_MAX):
                worst = max(flat, key=abs)
                raise CountOverflow(f"{self.spec.name}: {name} = {worst:,} does not fit in int64 (at most "
                                    f"{INT64_MAX:,}); .evaluate(..., exact=True) gives exact Python ints")
            value = np.asarray(value).astype(np.int64)
        if value.shape != tuple(shape):
            value = np.array(np.broadcast_to(value, shape))
        return value

    def _at(self, inputs: Mapping[str, Any], shape, index) -> dict[str, int | Fraction]:
        np = _np()
        out: dict[str, int | Fraction] = {}
        for name, v in inputs.items():
            if isinstance(v, tuple):
                n, d = (int(np.broadcast_to(np.asarray(p, dtype=object if not isinstance(p, np.ndarray) else p.dtype),
                                            shape)[index]) for p in v)
                if d == 0:
                    raise SymparamsError(f"{self.spec.name}: {name} has denominator 0 at index {index}")
                out[name] = Fraction(n, d)
            else:
                out[name] = int(np.broadcast_to(np.asarray(v, dtype=object if not isinstance(v, np.ndarray) else v.dtype),
                                                shape)[index])
        return out

    def _raise(self, inputs, shape, bad) -> None:
        """Spec's own error for the first invalid entry (``bad`` marks the invalid ones)."""
        np = _np()
        flat = int(np.argmax(np.broadcast_to(bad, shape))) if shape else 0
        index = tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
        values = self._at(inputs, shape, index)
        where = f" (at index {index})" if shape else ""
        try:
            spec_at(self.spec, values).count(reading=self.reading)
        except SymparamsError as err:
            raise SymparamsError(f"{err}{where}") from None
        raise SymparamsError(f"{self.spec.name}: invalid configuration {values}{where}")

    def _opaque(self, inputs, shape, mask):
        """Constraints of a type the compiler does not know, checked one entry at a time."""
        np = _np()
        ok = np.ones(shape, dtype=bool)
        for index in np.ndindex(*shape):
            if mask is not None and not mask[index]:
                continue
            try:
                spec_at(self.spec, self._at(inputs, shape, index)).env
            except SymparamsError:
                ok[index] = False
        return ok


def vectorize(model: Spec, reading: str = "params") -> Vectorized:
    """See :func:`symparams.vectorize`: ``model``'s counts over arrays."""
    return Vectorized(as_spec(model), reading)
