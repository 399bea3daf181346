"""A model in, the whole derivation document out: the sections in the guide's order."""

from __future__ import annotations

from ..spec import Spec
from . import compare, compute, forms, practice, walk
from .context import Reader, Source
from .document import Document, Para, Part, Verbatim

__all__ = ["document"]


def _intro(spec: Spec, source: Source | None) -> list[Part]:
    again = (" Regenerate it with ", Verbatim(source.command), ".") if source is not None and source.command else ()
    return [
        Para(("Every formula and number below is computed by symparams from the module tree of ", Verbatim(spec.name),
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

    ``source`` (filled by whoever named the model) says how to write the document
    again and builds the family at other sizes, with the same ``--set`` values, for
    the size table and the practice problems.
    """
    r = Reader(spec)
    parts: list[Part] = []
    parts += _intro(spec, source)
    parts += walk.golden_rule(r)
    parts += walk.given(r)
    parts += walk.steps(r)
    parts += walk.total(r)
    parts += forms.closed_form(r)
    parts += forms.approximations(r)
    parts += compare.dominance(r)
    parts += compare.sizes(r, source)
    parts += compare.kv_variants(r)
    parts += compare.mixture(r)
    parts += compare.derivatives(r)
    parts += compute.sections(r)
    parts += compare.guide_insights(r)
    parts += practice.section(r, source)
    return Document(f"Parameters of {spec.name}, derived step by step", tuple(parts))
