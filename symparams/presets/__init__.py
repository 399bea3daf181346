"""Named presets: the config.json of well-known models, shipped as data.

Each ``<name>.json`` beside this file is a Hugging Face config (only the fields that
shape the model), read through :mod:`symparams.config` exactly as a user's file is.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PRESETS"]

_HERE = Path(__file__).parent

PRESETS: dict[str, Path] = {p.stem: p for p in sorted(_HERE.glob("*.json"))}
