"""The reading a document is written from: one model, its breakdown, and how to name its parts.

Every chain in a derivation is built through a :class:`Reader`, which hands out
reference symbols (``N[attn.q]``) together with their exact values, so a chain's
substitution line is the same expression as its formula with numbers put in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import sympy
from sympy import Expr, Symbol

from ..breakdown import Breakdown, Row
from ..spec import Spec
from .document import Chain
from .math import Form, number_text, ref

__all__ = ["Source", "Reader", "short_paths"]


@dataclass(frozen=True)
class Source:
    """How a model was named, so a document can rebuild its family at other sizes.

    ``name`` is what :func:`symparams.model` accepts (a family, a preset or a path).
    """

    name: str
    depth: int | None = None
    overrides: tuple[tuple[str, Expr], ...] = ()

    def spec(self) -> Spec:
        from ..catalog import model

        return model(self.name, depth=self.depth, **dict(self.overrides))

    def command(self) -> str:
        """The command line that writes this document again."""
        parts = ["symparams", "derive", self.name]
        if self.depth is not None:
            parts += ["--depth", str(self.depth)]
        for k, v in self.overrides:
            parts += ["--set", f"{k}={v}"]
        return " ".join(parts)


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
    def by_node(self) -> dict[int, Row]:
        return {id(r.node): r for r in self.breakdown.rows}

    def variant(self, **where: Expr) -> "Reader":
        """A reader of this model with some symbols set; its references say so (``N[attn]{H_kv=1}``).

        It shares this reader's recorded values, so one chain can compare the two.
        """
        from ..spec import apply_overrides

        merged = dict(self.where)
        merged.update({k: sympy.sympify(v) for k, v in where.items()})
        other = apply_overrides(self.spec, {k: sympy.sympify(v) for k, v in where.items()})
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

