"""Derivation documents: a model's parameter count worked out step by step, in any format.

One document model (:mod:`.document`), built from the module tree (:mod:`.build`),
and one renderer per format over it (:mod:`.render`): ``text`` for a terminal,
``md`` for GitHub, ``tex`` for pdflatex. Every number in every format is the same
exact value. The report takes a Spec, never a name: the command line resolves names
and hands down a :class:`Source` with the family's other sizes.

>>> import symparams
>>> from symparams.report import derive
>>> text = derive(symparams.model("nanochat", depth=20), format="text")
>>> "N = N[wte] + N[norm_embed] + N[blocks] + N[norm_f] + N[lm_head]" in text
True
>>> "560,988,160" in text
True
"""

from __future__ import annotations

from ..spec import Spec
from . import latex as _latex  # noqa: F401  (each registers its format)
from . import markdown as _markdown  # noqa: F401
from . import text as _text  # noqa: F401
from .build import BRIEF, FULL, SECTIONS, document, sections
from .context import Source
from .document import Document
from .render import FORMATS, format_of, register_format, renderer

__all__ = ["FORMATS", "SECTIONS", "FULL", "BRIEF", "derive", "document", "render", "sections", "Source", "Document",
           "format_of", "register_format"]


def render(doc: Document, fmt: str = "md") -> str:
    """``doc`` in one of the registered formats (:data:`FORMATS`: ``md``, ``tex``, ``text``)."""
    return renderer(fmt).render(doc)


def derive(spec: Spec, format: str = "md", source: Source | None = None,  # noqa: A002
           parts: tuple[str, ...] = FULL) -> str:
    """The derivation of ``spec`` as text in ``format``; ``source`` adds how it was named and its relatives.

    ``parts`` names the sections (:data:`SECTIONS`): the whole derivation by default,
    :data:`BRIEF` for a page or two to paste into a paper.
    """
    return render(document(spec, source, parts), format)
