"""The derivation proper: golden rule, the model's sizes, then the tree walked leaf by leaf.

This is the hand-worked guide's walk-through written by the tree itself: each leaf
shows its module, its formula as the tree states it, the formula in the model's
free symbols, the substitution and the exact count; each composite adds its parts
up; a repeat multiplies; the total closes the walk.
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from sympy import Expr, Integer, Symbol

from ..breakdown import Row
from ..components import Leaf
from ..families import FAMILIES
from ..symbols import INFO
from .context import Reader
from .document import Bullets, Chains, Heading, Inline, Math, Para, Part, Table, Verbatim
from .math import Form, named

__all__ = ["golden_rule", "given", "steps", "total", "table", "children", "composite_chains", "leaf_chain"]


def golden_rule(r: Reader) -> list[Part]:
    """One rule per kind of leaf the model uses, each stated by the leaf itself on placeholder sizes."""
    examples = []
    seen = set()
    for row in r.breakdown.rows:
        node = row.node
        if not row.is_leaf or not isinstance(node, Leaf):  # a childless group (no Leaf) holds no rule
            continue
        example = node.example()
        key = example.describe()
        if key in seen:
            continue
        seen.add(key)
        note = node.rule_note()
        item = (Verbatim(key), ": ", Math(Form(example.params())))
        examples.append(item + ((" (" + note + ")",) if note else ()))
    return [
        Heading(2, "The golden rule"),
        Para(("Every parameter sits in a leaf of the module tree, and each kind of leaf has one rule:",)),
        Bullets(tuple(examples)),
        Para(("Everything else is addition: a module holds the sum of its parts, and L copies of a block hold L "
              "times one block. Activations (ReLU squared, GELU, SiLU) hold no parameters.",)),
    ]


def given(r: Reader) -> list[Part]:
    """The model's sizes: the free symbols' values, then each derived symbol worked out."""
    spec = r.spec
    rows = []
    for sym in spec.symbols:
        info = INFO.get(sym.name)
        value = spec.env[sym]
        meaning = info.meaning if info else f"the config's {sym.name}"  # (a learned family's own field)
        rows.append((Math(Form(sym)), int(value) if value.is_Integer else value, meaning))
    blocks: list[Part] = [
        Heading(2, "The model's sizes"),
        Table("values", "Free symbols and their values", ("symbol", "value", "meaning"), tuple(rows), "lrl"),
    ]
    derived = [(s, rel) for s, rel in spec.relations if s in spec.env]
    if derived:
        blocks.append(Para(("The other sizes follow from these:",)))
        blocks.append(Chains(tuple(r.chain(s, rel, substitute=rel, style="number") for s, rel in derived)))
    fam = FAMILIES.of(spec)
    if fam is not None and fam.guide:  # the guide's nanochat: say how its depth sets the sizes
        from ..families import nanochat

        depth = named("depth", r"\mathrm{depth}")
        blocks.append(Para((
            "nanochat sizes every model from its depth: ", Math(Form(nanochat.WIDTH_PER_LAYER * depth)),
            " for D and ", Math(Form(sympy.ceiling(sympy.Symbol("D") / nanochat.HEAD_DIM_TARGET))), " for H.",
        )))
    return blocks


def children(r: Reader, row: Row) -> list[Row]:
    """The rows one level below ``row``."""
    prefix = row.path + "."
    return [c for c in r.breakdown.rows if c.depth == row.depth + 1 and c.path.startswith(prefix)]


def _module(r: Reader, row: Row) -> Para:
    symbolic, numeric = row.node.describe(), r.describe(row.node)
    parts: tuple[Inline, ...] = (Verbatim(r.short[row.path]), ": ", Verbatim(symbolic))
    if numeric != symbolic:
        parts += (", here ", Verbatim(numeric))
    return Para(parts, wrap=False)


def leaf_chain(r: Reader, row: Row):
    """A leaf's count: its formula as the tree states it, in the free symbols, and with numbers."""
    node, spec = row.node, r.spec
    label = r.ref(row)
    raw, free = sympy.sympify(node.params()), spec.formula(node)
    sides: list = []
    if sympy.srepr(raw) != sympy.srepr(free):
        sides.append(raw)
    sides.append(free)
    # Only a Leaf knows its sizes; a childless group (no Leaf) is shown by its substitution.
    product = node.sized_product(lambda x: Integer(spec.value(sympy.sympify(x)))) if isinstance(node, Leaf) else None
    if product is not None:
        sides.append(Form(product, keep_order=True))
        return r.chain(label, *sides)
    return r.chain(label, *sides, substitute=free if free.free_symbols else None)


def _below(r: Reader, row: Row, node) -> Row:
    """The row of ``node`` under ``row`` (a child one token passes through, such as one expert)."""
    prefix = row.path + "."
    under = [x for x in r.breakdown.rows if x.path.startswith(prefix)]
    found = next((x for x in under if x.node is node), None) or next((x for x in under if x.node == node), None)
    if found is None:  # pragma: no cover - a node's token children are among what it stores
        raise AssertionError(f"{node.name} is not stored under {row.path}")
    return found


def _sum_form(r: Reader, row: Row, kids: list[Row], reading: str = "params") -> Expr:
    """The node's reading as a sum of its children's references: copies times what one copy holds.

    Storage adds up every child; what a token passes through adds up the node's
    ``token_children`` (under a mixture of experts, the router and k of the E experts).
    """
    node = row.node
    if reading == "active":
        terms = []
        for n, child in node.token_children():
            ref, times = _ref(r, _below(r, row, child), reading), r.spec.substitute(n)
            terms.append(ref if times == 1 else sympy.Mul(times, ref, evaluate=False))
        if not terms:  # a tower a token never passes through (a vision encoder)
            return sympy.Integer(0)
        return sympy.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
    refs = [_ref(r, k, reading) for k in kids]
    total = sympy.Add(*refs, evaluate=False) if len(refs) > 1 else refs[0]
    times = r.spec.substitute(node.multiplier())
    return total if times == 1 else sympy.Mul(times, total, evaluate=False)


def _differs(r: Reader, row: Row) -> bool:
    return r.spec.count(row.node, "active") != row.count


def _ref(r: Reader, row: Row, reading: str) -> Symbol:
    return r.ref(row, "active" if reading == "active" and _differs(r, row) else "params")


def composite_chains(r: Reader, row: Row, kids: list[Row]) -> list:
    """A composite as the sum of its parts, stored and (where it differs) active."""
    form = _sum_form(r, row, kids)
    out = [r.chain(r.ref(row), Form(form, keep_order=True), r.spec.formula(row.node),
                   substitute=Form(form, keep_order=True))]
    if _differs(r, row):
        active = _sum_form(r, row, kids, "active")
        out.append(r.chain(r.ref(row, "active"), Form(active, keep_order=True), r.spec.formula(row.node, "active"),
                           substitute=Form(active, keep_order=True)))
    return out


def repeats_one_part(row: Row, kids: list[Row]) -> bool:
    """Whether ``row`` holds copies of one composite part (L blocks, E experts): shown once, then multiplied."""
    return row.node.multiplier() != 1 and len(kids) == 1 and not kids[0].is_leaf


def _explain(r: Reader, row: Row, level: int) -> list[Part]:
    if row.is_leaf:
        return [_module(r, row), Chains((leaf_chain(r, row),))]
    kids = children(r, row)
    blocks: list[Part] = [_module(r, row)]
    if repeats_one_part(row, kids):
        inner = kids[0]
        blocks += _parts(r, inner, level)
        blocks.append(Para(("One ", Verbatim(r.short[inner.path]), " adds up to:")))
        blocks.append(Chains(tuple(composite_chains(r, inner, children(r, inner)))))
        blocks.append(Para(("and there are ", Math(Form(r.spec.substitute(row.node.multiplier()))), " of them:")))
    else:
        blocks += _parts(r, row, level)
        blocks.append(Para(("Together:",)))
    blocks.append(Chains(tuple(composite_chains(r, row, kids))))
    return blocks


def _parts(r: Reader, row: Row, level: int) -> list[Part]:
    blocks: list[Part] = []
    for kid in children(r, row):
        if kid.is_leaf:
            blocks += _explain(r, kid, level)
        else:
            blocks.append(Heading(min(level, 6), r.short[kid.path]))
            blocks += _explain(r, kid, level + 1)
    return blocks


def steps(r: Reader) -> list[Part]:
    """The walk: one section per top-level component, in the order the model applies them."""
    blocks: list[Part] = [Heading(2, "Step by step")]
    for i, row in enumerate(r.breakdown.top(), 1):
        blocks.append(Heading(3, f"{i}. {r.short[row.path]}"))
        blocks += _explain(r, row, 4)
    return blocks


def total(r: Reader) -> list[Part]:
    """The whole model: the top-level components added up, in symbols and in numbers."""
    top = r.breakdown.top()
    form = sympy.Add(*(r.ref(row) for row in top), evaluate=False)
    chains = [r.chain(r.ref(), Form(form, keep_order=True), r.spec.closed_form, substitute=Form(form, keep_order=True))]
    if r.spec.active_total != r.spec.total:
        active = sympy.Add(*(_ref(r, row, "active") for row in top), evaluate=False)
        chains.append(r.chain(r.ref(None, "active"), Form(active, keep_order=True), r.spec.active_form,
                              substitute=Form(active, keep_order=True)))
    return [Heading(2, "Total"), Chains(tuple(chains), numbered=True)]


def table(r: Reader) -> list[Part]:
    """Every component in one table: its formula per copy, its copies, and its count per copy and in all."""
    rows = []
    for row in r.breakdown.rows:
        rows.append((r.short[row.path], Math(Form(row.formula)),
                     Math(Form(row.copies_formula)), row.count, row.total, Fraction(row.total, r.spec.total)))
    return [
        Heading(2, "Components"),
        Table("breakdown", "Parameters by component", ("component", "formula per copy", "copies", "per copy", "total",
                                                         "share"), tuple(rows), "llrrrr"),
    ]
