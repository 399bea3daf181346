"""``count`` by a model's shape: a name read to plain data, and counted from its shape's kept forms.

A name whose family reads it to plain data (a preset or a file on disk) is counted from the
forms kept for its shape (:mod:`symparams.shapes`), without building a tree, once any
config of that shape was counted; the count of a new shape keeps its forms in the user's
cache. The package ships the forms of its presets' shapes (:mod:`.known_shapes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SymparamsError

if TYPE_CHECKING:
    from ..catalog import Located
    from ..config import Config
    from ..families.registry import Family, Reading
    from ..shapes import Counted

__all__ = ["read", "count", "keep", "shape_forms"]


def read(name: str) -> tuple[Located, Config, Family, Reading] | None:
    """(where, config, family, reading) of a model name a family can read to plain data, else None.

    Only presets and names on disk: a Hub id, a depth-sized family or a name that needs a
    note is left to the tree, as is anything the family refuses (the tree says why).
    """
    import os

    from ..catalog import PRESET_PREFIX, depth_families, locate, preset_paths, shadowed
    from ..families import FAMILIES

    if not isinstance(name, str) or name in depth_families() or shadowed(name):
        return None
    if not (name.startswith(PRESET_PREFIX) or name in preset_paths() or os.path.exists(name)):
        return None
    try:
        where = locate(name)
        cfg, fam = FAMILIES.config_for(where.data, where.source)
        if fam.read is None:
            return None
        return where, cfg, fam, fam.read(cfg)
    except SymparamsError:
        return None


def count(name: str) -> Counted | None:
    """The count of ``name`` from the kept forms of its shape (symparams.shapes), or None."""
    from ..cache import cache_dir
    from ..families.registry import settle
    from ..shapes import evaluate, kept_forms

    found = read(name) if cache_dir() is not None else None
    if found is None:
        return None
    where, cfg, fam, reading = found
    kept = kept_forms(fam.name, reading.shape)
    if kept is None:
        return None
    result = evaluate(kept, reading, where.display)
    if result is None:
        return None
    values = {**result.report["config"], **result.report["derived"]}
    try:
        settle(cfg, fam, values.get("d_h"))
    except SymparamsError:
        return None
    return result


def keep(name: str, spec, found: Counted) -> None:
    """Keep the forms of ``spec``'s shape in the user's cache, when its family reads ``name`` to plain data."""
    from ..cache import cache_dir, store_data
    from ..shapes import key

    named = read(name) if cache_dir() is not None else None
    if named is None:
        return
    _, _, fam, reading = named
    kept = shape_forms(reading, spec, found)
    if kept is not None:
        store_data(key(fam.name, reading.shape), kept)


def shape_forms(reading: Reading, spec, found: Counted) -> dict | None:
    """The forms of ``spec``'s shape, built from the config read to ``reading`` and counted as ``found``; None where
    they do not give ``found`` back (symparams.shapes)."""
    from ..shapes import forms
    from ..spec import AtMost, Divides

    rules = []
    for c in spec.constraints:
        if type(c) not in (Divides, AtMost):
            return None
        rules.append(("divides" if type(c) is Divides else "at_most", str(c.small), str(c.big)))
    rows = spec.breakdown().rows
    active = None if spec.active_form == spec.closed_form else (str(spec.active_form), str(spec.active_compute_form))
    return forms(found, [(s.name, str(r)) for s, r in spec.relations], rules, [str(r.copies_formula) for r in rows],
                 [r.is_leaf for r in rows], reading, active)
