"""A plan's block as one generated function: checks and closed form as straight-line ufunc calls.

Why generated code: a block of a flat sweep is a few dozen ufunc calls, each a
few microseconds of work, so walking the plan in Python for every block (which
check, which buffer, which dtype) costs as much as the arithmetic. The function
:func:`block` builds once per plan and call signature does only the calls.

It handles the common block, in which every entry is valid: inputs positive,
every check passing, every bound small enough for int64 and for the exact
float quotient (see :mod:`.flat`). At the first sign of anything else it
returns 0 having counted nothing, and the caller runs that block through the
general block code, which reports invalid entries or hands the call back.
Plans it does not cover (a division by a computed value, an output with a
denominator) get no function at all.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from sympy import Expr

from .arrays import bound
from .plan import Plan
from .poly import Code, make

__all__ = ["program", "block", "bound_text", "tree", "buffer"]

INT64_MAX = 2**63 - 1
FLOAT_EXACT = 2**53
FLOAT32_EXACT = 2**24


def tree(expr: Expr) -> tuple:
    """``expr`` as nested tuples, so generation walks plain Python data rather than SymPy objects."""
    if expr.is_Integer:
        return ("int", int(expr))
    if expr.is_Symbol:
        return ("sym", expr.name)
    if expr.is_Pow:
        return ("pow", tree(expr.base), int(expr.exp))
    return ("mul" if expr.is_Mul else "add", tuple(tree(a) for a in expr.args))


def bound_text(expr: Expr, prefix: str = "") -> str:
    """Python text bounding every intermediate of evaluating ``expr``, given each variable's bound (>= 1)."""
    if expr.is_Integer:
        return str(abs(int(expr)))
    if expr.is_Symbol:
        return prefix + expr.name
    if expr.is_Pow:
        return f"({bound_text(expr.base, prefix)})**{int(expr.exp)}"
    parts = [f"({bound_text(a, prefix)})" for a in expr.args]
    return ("*" if expr.is_Mul else " + ").join(parts)


class _Emitter:
    """Lines of a generated function, and its int64 temporaries ``P0, P1, ...``."""

    def __init__(self, arrays: set[str]):
        self.arrays = arrays
        self.lines: list[str] = []
        self.free: list[int] = []
        self.used = 0

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def temp(self) -> int:
        if self.free:
            return self.free.pop()
        self.used += 1
        return self.used - 1

    def value(self, node: tuple, target: str | None = None) -> tuple[str, Any, int | None]:
        """(kind, value, owned temporary) of ``node``: kind "c" (an int), "s" (scalar text) or "a" (an array).

        With ``target``, an array result is written there (a scalar one is left to the caller).
        """
        kind = node[0]
        if kind == "int":
            return "c", node[1], None
        if kind == "sym":
            if node[1] in self.arrays:
                if target is not None:
                    self.emit(f"copyto({target}, {node[1]})")
                    return "a", target, None
                return "a", node[1], None
            return "s", node[1], None
        if kind == "pow":
            base_kind, base, owned = self.value(node[1])
            if base_kind == "c":
                return "c", base ** node[2], None
            if base_kind == "s":
                return "s", f"({base})**{node[2]}", None
            reuse = owned is not None and node[2] == 2
            index = None if target is not None else owned if reuse else self.temp()
            out = target if index is None else f"P{index}"
            self.emit(f"mul({base}, {base}, out={out})")
            for _ in range(node[2] - 2):
                self.emit(f"mul({out}, {base}, out={out})")
            if owned is not None and owned != index:
                self.free.append(owned)
            return "a", out, index
        mul = kind == "mul"
        op, unit = ("mul", 1) if mul else ("add", 0)
        const, scalars, arrays = unit, [], []
        for child in node[1]:
            k, v, owned = self.value(child)
            if k == "c":
                const = const * v if mul else const + v
            elif k == "s":
                scalars.append(f"({v})")
            else:
                arrays.append((v, owned))
        if not arrays and not scalars:
            return "c", const, None
        parts = scalars + ([f"({const})"] if const != unit else [])
        scalar = ("*" if mul else " + ").join(parts) if parts else None
        if not arrays:
            return "s", scalar, None
        arrays.sort(key=lambda vo: vo[1] is None)  # an owned temporary first: it becomes the accumulator
        (first, first_owned), rest = arrays[0], arrays[1:]
        if not rest and scalar is None:
            if target is not None:
                self.emit(f"copyto({target}, {first})")
                return "a", target, None
            return "a", first, first_owned
        index = None if target is not None else first_owned if first_owned is not None else self.temp()
        out = target if index is None else f"P{index}"
        if rest:
            self.emit(f"{op}({first}, {rest[0][0]}, out={out})")
            rest = rest[1:]
        else:
            self.emit(f"{op}({first}, {scalar}, out={out})")
            scalar = None
        for v, _ in rest:
            self.emit(f"{op}({out}, {v}, out={out})")
        if scalar is not None:
            self.emit(f"{op}({out}, {scalar}, out={out})")
        for _, owned in arrays:
            if owned is not None and owned != index:
                self.free.append(owned)
        return "a", out, index


def _ufuncs() -> dict[str, Any]:
    import numpy

    return {"mul": numpy.multiply, "add": numpy.add, "copyto": numpy.copyto}


@lru_cache(maxsize=1024)
def program(code: Code, arrays: frozenset[str]) -> tuple[Callable, int]:
    """``code`` as straight-line ufunc calls, and how many temporaries it takes.

    ``_f(out, P0, ..., *code.names)`` writes ``out`` and returns it, or returns
    a scalar; it allocates nothing: each temporary is a buffer the caller hands
    in. ``arrays`` names the variables that are arrays; the rest are Python ints.
    """
    em = _Emitter(set(arrays))
    kind, value, _ = em.value(tree(code.expr), "out")
    args = ", ".join(["out", *(f"P{i}" for i in range(em.used)), *code.names])
    result = "out" if kind == "a" else f"({value})"
    body = "".join(line + "\n" for line in em.lines)
    return make(f"def _f({args}):\n{body}    return {result}\n", _ufuncs()), em.used


# ---- the whole block -----------------------------------------------------------------------------------


def buffer(w: dict, key: Any, dtype: Any, m: int):
    """``m`` entries of the buffer ``key`` of the thread's scratch ``w``, made (at least a block long) when missing."""
    buf = w.get(key)
    if buf is None or len(buf) < m:
        import numpy

        buf = w[key] = numpy.empty(max(m, 1 << 16), dtype=dtype)
    return buf[:m]


def _narrow(w: dict, x, slot: int, m: int):
    """An array known to lie within int32 as an int32 copy (one pass the CPU does many entries at a time)."""
    import numpy as np

    if not isinstance(x, np.ndarray):
        return x
    buf = buffer(w, ("int32", slot), np.int32, m)
    np.copyto(buf, x, casting="unsafe")
    return buf


def _quo(w: dict, x, d, bx: int, bd: int, m: int, k: int):
    """``x / d`` as floats exact enough to tell a whole quotient (see :mod:`.flat`), or None past 2**53."""
    import numpy as np

    if bx < FLOAT32_EXACT and bd < FLOAT32_EXACT:
        # Converting int64 to float is slow; narrowing to int32 first (exact here) is a cheap copy.
        return np.true_divide(_narrow(w, x, 0, m), _narrow(w, d, 1, m), out=buffer(w, ("q32", k), np.float32, m),
                              dtype=np.float32)
    if bx < FLOAT_EXACT and bd < FLOAT_EXACT:
        return np.true_divide(x, d, out=buffer(w, ("q64", k), np.float64, m), dtype=np.float64)
    return None


def _whole(w: dict, q, m: int) -> bool:
    import numpy as np

    rounded = np.rint(q, out=buffer(w, ("rounded", q.dtype.char), q.dtype, m))
    bad = np.not_equal(q, rounded, out=buffer(w, "bad", np.bool_, m))
    return not bad[bad.argmax()]


def _even(w: dict, q, m: int) -> bool:
    """Whether no whole quotient is odd and above 4 (a rotary head transformers refuses)."""
    import numpy as np

    half = np.multiply(q, 0.5, out=buffer(w, ("half", q.dtype.char), q.dtype, m))
    odd = np.not_equal(half, np.rint(half, out=buffer(w, ("rounded", q.dtype.char), q.dtype, m)),
                       out=buffer(w, "bad", np.bool_, m))
    np.logical_and(odd, np.greater(q, 4, out=buffer(w, "big", np.bool_, m)), out=odd)
    return not odd[odd.argmax()]


def _toint(w: dict, q, m: int, k: int, kind: str):
    import numpy as np

    if kind == "floor":
        q = np.floor(q, out=buffer(w, ("rounded", q.dtype.char), q.dtype, m))
    elif kind == "ceil":
        q = np.ceil(q, out=buffer(w, ("rounded", q.dtype.char), q.dtype, m))
    out = buffer(w, ("quotient", k), np.int64, m)
    np.copyto(out, q, casting="unsafe")
    return out


def _least(x):
    # argmin rather than np.minimum.reduce: a third of a reduction's fixed cost per call, as fast per entry.
    return x[x.argmin()]


def _most(x):
    return x[x.argmax()]


def _helpers() -> dict[str, Any]:
    import numpy as np

    return {**_ufuncs(), "mn": _least, "mx": _most, "cnz": np.count_nonzero, "int": int,
            "max": max, "quo": _quo, "whole": _whole, "even": _even, "toint": _toint, "floor": "floor", "ceil": "ceil",
            "exact": "exact"}


class _Block(_Emitter):
    """The generated block: inputs, then the plan's pre-steps, checks, steps and outputs in order."""

    def __init__(self, arrays: set[str]):
        super().__init__(arrays)
        self.quotients: dict[tuple[Expr, Expr], int] = {}

    def bounded(self, code: Code) -> tuple[str, Any, int | None]:
        """``code``'s value, after returning 0 when its bound could leave int64 (a variable's never can)."""
        if not code.expr.is_Symbol:
            self.emit(f"if {bound_text(code.expr, 'B_')} > {INT64_MAX}:")
            self.emit("    return 0")
        return self.value(tree(code.expr))

    def release(self, owned: int | None) -> None:
        if owned is not None:
            self.free.append(owned)

    def assign(self, name: str, code: Code) -> None:
        kind, value, _ = self.bounded(code)  # an owned temporary stays the variable's for the block
        self.emit(f"{name} = {value}" if kind == "a" else f"{name} = ({value})")
        self.emit(f"B_{name} = max(1, {bound_text(code.expr, 'B_')})")
        if kind == "a":
            self.arrays.add(name)

    def quotient(self, x: Code, d: Code) -> str | None:
        """The float quotient's name (returning 0 past float exactness), or None when both are scalars."""
        key = (x.expr, d.expr)
        if key in self.quotients:
            return f"Q{self.quotients[key]}"
        kx, vx, ox = self.bounded(x)
        kd, vd, od = self.bounded(d)
        if kx != "a" and kd != "a":
            return None
        k = self.quotients[key] = len(self.quotients)
        self.emit(f"Q{k} = quo(W, {vx}, {vd}, {bound_text(x.expr, 'B_')}, {bound_text(d.expr, 'B_')}, m, {k})")
        self.emit(f"if Q{k} is None:")
        self.emit("    return 0")
        self.release(ox)
        self.release(od)
        return f"Q{k}"

    def check(self, kind: str, x: Code, den: Code | None) -> None:
        if kind == "mod":
            assert den is not None
            q = self.quotient(x, den)
            if q is None:
                self.emit(f"if ({to_scalar(self, den)}) == 0 or ({to_scalar(self, x)}) % ({to_scalar(self, den)}):")
            else:
                self.emit(f"if not whole(W, {q}, m):")
            self.emit("    return 0")
            return
        if kind == "even":
            assert den is not None
            q = self.quotient(x, den)
            if q is None:
                xs, ds = to_scalar(self, x), to_scalar(self, den)
                self.emit(f"if {xs} > 4 * {ds} and {xs} % (2 * {ds}) == {ds}:")
            else:
                self.emit(f"if not even(W, {q}, m):")
            self.emit("    return 0")
            return
        k, v, owned = self.bounded(x)
        if k != "a":
            test = {"pos": "<= 0", "nonneg": "< 0", "nonzero": "== 0"}[kind]
            self.emit(f"if ({v}) {test}:")
        elif kind == "nonzero":
            self.emit(f"if cnz({v}) != m:")
        else:
            self.emit(f"if mn({v}) {'<= 0' if kind == 'pos' else '< 0'}:")
        self.emit("    return 0")
        self.release(owned)

    def step(self, target: str, num: Code, den: Code, kind: str) -> None:
        if kind == "pair":
            n, d = target.split(", ")
            self.assign(n, num)
            self.assign(d, den)
            return
        if den.one:
            self.assign(target, num)
            return
        q = self.quotient(num, den)
        if q is None:
            n, d = to_scalar(self, num), to_scalar(self, den)
            self.emit(f"{target} = -((-({n})) // ({d}))" if kind == "ceil" else f"{target} = ({n}) // ({d})")
        else:
            self.emit(f"{target} = toint(W, {q}, m, {self.quotients[(num.expr, den.expr)]}, {kind})")
            self.arrays.add(target)
        # |floor(x/d)|, |ceil(x/d)| <= |x| for whole x and d >= 1.
        self.emit(f"B_{target} = max(1, {bound_text(num.expr, 'B_')})")

    def outputs(self, codes: list[Code]) -> None:
        """Each output written at ``R[i][f:f + m]``."""
        for i, code in enumerate(codes):
            self.emit(f"O{i} = R[{i}][f:f + m]")
            kind, value, _ = self.value(tree(code.expr), f"O{i}")
            if kind != "a":
                self.emit(f"O{i}[:] = ({value})")


def to_scalar(em: _Emitter, code: Code) -> str:
    """Text of a code whose variables are all scalars here."""
    kind, value, _ = em.value(tree(code.expr))
    assert kind != "a"
    return f"({value})"


def _covered(plan: Plan, inputs: set[str]) -> bool:
    """Whether :func:`block` can generate this plan: every divisor a positive input or constant, no output fraction."""
    def positive(d: Code) -> bool:
        return d.one or (d.expr.is_Symbol and d.expr.name in inputs) or (d.expr.is_Integer and d.expr > 0)

    return (not plan.opaque and all(positive(st.den) for st in plan.pre + plan.steps if st.kind != "pair")
            and all(d.one for _, _, d in plan.outputs))


@lru_cache(maxsize=1024)
def block(plan: Plan, arrays: frozenset[str], wanted: tuple[str, ...]) -> tuple[Callable, int] | None:
    """The plan's fast block when the inputs ``arrays`` are flat arrays (the rest ints): function, temporaries.

    ``_f(s, t, f, W, S, R, *inputs)`` handles entries ``s:t``, writing output
    ``i`` at ``R[i][f:f + t - s]``, with int64 temporaries from ``S`` and other
    buffers from ``W``; it returns 1 when every entry was valid and counted,
    else 0 (nothing counted).
    """
    names = [n for _, ns in plan.inputs for n in ns]
    if not _covered(plan, set(names)):
        return None
    em = _Block(set(arrays))
    em.emit("m = t - s")
    for n in names:
        if n in arrays:
            em.emit(f"{n} = {n}[s:t]")
    outputs = [next(n for out, n, _ in plan.outputs if out == name) for name in wanted]
    # Outputs of the array inputs alone go first: their arithmetic then overlaps the reading of the
    # block's inputs from memory, and the reductions and checks after them find the inputs in cache.
    # They are kept only if every check and bound then holds (int64 arrays wrap silently; only a Python
    # int beyond int64 would raise, so every scalar in them must be a small constant).
    early = all(n in arrays for c in outputs for n in c.names) and all(
        bound(c.expr, dict.fromkeys(c.names, 1)) <= INT64_MAX for c in outputs)
    if early:
        em.outputs(outputs)
    for n in names:
        if n in arrays:
            em.emit(f"if mn({n}) <= 0:")
            em.emit("    return 0")
            em.emit(f"B_{n} = int(mx({n}))")
        else:
            em.emit(f"B_{n} = {n}")
    for st in plan.pre:
        em.step(st.target, st.num, st.den, st.kind)
    for c in plan.checks:
        em.check(c.kind, c.x, c.den)
    for st in plan.steps:
        em.step(st.target, st.num, st.den, st.kind)
    for num in outputs:
        em.emit(f"if {bound_text(num.expr, 'B_')} > {INT64_MAX}:")
        em.emit("    return 0")
    if not early:
        em.outputs(outputs)
    temps = "".join(f"    P{i} = S[{i}][:t - s]\n" for i in range(em.used))
    args = ", ".join(["s", "t", "f", "W", "S", "R", *names])
    body = "".join(line + "\n" for line in em.lines)
    return make(f"def _f({args}):\n{temps}{body}    return 1\n", _helpers()), em.used
