"""Flat arrays of configurations (a random or Bayesian search): checks fused with the closed form, block by block.

Why a path of its own: over a million entries every NumPy operation is a full
pass through main memory, and the validity checks (H divides D, every size
positive) cost more passes than the polynomial itself. So a flat call runs
block by block, :data:`BLOCK` entries at a time, and every temporary of a
block (inputs, check results, partial products) stays in the CPU cache: the
checks and the polynomial then cost arithmetic, not memory traffic. Within a
block:

* each input's minimum says whether it is positive, its maximum bounds every
  intermediate (see :func:`.arrays.bound`), so int64 runs only where nothing
  can wrap;
* a divisibility check ``x % d == 0`` and an exact division ``x // d`` run in
  float64 when ``|x|, |d| < 2**53`` (float32 below ``2**24``, the operands first
  narrowed to int32, a cheaper copy than int64's conversion to float): the quotient is
  then correctly rounded and, when ``d`` does not divide ``x``, at least
  ``1/|d|`` from an integer, more than the rounding error ``|x/d| * 2**-53``,
  so the float quotient is whole exactly when the integer one is (and its floor
  is the integer floor). A quotient checked is reused by the division of the
  same pair (``d_h = D // H`` after ``H | D``);
* the closed form is written straight into the result, its temporaries taken
  from buffers this thread keeps between calls (a few times :data:`BLOCK`
  entries), so no block allocates or touches fresh memory pages;
* an entry failing a check is left out (mask mode, counted under the first
  check it fails) or the call is handed back to the general path, which raises
  the Spec's own error (raise mode).

A block where every entry is valid, the usual case, runs as one generated
function (:func:`.fused.block`): the same checks and closed form as straight-line
ufunc calls, without this module's walk over the plan, which costs about as much
as the arithmetic on a block. It gives up on the first invalid entry or large
bound, and that block runs here instead. A block of 2**16 entries (512 KB per
int64 array) was the fastest measured (a core with 1 MB of L2 and a shared 32 MB
L3): 2**15 spends more on the per-block Python calls (nanochat's flat sweep 11%
slower), 2**17 leaves more of a block's arrays to L3 (Llama's and Mixtral's 3% to 5% slower).

Anything this path does not take (broadcast grids, values beyond int64,
bounds too large, opaque constraints, small arrays) returns None and the
general evaluator runs, so results never depend on which path ran.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Callable, Mapping

from sympy import Expr

from . import fused
from .fused import bound_text, program
from .plan import Check, Plan, Step
from .poly import Code, make, to_text

__all__ = ["BLOCK", "run", "rules"]

BLOCK = 1 << 16
MIN_SIZE = 1 << 15
INT64_MAX = 2**63 - 1
FLOAT_EXACT = 2**53
FLOAT32_EXACT = 2**24


class _Fallback(Exception):
    """This call (or block) needs the general evaluator."""


@lru_cache(maxsize=1024)
def _kernel(code: Code) -> tuple[Callable, Callable]:
    """(value, bound) functions of ``code``'s cheapest form: the form that does fewest passes on flat arrays."""
    args = ", ".join(code.names)
    value = make(f"def _f({args}):\n    return {to_text(code.expr)}\n")
    bound = make(f"def _f({args}):\n    return {bound_text(code.expr)}\n")
    return value, bound


class _Block:
    """The variables of one block, each with a bound on its magnitude."""

    def __init__(self, values: dict[str, Any], bounds: dict[str, int], size: int,
                 kernels: dict[int, tuple[Callable, Callable, tuple[str, ...]]], scratch: dict[Any, Any]):
        self.values, self.bounds, self.size, self.kernels = values, bounds, size, kernels
        self.quotients: dict[tuple[Expr, Expr], Any] = {}
        self._scratch = scratch

    def scratch(self, key: Any, dtype: Any = "float64"):
        """A buffer of this block's size kept across blocks: no allocation (and no page faults) per block."""
        buf = self._scratch.get(key)
        if buf is None or len(buf) < self.size:
            buf = self._scratch[key] = _np().empty(max(BLOCK, self.size), dtype=dtype)
        return buf[:self.size]

    def eval(self, code: Code) -> tuple[Any, int]:
        value_fn, bound_fn, names = self.kernels[id(code)]
        bounds = self.bounds
        bound = bound_fn(*[bounds[n] for n in names])
        if bound > INT64_MAX:
            raise _Fallback
        values = self.values
        return value_fn(*[values[n] for n in names]), bound

    def eval_into(self, code: Code, out) -> None:
        """``code`` written into ``out`` (a slice of the result), its temporaries from this thread's buffers."""
        _, bound_fn, names = self.kernels[id(code)]
        if bound_fn(*[self.bounds[n] for n in names]) > INT64_MAX:
            raise _Fallback
        values, np = self.values, _NP
        run, temps = program(code, frozenset(n for n in names if isinstance(values[n], np.ndarray)))
        pool = [self.scratch(("pool", i), "int64") for i in range(temps)]
        value = run(out, *pool, *[values[n] for n in names])
        if value is not out:
            out[:] = value

    def keep(self, keep) -> None:
        """Only the entries ``keep`` marks from here on (the bounds stay bounds)."""
        np = _np()
        self.values = {k: v[keep] if isinstance(v, np.ndarray) else v for k, v in self.values.items()}
        self.quotients.clear()
        self.size = int(np.count_nonzero(keep))


_NP: Any = None
_MIN: Any = None
_MAX: Any = None
_ANY: Any = None


def _np():
    """NumPy, imported on first use (importing symparams stays light), with the reductions a block runs."""
    global _NP, _MIN, _MAX, _ANY
    if _NP is None:
        import numpy

        _MIN, _MAX, _ANY = numpy.minimum.reduce, numpy.maximum.reduce, numpy.logical_or.reduce
        _NP = numpy
    return _NP


def _quotient(blk: _Block, num: Code, den: Code):
    """``num / den`` in float64 when exact enough (see the module), else None."""
    key = (num.expr, den.expr)
    if key in blk.quotients:
        return blk.quotients[key]
    x, bx = blk.eval(num)
    d, bd = blk.eval(den)
    np = _np()
    q = None
    if bx < FLOAT_EXACT and bd < FLOAT_EXACT and (isinstance(x, np.ndarray) or isinstance(d, np.ndarray)):
        if bx < FLOAT32_EXACT and bd < FLOAT32_EXACT:
            # float32 has a 24-bit significand: the same argument holds below 2**24, at half the bytes.
            # Converting int64 to float is slow; narrowing to int32 first (exact here) is a cheap copy.
            q = np.true_divide(_narrow(blk, x, 0), _narrow(blk, d, 1), out=blk.scratch((key, "f"), "float32"),
                               dtype="float32")
        else:
            q = np.true_divide(x, d, out=blk.scratch((key, "d"), "float64"), dtype="float64")
        blk.quotients[key] = q
    return q


def _narrow(blk: _Block, x, slot: int):
    """An array known to lie within int32 as an int32 copy (one pass the CPU does several entries at a time)."""
    if not isinstance(x, _NP.ndarray):
        return x
    buf = blk.scratch(("int32", slot), "int32")
    _NP.copyto(buf, x, casting="unsafe")
    return buf


def _divide(blk: _Block, num: Code, den: Code, kind: str, safe: bool):
    np = _np()
    q = _quotient(blk, num, den)
    if q is not None:
        if kind == "floor":
            q = np.floor(q, out=blk.scratch(("rounded", q.dtype.char), q.dtype))
        elif kind == "ceil":
            q = np.ceil(q, out=blk.scratch(("rounded", q.dtype.char), q.dtype))
        out = blk.scratch((kind, num.expr, den.expr), "int64")
        np.copyto(out, q, casting="unsafe")
        return out
    x, _ = blk.eval(num)
    d, _ = blk.eval(den)
    if safe and isinstance(d, np.ndarray):
        d = np.where(d == 0, 1, d)
    elif safe and d == 0:
        d = 1
    return -((-x) // d) if kind == "ceil" else x // d


def _step(blk: _Block, st: Step, safe: bool) -> None:
    if st.kind == "pair":
        n, d = st.target.split(", ")
        blk.values[n], blk.bounds[n] = blk.eval(st.num)
        blk.values[d], blk.bounds[d] = blk.eval(st.den)
        return
    if st.den.one:
        blk.values[st.target], blk.bounds[st.target] = blk.eval(st.num)
        return
    _, bound = blk.eval(st.num)
    # |floor(x/d)|, |ceil(x/d)| <= |x| for whole x and |d| >= 1; a zero d is made 1 (safe) or masked out.
    blk.values[st.target], blk.bounds[st.target] = _divide(blk, st.num, st.den, st.kind, safe), max(1, bound)


def _failures(blk: _Block, c: Check):
    """None when the check holds on every entry of the block, else a boolean array of the entries it fails."""
    np = _np()
    if c.kind == "mod":
        assert c.den is not None
        q = _quotient(blk, c.x, c.den)
        if q is not None:
            rounded = np.rint(q, out=blk.scratch(("rounded", q.dtype.char), q.dtype))
            bad = np.not_equal(q, rounded, out=blk.scratch("bad", "bool"))
        else:
            x, _ = blk.eval(c.x)
            d, _ = blk.eval(c.den)
            d = np.where(d == 0, 1, d) if isinstance(d, np.ndarray) else (d or 1)
            bad = np.not_equal(x % d, 0)
    elif c.kind == "even":
        assert c.den is not None
        x, _ = blk.eval(c.x)
        d, _ = blk.eval(c.den)
        bad = (x > 4 * d) & (x % (2 * d) == d)  # the plan proved d positive
    else:
        x, _ = blk.eval(c.x)
        if not isinstance(x, np.ndarray):
            fails = x <= 0 if c.kind == "pos" else x < 0 if c.kind == "nonneg" else x == 0
            return np.ones(blk.size, dtype=bool) if fails else None
        if c.kind == "nonzero":
            return None if np.count_nonzero(x) == x.size else x == 0
        low = int(_MIN(x))
        if low > 0 or (c.kind == "nonneg" and low == 0):
            return None
        return x <= 0 if c.kind == "pos" else x < 0
    if not isinstance(bad, np.ndarray):
        return np.ones(blk.size, dtype=bool) if bad else None
    return bad.copy() if _ANY(bad) else None


def _parts(plan: Plan, inputs: Mapping[str, Any], shape: tuple[int, ...]):
    """The call's integer inputs as flat int64 arrays or ints, with each one's label; None when not flat."""
    np = _np()
    parts: dict[str, Any] = {}
    labels: list[tuple[str, str]] = []
    for name, names in plan.inputs:
        v = inputs[name]
        for cname, part in zip(names, v if isinstance(v, tuple) else (v,)):
            if isinstance(part, np.ndarray):
                if part.dtype != np.int64:
                    return None
                if part.shape == shape:
                    part = part.reshape(-1)
                elif part.size == 1:
                    part = int(part.reshape(-1)[0])
                else:
                    return None
            if not isinstance(part, np.ndarray) and not 0 < part <= INT64_MAX:
                return None
            parts[cname] = part
            labels.append((cname, f"{name} is not positive"))
    return parts, labels


def run(plan: Plan, inputs: Mapping[str, Any], shape: tuple[int, ...], outputs: set[str],
        masking: bool) -> dict[str, Any] | None:
    """The evaluation of :meth:`Vectorized.evaluate` for flat int64 inputs, or None to use the general path."""
    np = _np()
    size = 1
    for n in shape:
        size *= n
    if plan.opaque or size < MIN_SIZE:
        return None
    found = _parts(plan, inputs, shape)
    if found is None:
        return None
    parts, labels = found
    scratch = _scratch()
    wanted = [(name, num, den) for name, num, den in plan.outputs if name in outputs]
    result = {name: np.empty(size, dtype=np.int64) for name, _, _ in wanted}
    valid = np.ones(size, dtype=bool) if masking else None
    reasons: dict[str, int] = {}
    filled = 0
    arrays = frozenset(n for n, v in parts.items() if isinstance(v, np.ndarray))
    fast = fused.block(plan, arrays, tuple(name for name, _, _ in wanted))
    if fast is not None:
        fn, temps = fast
        pool = [fused.buffer(scratch, ("fused", i), np.int64, BLOCK) for i in range(temps)]
        targets = [result[name] for name, _, _ in wanted]
        args = [parts[n] for n, _ in labels]
    kernels: dict = {}
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for start in range(0, size, BLOCK):
                stop = min(size, start + BLOCK)
                if fast is not None and fn(start, stop, filled, scratch, pool, targets, *args):
                    filled += stop - start
                    continue
                if not kernels:
                    kernels.update(_kernels(plan))
                kept = _block(plan, parts, labels, start, stop, wanted, result, filled, masking, reasons, kernels,
                              scratch)
                if kept is not None:
                    assert valid is not None
                    valid[start:stop] = kept
                    filled += int(np.count_nonzero(kept))
                else:
                    filled += stop - start
    except _Fallback:
        return None
    if not masking:
        return {name: result[name].reshape(shape) for name, _, _ in wanted}
    out: dict[str, Any] = {name: result[name][:filled] for name, _, _ in wanted}
    out["valid"] = valid.reshape(shape) if valid is not None else None
    out["rules"] = rules(plan)
    out["reasons"] = {label: reasons[label] for label in out["rules"] if label in reasons}
    return out


def _kernels(plan: Plan) -> dict[int, tuple[Callable, Callable, tuple[str, ...]]]:
    """Each expression of the plan's value and bound functions, by the id of its code."""
    codes = [c for st in plan.pre + plan.steps for c in (st.num, st.den)]
    codes += [c for ch in plan.checks for c in (ch.x, ch.den) if c is not None]
    codes += [c for _, num, den in plan.outputs for c in (num, den)]
    return {id(c): (*_kernel(c), c.names) for c in codes}


_LOCAL = threading.local()


def _scratch() -> dict[Any, Any]:
    """This thread's block buffers, kept between calls: a call then touches no fresh pages."""
    found = getattr(_LOCAL, "scratch", None)
    if found is None:
        found = _LOCAL.scratch = {}
    return found


def rules(plan: Plan) -> tuple[str, ...]:
    """Every check's label in the order checks apply: an invalid entry is counted under the first it fails."""
    order = [f"{name} is not positive" for name, _ in plan.inputs] + [c.label for c in plan.checks]
    if plan.opaque:
        order.append("a constraint of the model fails")
    return tuple(dict.fromkeys(order))


def _block(plan: Plan, parts: Mapping[str, Any], labels, start: int, stop: int, wanted, result,
           filled: int, masking: bool, reasons: dict[str, int], kernels: dict, scratch: dict):
    """One block: checks, then the outputs of its valid entries written at ``filled``; the kept entries or None."""
    np = _np()
    values: dict[str, Any] = {}
    bounds: dict[str, int] = {}
    bad = None
    for cname, label in labels:
        x = parts[cname]
        if not isinstance(x, np.ndarray):
            values[cname], bounds[cname] = x, x
            continue
        x = values[cname] = x[start:stop]
        low, high = int(_MIN(x)), int(_MAX(x))
        if low <= 0:
            if not masking:
                raise _Fallback
            bad = _flag(bad, x <= 0, label, reasons)
        bounds[cname] = max(1, -low, high)
    blk = _Block(values, bounds, stop - start, kernels, scratch)
    for st in plan.pre:
        _step(blk, st, True)
    for c in plan.checks:
        fails = _failures(blk, c)
        if fails is not None:
            if not masking:
                raise _Fallback
            bad = _flag(bad, fails, c.label, reasons)
    keep = None
    if bad is not None:
        keep = ~bad
        blk.keep(keep)
    for st in plan.steps:
        _step(blk, st, False)
    end = filled + blk.size
    for name, num, den in wanted:
        if den.one:
            blk.eval_into(num, result[name][filled:end])
        else:
            result[name][filled:end] = _divide(blk, num, den, "exact", False)
    return keep


def _flag(bad, fails, label: str, reasons: dict[str, int]):
    """Mark ``fails`` bad; entries not already bad count under ``label``."""
    np = _np()
    newly = int(np.count_nonzero(fails)) if bad is None else int(np.count_nonzero(fails & ~bad))
    if newly:
        reasons[label] = reasons.get(label, 0) + newly
    return fails.copy() if bad is None else bad | fails
