"""Notebook displays: how each result object renders in Jupyter, registered by format.

The objects themselves (Spec, Breakdown) know no output format; they ask
:func:`symparams.format.display`, and this module registers the renderers. The
renderers import their output code on first use, so registering costs nothing.
"""

from __future__ import annotations

from typing import Any

from .format import register_display

__all__: list[str] = []


@register_display("Spec", "latex")
def _spec_latex(spec: Any) -> str:
    from .latex import spec_latex

    return spec_latex(spec)


@register_display("Spec", "markdown")
def _spec_markdown(spec: Any) -> str:
    from .report.jupyter import spec_markdown

    return spec_markdown(spec)


@register_display("Breakdown", "markdown")
def _breakdown_markdown(bd: Any) -> str:
    from .report.jupyter import breakdown_markdown

    return breakdown_markdown(bd)


@register_display("Breakdown", "text")
def _breakdown_text(bd: Any) -> str:
    from .breakdown import table

    return table(bd)
