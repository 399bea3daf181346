"""The closed form in its several shapes, and the quick approximations with their errors.

The guide's mental shortcut, Total ~ 2VD + 12LD^2, is not typed here: it is the
closed form of the plain transformer the guide sizes (nanochat's tree) at e = 4,
so it is derived from that tree and then evaluated at this model's V, D and L.
"""

from __future__ import annotations

import dataclasses

import sympy
from sympy import Expr

from ..factoring import factor as factored
from ..families import FAMILIES
from ..spec import Spec
from ..symbols import INFO, H_kv, d_h, e
from .context import Reader
from .document import Chains, Heading, Math, Para, Part
from .math import Form, named

__all__ = ["difference", "relative", "error_chains", "closed_form", "approximations", "rule_of_thumb", "leading_terms"]


def difference(a: Expr, b: Expr) -> Expr:
    """``a - b`` as written (SymPy would reorder it to ``-b + a``)."""
    return sympy.Add(a, sympy.Mul(-1, b, evaluate=False), evaluate=False)


def relative(a: Expr, b: Expr) -> Expr:
    """``(a - b)/b`` as written."""
    return sympy.Mul(difference(a, b), sympy.Pow(b, -1, evaluate=False), evaluate=False)


def error_chains(r: Reader, approx: Expr, exact: Expr) -> tuple:
    """The error of an approximation, absolute and relative."""
    return (
        r.chain(difference(approx, exact), substitute=Form(difference(approx, exact), keep_order=True)),
        r.chain(relative(approx, exact), substitute=Form(relative(approx, exact), keep_order=True), style="percent"),
    )


def _distinct(*exprs: Expr) -> list[Expr]:
    out: list[Expr] = []
    for x in exprs:
        if all(sympy.srepr(x) != sympy.srepr(y) for y in out):
            out.append(x)
    return out


def _general(spec: Spec) -> Spec | None:
    """The same model with H_kv and d_h kept as symbols (their relations turned into values)."""
    keep = {H_kv, d_h}
    rel = [(s, r) for s, r in spec.relations if s in keep]
    if not rel:
        return None
    values = spec.values + tuple((s, spec.env[s]) for s, _ in rel)
    relations = tuple((s, r) for s, r in spec.relations if s not in keep)
    return dataclasses.replace(spec, values=values, relations=relations)


def closed_form(r: Reader) -> list[Part]:
    spec = r.spec
    form = spec.closed_form
    shapes = _distinct(form, sympy.expand(form), r.factored)
    n = r.ref()
    blocks: list[Part] = [
        Heading(2, "Closed form"),
        Para(("The total as one formula in the free symbols, composed from the tree (derived sizes such as ",
              Math(Form(d_h)), " replaced by their definitions), then expanded and factored:",)),
        Chains((r.chain(n, *shapes, substitute=form),), numbered=True),
    ]
    general = _general(spec)
    if general is not None:
        g = general.closed_form
        if sympy.srepr(g) != sympy.srepr(form):
            blocks.append(Para(("Keeping ", Math(Form(H_kv)), " and ", Math(Form(d_h)),
                                " as symbols shows where grouped-query attention enters:",)))
            blocks.append(Chains((r.chain(n, g, substitute=g),)))
    return blocks


def rule_of_thumb() -> Expr:
    """2VD + 12LD^2: the closed form of the guide's plain transformer (nanochat's tree) at e = 4."""
    from ..families.nanochat import nanochat

    return sympy.expand(nanochat(1).closed_form.xreplace({e: 4}))


def leading_terms(form: Expr) -> Expr:
    """The terms of highest degree in the sizes: what the total tends to as every size grows.

    Degrees count widths, depth and vocabulary (D, d_h, F, L, V, P), not the counts of
    heads or experts nor a geometry every size of model keeps (an image's channels and
    patches, a kernel: ``Info.scales``), so 2*D*L*H*d_h is a cubic term like 12*L*D^2,
    and a patch embedding's C*D_vis*p^2 is linear in the sizes.
    """
    terms = sympy.Add.make_args(sympy.expand(form))
    top = max(_degree(t) for t in terms)
    return factored(sympy.Add(*(t for t in terms if _degree(t) == top)))


def _degree(x: Expr) -> int:
    """Total degree in the sizes; a function such as ceiling(L/2) counts as its argument."""
    if x.is_Number:
        return 0
    if x.is_Symbol:
        info = INFO.get(x.name)
        return 0 if info is not None and not info.scales else 1
    if x.is_Mul:
        return sum(_degree(a) for a in x.args)
    if x.is_Pow and x.exp.is_Integer:
        return _degree(x.base) * int(x.exp)
    return max((_degree(a) for a in x.args), default=0)


def approximations(r: Reader) -> list[Part]:
    spec = r.spec
    n = r.ref()
    blocks: list[Part] = [Heading(2, "Quick approximations")]
    rule = rule_of_thumb()
    attends = any(row.node.group == "attention" for row in r.breakdown.rows)
    if rule.free_symbols <= set(spec.env) and attends:  # a transformer's rule says nothing of a pure state-space model
        approx = named("N_rule", r"N_{\text{rule}}")
        fam = FAMILIES.of(spec)
        name = "The guide's shortcut " if fam is not None and fam.guide else "The rule of thumb "
        blocks.append(Para((
            name, Math(Form(rule)), " is the closed form of a plain transformer (multi-head "
            "attention, an MLP four times as wide as the model, no biases or norm weights). At this model's "
            "sizes it gives:",
        )))
        blocks.append(Chains((
            r.chain(approx, rule, substitute=rule),
            *error_chains(r, approx, n),
        )))
    lead = leading_terms(spec.closed_form)
    if sympy.srepr(lead) != sympy.srepr(r.factored):
        approx = named("N_lead", r"N_{\text{lead}}")
        blocks.append(Para((
            "Keeping only the terms of highest degree in the sizes (those that dominate as the model grows) "
            "gives ", Math(Form(lead)), ":",
        )))
        blocks.append(Chains((
            r.chain(approx, lead, substitute=lead),
            *error_chains(r, approx, n),
        )))
    return blocks
