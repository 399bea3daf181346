"""Multi-head attention (MHA, GQA, MQA): projections, score FLOPs and the KV cache."""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from .base import Fmt, Module
from .leaves import Linear

__all__ = ["Attention", "attended"]


def attended(T: Expr, causal: bool = False, window: Expr | None = None) -> Expr:
    """Keys one query meets, averaged over the T positions of a sequence.

    Eager attention (the ``exact`` reading) multiplies every query with all T keys and
    masks afterwards. A causal kernel that skips masked blocks meets i + 1 keys at
    position i: (T + 1)/2 on average. A sliding window of W caps that at W: for
    T > W, (W(W + 1)/2 + (T - W) W)/T. The window's cap applies to the eager reading
    only where the kernel itself skips blocks, so ``window`` matters only when causal.
    """
    if not causal:
        return T
    if window is None:
        return (T + 1) / 2
    return sympy.Piecewise(((T + 1) / 2, T <= window), ((window * (window + 1) / 2 + (T - window) * window) / T, True))


@dataclass(frozen=True)
class Attention(Module):
    """Multi-head attention with ``kv_heads`` key/value heads (MHA, GQA or MQA).

    Q: D -> H*d_h; K, V: D -> H_kv*d_h; output: H*d_h -> D. The score (QK^T) and
    value (AV) matmuls add 2*T*H*d_h FLOPs each per token and layer, forward, with
    no weights, as eager attention executes them (the full T x T scores, then a mask).
    A causal kernel that skips the masked blocks lets position i attend to i + 1 keys,
    (T + 1)/2 on average. The cache keeps a key and a value of H_kv*d_h per token.
    """

    name: str
    d_model: Expr
    heads: Expr
    kv_heads: Expr
    head_dim: Expr
    qkv_bias: bool = False
    out_bias: bool = False
    group: str = "attention"
    names: tuple[str, str, str, str] = ("q", "k", "v", "o")

    def children(self) -> tuple[Module, ...]:
        q, k, v, o = self.names
        inner, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        g = self.group
        return (
            Linear(q, self.d_model, inner, self.qkv_bias, group=g),
            Linear(k, self.d_model, kv, self.qkv_bias, group=g),
            Linear(v, self.d_model, kv, self.qkv_bias, group=g),
            Linear(o, inner, self.d_model, self.out_bias, group=g),
        )

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return 2 * 2 * attended(T, causal) * self.heads * self.head_dim

    def softmax_flops(self, T: Expr) -> Expr:
        return 3 * self.heads * T

    def cache_elements(self, T: Expr) -> Expr:
        return 2 * self.kv_heads * self.head_dim * T

    def describe(self, fmt: Fmt = str) -> str:
        return f"Attention(heads={fmt(self.heads)}, kv_heads={fmt(self.kv_heads)}, head_dim={fmt(self.head_dim)})"
