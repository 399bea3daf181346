"""One equation chain, written out: its sides as text and as LaTeX rows, broken the same way.

Every format breaks a chain where the text rendering breaks it (a line longer than
:data:`WIDTH`), so the terminal, Markdown and LaTeX versions of a document read alike.
"""

from __future__ import annotations

from .document import Chain
from .math import form_latex, form_text, value_latex, value_text

__all__ = ["WIDTH", "text_sides", "fits_one_line", "latex_rows"]

# Width of a terminal line, and the line a chain must fit to stay on one row in every format.
WIDTH = 100


def text_sides(chain: Chain) -> list[str]:
    """The sides after the label, deduplicated: '= a', '= b', ..., '≈ r'."""
    exact, rounded = value_text(chain.value, chain.style)
    sides = []
    for form in chain.sides:
        t = form_text(form)
        if (not sides or sides[-1] != "= " + t) and t != exact:
            sides.append("= " + t)
    if exact:
        sides.append("= " + exact)
    if rounded:
        sides.append("≈ " + rounded)
    return sides


def fits_one_line(chain: Chain) -> bool:
    """Whether a chain fits on one text line; every format breaks the same chains."""
    return len(form_text(chain.label)) + 1 + len(" ".join(text_sides(chain))) + 2 <= WIDTH


def latex_rows(chain: Chain) -> list[str]:
    """One chain as rows of an ``aligned`` environment (without the final ``\\\\``)."""
    exact, rounded = value_latex(chain.value, chain.style)
    sides: list[str] = []
    for form in chain.sides:
        t = form_latex(form)
        if (not sides or sides[-1] != "= " + t) and t != exact:
            sides.append("= " + t)
    if exact:
        sides.append("= " + exact)
    if rounded:
        sides.append(r"\approx " + rounded)
    label = form_latex(chain.label)
    if fits_one_line(chain):
        return [f"{label} &" + " ".join(sides)]
    return [f"{label} &{sides[0]}"] + [f"&{s}" for s in sides[1:]]
