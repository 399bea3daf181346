"""Practice problems with worked solutions, generated for the model and checked like the rest.

The guide sets two: the d8 model, and d20 with multi-query attention. Here the
first is another size of the same family (depth 8 for a depth-sized family,
twice the layers of each kind otherwise), the second the same model with one key/value head
(or, where heads are not a symbol, twice the vocabulary). Each solution is a
derivation of the variant, written by the same walk as the main text.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from ..breakdown import Row
from ..errors import SymparamsError
from ..insights import deeper
from ..spec import Spec, apply_overrides
from ..symbols import H_kv, L, V, symbol
from .compare import first_layer, ratio
from .context import Reader, Source, source_of
from .document import Chains, Context, Details, Heading, Para, Part, Values
from .forms import difference
from .math import Form
from .walk import children, composite_chains, leaf_chain, repeats_one_part

__all__ = ["Problem", "problems", "section"]

PRACTICE_DEPTH = 8


@dataclass(frozen=True)
class Problem:
    """A variant of the model to size by hand: what changes, and the model it makes."""

    title: str
    where: tuple[tuple[str, Expr], ...]
    spec: Spec
    focus: str  # "size" (the whole walk) or "attention"


def _where(base: Spec, other: Spec) -> tuple[tuple[str, Expr], ...]:
    """The symbol values that turn ``base`` into ``other`` (free values only)."""
    mine = dict(base.values)
    return tuple(sorted((s.name, v) for s, v in other.values if mine.get(s) != v))


def _sized(spec: Spec, source: Source | None) -> Problem | None:
    source = source_of(spec, source)
    if source.ladder is not None:
        depth = PRACTICE_DEPTH if spec.env.get(L) != PRACTICE_DEPTH else 4
        try:
            other = source.ladder(depth)
            other.total  # noqa: B018
        except SymparamsError:
            return None
        where = _where(spec, other)
        title = f"{spec.family} d{depth}"
    else:
        if spec.env.get(L) is None:
            return None
        where = tuple((k, sympy.Integer(v)) for k, v in deeper(spec, 2).items())  # each kind of layer doubled
        title = f"{spec.name} with twice the layers"
    try:
        other = apply_overrides(spec, dict(where))
        other.total  # noqa: B018
    except SymparamsError:
        return None
    return Problem(title, where, other, "size")


def _mqa(spec: Spec) -> Problem | None:
    names = {s.name for s in spec.symbols} | {s.name for s, _ in spec.relations}
    if "H_kv" in names and spec.env[H_kv] != 1:
        where: tuple[tuple[str, Expr], ...] = (("H_kv", sympy.Integer(1)),)
        title, focus = f"{spec.name} with multi-query attention", "attention"
    elif "V" in names:
        where = (("V", 2 * spec.env[V]),)
        title, focus = f"{spec.name} with twice the vocabulary", "size"
    else:
        return None
    try:
        other = apply_overrides(spec, dict(where))
        other.total  # noqa: B018
    except SymparamsError:
        return None
    return Problem(title, where, other, focus)


def problems(spec: Spec, source: Source | None = None) -> list[Problem]:
    """The practice problems for ``spec``: another size, then fewer key/value heads."""
    return [p for p in (_sized(spec, source), _mqa(spec)) if p is not None]


def _solution(base: Reader, problem: Problem) -> list[Part]:
    r = Reader(problem.spec)
    blocks: list[Part] = [Context(problem.where)]
    chains = []
    attn = first_layer(r, "attention")
    if problem.focus == "attention" and attn is not None:
        for row in r.breakdown.top():
            chains += _outline(r, row, expand=attn.path)
        undo = tuple((k, base.spec.env[symbol(k)]) for k, _ in problem.where)
        before = r.ref(attn, where=dict(undo))
        r.values[before] = sympy.Integer(base.spec.count(attn.node))
        saving = difference(1, ratio(r.ref(attn), before))
        chains.append(r.chain(saving, substitute=Form(saving, keep_order=True), style="percent"))
    else:
        for row in r.breakdown.top():
            chains += _outline(r, row)
    top = r.breakdown.top()
    form = sympy.Add(*(r.ref(row) for row in top), evaluate=False)
    chains.append(r.chain(r.ref(), Form(form, keep_order=True), substitute=Form(form, keep_order=True)))
    return blocks + [Chains(tuple(chains))]


def _outline(r: Reader, row: Row, expand: str = "") -> list:
    """The guide's level of detail: each top-level part, and inside a repeat its block's parts.

    The part at path ``expand`` also shows its leaves (the attention's four projections).
    """
    if row.is_leaf:
        return [leaf_chain(r, row)]
    out = []
    kids = children(r, row)
    if repeats_one_part(row, kids):
        block = kids[0]
        for part in children(r, block):
            if part.path == expand:
                out += [leaf_chain(r, leaf) for leaf in children(r, part) if leaf.is_leaf]
            if not part.is_leaf:
                out += composite_chains(r, part, children(r, part))
        out += composite_chains(r, block, children(r, block))
    return out + composite_chains(r, row, kids)


def section(r: Reader, source: Source | None) -> list[Part]:
    blocks: list[Part] = [Heading(2, "Practice problems")]
    for i, p in enumerate(problems(r.spec, source), 1):
        question = "How many attention parameters per block, and in total?" if p.focus == "attention" \
            else "How many parameters in total?"
        blocks += [
            Heading(3, f"Problem {i}: {p.title}"),
            Para(("The same model with ", Values(p.where), ". ", question)),
            Details("Solution", tuple(_solution(r, p))),
        ]
    return blocks
