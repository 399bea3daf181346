"""A model in, the derivation document out: named sections in the guide's order, all or some.

:data:`SECTIONS` lists every section a document can hold, by the name ``derive
--sections`` takes; :data:`FULL` is the whole derivation and :data:`BRIEF` the short
one (``derive --brief``) for pasting into a paper: the model's sizes, the closed
form, the table of components, the total and the key ratios.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from ..config import short
from ..errors import SymparamsError
from ..spec import Spec
from . import compare, compute, forms, notable, practice, walk
from .context import Reader, Source
from .document import Bullets, Document, Para, Part, Verbatim

__all__ = ["document", "SECTIONS", "FULL", "BRIEF", "sections"]


def _intro(r: Reader, source: Source | None) -> list[Part]:
    again = (" Regenerate it with ", Verbatim(source.command), ".") if source is not None and source.command else ()
    return [
        Para(("Every formula and number below is computed by symparams from the module tree of ", Verbatim(r.spec.name),
              ": formulas are readings of the tree, numbers are those formulas evaluated exactly. "
              "None is typed by hand.", *again)),
        Para(("Notation: N[x] is the number of parameters of component x (one copy of it), N of the whole model; "
              "A is the same for the parameters one token passes through. N[x]{S=v} reads the same model with "
              "symbol S set to v (a chain that starts with it is worked at those values), and a line \"At S=v:\" "
              "sets them for what follows, up to the next heading. "
              "Figures after ≈ are rounded; all others are exact.",)),
    ]


def _config_notes(r: Reader) -> list[Part]:
    """What reading the config noted: a default taken, a model transformers builds but cannot run, what it does not
    build and so is not counted (DeepSeek-V3's multi-token-prediction layers). A reader comparing the total with a
    model card needs these next to the sizes."""
    if not r.spec.notes:
        return []
    return [Para(("Noted while reading the config:",)), Bullets(tuple((note + ".",) for note in r.spec.notes))]


Section = Callable[[Reader, "Source | None"], list[Part]]

# name -> (what it holds, how to write it), in the order a document gives them.
SECTIONS: dict[str, tuple[str, Section]] = {
    "intro": ("what the document is and how to read it", _intro),
    "rule": ("the golden rule: one formula per kind of leaf", lambda r, s: walk.golden_rule(r)),
    "sizes": ("the model's sizes and the sizes that follow from them", lambda r, s: walk.given(r) + _config_notes(r)),
    "notable": ("what sets this model apart, read from its tree", lambda r, s: notable.section(r)),
    "steps": ("the tree walked component by component", lambda r, s: walk.steps(r)),
    "breakdown": ("every component in one table", lambda r, s: walk.table(r)),
    "total": ("the total, added up", lambda r, s: walk.total(r)),
    "closed-form": ("the total as one formula, expanded and factored", lambda r, s: forms.closed_form(r)),
    "approximations": ("quick approximations and their errors", lambda r, s: forms.approximations(r)),
    "ratios": ("the key ratios", lambda r, s: compare.key_ratios(r)),
    "dominance": ("what dominates, with a chart of shares", lambda r, s: compare.dominance(r)),
    "family": ("the same formula at the family's other sizes", compare.sizes),
    "kv-heads": ("grouped-query and multi-query attention", lambda r, s: compare.kv_variants(r)),
    "experts": ("total against active parameters: experts, shared weights, parts a token never passes through",
                lambda r, s: compare.mixture(r)),
    "derivatives": ("derivatives and elasticities", lambda r, s: compare.derivatives(r)),
    "flops": ("training FLOPs per token under each convention", lambda r, s: compute.flops(r)),
    "memory": ("memory for inference and training", lambda r, s: compute.memory(r)),
    "insights": ("what changes would do, computed", lambda r, s: compare.insights_section(r)),
    "practice": ("practice problems with worked solutions", practice.section),
}

FULL = ("intro", "rule", "sizes", "notable", "steps", "total", "closed-form", "approximations", "dominance", "family",
        "kv-heads", "experts", "derivatives", "flops", "memory", "insights", "practice")
BRIEF = ("intro", "sizes", "closed-form", "breakdown", "total", "ratios")


def sections(names: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Section names from ``a,b,c`` (or a sequence), checked against :data:`SECTIONS`, in document order."""
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else [n.strip() for n in names]
    wanted = [n for n in wanted if n]
    bad = [n for n in wanted if n not in SECTIONS]
    if bad or not wanted:
        shown = ", ".join(short(b) for b in bad[:3]) + (", ..." if len(bad) > 3 else "")
        what = f"unknown section {shown}" if bad else "--sections names no section"
        raise SymparamsError(f"{what} (known: {', '.join(SECTIONS)})")
    return tuple(n for n in SECTIONS if n in wanted)


# Documents already built, newest last: a document is a pure function of its model, source and
# sections, and takes seconds for a large model, so the same one asked for again (the .md and
# .tex of one model, a model derived in several formats) is built once. Bounded, oldest dropped.
_BUILT: OrderedDict[tuple, Document] = OrderedDict()
_KEEP = 32


def _key(spec: Spec, source: Source | None, parts: tuple[str, ...]) -> tuple:
    """Everything a document reads. Spec equality ignores context and notes, which documents print."""
    from_source = (None if source is None else
                   (source.command, source.depth, source.ladder is None, source.relatives))
    return (spec, spec.context, spec.notes, from_source, tuple(parts))


def document(spec: Spec, source: Source | None = None, parts: tuple[str, ...] = FULL) -> Document:
    """The derivation of ``spec``: the sections named in ``parts`` (all of :data:`FULL` by default).

    ``source`` (filled by whoever named the model) says how to write the document
    again and builds the family at other sizes, with the same ``--set`` values, for
    the size table and the practice problems.
    """
    try:
        key = _key(spec, source, parts)
        hash(key)
    except TypeError:  # an unhashable value somewhere in the model: build without keeping
        return _build(spec, source, parts)
    if key in _BUILT:
        _BUILT.move_to_end(key)
        return _BUILT[key]
    doc = _BUILT[key] = _build(spec, source, parts)
    while len(_BUILT) > _KEEP:
        _BUILT.popitem(last=False)
    return doc


def _build(spec: Spec, source: Source | None, parts: tuple[str, ...]) -> Document:
    r = Reader(spec)
    out: list[Part] = []
    for name in parts:
        out += SECTIONS[name][1](r, source)
    brief = tuple(parts) == BRIEF
    title = f"Parameters of {spec.name}, " + ("in brief" if brief else "derived step by step")
    return Document(title, tuple(out))
