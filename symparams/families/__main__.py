"""``python -m symparams.families`` rewrites ``_index.py`` from the families' own declarations."""

from __future__ import annotations

from pathlib import Path

from . import SOURCES
from .registry import index_source

(Path(__file__).parent / "_index.py").write_text(index_source(__package__ or "symparams.families", SOURCES),
                                                 encoding="utf-8")
