"""Attention with RMSNorms over the whole query and key projections, and an optional sliding window.

OLMo 2 and OLMo 3 (transformers' ``Olmo2Attention``, ``Olmo3Attention``) normalise the
query and key projections over their full width, not per head as Qwen3 does:
``q_norm = RMSNorm(H*d_h)`` and ``k_norm = RMSNorm(H_kv*d_h)``, one learned weight per
channel. OLMoE sizes them from the width instead (``q_norm = RMSNorm(D)``,
``k_norm = RMSNorm((D // H) * H_kv)``), so the widths are given, not derived here.

A ``window`` of W tokens (OLMo 3's sliding layers, GPT-Neo's local layers) changes no
weight: the cache keeps at most W tokens, and a causal kernel that skips masked blocks
meets at most W keys per query (:func:`.attention.attended`). The eager reading
(``causal=False``) is the full T x T scores, masked afterwards, window or not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy
from sympy import Expr

from .attention import Attention, attended
from .base import Fmt, Module
from .leaves import Norm
from .saving import DEFAULT, FP32, Saving

__all__ = ["NormedAttention"]


@dataclass(frozen=True)
class NormedAttention(Attention):
    """GQA attention plus RMSNorms of widths ``q_norm`` / ``k_norm`` (None: no norm) and a window.

    ``olmo``: OLMo 2's and OLMo 3's code. Their norms multiply the weight into the fp32 vector before the cast
    (``(self.weight * hidden_states).to(input_dtype)``), so each product keeps the fp32 vector
    (:attr:`.Norm.weight_fp32`); their rotary tables stay in fp32, and OLMo 3's sliding and full layers each
    have a rotary embedding of their own, so each kind of layer keeps its own pair."""

    q_norm: Expr | None = None
    k_norm: Expr | None = None
    window: Expr | None = None
    norm_names: tuple[str, str] = ("q_norm", "k_norm")
    per_head: bool = False
    olmo: bool = False

    def children(self) -> tuple[Module, ...]:
        norms = tuple(Norm(name, dim, kind="rms", weight=True, weight_fp32=self.olmo)
                      for name, dim in zip(self.norm_names, (self.q_norm, self.k_norm)) if dim is not None)
        return (*super().children(), *norms)

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return 2 * 2 * attended(T, causal, self.window) * self.heads * self.head_dim

    def cache_elements(self, T: Expr) -> Expr:
        kept = T if self.window is None else sympy.Min(T, self.window)
        return 2 * self.kv_heads * self.head_dim * kept

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """:class:`Attention`'s, plus what each q/k RMSNorm keeps: one vector per token, or with ``per_head``
        (GLM-4.5's norms of d_h applied to every head) one per token and head (H for q, H_kv for k)."""
        s = saving or DEFAULT
        whole = replace(s, tp=1, sp=False)
        norms = [c for c in self.children() if isinstance(c, Norm)]
        counts = (self.heads, self.kv_heads) if self.per_head else (1, 1)
        kept = sympy.Add(*(n.activation_bytes(T, whole) * (counts[0] if n.name == self.norm_names[0] else counts[1])
                           for n in norms))
        return super().activation_bytes(T, s) + s.split(kept)

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        if not self.olmo:
            return super().activation_shared(T, saving)
        kind = "full" if self.window is None else "sliding"
        return {("positions", "rotary", "fp32", kind, self.head_dim): 2 * FP32 * T * self.head_dim}

    def describe(self, fmt: Fmt = str) -> str:
        extras = []
        if self.q_norm is not None or self.k_norm is not None:
            widths = ", ".join(fmt(w) for w in (self.q_norm, self.k_norm) if w is not None)
            extras.append(f"q/k RMSNorm over {widths}")
        if self.window is not None:
            extras.append(f"window={fmt(self.window)}")
        more = "".join(", " + x for x in extras)
        return (f"Attention(heads={fmt(self.heads)}, kv_heads={fmt(self.kv_heads)}, "
                f"head_dim={fmt(self.head_dim)}{more})")
