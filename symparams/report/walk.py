"""The derivation proper: golden rule, the model's sizes, then the tree walked leaf by leaf.

This is the hand-worked guide's walk-through written by the tree itself: each leaf
shows its module, its formula as the tree states it, the formula in the model's
free symbols, the substitution and the exact count; each composite adds its parts
up; a repeat multiplies; the total closes the walk.
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer, Symbol

from ..breakdown import Row
from ..components import Embedding, Linear, MoE, Norm, Parameter, Repeat
from ..symbols import INFO
from .context import Reader
from .document import Block, Bullets, Chains, Code, Heading, Math, Para, Table
from .math import Form, named

__all__ = ["golden_rule", "given", "steps", "total"]

_D_IN, _D_OUT, _ROWS, _DIM = sympy.symbols("d_in d_out n d", positive=True, integer=True)


def golden_rule(r: Reader) -> list[Block]:
    """One rule per kind of leaf the model uses, each stated by a node built on placeholder sizes."""
    leaves = [row.node for row in r.breakdown.rows if row.is_leaf]
    examples = []
    seen = set()

    def add(node, note: str = "") -> None:
        key = node.describe()
        if key in seen:
            return
        seen.add(key)
        item = (Code(key), ": ", Math(Form(node.params())))
        examples.append(item + ((" (" + note + ")",) if note else ()))

    for leaf in leaves:
        if isinstance(leaf, Linear):
            add(Linear("x", _D_IN, _D_OUT, bias=leaf.bias, tied=leaf.tied),
                "shares the embedding's matrix" if leaf.tied else "")
        elif isinstance(leaf, Embedding):
            add(Embedding("x", _ROWS, _DIM))
        elif isinstance(leaf, Norm):
            add(Norm("x", _DIM, kind=leaf.kind, weight=leaf.weight, bias=leaf.bias))
        elif isinstance(leaf, Parameter):
            add(Parameter("x", tuple(sympy.Symbol(f"s_{i + 1}", positive=True) for i in range(len(leaf.shape)))))
    return [
        Heading(2, "The golden rule"),
        Para(("Every parameter sits in a leaf of the module tree, and each kind of leaf has one rule:",)),
        Bullets(tuple(examples)),
        Para(("Everything else is addition: a module holds the sum of its parts, and L copies of a block hold L "
              "times one block. Activations (ReLU squared, GELU, SiLU) hold no parameters.",)),
    ]


def given(r: Reader) -> list[Block]:
    """The model's sizes: the free symbols' values, then each derived symbol worked out."""
    spec = r.spec
    rows = []
    for sym in spec.symbols:
        info = INFO.get(sym.name)
        value = spec.env[sym]
        rows.append((Math(Form(sym)), int(value) if value.is_Integer else value, info.meaning if info else ""))
    blocks: list[Block] = [
        Heading(2, "The model's sizes"),
        Table("values", "Free symbols and their values", ("symbol", "value", "meaning"), tuple(rows), "lrl"),
    ]
    derived = [(s, rel) for s, rel in spec.relations if s in spec.env]
    if derived:
        blocks.append(Para(("The other sizes follow from these:",)))
        blocks.append(Chains(tuple(r.chain(s, rel, substitute=rel, style="number") for s, rel in derived)))
    if spec.family == "nanochat":
        from ..families import nanochat

        depth = named("depth", r"\mathrm{depth}")
        blocks.append(Para((
            "nanochat sizes every model from its depth: ", Math(Form(nanochat.WIDTH_PER_LAYER * depth)),
            " for D and ", Math(Form(sympy.ceiling(sympy.Symbol("D") / nanochat.HEAD_DIM_TARGET))), " for H.",
        )))
    return blocks


def _children(r: Reader, row: Row) -> list[Row]:
    prefix = row.path + "."
    return [c for c in r.breakdown.rows if c.depth == row.depth + 1 and c.path.startswith(prefix)]


def _module(r: Reader, row: Row) -> Para:
    symbolic, numeric = row.node.describe(), r.describe(row.node)
    parts = (Code(r.short[row.path]), ": ", Code(symbolic))
    if numeric != symbolic:
        parts += (", here ", Code(numeric))
    return Para(parts, wrap=False)


def _leaf_chain(r: Reader, row: Row):
    node, spec = row.node, r.spec
    label = r.ref(row)
    raw, free = sympy.sympify(node.params()), spec.formula(node)
    sides: list = []
    if sympy.srepr(raw) != sympy.srepr(free):
        sides.append(raw)
    sides.append(free)
    if isinstance(node, Linear) and not node.tied:
        d_in, d_out = (Integer(spec.value(sympy.sympify(x))) for x in (node.d_in, node.d_out))
        product = sympy.Mul(d_in, d_out, evaluate=False)
        if node.bias:
            product = sympy.Add(product, d_out, evaluate=False)
        sides.append(Form(product, keep_order=True))
        return r.chain(label, *sides)
    if isinstance(node, Embedding):
        rows_, dim = (Integer(spec.value(sympy.sympify(x))) for x in (node.rows, node.dim))
        sides.append(Form(sympy.Mul(rows_, dim, evaluate=False), keep_order=True))
        return r.chain(label, *sides)
    return r.chain(label, *sides, substitute=free if free.free_symbols else None)


def _sum_form(r: Reader, row: Row, kids: list[Row], reading: str = "params") -> Expr:
    node = row.node
    if reading == "active" and isinstance(node, MoE):
        router = next(k for k in kids if k.node.name == node.router.name)
        experts = next(k for k in kids if isinstance(k.node, Repeat))
        expert = _children(r, experts)[0]
        return sympy.Add(_ref(r, router, reading), sympy.Mul(r.spec.substitute(node.top_k), _ref(r, expert, reading),
                                                             evaluate=False), evaluate=False)
    refs = [_ref(r, k, reading) for k in kids]
    total = sympy.Add(*refs, evaluate=False) if len(refs) > 1 else refs[0]
    times = r.spec.substitute(node.multiplier())
    return total if times == 1 else sympy.Mul(times, total, evaluate=False)


def _differs(r: Reader, row: Row) -> bool:
    return r.spec.count(row.node, "active") != row.count


def _ref(r: Reader, row: Row, reading: str) -> Symbol:
    return r.ref(row, "active" if reading == "active" and _differs(r, row) else "params")


def _composite_chains(r: Reader, row: Row, kids: list[Row]) -> list:
    form = _sum_form(r, row, kids)
    out = [r.chain(r.ref(row), Form(form, keep_order=True), r.spec.formula(row.node),
                   substitute=Form(form, keep_order=True))]
    if _differs(r, row):
        active = _sum_form(r, row, kids, "active")
        out.append(r.chain(r.ref(row, "active"), Form(active, keep_order=True), r.spec.formula(row.node, "active"),
                           substitute=Form(active, keep_order=True)))
    return out


def _explain(r: Reader, row: Row, level: int) -> list[Block]:
    if row.is_leaf:
        return [_module(r, row), Chains((_leaf_chain(r, row),))]
    kids = _children(r, row)
    blocks: list[Block] = [_module(r, row)]
    if isinstance(row.node, Repeat) and len(kids) == 1 and not kids[0].is_leaf:
        inner = kids[0]
        blocks += _parts(r, inner, level)
        blocks.append(Para(("One ", Code(r.short[inner.path]), " adds up to:")))
        blocks.append(Chains(tuple(_composite_chains(r, inner, _children(r, inner)))))
        blocks.append(Para(("and there are ", Math(Form(r.spec.substitute(row.node.count))), " of them:")))
    else:
        blocks += _parts(r, row, level)
        blocks.append(Para(("Together:",)))
    blocks.append(Chains(tuple(_composite_chains(r, row, kids))))
    return blocks


def _parts(r: Reader, row: Row, level: int) -> list[Block]:
    blocks: list[Block] = []
    for kid in _children(r, row):
        if kid.is_leaf:
            blocks += _explain(r, kid, level)
        else:
            blocks.append(Heading(min(level, 6), r.short[kid.path]))
            blocks += _explain(r, kid, level + 1)
    return blocks


def steps(r: Reader) -> list[Block]:
    """The walk: one section per top-level component, in the order the model applies them."""
    blocks: list[Block] = [Heading(2, "Step by step")]
    for i, row in enumerate(r.breakdown.top(), 1):
        blocks.append(Heading(3, f"{i}. {r.short[row.path]}"))
        blocks += _explain(r, row, 4)
    return blocks


def total(r: Reader) -> list[Block]:
    """The whole model: the top-level components added up, in symbols and in numbers."""
    top = r.breakdown.top()
    form = sympy.Add(*(r.ref(row) for row in top), evaluate=False)
    chains = [r.chain(r.ref(), Form(form, keep_order=True), r.spec.closed_form, substitute=Form(form, keep_order=True))]
    if r.spec.active_total != r.spec.total:
        active = sympy.Add(*(_ref(r, row, "active") for row in top), evaluate=False)
        chains.append(r.chain(r.ref(None, "active"), Form(active, keep_order=True), r.spec.active_form,
                              substitute=Form(active, keep_order=True)))
    return [Heading(2, "Total"), Chains(tuple(chains))]
