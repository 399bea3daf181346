"""The reading a document is written from: one model, its breakdown, and how to name its parts.

Every chain in a derivation is built through a :class:`Reader`, which hands out
reference symbols (``N[attn.q]``) together with their exact values, so a chain's
substitution line is the same expression as its formula with numbers put in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable, Mapping

import sympy
from sympy import Expr, Symbol

from ..breakdown import Breakdown, Row
from ..factoring import factor
from ..families import FAMILIES
from ..spec import Spec
from .document import Chain
from .math import Form, number_text, ref

__all__ = ["Source", "source_of", "Reader", "short_paths"]


@dataclass(frozen=True)
class Source:
    """What a document needs to know beyond the model: how it was asked for, and its relatives.

    The report never turns a name into a model: whoever resolved the name (the
    command line) fills this in. ``command`` is the command line that writes the
    document again; ``ladder`` builds the same family, with the same overrides, at
    another depth (families sized by depth), and ``depth`` is this model's;
    ``relatives`` are other named models of its family (presets), for the size table.
    """

    command: str = ""
    ladder: Callable[[int], Spec] | None = None
    depth: int | None = None
    relatives: tuple[tuple[str, Spec], ...] = ()


def source_of(spec: Spec, source: Source | None = None) -> Source:
    """``source``, or what the family registry knows of ``spec``: its depth ladder, without overrides."""
    if source is not None and (source.ladder is not None or source.relatives):
        return source
    fam = FAMILIES.of(spec)
    base = source if source is not None else Source()
    if fam is not None and fam.ladder is not None:
        return replace(base, ladder=fam.at_depth)
    return base


def short_paths(rows: tuple[Row, ...]) -> dict[str, str]:
    """The shortest unambiguous name of each component: ``attn.q`` for ``blocks.block.attn.q``.

    A name stands for the component whose path it is, or else for the one component
    whose path ends in it. Leaves below a sub-module keep their parent's name
    (``attn.q``, ``mlp.fc``), which reads like the code; a suffix that two paths share
    is lengthened.
    """
    paths = [r.path for r in rows]
    out = {}
    for r in rows:
        parts = r.path.split(".")
        need = 2 if (r.is_leaf and r.depth >= 3) else 1
        for n in range(min(need, len(parts)), len(parts) + 1):
            suffix = ".".join(parts[-n:])
            if suffix == r.path or (suffix not in paths and sum(p.endswith("." + suffix) for p in paths) == 1):
                out[r.path] = suffix
                break
    return out


@dataclass
class Reader:
    """A model and everything a document needs to name and number its parts."""

    spec: Spec
    where: tuple[tuple[str, Expr], ...] = ()
    values: dict[Symbol, Expr] = field(default_factory=dict)

    @cached_property
    def breakdown(self) -> Breakdown:
        return self.spec.breakdown()

    @cached_property
    def short(self) -> dict[str, str]:
        return short_paths(self.breakdown.rows)

    @cached_property
    def factored(self) -> Expr:
        """The closed form factored: the closed-form and approximations sections both show or compare it."""
        return factor(self.spec.closed_form)

    def variant(self, /, **where: Expr) -> "Reader":
        """A reader of this model with some symbols set; its references say so (``N[attn]{H_kv=1}``).

        It shares this reader's recorded values, so one chain can compare the two.
        """
        from ..spec import apply_overrides

        merged = dict(self.where)
        merged.update({k: sympy.sympify(v) for k, v in where.items()})
        other = apply_overrides(self.spec, {k: sympy.sympify(v) for k, v in where.items()})
        if other.tree == self.spec.tree and other.relations == self.spec.relations:
            # Only values moved: the closed forms, in the free symbols, are the same expressions.
            for name in ("closed_form", "active_form"):
                if name in self.spec.__dict__:
                    other.__dict__[name] = self.spec.__dict__[name]
        reader = Reader(other, tuple(sorted(merged.items())), self.values)
        reader.__dict__["short"] = self.short  # same tree, same names: no second breakdown
        return reader

    def ref(self, row: Row | None = None, reading: str = "params", where: Mapping[str, Expr] | None = None,
            value: Expr | None = None) -> Symbol:
        """The symbol for ``reading`` of ``row`` (None: the whole model), its value recorded."""
        path = self.short[row.path] if row is not None else ""
        sym = ref(path, reading, {**dict(self.where), **dict(where or {})})
        if value is None:
            node = row.node if row is not None else None
            value = sympy.Integer(self.spec.count(node, reading))
        self.values[sym] = sympy.sympify(value)
        return sym

    def numbers(self, expr: Expr) -> tuple[tuple[Symbol, Expr], ...]:
        """Values for every symbol of ``expr``: references as recorded, model symbols from the model."""
        env = self.spec.env
        out = []
        for s in sorted(expr.free_symbols, key=lambda s: s.name):
            if s in self.values:
                out.append((s, self.values[s]))
            elif s in env:
                out.append((s, env[s]))
            else:
                raise KeyError(f"no value for {s} in {self.spec.name}")
        return tuple(out)

    def value(self, expr: Expr) -> Expr:
        return sympy.sympify(expr).xreplace(dict(self.numbers(expr))).doit()

    def chain(self, label: Expr, *sides: Expr | Form, substitute: Expr | Form | None = None,
              style: str = "count") -> Chain:
        """``label = sides... = substitute (with numbers) = value``, the value computed from the sides.

        Every side is evaluated exactly and must agree: a chain that does not hold
        is a bug, and it stops the document from being written.
        """
        forms = [s if isinstance(s, Form) else Form(s) for s in sides]
        if substitute is not None:
            sub = substitute if isinstance(substitute, Form) else Form(substitute)
            forms.append(Form(sub.expr, self.numbers(sub.expr), sub.keep_order))
        computed = [self.value(f.expr) for f in forms] or [self.value(label)]
        result = computed[-1]
        if not result.is_Rational:
            raise AssertionError(f"{self.spec.name}: {label} = {result} is not an exact number")
        try:
            computed.append(self.value(label))
        except KeyError:
            if isinstance(label, Symbol):
                self.values[label] = result
        for v in computed:
            if v != result:
                raise AssertionError(f"{self.spec.name}: {label} = {' = '.join(map(str, computed))} does not hold")
        return Chain(Form(label, keep_order=True), tuple(forms), sympy.sympify(result), style)

    def describe(self, node) -> str:
        return node.describe(lambda x: number_text(self.spec.value(sympy.sympify(x))))

