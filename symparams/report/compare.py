"""Sections that read the model against others: shares, sizes, GQA/MQA, derivatives, insights.

Each comparison builds the other model (a depth of the family, a preset, the same
model with H_kv = 1) and reads it; chains that compare two models name the second
one with its values (``N[attn]{H_kv=1}``).
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Sequence

import sympy
from sympy import Expr

from .. import insights
from ..analysis import crossover, no_sure_root, sensitivity
from ..breakdown import Row
from ..components.tower import Tower
from ..errors import SymparamsError
from ..factoring import factor as factored
from ..families import FAMILIES
from ..spec import Spec
from ..symbols import D, H_kv, L, V
from .context import Reader, Source, source_of
from .document import Bars, Chains, Heading, Inline, Math, Para, Part, Rounded, Table, Values, Verbatim
from .forms import _general, difference
from .math import Form, form_latex, named

__all__ = ["GUIDE_DEPTHS", "dominance", "sizes", "size_rows", "kv_variants", "derivatives", "mixture", "routed_layer",
           "untouched", "code_list", "insights_section", "ratio", "first_layer", "key_ratios"]

# The guide's size table (d4, d12, d20, d26, d32) and its practice problem (d8).
GUIDE_DEPTHS = (4, 8, 12, 20, 26, 32)


def ratio(a: Expr, b: Expr) -> Expr:
    """``a/b`` as written."""
    return sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False)


def first_layer(r: Reader, group: str) -> Row | None:
    """The first layer of ``group`` (a node with parts: the attention, the MLP or mixture of experts)."""
    return next((row for row in r.breakdown.rows if row.node.group == group and not row.is_leaf), None)


def routed_layer(r: Reader) -> Row | None:
    """The first layer that routes tokens: a node whose parts a token does not all pass through once."""
    return next((x for x in r.breakdown.rows if not x.is_leaf and x.node.group == "mlp"
                 and x.node.token_children() != tuple((1, c) for c in x.node.children())), None)


def untouched(r: Reader) -> list[Row]:
    """The top-level parts a token of text never passes through (a vision tower, its projector): in N, not in A."""
    return [x for x in r.breakdown.top() if r.spec.formula(x.node, "active") == 0 and r.spec.formula(x.node) != 0]


def _symbols(spec: Spec) -> set[str]:
    return {s.name for s in spec.symbols} | {s.name for s, _ in spec.relations}


def _blocks(spec: Spec) -> str:
    """What the layers' rows are called: a model with towers beside its decoder (a vision encoder, which repeats
    blocks of its own) says whose they are."""
    return "the decoder's repeated blocks" if any(isinstance(c, Tower) for c in spec.tree.children()) \
        else "the repeated blocks"


def dominance(r: Reader) -> list[Part]:
    spec, bd = r.spec, r.breakdown
    n = r.ref()
    blocks: list[Part] = [Heading(2, "What dominates")]
    layers = insights.layer_rows(bd)
    if layers:
        inside = sympy.Add(*(r.ref(x) for x in layers), evaluate=False) if len(layers) > 1 else r.ref(layers[0])
        outside = [r.short[x.path] for x in bd.top() if x not in layers]
        blocks.append(Para((_blocks(spec)[0].upper() + _blocks(spec)[1:], " against everything outside them (",
                            ", ".join(outside), "):")))
        blocks.append(Chains((
            r.chain(ratio(inside, n), substitute=Form(ratio(inside, n), keep_order=True), style="percent"),
            r.chain(difference(1, ratio(inside, n)), substitute=Form(difference(1, ratio(inside, n)), keep_order=True),
                    style="percent"),
        )))
    groups = sorted(((g, c) for g, c in bd.groups().items() if c), key=lambda gc: -gc[1])
    blocks.append(Bars("Parameters by kind of layer", tuple((g, c, Fraction(c, spec.total)) for g, c in groups)))
    blocks += _crossover(r)
    return blocks


def key_ratios(r: Reader) -> list[Part]:
    """The few ratios a paper quotes: the blocks' share, MLP against attention, and active against stored."""
    spec, n = r.spec, r.ref()
    chains = []
    layers = insights.layer_rows(r.breakdown)
    if layers:
        inside = sympy.Add(*(r.ref(x) for x in layers), evaluate=False) if len(layers) > 1 else r.ref(layers[0])
        chains.append(r.chain(ratio(inside, n), substitute=Form(ratio(inside, n), keep_order=True), style="percent"))
    attn, mlp = first_layer(r, "attention"), first_layer(r, "mlp")
    if attn is not None and mlp is not None:
        fact = insights.mlp_to_attention(spec)
        lab = ratio(r.ref(mlp), r.ref(attn))
        chains.append(r.chain(lab, fact.formula, substitute=Form(lab, keep_order=True), style="number"))
    if spec.active_total != spec.total:
        a = r.ref(None, "active")
        chains.append(r.chain(ratio(a, n), substitute=Form(ratio(a, n), keep_order=True), style="percent"))
    if not chains:
        return []
    said = [w for w, on in ((f"the share of {_blocks(spec)}", bool(layers)),
                            ("the MLP against attention in one block", attn is not None and mlp is not None),
                            ("the share of the weights one token uses", spec.active_total != spec.total)) if on]
    listed = said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]
    return [Heading(2, "Key ratios"), Para((listed[0].upper() + listed[1:] + ":",)), Chains(tuple(chains))]


def _crossover(r: Reader) -> list[Part]:
    """The width at which the parts outside the blocks weigh as much as the blocks."""
    form = sympy.expand(r.spec.closed_form)
    if D not in form.free_symbols or L not in form.free_symbols:
        return []
    terms = sympy.Add.make_args(form)
    outside = sympy.Add(*(t for t in terms if not t.has(L)))
    inside = sympy.Add(*(t for t in terms if t.has(L)))
    if no_sure_root(outside, inside, D):
        return []
    try:
        roots = [x for x in crossover(outside, inside, D) if x.is_positive]
    except (NotImplementedError, SymparamsError):
        return []
    if len(roots) != 1 or not roots[0].free_symbols <= set(r.spec.env):
        return []
    root = factored(roots[0])
    label = named("D_eq", r"D_{\text{eq}}")
    return [
        Para(("Setting the parts outside the blocks, ", Math(Form(factored(outside))), ", equal to the blocks, ",
              Math(Form(factored(inside))), ", and solving for D gives the width at which the two weigh the same; "
              "wider models are dominated by their blocks:",)),
        Chains((r.chain(label, root, substitute=root, style="number"),)),
    ]


def size_rows(spec: Spec, source: Source | None) -> tuple[str, list[tuple[str, Spec | str]]]:
    """The models of the size table: (title, [(label, spec or why it is refused)]).

    A family sized by depth is built along its ladder (the guide's depths and this
    model's); any other model is shown beside the relatives its caller named.
    """
    source = source_of(spec, source)
    if source.ladder is not None:
        depths = sorted(set(GUIDE_DEPTHS) | ({source.depth} if source.depth else set()))
        out: list[tuple[str, Spec | str]] = []
        for d in depths:
            try:
                s = source.ladder(d)
                s.total  # noqa: B018
                out.append((f"d{d}", s))
            except SymparamsError as err:
                out.append((f"d{d}", str(err)))
        return f"{spec.family} by depth", out
    presets = sorted(source.relatives, key=lambda item: item[1].total)
    rows: list[tuple[str, Spec | str]] = list(presets)
    return f"{spec.family} presets", rows


def sizes(r: Reader, source: Source | None) -> list[Part]:
    title, rows = size_rows(r.spec, source)
    if not rows:
        return []
    names = ("L", "D", "H", "H_kv", "V")
    cols = [n for n in names if any(isinstance(s, Spec) and _has(s, n) for _, s in rows)]
    moe = any(isinstance(s, Spec) and s.active_total != s.total for _, s in rows)
    header = ("model", *cols, "parameters", "rounded") + (("active", "rounded active") if moe else ())
    table: list[tuple[object, ...]] = []
    for label, s in rows:
        if not isinstance(s, Spec):
            table.append((label, *(["-"] * len(cols)), "refused", s) + (("-", "-") if moe else ()))
            continue
        vals = tuple(int(s.env[_sym(n)]) if _has(s, n) else "" for n in cols)
        extra = (s.active_total, Rounded(s.active_total)) if moe else ()
        table.append((label, *vals, s.total, Rounded(s.total)) + extra)
    return [
        Heading(2, "Sizes across the family"),
        Para(("Each row is a model built and counted exactly; the formula is the same closed form at other sizes.",)),
        Table("sizes", title, header, tuple(table), "l" + "r" * (len(header) - 1)),
    ]


def _sym(name: str):
    from ..symbols import symbol

    return symbol(name)


def _has(spec: Spec, name: str) -> bool:
    return _sym(name) in spec.env


# At most this many rows in the key/value-head table; more divisors are thinned out.
KV_ROWS = 24


def kv_choices(heads: int, here: int) -> list[int]:
    """The numbers of key/value heads to tabulate: the divisors of H, thinned to :data:`KV_ROWS`.

    Divisors are found by trial up to sqrt(H), so only for H up to 10^12; a larger H
    (a hypothetical ``--set H=2^60``) shows MQA, this model and MHA. 1, this model's
    count and H are always kept.
    """
    if heads > 10**12:
        return sorted({1, here, heads})
    small = [d for d in range(1, isqrt(heads) + 1) if heads % d == 0]
    found = sorted(set(small) | {heads // d for d in small})
    if len(found) <= KV_ROWS:
        return found
    step = (len(found) - 1) / (KV_ROWS - 1)
    return sorted({found[round(i * step)] for i in range(KV_ROWS)} | {1, here, heads})


def kv_variants(r: Reader) -> list[Part]:
    """The model with every valid number of key/value heads: MHA, GQA, MQA."""
    spec = r.spec
    attn = first_layer(r, "attention")
    if attn is None or "H_kv" not in _symbols(spec) or "H" not in _symbols(spec):
        return []
    heads = int(spec.env[_sym("H")])
    here = int(spec.env[H_kv])
    blocks: list[Part] = [
        Heading(2, "Grouped-query and multi-query attention"),
        Para(("Q and the output projection keep H heads; K and V shrink to ", Math(Form(H_kv)),
              " heads, so only they change:",)),
    ]
    general = _general(spec)
    if general is not None:
        blocks.append(Chains((r.chain(r.ref(attn), general.formula(attn.node), substitute=general.formula(attn.node)),)))
    rows: list[tuple[object, ...]] = []
    for n in kv_choices(heads, here):
        kv = insights.kv_heads(spec, n)
        kind = "MHA" if n == heads else ("MQA" if n == 1 else "GQA")
        if n == here:
            kind += " (this model)"
        if kv.variant.ok:
            rows.append((n, kind, kv.attention, kv.saving, kv.total, Rounded(kv.total)))
        else:
            rows.append((n, kind, "-", "-", "refused", kv.variant.refused))
    blocks.append(Table("kv-heads", "Attention per block and total by key/value heads",
                        ("H_kv", "kind", "attention/block", "saved vs this model", "total", "rounded"),
                        tuple(rows), "rlrrrr"))
    beside = _beside(r, attn)
    if beside:
        names = ", ".join(f"{r.short[row.path]} ({row.count:,})" for row in beside)
        blocks.append(Para((f"The table's attention per block also holds {names}, which the key/value heads "
                            f"do not change; the lines below work out {r.short[attn.path]} alone.",)))
    if here != 1 and insights.kv_heads(spec, 1).variant.ok:
        blocks.append(Para(("Multi-query attention (one key/value head) worked out:",)))
        blocks.append(Chains(_kv_chains(r, attn, 1)))
    return blocks


def _beside(r: Reader, attn: Row) -> list[Row]:
    """Attention leaves of ``attn``'s block outside ``attn`` itself (attention sinks): the table counts them too."""
    block = attn.path.rpartition(".")[0]
    return [row for row in r.breakdown.rows if row.is_leaf and row.node.group == "attention"
            and row.path.startswith(block + ".") and not row.path.startswith(attn.path + ".")
            and row.path.count(".") == attn.path.count(".")]


def _kv_chains(r: Reader, attn: Row, n: int) -> tuple:
    other = r.variant(H_kv=n)
    general = _general(other.spec)
    form = general.formula(attn.node) if general is not None else other.spec.formula(attn.node)
    a, base = other.ref(attn), r.ref(attn)
    saving = difference(1, ratio(a, base))
    return (
        other.chain(a, form, substitute=form),
        r.chain(saving, substitute=Form(saving, keep_order=True), style="percent"),
        other.chain(other.ref(), other.spec.closed_form, substitute=other.spec.closed_form),
    )


_DERIVATIVE = named("∂N/∂x", r"\partial N / \partial x")
_ELASTICITY = named("ε_x", r"\varepsilon_x")


def derivatives(r: Reader) -> list[Part]:
    """dN/dx and the elasticity (x/N) dN/dx for every symbol of the closed form."""
    chains, skipped = [], []
    for s in sensitivity(r.spec):
        x = s.symbol
        if not (s.derivative_value.is_Rational and s.elasticity_value.is_Rational):
            skipped.append(x)
            continue
        latex_x = form_latex(x)
        d = named(f"∂N/∂{x.name}", r"\frac{\partial N}{\partial " + latex_x + "}")
        el = named(f"ε_{x.name}", r"\varepsilon_{" + latex_x + "}")
        chains.append(r.chain(d, s.derivative, substitute=s.derivative, style="number"))
        chains.append(r.chain(el, s.elasticity, style="number"))
    blocks: list[Part] = [
        Heading(2, "Derivatives and elasticities"),
        Para(("How the total moves with each size x: the derivative ", Math(Form(_DERIVATIVE)), ", and the "
              "elasticity ", Math(Form(_ELASTICITY)), ", which is x/N times the derivative: the percent change of "
              "N per percent of x. The largest elasticity is the knob that matters most.",)),
        Chains(tuple(chains)),
    ]
    if skipped:
        blocks.append(Para(("Not differentiable here (a size enters through a rounding such as ceiling): ",
                            *_joined([Math(Form(x)) for x in skipped]), ".")))
    return blocks


def code_list(names: Sequence[str]) -> list[Inline]:
    """``a``, ``a and b``, ``a, b and c``, each set as code."""
    out: list[Inline] = []
    for i, name in enumerate(names):
        out += ([", " if i < len(names) - 1 else " and "] if i else []) + [Verbatim(name)]
    return out


def _joined(parts: Sequence[Inline]) -> list[Inline]:
    out: list[Inline] = []
    for i, p in enumerate(parts):
        out += ([", "] if i else []) + [p]
    return out


def mixture(r: Reader) -> list[Part]:
    """Total against active parameters, for models whose tokens use only some experts."""
    spec = r.spec
    if spec.active_total == spec.total:
        return []
    a, n = r.ref(None, "active"), r.ref()
    outside = [r.short[x.path] for x in untouched(r)]
    they = "it is" if len(outside) == 1 else "they are"
    beside: list[Inline] = ([" A token of text never passes through ", *code_list(outside),
                             f" either: {they} stored, in N, and run once per image."] if outside else [])
    words: list[Inline]
    if spec.active_total > spec.total:  # weights applied at several layers, no experts skipped
        title, words = "Shared weights: stored and applied", [
            "Some weights are stored once and applied at several layers: the parameters A a token passes "
            "through, what its compute scales with, exceed the N stored.", *beside]
    elif routed_layer(r) is not None:
        title, words = "Mixture of experts: total and active", [
            "Every expert is stored, but each token passes through only the top k of the E experts "
            "(and the router): the active parameters A are what a token's compute scales with.", *beside]
    elif outside:
        title, words = "Parameters a token passes through", [
            "A token of text never passes through ", *code_list(outside), f": {they} stored, in N, and run once per "
            "image. The active parameters A, what a token's compute scales with, are the rest."]
    else:
        title, words = "Parameters a token passes through", [
            "A token passes through only some of the stored parameters: the active parameters A are what its "
            "compute scales with."]
    return [
        Heading(2, title),
        Para(tuple(words)),
        Chains((
            r.chain(a, spec.active_form, substitute=spec.active_form),
            r.chain(n, spec.closed_form, substitute=spec.closed_form),
            r.chain(ratio(a, n), substitute=Form(ratio(a, n), keep_order=True), style="percent"),
        )),
    ]


def _guided(spec: Spec) -> bool:
    """Whether the model is the hand-worked guide's (nanochat), whose document may speak of the guide."""
    fam = FAMILIES.of(spec)
    return fam is not None and fam.guide


def _following(spec: Spec, v: insights.Variant) -> list[Inline]:
    """The sizes defined by relations that a variant moves with it (d_h = D/H when D doubles), as prose."""
    if not v.ok or v.spec is None:
        return []
    moved = [(s, rel) for s, rel in spec.relations if s in spec.env and v.spec.env.get(s) != spec.env[s]]
    out: list[Inline] = []
    for i, (s, rel) in enumerate(moved):
        out += ["; " if i == 0 else (", " if i < len(moved) - 1 else " and "), Math(Form(s)), " = ", Math(Form(rel))]
    return out + ([" follows it" if len(moved) == 1 else " follow it"] if moved else [])


def insights_section(r: Reader) -> list[Part]:
    """What changes would do (more layers, fewer key/value heads, ...), each computed on the variant it speaks of.

    The variations are the hand-worked guide's; only the guide's own model's document says so.
    """
    spec = r.spec
    guided = _guided(spec)
    blocks: list[Part] = [Heading(2, "Insights, computed")]
    names = _symbols(spec)
    attn, mlp = first_layer(r, "attention"), first_layer(r, "mlp")
    layers = insights.layer_rows(r.breakdown)
    if attn is not None and mlp is not None:
        fact = insights.mlp_to_attention(spec)
        lab = ratio(r.ref(mlp), r.ref(attn))
        blocks += [Heading(3, "MLP against attention"),
                   Para(("Parameters of the MLP over those of attention, per block:",)),
                   Chains((r.chain(lab, fact.formula, substitute=Form(lab, keep_order=True), style="number"),))]
    embeddings = [row for row in r.breakdown.top() if row.node.group == "embedding"]
    for sym, title in (("L", "Doubling the depth"), ("D", "Doubling the width")):
        if sym not in names:
            continue
        where = insights.doubled(spec, sym)
        v = insights.variant(spec, **where)
        mix = " (each kind of layer doubled, so the mix stays)" if len(where) > 1 else ""
        blocks += [Heading(3, title), Para(("The same model with ", Values(tuple(where.items())), mix, ", every other "
                                            "free symbol held", *_following(spec, v), ":"))]
        if not v.ok:
            blocks.append(Para(("Refused: ", v.refused, ".")))
            continue
        other = r.variant(**where)
        chains = []
        for row in embeddings + list(layers):
            lab = ratio(other.ref(row), r.ref(row))
            chains.append(r.chain(lab, substitute=Form(lab, keep_order=True), style="number"))
        if layers:
            block = _block_row(r, layers[0])
            lab = ratio(other.ref(block), r.ref(block))
            chains.append(r.chain(lab, substitute=Form(lab, keep_order=True), style="number"))
        lab = ratio(other.ref(), r.ref())
        chains.append(r.chain(lab, substitute=Form(lab, keep_order=True), style="number"))
        blocks.append(Chains(tuple(chains)))
    if attn is not None and "H_kv" in names:
        blocks += [Heading(3, "Fewer key/value heads"),
                   Para(("The guide's grouped-query variants, and multi-query attention:" if guided else
                         "Grouped-query variants with fewer key/value heads, and multi-query attention:",))]
        for n in sorted({1, *insights.GUIDE_KV_HEADS}):
            kv = insights.kv_heads(spec, n)
            if not kv.variant.ok:
                blocks.append(Para((Values((("H_kv", n),)), " is refused: ", kv.variant.refused, ".")))
                continue
            blocks.append(Chains(_kv_chains(r, attn, n)))
    if "e" in names and mlp is not None:
        blocks += [Heading(3, "Other MLP expansions"),
                   Para(("The MLP grows linearly with e; attention and embeddings do not move:",))]
        chains = []
        for e in insights.GUIDE_EXPANSIONS:
            if not insights.variant(spec, e=e).ok:
                continue
            other = r.variant(e=e)
            chains.append(other.chain(other.ref(mlp), other.spec.formula(mlp.node),
                                      substitute=other.spec.formula(mlp.node)))
            chains.append(other.chain(other.ref(), other.spec.closed_form, substitute=other.spec.closed_form))
        blocks.append(Chains(tuple(chains)))
    if "V" in names and layers:
        holding = [x for x in r.breakdown.top() if V in r.spec.formula(x.node).free_symbols]
        linear = all(sympy.degree(r.spec.formula(x.node), V) == 1 for x in holding)
        still = not any(V in r.spec.formula(x.node).free_symbols for x in layers)
        grow = ("grows" if len(holding) == 1 else "grow") + (" linearly" if linear else "") + " with V"
        blocks += [Heading(3, "Other vocabularies"),
                   Para((*code_list([r.short[x.path] for x in holding]), f" {grow}", ", the blocks not at all" if still
                         else "", "; the share outside the blocks for " +
                         ("the guide's vocabularies:" if guided else "other common vocabularies:"),))]
        chains = []
        for vocab in insights.GUIDE_VOCABS:
            if not insights.variant(spec, V=vocab).ok:
                continue
            other = r.variant(V=vocab)
            n = other.ref()
            inside = (sympy.Add(*(other.ref(x) for x in layers), evaluate=False) if len(layers) > 1
                      else other.ref(layers[0]))
            share = difference(1, ratio(inside, n))
            chains.append(other.chain(n, substitute=other.spec.closed_form))
            chains.append(other.chain(share, substitute=Form(share, keep_order=True), style="percent"))
        blocks.append(Chains(tuple(chains)))
    blocks += _biases(r)
    return blocks


def _block_row(r: Reader, layers: Row) -> Row:
    prefix = layers.path + "."
    return next(x for x in r.breakdown.rows if x.depth == layers.depth + 1 and x.path.startswith(prefix))


def _in_blocks(r: Reader, path: str) -> str:
    """The short name of a layer given by its path inside a block, in the first stack of blocks that has it."""
    return next(r.short[f"{b.path}.{path}"] for b in insights.layer_rows(r.breakdown) if f"{b.path}.{path}" in r.short)


def _biases(r: Reader) -> list[Part]:
    spec = r.spec
    try:
        cost = insights.bias_cost(spec)
    except SymparamsError:
        return []
    blocks: list[Part] = [Heading(3, "What biases would cost")]
    if cost.exact == 0:
        return blocks + [Para(("Every linear layer in the blocks already has a bias.",))]
    exact = named("N_bias", r"N_{\text{bias}}")
    shortcut = named("N_shortcut", r"N_{\text{shortcut}}")
    blocks.append(Para((
        "Adding a bias to every linear layer of every block (the model rebuilt with biases, minus the model) "
        "against ", Math(Form(shortcut)), ", the ", "guide's" if _guided(spec) else "common",
        " shortcut of D per linear layer:",
    )))
    blocks.append(Chains((
        r.chain(exact, cost.exact_formula, substitute=cost.exact_formula),
        r.chain(shortcut, cost.shortcut_formula, substitute=cost.shortcut_formula),
        r.chain(difference(exact, shortcut), substitute=Form(difference(exact, shortcut), keep_order=True)),
    )))
    if cost.wider:
        blocks.append(Para(("A bias has one entry per output, and these layers have more or fewer than D outputs, "
                            "which the shortcut misses:",)))
        chains = []
        for path, form, _ in cost.wider:
            path = _in_blocks(r, path)
            label = named(f"out[{path}]", r"d_{\text{out}}(\mathrm{" + path.replace("_", r"\_") + "})")
            chains.append(r.chain(label, form, substitute=form, style="number"))
        blocks.append(Chains(tuple(chains)))
    if cost.biased or cost.bare:
        def names(paths: Sequence[str]) -> list[Inline]:
            codes: list[Inline] = [Verbatim(_in_blocks(r, p)) for p in paths]
            return _joined(codes[:-1]) + [" and "] + codes[-1:] if len(codes) > 1 else codes

        said: list[Inline] = []
        if cost.biased:
            said += [*names(cost.biased), " already " + ("have" if len(cost.biased) > 1 else "has") + " a bias"]
        if cost.bare:
            said += [", and the" if cost.biased else "The", " model rebuilt with biases leaves ", *names(cost.bare),
                     " without one"]
        each = "each" if len(cost.biased) + len(cost.bare) > 1 else "it"
        blocks.append(Para((*said, f": the shortcut counts D for {each}, yet adding a bias there costs nothing.")))
    return blocks

