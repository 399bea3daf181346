"""A model tree together with the values of its symbols: the thing every reading reads.

A :class:`Spec` holds three kinds of facts, kept apart because they play different
roles in a closed form:

* ``values``: numbers for the *free* symbols (V = 65,536, D = 1,280, ...);
* ``relations``: symbols defined by others (d_h = D/H, F = e*D, H_kv = H). They are
  substituted into the closed form, which is why nanochat's total reads
  2VD + L(4+2e)D^2 rather than a formula in d_h and F; setting such a symbol to a
  number (``--set H_kv=1``) turns the relation back into a free value;
* ``constraints``: what must hold for the numbers to describe a buildable model
  (H divides D, H_kv divides H, top-k at most E).

All evaluation is exact: values are SymPy Integers and Rationals, and a count that
does not come out a positive whole number is an error, never a rounded figure.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cached_property
from typing import Iterable, Iterator, Mapping

import sympy
from sympy import Expr, Symbol

from .components import Model, Module
from .components import reading as _reading
from .components.composite import layers_hold, stack, unplaced
from .errors import SymparamsError
from .factoring import factor, share_pivots
from .factoring import pretty as _poly_pretty
from .format import display
from .limits import MAX_VALUE
from .symbols import INFO, T

__all__ = ["Spec", "Row", "Breakdown", "Constraint", "Divides", "AtMost", "Differs", "EvenAbove", "CachedOtherwise", "exact",
           "pretty"]


@dataclass(frozen=True)
class Constraint:
    """A condition on symbol values that a buildable model must satisfy."""

    def check(self, env: Mapping[Symbol, Expr]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Divides(Constraint):
    """``small`` must divide ``big`` (H divides D; H_kv divides H)."""

    small: Expr
    big: Expr
    why: str = ""

    def check(self, env: Mapping[Symbol, Expr]) -> None:
        a, b = self.small.xreplace(env), self.big.xreplace(env)
        if a.is_Integer and b.is_Integer and b % a != 0:
            why = f" ({self.why})" if self.why else ""
            raise SymparamsError(f"{self.small}={a} does not divide {self.big}={b}{why}")


@dataclass(frozen=True)
class AtMost(Constraint):
    """``small`` must not exceed ``big`` (experts per token at most the experts)."""

    small: Expr
    big: Expr
    why: str = ""

    def check(self, env: Mapping[Symbol, Expr]) -> None:
        a, b = self.small.xreplace(env), self.big.xreplace(env)
        if a.is_Rational and b.is_Rational and a > b:
            why = f" ({self.why})" if self.why else ""
            small = str(a) if self.small.is_number else f"{self.small}={a}"
            raise SymparamsError(f"{small} exceeds {self.big}={b}{why}")


@dataclass(frozen=True)
class Differs(Constraint):
    """``small`` must not equal ``big``: the tree holds a part transformers builds only while two sizes
    differ (OPT's projections between a narrower embedding and the blocks), so equal sizes are another tree."""

    small: Expr
    big: Expr
    why: str = ""

    def check(self, env: Mapping[Symbol, Expr]) -> None:
        a, b = self.small.xreplace(env), self.big.xreplace(env)
        if a.is_Rational and b.is_Rational and a == b:
            why = f" ({self.why})" if self.why else ""
            raise SymparamsError(f"{self.small}={a} equals {self.big}={b}{why}")


@dataclass(frozen=True)
class EvenAbove(Constraint):
    """``size`` must be even where it exceeds ``limit``: transformers' rotary embedding turns a head's
    dimensions in pairs and refuses an odd head, except in tiny test models of at most 4."""

    size: Expr
    limit: int = 4
    why: str = ""

    def check(self, env: Mapping[Symbol, Expr]) -> None:
        a = self.size.xreplace(env)
        if a.is_Integer and a > self.limit and a % 2:
            why = f" ({self.why})" if self.why else ""
            raise SymparamsError(f"{self.size}={a} is odd and above {self.limit}{why}")


def exact(value: Expr, what: str = "count") -> int:
    """``value`` as a Python int, or an error if it is not a whole number."""
    if not value.is_Integer:
        if value.is_Rational:
            raise SymparamsError(f"{what} = {value} is not a whole number")
        raise SymparamsError(f"{what} = {value} did not evaluate to a number")
    return int(value)


@functools.lru_cache(maxsize=4096)
def pretty(expr: Expr) -> Expr:
    """A readable canonical form: like terms merged, each power of L collected and factored, and
    layer counts of one coefficient written together (``(L - L_s)*(...)``).

    Cheap by design (no ``simplify``) so the command line stays fast; kept per expression,
    since a model's rows repeat their formulas and factoring is the cost.
    """
    return share_pivots(_collected(expr), _is_layer_count)


def _collected(expr: Expr) -> Expr:
    fast = _poly_pretty(expr, _is_layer_count)
    if fast is not None:
        return fast
    expr = sympy.expand(expr)
    if not expr.free_symbols:
        return expr
    pivots = [s for s in sorted(expr.free_symbols, key=str) if s.name == "L" or s.name.startswith("L_")]
    try:
        return sympy.collect(expr, pivots, func=factor) if pivots else factor(expr)
    except sympy.PolynomialError:
        return expr


@functools.lru_cache(maxsize=4096)
def text(expr: Expr) -> str:
    """``str(expr)``, kept per expression: models share most of their rows' formulas."""
    return str(expr)


def _is_layer_count(s: Symbol) -> bool:
    return s.name == "L" or s.name.startswith("L_")


def _number(expr: Expr, values: Mapping[Symbol, int | Fraction]) -> int | Fraction | None:
    """``expr`` at ``values`` in Python's exact arithmetic (the value :meth:`Spec.value` gives, without
    rebuilding SymPy expressions); None for anything but sums, products, whole powers, floors, ceilings,
    maxima and minima of numbers and symbols.
    """
    if expr.is_Integer:
        return int(expr)
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    if expr.is_Symbol:
        return values.get(expr)  # type: ignore[call-overload]
    if expr.is_Add or expr.is_Mul:
        parts = [_number(a, values) for a in expr.args]
        if any(p is None for p in parts):
            return None
        out = sum(parts) if expr.is_Add else math.prod(parts)  # type: ignore[arg-type]
        return out.numerator if isinstance(out, Fraction) and out.denominator == 1 else out
    if expr.is_Pow and expr.exp.is_Integer:
        base = _number(expr.base, values)
        if base is None or (base == 0 and expr.exp < 0) or abs(int(expr.exp)) > 64:
            return None
        power = Fraction(base) ** int(expr.exp)
        return power.numerator if power.denominator == 1 else power
    if isinstance(expr, (sympy.Max, sympy.Min, sympy.floor, sympy.ceiling)):
        parts = [_number(a, values) for a in expr.args]
        if any(p is None for p in parts):
            return None
        if isinstance(expr, (sympy.floor, sympy.ceiling)):
            return (math.floor if isinstance(expr, sympy.floor) else math.ceil)(parts[0])  # type: ignore[arg-type]
        found = (max if isinstance(expr, sympy.Max) else min)(parts)  # type: ignore[type-var]
        return found.numerator if isinstance(found, Fraction) and found.denominator == 1 else found
    return None


def _put(expr: Expr, values: Mapping[Symbol, Expr]) -> Expr:
    """``expr.xreplace(values)``, but a ``Max`` or ``Min`` left with a symbol among its arguments (B and T
    in a reading) stays unevaluated: sympy would search its assumptions for the winner, which values decide later."""
    if expr in values:
        return values[expr]
    if not expr.args:
        return expr
    args = [_put(a, values) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    if isinstance(expr, (sympy.Max, sympy.Min)) and not all(a.is_number for a in args):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def _layer_counts(expr: Expr) -> set[Symbol]:
    return {s for s in expr.free_symbols if _is_layer_count(s)}


def _parts(node: Module) -> list[Module]:
    """The parts a total is written as: the node's children, each plain holder of modules opened (a learned
    tree's ``model``, around the embedding, layers and norm), so that like terms meet (``2*D*V``)."""
    return [p for c in node.children() for p in (_parts(c) if c.holder and c.multiplier() == 1 else [c])]


def _combine(forms: list[Expr]) -> Expr:
    """The sum of components' forms; where stacks of several layer kinds share terms
    (L - L_d MoE layers beside L_d dense ones), or stacks of one count do, their parts are collected per layer count,
    and where the other parts share a term (a head's bias row ``V*(D + 1)`` beside the
    embedding's ``D*V``), those parts are expanded, so that like terms meet (``2*D*V + V``)."""
    terms = [t for f in forms for t in sympy.Add.make_args(f)]  # a stack of L - 1 layers: L*(...) - (...)
    plain = [t for t in terms if not _layer_counts(t)]
    if _overlap(plain):
        plain = [sympy.expand(sympy.Add(*plain))]
    layered = [t for t in terms if _layer_counts(t)]
    if len(_layer_counts(sympy.Add(*layered))) < 2 and not _overlap(layered):
        return sympy.Add(*plain, *layered)
    return sympy.Add(*plain) + pretty(sympy.Add(*layered))


def _overlap(terms: list[Expr]) -> bool:
    """Whether two of ``terms``, expanded, hold the same monomial where one of them holds a sum (like
    monomials ``L + L`` SymPy adds up itself)."""
    seen: set[Expr] = set()
    in_sums: set[Expr] = set()
    for term in terms:
        found = {t.as_coeff_Mul()[1] for t in sympy.Add.make_args(sympy.expand(term))}
        summed = any(isinstance(f, sympy.Add) for f in sympy.Mul.make_args(term))
        if found & in_sums or (summed and found & seen):
            return True
        seen |= found
        if summed:
            in_sums |= found
    return False


@dataclass(frozen=True)
class CachedOtherwise:
    """How transformers' own implementation of a family caches more than its layers need.

    The KV-cache reading is what the layers attend over, as the FLOPs readings are. Where
    transformers keeps more (Falcon's new decoder architecture caches its key and value
    heads broadcast to the query heads), ``swap`` turns the reading into what its cache
    holds (``H_kv -> H``), so that figure comes out of the same tree; ``why`` says what it
    keeps, after "transformers' <family>".
    """

    why: str
    swap: tuple[tuple[Symbol, Expr], ...]


@dataclass(frozen=True)
class Spec:
    """A module tree plus values: one concrete (or symbolic) model."""

    name: str
    tree: Model
    values: tuple[tuple[Symbol, Expr], ...]
    relations: tuple[tuple[Symbol, Expr], ...] = ()
    constraints: tuple[Constraint, ...] = ()
    family: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)
    kept: tuple[Symbol, ...] = ()
    context: int | None = field(default=None, compare=False)
    cached_otherwise: CachedOtherwise | None = field(default=None, compare=False)

    # ---- symbolic readings -------------------------------------------------
    def substitute(self, expr: Expr) -> Expr:
        """``expr`` with every relation substituted, down to the free and ``kept`` symbols.

        ``kept`` symbols are derived (their values follow their relations) but closed
        forms keep them, the way papers write Llama's attention as 2*D*H*d_h even though
        d_h = D/H: the form reads as published and stays right when D or H is changed.
        A ``Max`` or ``Min`` over symbols stays as it is written (see :func:`_put`).
        """
        if not isinstance(expr, sympy.Basic):
            expr = sympy.Integer(expr) if isinstance(expr, int) else sympy.sympify(expr)
        rel = {s: r for s, r in self.relations if s not in self.kept}
        for _ in range(len(rel) + 1):
            new = _put(expr, rel)
            if new == expr:
                return new
            expr = new
        raise SymparamsError(f"{self.name}: relations {rel} are circular")

    def formula(self, node: Module | None = None, reading: str = "params") -> Expr:
        """The closed form of ``node`` (default: the whole model) in the free symbols."""
        node = node or self.tree
        return pretty(self.substitute(node.read(_reading(reading), T)))

    @cached_property
    def closed_form(self) -> Expr:
        """Total parameters in closed form: the sum of the top-level components' forms (holders opened)."""
        return _combine([self.formula(c) for c in _parts(self.tree)])

    @cached_property
    def active_form(self) -> Expr:
        """Parameters one token passes through (differs from the total under MoE)."""
        return _combine([self.formula(c, "active") for c in _parts(self.tree)])

    @cached_property
    def active_compute_form(self) -> Expr:
        """Active parameters without the embedding tables, a tied head's matrix counted (PaLM's N').

        A token reads one row of a lookup table, not the table: the gpt-oss model card
        counts "unembedding parameters towards active, but not embeddings", which is this.
        """
        return _combine([self.formula(c, "palm") for c in _parts(self.tree)])

    @property
    def symbols(self) -> tuple[Symbol, ...]:
        """The free symbols, in the order their values are listed."""
        return tuple(s for s, _ in self.values)

    # ---- exact numeric readings --------------------------------------------
    @cached_property
    def env(self) -> dict[Symbol, Expr]:
        """Every symbol's exact value, free and derived, validated."""
        env: dict[Symbol, Expr] = {}
        for sym, val in self.values:
            env[sym] = _check_value(sym, val, self.name)
        for c in self.constraints:
            try:
                c.check({**env, **self._derived(env, check=False)})
            except SymparamsError as err:
                raise SymparamsError(f"{self.name}: {err}") from None
        env.update(self._derived(env, check=True))
        return env

    def _derived(self, env: Mapping[Symbol, Expr], check: bool) -> dict[Symbol, Expr]:
        out: dict[Symbol, Expr] = {}
        pending = list(self.relations)
        for _ in range(len(pending) + 1):
            rest = []
            for sym, rel in pending:
                val = rel.xreplace({**env, **out})
                if val.free_symbols:
                    rest.append((sym, rel))
                    continue
                if check:
                    _check_value(sym, val, self.name, rel)
                out[sym] = val
            if not rest:
                break
            pending = rest
        return out

    def value(self, expr: Expr, at: Mapping[Symbol, Expr] | None = None) -> Expr:
        """``expr`` evaluated exactly at this model's values (an Integer or Rational), and at ``at``'s
        for the symbols a config does not give (the batch B, the context T); others are left as they are.

        :attr:`env` holds every symbol's value, derived ones too, so the values go straight in, in one
        pass, where no derived symbol lacks one: a ``Max`` or ``Min`` rebuilt over symbols has sympy
        search its assumptions for the winner, for long sums some 0.01 s each.
        """
        given = {s: v if isinstance(v, sympy.Basic) else sympy.Rational(v) for s, v in (at or {}).items()}
        if not isinstance(expr, sympy.Basic) or any(s in expr.free_symbols and s not in self.env
                                                    for s, _ in self.relations):
            expr = self.substitute(expr)
        return _put(expr, {**self.env, **given})

    def count(self, node: Module | None = None, reading: str = "params") -> int:
        """Exact count of ``node`` (default: the whole model) as a Python int."""
        node = node or self.tree
        expr = node.read(_reading(reading), T)
        found = _number(expr, self._numbers)
        if isinstance(found, int):
            return found
        return exact(self.value(expr), f"{self.name}: {node.name}")

    @cached_property
    def _numbers(self) -> dict[Symbol, int | Fraction]:
        """Every symbol's value (:attr:`env`) as a Python int or Fraction, for :func:`_number`."""
        return {s: int(v) if v.is_Integer else Fraction(int(v.p), int(v.q)) for s, v in self.env.items()}

    @cached_property
    def total(self) -> int:
        return self.count()

    @cached_property
    def active_total(self) -> int:
        return self.count(reading="active")

    @cached_property
    def active_compute_total(self) -> int:
        """:attr:`active_compute_form`'s value: active parameters without the lookup tables."""
        return self.count(reading="palm")

    def int_values(self) -> dict[str, int | str]:
        """Free-symbol values for JSON: ints, or exact fractions as text ('8/3')."""
        return {s.name: _json_number(self.env[s]) for s in self.symbols}

    def derived_values(self) -> dict[str, int | str]:
        return {s.name: _json_number(self.env[s]) for s, _ in self.relations if s in self.env}

    # ---- variations --------------------------------------------------------
    def with_values(self, /, **overrides: Expr) -> "Spec":
        """The same tree with some symbols set to numbers (or re-related by expressions)."""
        return apply_overrides(self, overrides)

    def node(self, path: str) -> Module:
        """The node at a dotted path such as ``blocks.block.attn.q``."""
        node: Module = self.tree
        for part in path.split("."):
            for child in node.children():
                if child.name == part:
                    node = child
                    break
            else:
                raise SymparamsError(f"{self.name} has no component {path!r}")
        return node

    def breakdown(self):
        """Rows of (component, formula, count, share), one per node: see :mod:`breakdown`."""
        return self._rows

    @cached_property
    def _rows(self) -> "Breakdown":
        return _breakdown(self)

    def _repr_latex_(self) -> str | None:
        return display(self, "latex")

    def _repr_markdown_(self) -> str | None:
        return display(self, "markdown")

    def __repr__(self) -> str:
        try:
            return f"<Spec {self.name}: {self.total:,} parameters>"
        except SymparamsError as err:
            return f"<Spec {self.name}: invalid ({err})>"


@dataclass(frozen=True)
class Row:
    """One node: its place in the tree, its formula and its exact counts."""

    path: str
    depth: int
    node: Module
    formula: Expr
    copies_formula: Expr
    copies: int
    count: int
    total: int
    share: Fraction

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def is_leaf(self) -> bool:
        return not self.node.children()


@dataclass(frozen=True)
class Breakdown:
    """All rows of a model: one walk of its tree, so they always sum to the total."""

    spec: "Spec"
    rows: tuple[Row, ...]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __getitem__(self, path: str) -> Row:
        for row in self.rows:
            if row.path == path:
                return row
        raise KeyError(path)

    def top(self) -> tuple[Row, ...]:
        """The top-level components, which partition the total."""
        return tuple(r for r in self.rows if r.depth == 1)

    def groups(self) -> dict[str, int]:
        """Parameters per group (embedding, attention, mlp, norm, head, other), from the leaves."""
        out: dict[str, int] = {}
        for r in self.rows:
            if r.is_leaf:
                out[r.node.group] = out.get(r.node.group, 0) + r.total
        return out

    def to_json(self) -> list[dict]:
        return [
            {
                "name": r.path,
                "module": r.node.describe(),
                "formula": text(r.formula),
                "count": r.count,
                "copies": r.copies,
                "total": r.total,
                "group": r.node.group,
            }
            for r in self.rows
        ]

    def _repr_markdown_(self) -> str | None:
        return display(self, "markdown")

    def __str__(self) -> str:
        return display(self, "text") or repr(self)



def _breakdown(spec: "Spec") -> Breakdown:
    """One row per node of the tree, from one walk, with exact counts and shares."""
    total = spec.total
    rows = []
    paths: dict[int, str] = {}
    for depth, copies, node in spec.tree.walk():
        if depth == 0:
            continue
        paths[depth] = node.name
        path = ".".join(paths[d] for d in range(1, depth + 1))
        count = spec.count(node)
        times = int(spec.value(copies))
        rows.append(
            Row(path, depth, node, spec.formula(node), spec.substitute(copies), times, count,
                count * times, Fraction(count * times, total))
        )
    return Breakdown(spec, tuple(rows))


def _json_number(v: Expr) -> int | str:
    return int(v) if v.is_Integer else str(v)




def _check_value(sym: Symbol, val: Expr, model: str, rel: Expr | None = None) -> Expr:
    """``val`` checked as the value of ``sym`` (derived by ``rel``, if given), or an error naming both.

    Every count checks every symbol, so the text naming the relation is only made
    once a message needs it.
    """
    if not isinstance(val, sympy.Basic):
        from .parse import to_exact

        val = to_exact(val, (), f"{model}: {sym}")

    def where() -> str:
        return f" ({sym} = {rel})" if rel is not None else ""

    if not val.is_Rational:
        raise SymparamsError(f"{model}: {sym} = {_brief(val)}{where()} is not an exact number")
    if abs(val.p) > MAX_VALUE:
        raise SymparamsError(f"{model}: {sym} = {_brief(val)}{where()} is too large (at most 10^50)")
    if val.q > MAX_VALUE:
        raise SymparamsError(f"{model}: {sym} = {_brief(val)}{where()} is too fine a fraction "
                             "(its denominator may be at most 10^50)")
    if val <= 0:
        raise SymparamsError(f"{model}: {sym} = {val}{where()} must be positive")
    info = INFO.get(sym.name)
    if (info is None or info.integer) and not val.is_Integer:
        raise SymparamsError(f"{model}: {sym} = {val}{where()} is not a whole number")
    return val


def _brief(val: Expr) -> str:
    """``val`` as text, or its size when its digits would flood the line."""
    if val.is_Rational and max(abs(val.p), val.q).bit_length() > 200:
        return f"a number of about {max(abs(val.p), val.q).bit_length() * 3 // 10} digits"
    text = str(val)
    return text if len(text) <= 80 else text[:77] + "..."


def exact_overrides(overrides: Mapping[str, object] | None) -> dict[str, Expr]:
    """Overrides as exact SymPy values (ints, Fractions and text such as '8/3' or '8*D/3' accepted)."""
    from .parse import to_exact
    from .symbols import SYMBOLS

    return {name: to_exact(v, SYMBOLS.values(), name) for name, v in (overrides or {}).items()}


def apply_overrides(spec: Spec, overrides: Mapping[str, Expr]) -> Spec:
    """Set symbols by name: a number becomes a value, an expression a relation.

    Setting a symbol that a relation defined (``H_kv``, ``d_h``, ``F``) replaces the
    relation, so the closed form then carries that symbol. Unknown names are errors.
    """
    from .parse import check_size, degree, to_exact

    values = dict(spec.values)
    relations = dict(spec.relations)
    known = set(values) | set(relations)
    used = ", ".join(s.name for s in sorted(known, key=str))
    for name, raw in overrides.items():
        sym = next((s for s in known if s.name == name), None)  # (a learned family's own fields too)
        if sym is None:
            hint = "; a depth-sized family's depth is set with --depth (depth= in Python)" if name == "depth" else ""
            raise SymparamsError(f"{spec.name} has no symbol {name!r} to set (it uses: {used}){hint}")
        val = to_exact(raw, sorted(known, key=str), name)
        if sym in val.free_symbols:
            raise SymparamsError(f"{name} cannot be defined in terms of itself")
        if val.free_symbols - known:
            other = ", ".join(sorted(s.name for s in val.free_symbols - known))
            raise SymparamsError(f"{name} = {val} uses {other}, which {spec.name} does not have (it uses: {used})")
        values.pop(sym, None)
        relations.pop(sym, None)
        if val.free_symbols:
            relations[sym] = val
        else:
            values[sym] = val
    ordered = _ordered(relations, set(values))
    out = replace(spec, values=tuple(values.items()), relations=ordered)
    for sym, rel in ordered:
        form = check_size(out.substitute(rel), f"{sym} = {rel}")
        if degree(form) > MAX_RELATION_DEGREE:
            raise SymparamsError(f"{sym} = {rel} has degree {degree(form)} in the model's sizes; a size defined by "
                                 f"others may have degree at most {MAX_RELATION_DEGREE}, so every closed form stays "
                                 "small enough to compute")
    return _fit_layers(out)


def _fit_layers(spec: Spec) -> Spec:
    """``spec`` whose Repeats drop their layer indices where the new values no longer fit them (a changed L).

    The indices come from the config's layer pattern, which new counts do not redraw: pipeline
    stages then cut in tree order and full recomputation takes its bound, both from the counts.
    """
    parts = spec.tree.children()
    if not any(r.layers for r in stack(parts)):
        return spec
    try:
        fits = layers_hold(parts, lambda n: int(spec.value(n)))
    except (SymparamsError, TypeError, ValueError):
        fits = False
    return spec if fits else replace(spec, tree=replace(spec.tree, parts=unplaced(parts)))


# A size defined by others (F = 8*D/3, d_h = D/H) is a low-degree form in practice; a
# higher one only makes every closed form that multiplies it too large to expand.
MAX_RELATION_DEGREE = 4


def _ordered(relations: Mapping[Symbol, Expr], free: Iterable[Symbol]) -> tuple[tuple[Symbol, Expr], ...]:
    """Relations ordered so each uses only free symbols or earlier ones."""
    known, out, pending = set(free), [], dict(relations)
    while pending:
        ready = [s for s, r in pending.items() if r.free_symbols <= known | {s}]
        if not ready:
            names = ", ".join(f"{s} = {r}" for s, r in pending.items())
            raise SymparamsError(f"cannot resolve {names}: a symbol it uses has no value")
        for s in ready:
            out.append((s, pending.pop(s)))
            known.add(s)
    return tuple(out)
