"""Names to models: depth-sized families, named presets and config files.

This is the one place that turns what a user typed ("nanochat", "llama-2-7b",
"path/to/config.json") into a :class:`~symparams.spec.Spec`, or into a builder from
depth to Spec. Readings below it take a Spec or a builder, never a name.

A name is looked up in this order: a depth-sized family, then a path that exists or
looks like one (ends in ``.json`` or holds a path separator), then a preset. So a file
called ``gpt2`` in the current folder is read as a file; write ``preset:gpt2`` (or any
name with that prefix) to ask for the preset whatever the folder holds.
"""

from __future__ import annotations

import os
from typing import Callable, Mapping

from sympy import Expr

from .config import read_json
from .errors import SymparamsError
from .families import FAMILIES, Family, from_dict, from_file
from .spec import Spec, apply_overrides

__all__ = ["model", "names", "ladder", "depth_families", "from_preset", "preset_paths", "PRESET_PREFIX"]

PRESET_PREFIX = "preset:"


def depth_families() -> dict[str, Family]:
    """The families sized by a single depth knob, by name."""
    return FAMILIES.ladders()


def preset_paths() -> Mapping[str, object]:
    try:
        from .presets import PRESETS
    except ImportError:
        return {}
    return PRESETS


def names() -> list[str]:
    """Every model name the tool knows: depth families first, then presets."""
    return list(depth_families()) + sorted(preset_paths())


def is_path(name: str) -> bool:
    return name.endswith(".json") or os.sep in name or os.path.isfile(name)


def from_preset(name: str) -> Spec:
    presets = preset_paths()
    if name not in presets:
        raise SymparamsError(f"unknown preset {name!r} (known: {', '.join(sorted(presets))})")
    return from_dict(read_json(presets[name]), f"preset {name}", name=name)  # type: ignore[arg-type]


def ladder(name: str) -> Callable[..., Spec]:
    """The builder ``depth -> Spec`` of a depth-sized family, with overrides as keywords."""
    fams = depth_families()
    if name not in fams:
        raise SymparamsError(f"{name!r} is not sized by depth (depth-sized families: {', '.join(fams)})")
    fam = fams[name]

    def build(depth: int | None = None, **overrides: Expr) -> Spec:
        return fam.at_depth(depth, **overrides)

    return build


def model(name: str, depth: int | None = None, **overrides: Expr) -> Spec:
    """The model called ``name``: a family at ``depth``, a preset, or a config.json path.

    ``overrides`` set symbols by name (``H_kv=1``, ``V=32768``, ``F=8*D/3``
    as a SymPy expression).

    >>> model("nanochat", depth=20).total
    560988160
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        raise SymparamsError(f"a model is named by text or a path, got {type(name).__name__}")
    fams = depth_families()
    if name in fams:
        return fams[name].at_depth(depth, **overrides)
    if depth is not None:
        raise SymparamsError(f"--depth applies only to the depth-sized families ({', '.join(fams)}), not {name!r}")
    presets = preset_paths()
    if name.startswith(PRESET_PREFIX):
        spec = from_preset(name[len(PRESET_PREFIX):])
    elif is_path(name):
        spec = from_file(name)
    elif name in presets:
        spec = from_preset(name)
    else:
        known = ", ".join(names())
        raise SymparamsError(f"unknown model {name!r} (known: {known}; or give a path to a config.json)")
    return apply_overrides(spec, overrides) if overrides else spec
