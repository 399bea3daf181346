"""Attention whose queries, keys and values come out of one projection (DBRX, MPT, CodeGen, GPT-BigCode).

One linear D -> q + 2*H_kv*d_h in place of three, and an output projection q -> D, where
the query width q is H*d_h unless a family fixes it otherwise (DBRX's ``Wqkv`` and
``out_proj`` are sized from D itself: ``nn.Linear(D, D + 2*kv_n_heads*head_dim)``). The
weights are those of the separate projections, held in two leaves; the score and value
matmuls, the softmax and the cache are those of :class:`.attention.Attention`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .attention import Attention
from .base import Fmt, Module
from .leaves import Linear
from .saving import Saving, not_modelled

__all__ = ["FusedAttention"]


@dataclass(frozen=True)
class FusedAttention(Attention):
    """GQA attention with one ``qkv`` projection; ``q_width`` None means H*d_h."""

    q_width: Expr | None = None
    fused_names: tuple[str, str] = ("qkv_proj", "out_proj")

    def query_width(self) -> Expr:
        return self.heads * self.head_dim if self.q_width is None else self.q_width

    def children(self) -> tuple[Module, ...]:
        qkv, out = self.fused_names
        q, g = self.query_width(), self.group
        return (
            Linear(qkv, self.d_model, q + 2 * self.kv_heads * self.head_dim, self.qkv_bias, group=g),
            Linear(out, q, self.d_model, self.out_bias, group=g),
        )

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Not modelled: one fused projection's output and its splits are saved differently from three."""
        raise not_modelled("attention with a fused qkv projection")

    def describe(self, fmt: Fmt = str) -> str:
        return (f"Attention(heads={fmt(self.heads)}, kv_heads={fmt(self.kv_heads)}, head_dim={fmt(self.head_dim)}, "
                f"fused qkv)")
