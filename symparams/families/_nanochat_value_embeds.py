"""nanochat-2026's value embeddings as a node: kept apart so that its family's module imports no SymPy."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from ..components import Repeat
from ..components.saving import Saving, not_modelled

__all__ = ["ValueEmbeds"]


@dataclass(frozen=True)
class ValueEmbeds(Repeat):
    """The value embeddings: under full recomputation each output is one more input its layer keeps, not measured."""

    def kept_bytes(self, T: Expr, saving: Saving) -> Expr:
        raise not_modelled("full recomputation of nanochat's value embeddings (each is an input of its layer; "
                           "nanochat does not checkpoint its layers, so it is not measured)")
