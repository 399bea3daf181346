"""From a model structure to a plan of integer computations: inputs, checks, variables, outputs.

A plan is what one kind of call computes. Its *inputs* are the free symbols plus
any relation-defined symbol the caller sets (``H_kv`` given turns nanochat's MHA
into GQA); a rational symbol with a denominator (``e = 8/3``) enters as two
integer inputs, ``n_e`` and ``d_e``. Then:

* *checks*, on the inputs alone, so nothing is computed for an invalid model:
  each relation's value must be whole (d_h = D/H: ``D % H == 0``) and positive,
  each constraint must hold, each count must be whole; identical checks are
  merged (H divides D is both a constraint and d_h's wholeness);
* *steps*: the relation-defined variables and floor/ceiling values the outputs
  use, each by exact ``//`` once its wholeness is known;
* *outputs*: the total and each top-level component. When the relation-substituted
  form is an integer polynomial in the inputs (nanochat MHA) that is what runs;
  otherwise the tree's form in the atomic sizes (D, H_kv, d_h, F...) does.

Facts about signs (inputs are positive, checked) let provably true checks be
dropped: F = e*D is whole and positive for whole positive e and D.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import sympy
from sympy import Expr, Symbol

from ..errors import SymparamsError
from ..spec import AtMost, Differs, Divides, EvenAbove, Spec
from .poly import Code, code, fraction, make, sign, to_text, var

__all__ = ["Check", "Step", "Plan", "Compiled", "compiled", "scalar_lines", "FAIL"]

FAIL = object()
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Check:
    """A condition on the inputs: ``mod`` (x % den == 0), ``pos`` (x > 0), ``nonneg``, ``nonzero``, or
    ``even`` (x/den, for a positive den, even or at most 4 where it is whole: a rotary head)."""

    kind: str
    x: Code
    den: Code | None = None
    label: str = ""


@dataclass(frozen=True)
class Step:
    """A computed variable: ``target = num // den`` (rounded up for ``ceil``); ``pair`` keeps n/d apart."""

    target: str
    num: Code
    den: Code
    kind: str = "exact"


@dataclass(frozen=True)
class Plan:
    """Everything one kind of call computes, in order."""

    inputs: tuple[tuple[str, tuple[str, ...]], ...]
    pre: tuple[Step, ...]
    checks: tuple[Check, ...]
    steps: tuple[Step, ...]
    outputs: tuple[tuple[str, Code, Code], ...]
    opaque: bool
    scalar: Callable | None = field(default=None, compare=False, repr=False)


def _readable(expr: Expr) -> str:
    """An internal expression in the model's own names, for messages (v_D -> D)."""
    names = {s: Symbol(s.name[2:]) for s in expr.free_symbols if s.name[:2] in ("v_", "n_", "d_", "a_")}
    return str(expr.xreplace(names))


class _Builder:
    """Builds the :class:`Plan` for one structure and one call signature."""

    def __init__(self, comp: "Compiled", given: frozenset[str], rational: frozenset[str]):
        self.comp, self.given, self.rational = comp, given, rational
        self.facts: dict[Symbol, str] = {}
        self.aux: dict[tuple, Symbol] = {}
        self.aux_steps: dict[Symbol, tuple[Step, frozenset[Symbol]]] = {}
        self.local: dict[Symbol, Expr] = {}
        self.full: dict[Symbol, Expr] = {}
        self.inputs: list[tuple[str, tuple[str, ...]]] = []
        self.derived: list[tuple[Symbol, Expr, Expr, bool]] = []
        self.checks: dict[tuple, Check] = {}
        self._by_var: dict | None = None

    # ---- variables -------------------------------------------------------------
    def _name_vars(self, s: Symbol, is_input: bool) -> Expr:
        """A size's variable: one integer, or a numerator/denominator pair for a rational value."""
        if s.is_integer or (is_input and s.name not in self.rational):
            v = var(f"v_{s.name}")
            self.facts[v] = "pos"
            return v
        n, d = var(f"n_{s.name}"), var(f"d_{s.name}")
        self.facts[n] = self.facts[d] = "pos"
        return n / d

    def build(self) -> Plan:
        comp = self.comp
        for s in comp.free_or_given(self.given):
            rep = self._name_vars(s, True)
            self.local[s] = self.full[s] = rep
            self.inputs.append((s.name, tuple(str(x) for x in sympy.fraction(rep) if x != 1)))
        for s, rel in comp.relations:
            if s.name in self.given:
                continue
            self.full[s] = self.strip(rel.xreplace(self.full))
            local_rel = self.strip(rel.xreplace(self.local))
            self.local[s] = self._name_vars(s, False)
            self.derived.append((s, self.local[s], local_rel, bool(s.is_integer)))

        opaque = False
        for c in comp.constraints:
            if isinstance(c, Divides):
                num, den = fraction(self.strip(c.big.xreplace(self.full) / c.small.xreplace(self.full)))
                self.mod_check(num, den, f"{c.small} does not divide {c.big}")
            elif isinstance(c, AtMost):
                num, den = fraction(self.strip(c.big.xreplace(self.full) - c.small.xreplace(self.full)))
                self.positive(num, den, f"{c.small} exceeds {c.big}", strict=False)
            elif isinstance(c, Differs):
                num, _ = fraction(self.strip(c.big.xreplace(self.full) - c.small.xreplace(self.full)))
                self.sign_check(num, "nonzero", f"{c.small} equals {c.big}")
            elif isinstance(c, EvenAbove) and c.limit == 4:
                num, den = fraction(self.strip(c.size.xreplace(self.full)))
                opaque |= not self.even_check(num, den, f"{c.size} is odd and above {c.limit}")
            else:
                opaque = True
        for s, _, _, integer in self.derived:
            num, den = fraction(self.full[s])
            if integer:
                self.mod_check(num, den, f"{s} is not whole")
            self.positive(num, den, f"{s} is not positive")

        outputs = []
        for name, node in comp.outputs:
            expr = getattr(node, comp.reading)()
            num, den = fraction(self.strip(expr.xreplace(self.full)))
            if den != 1:
                full_num, full_den = num, den
                num, den = fraction(self.strip(expr.xreplace(self.local)))
                if den != 1:
                    self.mod_check(full_num, full_den, f"{name} is not whole")
                if not sign(den, self.facts):
                    back = fraction(den.xreplace(self.back()))[0]
                    self.sign_check(back, "nonzero", f"{name} divides by zero")
            outputs.append((name, code(num), code(den)))

        used = set()
        for _, n, d in outputs:
            used |= n.expr.free_symbols | d.expr.free_symbols
        checked = set()
        for c in self.checks.values():
            checked |= c.x.expr.free_symbols | (c.den.expr.free_symbols if c.den else set())
        pre = self.order(checked)
        steps = [st for st in self.order(used) if st not in pre]
        return Plan(tuple(self.inputs), tuple(pre), tuple(self.checks.values()), tuple(steps), tuple(outputs), opaque)

    def back(self) -> dict[Symbol, Expr]:
        """Each derived variable -> its value in the inputs (to state checks on the inputs only)."""
        out = {}
        for s, loc, _, _ in self.derived:
            if loc.is_Symbol:
                out[loc] = self.full[s]
            else:
                (n, d), (fn, fd) = sympy.fraction(loc), fraction(self.full[s])
                out[n], out[d] = fn, fd
        return out

    def strip(self, expr: Expr) -> Expr:
        """``expr`` with every floor/ceiling replaced by an auxiliary variable computed first."""
        if isinstance(expr, (sympy.floor, sympy.ceiling)):
            kind = "floor" if isinstance(expr, sympy.floor) else "ceil"
            num, den = fraction(self.strip(expr.args[0]))
            key = (kind, num, den)
            if key not in self.aux:
                v = var(f"a_{len(self.aux)}")
                self.aux[key] = v
                s = sign(num, self.facts) if sign(den, self.facts) == "pos" else ""
                if not sign(den, self.facts):
                    self.sign_check(den, "nonzero", f"{expr} divides by zero")
                self.facts[v] = "pos" if (kind == "ceil" and s == "pos") else ("nonneg" if s else "")
                deps = frozenset(num.free_symbols | den.free_symbols)
                self.aux_steps[v] = (Step(v.name, code(num), code(den), kind), deps)
            return self.aux[key]
        if not expr.args:
            return expr
        return expr.func(*[self.strip(a) for a in expr.args])

    # ---- checks ----------------------------------------------------------------
    def mod_check(self, num: Expr, den: Expr, label: str) -> None:
        if den == 1:
            return
        if den.is_Integer and num.is_Integer:
            if num % den:
                self.sign_check(sympy.Integer(0), "pos", label)
            return
        if not sign(den, self.facts):
            self.sign_check(den, "nonzero", label)
        key = ("mod", num, den)
        if key not in self.checks:
            self.checks[key] = Check("mod", code(num), code(den), _readable_label(label, num, den))

    def even_check(self, num: Expr, den: Expr, label: str) -> bool:
        """num/den even or at most 4, where it is whole; False where den is not provably positive."""
        if sign(den, self.facts) != "pos":
            return False
        key = ("even", num, den)
        if key not in self.checks:
            self.checks[key] = Check("even", code(num), code(den), label)
        return True

    def positive(self, num: Expr, den: Expr, label: str, strict: bool = True) -> None:
        """num/den > 0 (or >= 0): on num alone when den is provably positive, else on num*den."""
        den_sign = sign(den, self.facts)
        if not den_sign:
            self.sign_check(den, "nonzero", label)
        target = num if den_sign == "pos" else sympy.expand(num * den)
        self.sign_check(target, "pos" if strict else "nonneg", label)

    def sign_check(self, x: Expr, kind: str, label: str) -> None:
        proof = sign(x, self.facts)
        if proof == "pos" or (proof == "nonneg" and kind == "nonneg"):
            return
        if x.is_Integer and ((kind == "pos" and x > 0) or (kind == "nonneg" and x >= 0) or (kind == "nonzero" and x != 0)):
            return
        key = (kind, x)
        if key not in self.checks:
            self.checks[key] = Check(kind, code(x), None, label)

    # ---- ordering --------------------------------------------------------------
    def order(self, needed: set[Symbol]) -> list[Step]:
        """The computed variables ``needed`` uses, each after the variables it uses."""
        by_var = self.steps_by_var()
        out: list[Step] = []
        seen: set[Symbol] = set()

        def visit(v: Symbol) -> None:
            if v in seen or v not in by_var:
                return
            seen.add(v)
            step, deps = by_var[v]
            for d in sorted(deps, key=str):
                visit(d)
            if step not in out:
                out.append(step)

        for v in sorted(needed, key=str):
            visit(v)
        return out

    def steps_by_var(self) -> dict[Symbol, tuple[Step, frozenset[Symbol]]]:
        if self._by_var is not None:
            return self._by_var
        by_var: dict[Symbol, tuple[Step, frozenset[Symbol]]] = dict(self.aux_steps)
        for _s, loc, rel, _integer in self.derived:
            num, den = fraction(rel)
            deps = frozenset(num.free_symbols | den.free_symbols)
            if loc.is_Symbol:
                by_var[loc] = (Step(loc.name, code(num), code(den), "exact"), deps)
            else:
                n, d = sympy.fraction(loc)
                by_var[n] = by_var[d] = (Step(f"{n.name}, {d.name}", code(num), code(den), "pair"), deps)
        self._by_var = by_var
        return by_var


def _readable_label(label: str, num: Expr, den: Expr) -> str:
    return label or f"{_readable(den)} does not divide {_readable(num)}"


def scalar_lines(plan: Plan, fail: str, names: dict[str, str] | None = None, outputs: int | None = None,
                 indent: str = "    ") -> list[str]:
    """The plan as straight-line Python on ints: steps, checks (``fail`` when one fails), outputs.

    ``names`` renames the input variables (``v_D`` -> ``D``); ``outputs`` = 1
    returns the total alone rather than a tuple of every output.
    """
    text = lambda c: to_text(c.expr, names)  # noqa: E731
    tests = {"mod": "({x}) % ({d})", "pos": "({x}) <= 0", "nonneg": "({x}) < 0", "nonzero": "({x}) == 0",
             "even": "({x}) > 4 * ({d}) and ({x}) % (2 * ({d})) == ({d})"}
    lines = [_step_line(st, text) for st in plan.pre]
    for c in plan.checks:
        cond = tests[c.kind].format(x=text(c.x), d=text(c.den) if c.den else "")
        lines.append(f"if {cond}:\n{indent}    {fail}")
    lines.extend(_step_line(st, text) for st in plan.steps)
    outs = [text(n) if d.one else f"({text(n)}) // ({text(d)})" for _, n, d in plan.outputs[:outputs]]
    lines.append(f"return {outs[0]}" if outputs == 1 else f"return ({', '.join(outs)},)")
    return [indent + line for line in lines]


def _scalar(plan: Plan) -> Callable:
    """The plan as one Python function on ints: returns every output, or FAIL."""
    args = [n for _, names in plan.inputs for n in names]
    lines = [f"def _f({', '.join(args)}):", *scalar_lines(plan, "return FAIL")]
    return make("\n".join(lines) + "\n", {"FAIL": FAIL})


def _step_line(st: Step, text: Callable[[Code], str]) -> str:
    n, d = text(st.num), text(st.den)
    if st.kind == "pair":
        return f"{st.target} = {n}, {d}"
    if st.den.one:
        return f"{st.target} = {n}"
    if st.kind == "ceil":
        return f"{st.target} = -((-({n})) // ({d}))"
    return f"{st.target} = ({n}) // ({d})"


class Compiled:
    """The compiled form of one model structure: tree, relations, constraints, free symbols, reading.

    Plans are built on first use per call signature (which relation-defined
    symbols are set, which rational symbols carry a denominator) and kept.
    """

    def __init__(self, tree, relations, constraints, free, reading: str):
        self.tree, self.relations, self.constraints = tree, relations, constraints
        self.free, self.reading = free, reading
        self.outputs = (("total", tree),) + tuple((c.name, c) for c in tree.children())
        self.names = tuple(s.name for s in free) + tuple(s.name for s, _ in relations)
        for name in self.names:
            if not _NAME.match(name) or keyword.iskeyword(name):
                raise SymparamsError(f"cannot compile a model with a symbol named {name!r}")
        symbols = (*free, *(s for s, _ in relations))
        self.rational_names = frozenset(s.name for s in symbols if not s.is_integer)
        self._plans: dict[tuple[frozenset[str], frozenset[str]], Plan] = {}

    def free_or_given(self, given: frozenset[str]) -> list[Symbol]:
        return list(self.free) + [s for s, _ in self.relations if s.name in given]

    def plan(self, given: frozenset[str] = frozenset(), rational: frozenset[str] = frozenset()) -> Plan:
        key = (given, rational)
        plan = self._plans.get(key)
        if plan is None:
            built = _Builder(self, given, rational).build()
            plan = Plan(built.inputs, built.pre, built.checks, built.steps, built.outputs, built.opaque,
                        scalar=_scalar(built))
            self._plans[key] = plan
        return plan


@lru_cache(maxsize=256)
def _compiled(tree, relations, constraints, free, reading) -> Compiled:
    return Compiled(tree, relations, constraints, free, reading)


def compiled(spec: Spec, reading: str = "params") -> Compiled:
    """The compiled form of ``spec``'s structure, cached; its values play no part in the key."""
    if reading not in ("params", "active"):
        raise SymparamsError(f"reading must be 'params' or 'active', not {reading!r}")
    return _compiled(spec.tree, spec.relations, spec.constraints, tuple(s for s, _ in spec.values), reading)
