"""Derivation documents: a model's parameter count worked out step by step, in any format.

One document model (:mod:`.document`), built from the module tree (:mod:`.build`),
and one renderer per format over it: ``text`` for a terminal, ``md`` for GitHub,
``tex`` for pdflatex. Every number in every format is the same exact value.

>>> from symparams.report import derive
>>> text = derive("nanochat", depth=20, format="text")
>>> "N = N[wte] + N[blocks] + N[norm_f] + N[lm_head]" in text
True
>>> "560,988,160" in text
True
"""

from __future__ import annotations

from typing import Callable

from sympy import Expr

from ..spec import Spec
from .build import document
from .context import Source
from .document import Document

__all__ = ["FORMATS", "derive", "document", "render", "Source", "Document"]


def _renderer(fmt: str) -> Callable[[Document], str]:
    from importlib import import_module

    return import_module(f"{__name__}.{FORMATS[fmt]}").render


# format name -> renderer module
FORMATS: dict[str, str] = {"md": "markdown", "tex": "latex", "text": "text"}


def render(doc: Document, fmt: str = "md") -> str:
    """``doc`` in one format: ``md``, ``tex`` or ``text``."""
    from ..errors import SymparamsError

    if fmt not in FORMATS:
        raise SymparamsError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return _renderer(fmt)(doc)


def derive(model: str | Spec, depth: int | None = None, format: str = "md", **overrides: Expr) -> str:  # noqa: A002
    """The derivation of a model (a name as :func:`symparams.model` takes it, or a Spec) as text."""
    if isinstance(model, Spec):
        spec, source = model, None
    else:
        source = Source(model, depth, tuple(overrides.items()))
        spec = source.spec()
    return render(document(spec, source), format)
