"""The config side of the LayerNorm-era families: the plain-data Reading their trees are built from.

Kept apart from :mod:`.layernorm`, which builds trees in SymPy, so that these configs can
be read and checked without it (a count whose shape is known needs only the numbers).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .registry import Reading

__all__ = ["ln_reading"]


def ln_reading(family: str, shape: Iterable[tuple[str, Any]], values: Mapping[str, int],
               notes: Iterable[str] = ()) -> Reading:
    """A Reading named as :func:`.layernorm.spec` names its Spec: after the family, width and depth."""
    return Reading(tuple(shape), tuple(values.items()), f"{family} (D={values['D']}, L={values['L']})", tuple(notes))
