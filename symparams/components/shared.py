"""Weight sharing: a block stored a few times and applied at many layers (Zamba2's shared transformer)."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .base import Fmt, Module

__all__ = ["Shared"]


@dataclass(frozen=True)
class Shared(Module):
    """``copies`` stored copies of ``child``, applied ``uses`` times in one forward pass.

    Zamba2 stores ``num_mem_blocks`` transformer blocks and runs one of them (in turn)
    at each of its L_a hybrid layers. Storage counts the copies; everything a token
    does counts the uses: it passes through the shared weights once per use, so its
    matmuls, its attention FLOPs and the ``active`` reading (the weights the FLOPs
    conventions multiply by 2 or 6) count every use. That is why a weight-shared model
    can have more active than stored parameters. Each use keeps its own KV cache (the
    layer index of the hybrid layer, not of the shared block, keys transformers' cache),
    so the cache counts uses too.
    """

    name: str
    copies: Expr
    uses: Expr
    child: Module
    group: str = "other"

    def children(self) -> tuple[Module, ...]:
        return (self.child,)

    def multiplier(self) -> Expr:
        return self.copies

    def token_children(self) -> tuple[tuple[Expr, Module], ...]:
        return ((self.uses, self.child),)

    def cache_elements(self, T: Expr) -> Expr:
        return self.uses * self.child.cache_elements(T)

    def describe(self, fmt: Fmt = str) -> str:
        return f"{fmt(self.copies)} stored, {fmt(self.uses)} uses x {self.child.describe(fmt)}"
