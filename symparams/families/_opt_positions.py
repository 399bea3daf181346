"""OPT's learned positions as a tree node, apart from :mod:`.opt` so that reading an OPT config needs no SymPy."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from ..components import Embedding
from ..components.saving import INDEX, Saving
from ..symbols import B

__all__ = ["Positions"]


@dataclass(frozen=True)
class Positions(Embedding):
    """``OPTLearnedPositionalEmbedding``: its ids come from the attention mask's cumulative sum, one row per
    sequence, so the lookup keeps B*T of them (int64), not the one shared row of T."""

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        return INDEX * B * T
