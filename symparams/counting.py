"""A model's count as plain data: from the forms its shape keeps, or from its tree.

What ``symparams count`` prints of a model is a :class:`~symparams.shapes.Counted`: the
JSON object and what the text table adds. A name whose family reads it to plain data
(a preset or a config.json on disk) is counted from the forms kept for its shape, without
building a tree or importing SymPy, once any config of that shape was counted (the
package ships its presets' shapes); any other name, and any config the forms cannot
vouch for, is counted from its tree, whose count then keeps its shape's forms.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import SymparamsError

if TYPE_CHECKING:
    from .catalog import Located
    from .config import Config
    from .families.registry import Family, Reading
    from .shapes import Counted

__all__ = ["count", "counted", "report", "non_embedding", "groups", "learned_note", "read", "named", "Named", "from_forms",
           "keep", "shape_forms"]

# Groups in the order the tree's leaves declare them (components.GROUPS), listed in JSON.
EMBEDDING_GROUPS = ("embedding", "head")


def count(model: str | os.PathLike[str]) -> dict:
    """What ``symparams count MODEL --json`` prints: the exact total, formula, groups and every component.

    ``model`` is a preset, family or config.json path, as for :func:`symparams.model`. A
    config of a shape already counted (every preset's shape ships with the package) is
    read, checked and counted from that shape's forms with no tree built and no SymPy
    imported, so counting many configs costs little more than reading them. Its file is
    read once, whichever way it is counted.

    >>> import symparams
    >>> symparams.count("llama-2-7b")["total"]
    6738415616
    """
    name = os.fspath(model) if isinstance(model, os.PathLike) else model
    found = named(name)
    counted_from = from_forms(found) if found is not None else None
    if counted_from is None:
        from .catalog import resolve

        spec = resolve(name, None, {}, found.where if found is not None else None)  # type: ignore[arg-type]
        counted_from = counted(spec)
        if found is not None:
            keep(found, spec, counted_from)
    return counted_from.report


def non_embedding(spec) -> tuple[int, object]:
    """(count, closed form) of the parameters outside the embedding tables and the LM head.

    The form is the closed form less every embedding and head leaf's formula times its
    copies; the count is the same sum evaluated, checked against the groups' totals.
    """
    import sympy

    bd = spec.breakdown()
    outside = sum((r.formula * r.copies_formula for r in bd.rows if r.is_leaf and r.node.group in EMBEDDING_GROUPS),
                  sympy.Integer(0))
    form = _without(spec.closed_form, outside)
    groups = bd.groups()
    count = spec.total - sum(groups.get(g, 0) for g in EMBEDDING_GROUPS)
    if int(spec.value(form)) != count:  # pragma: no cover - the tree's forms and counts always agree
        raise SymparamsError(f"{spec.name}: the non-embedding form and count disagree")
    return count, form


@functools.lru_cache(maxsize=1024)
def _without(total, outside):
    """``total - outside`` expanded and its common factors taken out; kept, since models of one structure share it."""
    import sympy

    from .factoring import content_form

    found = content_form(total - outside)
    return sympy.factor_terms(sympy.expand(total - outside)) if found is None else found


def groups(spec) -> dict[str, int]:
    """Parameters per group (embedding, attention, mlp, norm, head, ...), in the tree's group order."""
    from .components import GROUPS

    found = spec.breakdown().groups()
    return {g: found[g] for g in sorted(found, key=lambda g: (GROUPS.index(g) if g in GROUPS else len(GROUPS), g))}


def _tree(spec, max_depth: int | None):
    """The breakdown, its rows cut below ``max_depth``."""
    bd = spec.breakdown()
    if max_depth is None:
        return bd
    return type(bd)(bd.spec, tuple(r for r in bd.rows if r.depth <= max_depth))


def _active(spec) -> int | None:
    """The parameters one token uses, or None where a learned family cannot say (which experts a token uses)."""
    from .families.learned import is_learned

    try:
        return spec.active_total
    except SymparamsError:
        if is_learned(spec):
            return None
        raise


def learned_note(spec) -> str | None:
    """The one line that says a model is counted by a learned family, or None for a hand-written one."""
    from .families.learned import learned_of

    family = learned_of(spec)
    if family is None:
        return None
    return (f"{family.model_type} is counted by a learned family (from the parameter shapes transformers "
            f"{family.transformers} builds): no KV cache, attention FLOPs or activations")


def report(spec, max_depth: int | None = None) -> dict:
    """The JSON object ``count --json`` prints."""
    from .spec import text

    count, form = non_embedding(spec)
    out = {
        "model": spec.name,
        "total": spec.total,
        "formula": text(spec.closed_form),
        "config": spec.int_values(),
        "derived": spec.derived_values(),
        "groups": groups(spec),
        "non_embedding": count,
        "non_embedding_formula": text(form),
        "components": _tree(spec, max_depth).to_json(),
    }
    if _active(spec) not in (None, spec.total):
        out["active"] = spec.active_total
        out["active_formula"] = text(spec.active_form)
        out["active_without_embeddings"] = spec.active_compute_total
        out["active_without_embeddings_formula"] = text(spec.active_compute_form)
    if learned_note(spec):
        out["family_source"] = "learned"
    if spec.notes:
        out["notes"] = list(spec.notes)
    return out


def counted(spec) -> "Counted":
    """What ``count`` prints of ``spec``, as plain data (every component, however deep)."""
    from .shapes import Counted

    rows = spec.breakdown().rows
    return Counted(report(spec), tuple(r.depth for r in rows), tuple(r.name for r in rows), spec.tree.describe())


@dataclass(frozen=True)
class Named:
    """A preset or a config on disk, read once: where its name led, and, where its family reads it to plain data, the
    config as read, the family and its :class:`~symparams.families.registry.Reading` (else None)."""

    where: Located
    plain: tuple[Config, Family, Reading] | None


def named(name: object) -> Named | None:
    """The preset or file ``name`` is, read once, for counting from kept forms or from its tree; else None.

    Only presets and names on disk: a Hub id, a depth-sized family or a name that needs a
    note is left to the tree, as is a file that cannot be read (the tree says why).
    """
    from .catalog import PRESET_PREFIX, depth_families, locate, preset_paths, shadowed

    if not isinstance(name, str) or name in depth_families() or shadowed(name):
        return None
    if not (name.startswith(PRESET_PREFIX) or name in preset_paths() or os.path.exists(name)):
        return None
    try:
        where = locate(name)
    except SymparamsError:
        return None
    return Named(where, _plain(where))


def _plain(where: Located) -> tuple[Config, Family, Reading] | None:
    from .families import FAMILIES

    try:
        cfg, fam = FAMILIES.config_for(where.data, where.source)
        return None if fam.read is None else (cfg, fam, fam.read(cfg))
    except SymparamsError:
        return None


def read(name: str) -> tuple[Located, Config, Family, Reading] | None:
    """(where, config, family, reading) of a model name a family can read to plain data, else None (see :func:`named`)."""
    found = named(name)
    return None if found is None or found.plain is None else (found.where, *found.plain)


def from_forms(found: Named) -> Counted | None:
    """The count of a name read by :func:`named` from the kept forms of its shape (symparams.shapes), or None."""
    from .cache import cache_dir
    from .families.registry import settle
    from .shapes import evaluate, kept_forms

    if found.plain is None or cache_dir() is None:
        return None
    cfg, fam, reading = found.plain
    kept = kept_forms(fam.name, reading.shape)
    if kept is None:
        return None
    result = evaluate(kept, reading, found.where.display)
    if result is None:
        return None
    values = {**result.report["config"], **result.report["derived"]}
    try:
        for inner in reading.inner:
            settle(inner.cfg, inner.family, values.get("d_h"), values.get("d_rope"))
        settle(cfg, fam, values.get("d_h"), values.get("d_rope"))
    except SymparamsError:
        return None
    return result


def keep(found: Named, spec, counted_as: Counted) -> None:
    """Keep the forms of ``spec``'s shape in the user's cache, when its family read the name to plain data."""
    from .cache import cache_dir, store_data
    from .shapes import key

    if found.plain is None or cache_dir() is None:
        return
    _, fam, reading = found.plain
    kept = shape_forms(reading, spec, counted_as)
    if kept is not None:
        store_data(key(fam.name, reading.shape), kept)


def shape_forms(reading: Reading, spec, found: Counted) -> dict | None:
    """The forms of ``spec``'s shape, built from the config read to ``reading`` and counted as ``found``; None where
    they do not give ``found`` back (symparams.shapes)."""
    from .shapes import forms
    from .spec import AtMost, Differs, Divides, EvenAbove

    kinds = {Divides: "divides", AtMost: "at_most", Differs: "differs"}
    rules = []
    for c in spec.constraints:
        if isinstance(c, EvenAbove):
            continue  # each config's own rotary head is checked as it is read (settle); this one's may not bind its sibling
        if type(c) in kinds:
            rules.append((kinds[type(c)], str(c.small), str(c.big)))  # type: ignore[attr-defined]
        else:
            return None
    rows = spec.breakdown().rows
    active = None if spec.active_form == spec.closed_form else (str(spec.active_form), str(spec.active_compute_form))
    return forms(found, [(s.name, str(r)) for s, r in spec.relations], rules, [str(r.copies_formula) for r in rows],
                 [r.is_leaf for r in rows], reading, active)
