"""Names to models: depth-sized families, named presets and config files.

This is the one place that turns what a user typed ("nanochat", "llama-2-7b",
"path/to/config.json") into a :class:`~symparams.spec.Spec`, or into a builder from
depth to Spec. Readings below it take a Spec or a builder, never a name.

A name is looked up in this order (see :func:`locate`): a depth-sized family; ``preset:NAME``;
a name written as a path; a preset, matched without regard to case (a file called
``gpt2`` in the current folder does not shadow the preset: write ``./gpt2`` for it); a
checkpoint folder; a Hub id ``org/name[@revision]``. A near miss gets "did you mean".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

from .config import printable, read_json, short
from .errors import SymparamsError
from .families import FAMILIES, Family, from_dict

if TYPE_CHECKING:
    from sympy import Expr

    from .spec import Spec

__all__ = [
    "model", "resolve", "names", "ladder", "depth_families", "from_preset", "preset_paths", "config_of", "locate", "Located",
    "PRESET_PREFIX", "checkpoint_of", "shadowed",
]

PRESET_PREFIX = "preset:"


def depth_families() -> Mapping[str, Family]:
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
    """Whether ``name`` is written as a path: it ends in .json, .safetensors or .gguf, or holds a separator."""
    return name.endswith((".json", ".safetensors", ".gguf")) or os.sep in name or (os.altsep or os.sep) in name \
        or name.startswith(".")


@dataclass(frozen=True)
class Located:
    """Where a model name led: its config (as transformers reads it) and, if any, a checkpoint beside it."""

    data: dict
    source: str
    display: str
    checkpoint: str | None = None


def _preset_name(name: str) -> str | None:
    """The preset ``name`` stands for, matched without regard to case."""
    presets = preset_paths()
    if name in presets:
        return name
    folded = {p.lower(): p for p in presets}
    return folded.get(name.lower())


def _unknown(name: str) -> SymparamsError:
    import difflib

    known = names()
    near = difflib.get_close_matches(name.lower(), [n.lower() for n in known], n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    return SymparamsError(f"unknown model {short(printable(name))}{hint} (known: {', '.join(known)}; "
                          "or give a config.json, a checkpoint folder, a .safetensors/.gguf file or a Hub id org/name)")


def _config_beside(path: str) -> str:
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    config = os.path.join(folder, "config.json")
    if not os.path.isfile(config):
        raise SymparamsError(f"{printable(path)}: no config.json beside it to build the model from "
                             "(count --checkpoint reads the tensors alone)")
    return config


def locate(name: str | os.PathLike) -> Located:
    """Resolve a preset, a config.json, a checkpoint folder or file, or a Hub id to its config.

    The rule, in order: ``preset:NAME`` is always the preset; a name written as a path
    (a separator, a leading ".", or a .json/.safetensors/.gguf ending) is the file; a bare
    name matching a preset (in any case) is the preset, even if a file of that name
    exists (write ``./gpt2`` for the file); an existing folder is a checkpoint folder;
    ``org/name[@rev]`` that is not on disk is a Hub id.
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        raise SymparamsError(f"a model is named by text or a path, got {type(name).__name__}")
    if name.startswith(PRESET_PREFIX):
        preset = _preset_name(name[len(PRESET_PREFIX):])
        if preset is None:
            raise _unknown(name[len(PRESET_PREFIX):])
        return Located(read_json(preset_paths()[preset]), f"preset {preset}", preset)  # type: ignore[arg-type]
    preset = None if is_path(name) else _preset_name(name)
    if preset is not None:
        return Located(read_json(preset_paths()[preset]), f"preset {preset}", preset)  # type: ignore[arg-type]
    from .checkpoint_files import INDEX_NAME, SUFFIXES, is_checkpoint  # not for a preset, the usual case

    if os.path.isdir(name):
        config = _config_beside(name)
        checkpoint = name if any(f.endswith(SUFFIXES) or f == INDEX_NAME for f in os.listdir(name)) else None
        return Located(read_json(config), printable(config), printable(os.path.basename(os.path.abspath(name))), checkpoint)
    if is_checkpoint(name):
        config = _config_beside(name)
        return Located(read_json(config), printable(config), printable(_shown(name)), name)
    if os.path.exists(name):
        return Located(read_json(name), printable(name), printable(_shown(name)))
    if _hub_shaped(name):
        from .hub import config_path

        path = config_path(name)
        return Located(read_json(path), printable(name), printable(name))
    if is_path(name):
        return Located(read_json(name), printable(name), printable(_shown(name)))
    raise _unknown(name)


def shadowed(name: "str | os.PathLike[str]") -> str | None:
    """The note to print when ``name`` is read as a preset although a file or folder of that name exists.

    The rule (see :func:`locate`) is that a bare preset name is the preset; a user who meant
    the file in the current folder is told which one was read and how to ask for the other.

    >>> shadowed("no-such-preset-or-file") is None
    True
    """
    name = os.fspath(name)
    if is_path(name) or name.startswith(PRESET_PREFIX) or _preset_name(name) is None:
        return None
    if not os.path.lexists(name):
        return None
    preset = _preset_name(name)
    return (f"{printable(name)!r} is read as the preset {preset}, not the file of that name in this folder; "
            f"write ./{printable(name)} for the file (or preset:{preset} to say the preset)")


def _hub_shaped(name: str) -> bool:
    """Whether ``name``, not on disk, is to be read as a Hub id (``org/name[@rev]``; validated by the hub module)."""
    return "/" in name and not name.startswith(("/", ".")) and not name.endswith((".json", ".safetensors", ".gguf")) \
        and not os.path.exists(name) \
        and os.sep == "/" and not os.path.exists(name.split("/")[0])


def _shown(path: str) -> str:
    return os.path.basename(os.path.dirname(os.path.abspath(path))) + "/" + os.path.basename(path)


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

    def build(depth: int | None = None, /, **overrides: Expr) -> Spec:
        return fam.at_depth(depth, **overrides)

    return build


def model(name: str, /, depth: int | None = None, **overrides: Expr) -> Spec:
    """The model called ``name``: a family at ``depth``, a preset, or a config.json path.

    ``overrides`` set symbols by name (``H_kv=1``, ``V=32768``, ``F=8*D/3``
    as a SymPy expression).

    >>> model("nanochat", depth=20).total
    560988160
    """
    return resolve(name, depth, overrides)


def resolve(name: str, depth: int | None, overrides: Mapping[str, Expr], where: Located | None = None) -> Spec:
    """:func:`model` with the overrides as a mapping: the form for names a user typed (``--set depth=1`` is a
    name to refuse, not a second depth). ``where`` is what :func:`locate` gave for ``name``, where it was read
    already (so a file is read once)."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        raise SymparamsError(f"a model is named by text or a path, got {type(name).__name__}")
    fams = depth_families()
    if name in fams:
        return fams[name].at_depth(depth, **overrides)
    if depth is not None:
        raise SymparamsError(f"--depth applies only to the depth-sized families ({', '.join(fams)}), not {name!r}")
    if where is None:
        where = locate(name)
    spec = from_dict(where.data, where.source, name=where.display)
    if not overrides:
        return spec
    from .spec import apply_overrides

    return apply_overrides(spec, overrides)


def config_of(name: str | os.PathLike) -> tuple[dict, str, str]:
    """(config dict, source, display name) of a model name, as :func:`locate` resolves it.

    For readings that need transformers' own config (verification), not a Spec.
    """
    if isinstance(name, str) and name in depth_families():
        raise SymparamsError(f"{name!r} is not a transformers model; verify reads a config.json path or a preset")
    where = locate(name)
    return where.data, where.source, where.display


def checkpoint_of(name: str | os.PathLike):
    """The tensors a checkpoint stores, read from its headers: a local file or folder, or a Hub id.

    A name on disk is read as a file or folder (:func:`symparams.checkpoint.read_checkpoint`);
    ``org/name[@rev]`` not on disk is a Hub model's safetensors, from the cache or, online,
    from the headers alone (:func:`symparams.hub.read_hub_checkpoint`).
    """
    from .checkpoint import read_checkpoint
    from .hub import read_hub_checkpoint

    name = os.fspath(name)
    if _hub_shaped(name):
        return read_hub_checkpoint(name)
    return read_checkpoint(name)
