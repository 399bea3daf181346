"""The document model: what a derivation says, before any format decides how it looks.

A :class:`Document` is a list of parts (headings, paragraphs, equation chains,
tables, bar charts, collapsible solutions). Renderers in ``text``, ``markdown``
and ``latex`` each turn the same document into one format, the way pint's
formatter delegates render one quantity many ways, so the three outputs state the
same figures by construction. (Parts are not :class:`symparams.components.Block`,
the transformer block of a module tree.)

Numbers live only in :class:`Chain` and :class:`Table` parts, as exact SymPy
values; prose carries words and formulas. That is what lets a test read every
number back out of a rendered document and check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Union

from sympy import Expr

from .math import Form

__all__ = ["Math", "Verbatim", "Values", "Inline", "Rounded", "Heading", "Para", "Bullets", "Chain", "Chains", "Context",
           "Table", "Bars", "Details", "Part", "Document"]


@dataclass(frozen=True)
class Math:
    """An inline formula."""

    form: Form


@dataclass(frozen=True)
class Verbatim:
    """Text shown exactly as written, in a fixed-width font: a module such as
    ``Linear(1,280 -> 5,120, bias=False)``, or a command."""

    text: str


@dataclass(frozen=True)
class Values:
    """Symbol values in prose: ``D = 512, H = 4, L = 8``."""

    where: tuple[tuple[str, Expr], ...]


Inline = Union[str, Math, Verbatim, Values]


@dataclass(frozen=True)
class Rounded:
    """A table cell holding a rounded figure (561M) of an exact count (or an exact fraction of one)."""

    value: int | Fraction

    def text(self) -> str:
        from ..format import human

        return human(self.value)


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    """A paragraph; ``wrap=False`` keeps it on one line in text (a module and its shape)."""

    parts: tuple[Inline, ...]
    wrap: bool = True


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True)
class Chain:
    """``label = side = side = ... = value``: every side equal, the last one exact.

    ``style`` says how the value is written: ``count`` (exact integer, then a
    rounded figure), ``percent`` (a share, exact or rounded to 0.1%), ``number``
    (an exact rational, with a rounded figure when it is not whole).
    """

    label: Form
    sides: tuple[Form, ...]
    value: Expr
    style: str = "count"


@dataclass(frozen=True)
class Chains:
    """Chains shown together (one aligned display); ``numbered`` marks results a paper would cite.

    A numbered chain gets one equation number, on its last row, where the format numbers
    equations (LaTeX); every other display is unnumbered.
    """

    chains: tuple[Chain, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Context:
    """The parts that follow, up to the next heading, are evaluated at these symbol values."""

    where: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Table:
    """A table of exact cells; ``kind`` names what its rows claim (for readers and checkers)."""

    kind: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    align: str = ""


@dataclass(frozen=True)
class Bars:
    """A bar chart of shares: (label, count, share) rows."""

    title: str
    rows: tuple[tuple[str, int, Fraction], ...]


@dataclass(frozen=True)
class Details:
    """A collapsible part (a practice problem's solution)."""

    summary: str
    parts: tuple["Part", ...]


Part = Union[Heading, Para, Bullets, Chains, Context, Table, Bars, Details]


@dataclass(frozen=True)
class Document:
    title: str
    parts: tuple[Part, ...]
