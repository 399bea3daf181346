"""Names to models: built-in families (by depth), named presets and config files.

This is the one place that turns what a user typed ("nanochat", "llama-2-7b",
"path/to/config.json") into a :class:`~symparams.spec.Spec`.
"""

from __future__ import annotations

import importlib
import os
from typing import Callable, Mapping

from sympy import Expr

from .errors import SymparamsError
from .spec import Spec, apply_overrides

__all__ = ["model", "names", "DEPTH_FAMILIES"]

# Families sized by a single depth knob: name -> "module:function".
DEPTH_FAMILIES: dict[str, str] = {
    "nanochat": "symparams.families.nanochat:nanochat",
    "nanochat-2026": "symparams.families.nanochat2026:nanochat2026",
}


def _load(target: str) -> Callable[..., Spec]:
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


def _presets() -> Mapping[str, object]:
    try:
        from .presets import PRESETS
    except ImportError:
        return {}
    return PRESETS


def names() -> list[str]:
    """Every model name the tool knows: depth families first, then presets."""
    return list(DEPTH_FAMILIES) + sorted(_presets())


def _is_path(name: str) -> bool:
    return name.endswith(".json") or os.sep in name or os.path.isfile(name)


def model(name: str, depth: int | None = None, **overrides: Expr) -> Spec:
    """The model called ``name``: a family at ``depth``, a preset, or a config.json path.

    ``overrides`` set symbols by name (``H_kv=1``, ``V=32768``, ``F=8*D/3``
    as a SymPy expression).

    >>> model("nanochat", depth=20).total
    560988160
    """
    if name in DEPTH_FAMILIES:
        build = _load(DEPTH_FAMILIES[name])
        return build(depth, overrides=overrides) if depth is not None else build(overrides=overrides)
    if depth is not None:
        families = ", ".join(DEPTH_FAMILIES)
        raise SymparamsError(f"--depth applies only to the depth-sized families ({families}), not {name!r}")
    if _is_path(name):
        from .hf import from_file

        spec = from_file(name)
    elif name in _presets():
        from .hf import from_preset

        spec = from_preset(name)
    else:
        known = ", ".join(names())
        raise SymparamsError(f"unknown model {name!r} (known: {known}; or give a path to a config.json)")
    return apply_overrides(spec, overrides) if overrides else spec
