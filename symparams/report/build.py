"""A model in, the whole derivation document out: the sections in the guide's order."""

from __future__ import annotations

from ..spec import Spec
from . import compare, compute, forms, practice, walk
from .context import Reader, Source
from .document import Block, Code, Document, Para

__all__ = ["document"]


def _intro(spec: Spec, source: Source | None) -> list[Block]:
    again = (" Regenerate it with ", Code(source.command()), ".") if source is not None else ()
    return [
        Para(("Every formula and number below is computed by symparams from the module tree of ", Code(spec.name),
              ": formulas are readings of the tree, numbers are those formulas evaluated exactly. "
              "None is typed by hand.", *again)),
        Para(("Notation: N[x] is the number of parameters of component x (one copy of it), N of the whole model; "
              "A is the same for the parameters one token passes through. N[x]{S=v} reads the same model with "
              "symbol S set to v (a chain that starts with it is worked at those values), and a line \"At S=v:\" "
              "sets them for what follows, up to the next heading. "
              "Figures after ≈ are rounded; all others are exact.",)),
    ]


def document(spec: Spec, source: Source | None = None) -> Document:
    """The derivation of ``spec``: its walk, closed forms, shares, comparisons and practice problems.

    ``source`` (how the model was named) lets the size table and the practice
    problems rebuild the same family, with the same ``--set`` values, at other sizes.
    """
    r = Reader(spec)
    blocks: list[Block] = []
    blocks += _intro(spec, source)
    blocks += walk.golden_rule(r)
    blocks += walk.given(r)
    blocks += walk.steps(r)
    blocks += walk.total(r)
    blocks += forms.closed_form(r)
    blocks += forms.approximations(r)
    blocks += compare.dominance(r)
    blocks += compare.sizes(r, source)
    blocks += compare.kv_variants(r)
    blocks += compare.mixture(r)
    blocks += compare.derivatives(r)
    blocks += compute.sections(r)
    blocks += compare.guide_insights(r)
    blocks += practice.section(r, source)
    return Document(f"Parameters of {spec.name}, derived step by step", tuple(blocks))
