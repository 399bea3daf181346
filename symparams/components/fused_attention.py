"""Attention whose queries, keys and values come out of one projection (DBRX, MPT, CodeGen, GPT-BigCode).

One linear D -> q + 2*H_kv*d_h in place of three, and an output projection q -> D, where
the query width q is H*d_h unless a family fixes it otherwise (DBRX's ``Wqkv`` and
``out_proj`` are sized from D itself: ``nn.Linear(D, D + 2*kv_n_heads*head_dim)``). The
weights are those of the separate projections, held in two leaves; the score and value
matmuls, the softmax and the cache are those of :class:`.attention.Attention`.

What a training step keeps depends on how the family splits the fused output (``split``),
because a split that stays a view keeps the whole q|k|v storage alive where a copy keeps
only its own part. Measured op by op (transformers 5.24, torch 2.13; tests/test_activations.py):

* ``"bigcode"`` (GPT-BigCode: ``c_attn(x)`` split into q, k, v views, learned positions):
  eager attention keeps what :class:`.attention.Attention` keeps, since the head-major
  q and the repeated k and v are copies; with one head the query is a view the matmul
  takes as it is, so the whole fused output, (H + 2*H_kv)*d_h per token, is kept in place
  of q's H*d_h. So it is wherever the query's batch and head dimensions merge into a view: with
  one sequence, and with a key head per query head also where each sequence is one token; k
  and v are then kept as copies of H_kv*d_h each.
  SDPA takes the query as a view (the whole fused output kept) and copies
  of k and v (H_kv*d_h each): 2*H_kv*d_h per token more than separate projections.
* ``"mpt"`` (MPT: ``Wqkv(x).chunk(3)``, ALiBi; transformers runs it in eager attention only,
  so SDPA and flash refuse): :class:`.attention.Attention`'s eager reading (with one
  head, q, k and v are views of the fused output, which has the size of their three
  copies), no rotary tables, and the boolean causal mask ``masked_fill`` keeps, B*T^2
  bytes shared by every layer; ``clip`` (``clip_qkv``) clamps the fused output, which the
  clamp keeps: (H + 2*H_kv)*d_h per token more.

* ``"codegen"`` (CodeGen: ``qkv_proj(x)`` regrouped into ``mp_num`` blocks, so q, k and v are
  copies; GPT-J's parallel block): :class:`.attention.Attention`'s reading, with eager scores
  taken over q and k cast to fp32 (4*H*d_h bytes each per token whatever the activation
  dtype), and each layer's own rotary tables: the sin and cos rows of the ``rotary_dim``
  rotating channels, interleaved for q and again for k (4*a*T*``rotary_dim``; no shared
  tables). Its input is the one the MLP beside it multiplies, and is counted there.

* ``"dbrx"`` (DBRX: ``Wqkv(x)`` clamped to ``clip_qkv``, then split into q, k and v views,
  Llama's rotary code): :class:`.attention.Attention`'s reading plus the clamped fused
  output the clamp keeps ((q + 2*H_kv*d_h) per token). Without ``clip_qkv`` transformers'
  clamp has no bound and fails, so there is nothing to read: the split is then unnamed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr, Integer

from ..symbols import B
from .attention import Attention
from .base import ZERO, Fmt, Module, least
from .leaves import Linear
from .saving import DEFAULT, FP32, Saving, not_modelled

__all__ = ["FusedAttention", "SPLITS"]

SPLITS = ("bigcode", "mpt", "codegen", "dbrx")


@dataclass(frozen=True)
class FusedAttention(Attention):
    """GQA attention with one ``qkv`` projection; ``q_width`` None means H*d_h; ``split``: see the module."""

    q_width: Expr | None = None
    fused_names: tuple[str, str] = ("qkv_proj", "out_proj")
    split: str = ""
    clip: bool = False

    def query_width(self) -> Expr:
        return self.heads * self.head_dim if self.q_width is None else self.q_width

    def children(self) -> tuple[Module, ...]:
        qkv, out = self.fused_names
        q, g = self.query_width(), self.group
        return (
            Linear(qkv, self.d_model, q + 2 * self.kv_heads * self.head_dim, self.qkv_bias, group=g),
            Linear(out, q, self.d_model, self.out_bias, group=g),
        )

    def _fused_width(self) -> Expr:
        return self.query_width() + 2 * self.kv_heads * self.head_dim

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """What this family's split keeps (see the module); a split not measured refuses."""
        s = saving or DEFAULT
        if self.split == "bigcode":
            kv_views = s.split(2 * s.width * B * T * self.kv_heads * self.head_dim)
            one_sequence = 1 - least(1, B - 1)
            one_row = 1 - least(1, B - 1) * least(1, T - 1)  # one sequence, or one token in each
            extra = sympy.Piecewise((kv_views, sympy.Eq(self.heads, 1)),
                                    (one_sequence * kv_views, sympy.Eq(self.kv_heads, 1)),
                                    (one_row * kv_views, True)) if s.eager else kv_views
            return super().activation_bytes(T, s) + extra
        if self.split == "mpt":
            if not s.eager:
                raise not_modelled("MPT's attention under SDPA or flash kernels")
            clamp = s.split(s.width * B * T * self._fused_width()) if self.clip else ZERO
            return super().activation_bytes(T, s) + clamp
        if self.split == "dbrx":
            return super().activation_bytes(T, s) + s.split(s.width * B * T * self._fused_width())
        if self.split == "codegen":
            inner = self.heads * self.head_dim
            fp32_scores = s.split(2 * (FP32 - s.width) * B * T * inner) if s.eager and s.recompute != "selective" \
                else ZERO
            width = self.head_dim if self.rotary_dim is None else self.rotary_dim
            tables = 4 * s.width * T * width
            return super().activation_bytes(T, s) + fp32_scores + tables - s.stream(s.width * B * T * self.d_model)
        raise not_modelled("attention with a fused qkv projection")

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """MPT: ALiBi (no rotary tables) and one boolean causal mask of B x T x T for every layer."""
        if self.split == "mpt":
            return {("mask", "bool"): Integer(1) * B * T**2}
        if self.split == "codegen":
            return {}
        return super().activation_shared(T, saving)

    def describe(self, fmt: Fmt = str) -> str:
        return (f"Attention(heads={fmt(self.heads)}, kv_heads={fmt(self.kv_heads)}, head_dim={fmt(self.head_dim)}, "
                f"fused qkv)")
