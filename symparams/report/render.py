"""The base of every output format, and the registry that lists them.

A renderer turns a :class:`~.document.Document` into one format. Like SymPy's
printers, it dispatches on the class of each thing it meets: a part ``Heading`` is
written by ``_print_Heading``, an inline ``Math`` by ``_print_Math``, a table cell
holding an ``int`` by ``_cell_int`` (falling back to ``_print_int``). The class's
method resolution order is searched, so ``_print_Basic`` serves every SymPy value
and a subclass of a part is written like its base unless the renderer says
otherwise. A part the renderer does not know is an error naming both.

A new format is one subclass with a ``name`` and its file ``extensions``,
registered with :func:`register_format`; ``symparams derive --format`` and
``-o FILE`` read their choices from :data:`FORMATS`.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Iterable, TypeVar

from ..errors import SymparamsError
from .document import Document, Inline, Part

__all__ = ["Renderer", "FORMATS", "register_format", "renderer", "format_of", "extensions"]


class Renderer:
    """Writes a document in one format; subclasses provide ``_print_<Class>`` methods.

    Parts render to lists of lines, inlines and cells to strings. A renderer is
    made afresh for each document, so it may keep state while it writes (the
    indent of a nested part in text).
    """

    name: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""

    def render(self, doc: Document) -> str:  # pragma: no cover - every format says
        raise NotImplementedError

    def _dispatch(self, prefixes: tuple[str, ...], obj: Any) -> Any:
        for cls in type(obj).__mro__:
            for prefix in prefixes:
                method = getattr(self, prefix + cls.__name__, None)
                if method is not None:
                    return method(obj)
        raise TypeError(f"the {self.name or type(self).__name__} renderer cannot write a {type(obj).__name__}")

    def part(self, part: Part) -> list[str]:
        """One part of the document as lines."""
        return self._dispatch(("_print_",), part)

    def parts(self, parts: Iterable[Part]) -> list[str]:
        return [line for p in parts for line in self.part(p)]

    def inline(self, items: Iterable[Inline]) -> str:
        """A run of prose: words, formulas, verbatim text and symbol values."""
        return "".join(self._dispatch(("_print_",), x) for x in items)

    def cell(self, value: object) -> str:
        """One table cell: ``_cell_<Class>`` where a cell is written differently from prose."""
        return self._dispatch(("_cell_", "_print_"), value)


FORMATS: dict[str, type[Renderer]] = {}

R = TypeVar("R", bound=type[Renderer])


def register_format(cls: R) -> R:
    """Class decorator: make ``cls`` the renderer of its ``name`` and its file ``extensions``."""
    assert cls.name and cls.name not in FORMATS, cls.name
    taken = {ext for other in FORMATS.values() for ext in other.extensions}
    assert not taken & set(cls.extensions), cls.extensions
    FORMATS[cls.name] = cls
    return cls


def renderer(name: str) -> Renderer:
    """A fresh renderer of the format ``name``."""
    if name not in FORMATS:
        raise SymparamsError(f"unknown format {name!r} (known: {', '.join(FORMATS)})")
    return FORMATS[name]()


def extensions() -> dict[str, str]:
    """File extension (``.md``) -> format name, for every registered format."""
    return {ext: name for name, cls in FORMATS.items() for ext in cls.extensions}


def format_of(path: str | os.PathLike) -> str | None:
    """The format a file name asks for by its extension; None without one; an error for one nobody writes.

    ``derive -o x.pdf`` must not write terminal text into a file named .pdf.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if not ext:
        return None
    known = extensions()
    if ext not in known:
        raise SymparamsError(f"cannot write a document as {ext} (known: {', '.join(known)}; "
                             "or give --format for a file without an extension)")
    return known[ext]

