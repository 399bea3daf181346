"""Attention as today's decoders vary it: q/k norms, an output gate, a fused projection, windows and chunks.

One class, because these are options of one layer rather than new kinds of layer; each
changes a shape or a reading in one place:

* ``qk_norm``: RMSNorm with a learned weight over each query and key head (Qwen3's
  ``q_norm`` / ``k_norm``, ``Qwen3RMSNorm(head_dim)``): d_h weights each, shared by
  every head, so 2*d_h per layer.
* ``output_gate``: the query projection also yields a gate of the same size that
  multiplies the attention output channel by channel (Qwen3-Next and Qwen3.5's
  ``q_proj = nn.Linear(D, H*d_h*2)``): q is D x 2*H*d_h. Training keeps the output
  before the gate and sigmoid(gate), 2*a*H*d_h per token more; and in fp32, where the
  q norm's upcast is a view of q_proj's output (query and gate interleaved by head),
  that norm keeps the whole output, 4*H*d_h per token more. ``norm_offset``: the q/k
  norms scale by (1 + weight) (see :class:`~.leaves.Norm`). ``rotary_batch``: the cos and
  sin tables are made per sequence (Qwen3.5's B x T positions), B*T rows each.
* ``fused``: one ``qkv_proj`` of D x (H + 2*H_kv)*d_h in place of three (Phi-3's
  ``op_size = H*d_h + 2*H_kv*d_h``); the same weights, one leaf.
* ``window``: a sliding window of W tokens (Phi-3, Qwen2-MoE and Qwen3's sliding layers):
  the cache keeps at most W tokens (transformers' ``DynamicSlidingWindowLayer``), and a
  causal kernel that skips masked blocks meets at most W keys per query.
* ``mask_window``: a layer of no window of its own that the model still hands its sliding
  mask of W (Mistral and Mixtral build one mask for every layer, whatever ``layer_types``
  says): no weight, cache or FLOP changes, only what SDPA keeps (see
  :meth:`.attention.Attention.activation_bytes`).
* ``sinks``: gpt-oss's attention sinks (see :mod:`.sinks`), which change what eager
  attention keeps: the scores and the sink column are shifted by their row maximum (whose
  int64 index is kept, B*H*T) and the softmax over T + 1 columns runs in the activation
  dtype (B*H*T*(T + 1) kept; the probabilities the value matmul takes are a view of it);
  its rotary tables are T x d_h/2 each (cos and sin of half the head). transformers runs
  gpt-oss's sinks in eager attention only (no SDPA), so other kernels refuse.
* ``softcap``: the scores pass through cap * tanh(scores / cap) before the softmax (Gemma 2's
  ``attn_logit_softcapping``); eager attention keeps the tanh's output, B*H*T^2 in the
  activation dtype. SDPA takes no cap (transformers passes it none) and a flash kernel
  caps inside, keeping nothing more.
* ``rotary_by_kind``: windowed and full layers each take their own rotary tables (Gemma 3's
  local and global embeddings), so a model with both kinds keeps two pairs.
* ``tables_per_layer``: the rotary code makes each layer its own cos and sin tables, of the
  rotary width in the activation dtype (GLM's ``repeat_interleave`` of their halves), which
  its products keep, and the shared tables are kept by none.
* ``qk_norm_weight``: false where the q/k norms have no weight (nanochat's, after the rotary
  embedding): no parameters, and each keeps its fp32 input and 1/rms per head and token.
* ``nope``: the layer takes no rotary positions (Cohere 2's full-attention layers): no
  weight or FLOP changes, and it keeps no rotary tables.
* ``chunked``: ``window`` is a chunk instead (Llama 4's ``attention_chunk_size``): a
  query attends to the keys of its own chunk of W tokens up to itself, so the causal
  reading averages (q*W*(W + 1)/2 + r*(r + 1)/2)/T keys, with T = q*W + r; the cache
  keeps at most W tokens, as for a window.
* ``kv_shared``: the layer makes no keys or values of its own (Gemma 4's last
  ``num_kv_shared_layers``): it has no k/v projections or key norm, keeps no cache, and
  attends to the keys and values an earlier layer of its kind made; its score FLOPs are a
  layer's like any other. ``value_is_key``: the keys stand in for the values (Gemma 4's
  ``attention_k_eq_v`` on its full-attention layers), so there is no v projection, though
  the cache still keeps both (the values are the keys through a norm without weights).
  Their saved tensors are not measured: the activation reading refuses them.

The eager reading (``causal=False``) is what eager attention executes: the full T x T
scores, masked afterwards, whatever the window (see :func:`.attention.attended`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy
from sympy import Expr

from ..symbols import B
from .attention import Attention, attended
from .base import ZERO, Fmt, Module, least
from .leaves import Linear, Norm
from .saving import DEFAULT, FP32, INDEX, Saving, not_modelled

__all__ = ["DecoderAttention", "chunk_attended"]


def chunk_attended(T: Expr, causal: bool, chunk: Expr) -> Expr:
    """Keys one query meets under chunked causal attention, averaged over the T positions.

    Position i (from 0) sees the (i mod W) + 1 keys of its chunk before and at itself: each
    of the q = floor(T/W) full chunks contributes 1 + ... + W, the last partial chunk of
    r = T - q*W tokens 1 + ... + r. Without ``causal`` every query meets all T keys.
    """
    if not causal:
        return T
    full = sympy.floor(T / chunk)
    rest = T - full * chunk
    return (full * chunk * (chunk + 1) / 2 + rest * (rest + 1) / 2) / T


@dataclass(frozen=True)
class DecoderAttention(Attention):
    """GQA attention with the options listed in the module docstring (all off: plain :class:`Attention`)."""

    qk_norm: bool = False
    output_gate: bool = False
    fused: bool = False
    window: Expr | None = None
    chunked: bool = False
    mask_window: Expr | None = None
    fused_name: str = "qkv_proj"
    norm_names: tuple[str, str] = ("q_norm", "k_norm")
    sinks: bool = False
    norm_offset: bool = False
    rotary_batch: bool = False
    kv_shared: bool = False
    value_is_key: bool = False
    softcap: bool = False
    rotary_by_kind: bool = False
    nope: bool = False
    tables_per_layer: bool = False
    qk_norm_weight: bool = True

    def children(self) -> tuple[Module, ...]:
        q, k, v, o = self.names
        g = self.group
        inner, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        if self.fused:
            parts: tuple[Module, ...] = (
                Linear(self.fused_name, self.d_model, inner + 2 * kv, self.qkv_bias, group=g),
                Linear(o, inner, self.d_model, self.out_bias, group=g),
            )
        else:
            query = 2 * inner if self.output_gate else inner
            keys = () if self.kv_shared else (Linear(k, self.d_model, kv, self.qkv_bias, group=g),)
            values = () if self.kv_shared or self.value_is_key else (Linear(v, self.d_model, kv, self.qkv_bias, group=g),)
            parts = (
                Linear(q, self.d_model, query, self.qkv_bias, group=g),
                *keys,
                *values,
                Linear(o, inner, self.d_model, self.out_bias, group=g),
            )
        if self.qk_norm:
            qn, kn = self.norm_names
            w = self.qk_norm_weight
            parts += (Norm(qn, self.head_dim, "rms", weight=w, group=g, offset=self.norm_offset),)
            if not self.kv_shared:
                parts += (Norm(kn, self.head_dim, "rms", weight=w, group=g, offset=self.norm_offset),)
        return parts

    def _attended(self, T: Expr, causal: bool) -> Expr:
        if self.window is not None and self.chunked:
            return chunk_attended(T, causal, self.window)
        return attended(T, causal, self.window)

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return 2 * 2 * self._attended(T, causal) * self.heads * self.head_dim

    def cache_elements(self, T: Expr) -> Expr:
        if self.kv_shared:
            return sympy.Integer(0)
        kept = T if self.window is None else least(T, self.window)
        return 2 * self.kv_heads * self.head_dim * kept

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """:class:`Attention`'s, plus each per-head q/k RMSNorm's (over B*T*H and B*T*H_kv vectors of d_h).

        A fused qkv projection keeps what three do (its output is split into views, and the
        kernel takes copies); a window masks the same T x T scores. The output gate keeps
        the output before it and sigmoid(gate) (see the module docstring).
        """
        if self.output_gate and self.fused:
            raise not_modelled("attention with an output gate and a fused qkv projection")
        if self.kv_shared or self.value_is_key:
            raise not_modelled("attention that reuses another layer's keys and values, or its keys as values (Gemma 4)")
        if self.sinks and not (saving or DEFAULT).eager:
            raise not_modelled("attention sinks under SDPA or flash kernels")
        kept = super().activation_bytes(T, saving)
        if self.qk_norm:
            s = saving or DEFAULT
            norm = Norm("qk_norm", self.head_dim, "rms", weight=self.qk_norm_weight, offset=self.norm_offset)
            rows = norm.activation_bytes(T, replace(s, tp=1, sp=False)) - norm.offset_bytes()
            kept += s.split((self.heads + self.kv_heads) * rows) + 2 * norm.offset_bytes()
            if self.output_gate and s.width == FP32:
                kept += s.split(FP32 * B * T * self.heads * self.head_dim)
        if self.output_gate:
            s = saving or DEFAULT
            kept += s.split(2 * s.width * B * T * self.heads * self.head_dim)
        if self.tables_per_layer and not self.nope:
            s = saving or DEFAULT
            kept += 2 * s.width * T * (self.head_dim if self.rotary_dim is None else self.rotary_dim)
        return kept

    def _kept_probabilities(self, T: Expr, s: Saving) -> Expr:
        capped = B * self.heads * T**2 * s.width if self.softcap else ZERO
        if not self.sinks:
            return super()._kept_probabilities(T, s) + capped
        if self.softcap:
            raise not_modelled("attention sinks with soft-capped scores")
        if s.drops("attention"):
            raise not_modelled("attention sinks with dropout on the probabilities")
        return B * self.heads * T * (s.width * (T + 1) + INDEX)

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        if self.rotary_batch:  # one cos and sin table per sequence (Qwen3.5's positions are B x T)
            width = self.head_dim if self.rotary_dim is None else self.rotary_dim
            return {("positions", "rotary", width, "batch"): 2 * (saving or DEFAULT).width * B * T * width}
        if self.nope or self.tables_per_layer:
            return {}
        if self.sinks:
            return {("positions", "rotary", self.head_dim, "half"): (saving or DEFAULT).width * T * self.head_dim}
        shared = super().activation_shared(T, saving)
        if not self.rotary_by_kind:
            return shared
        kind = "full" if self.window is None else "windowed"
        return {(*key, kind): value for key, value in shared.items()}

    def describe(self, fmt: Fmt = str) -> str:
        extras = []
        if self.fused:
            extras.append("fused qkv")
        if self.qk_norm:
            extras.append("q/k RMSNorm")
        if self.output_gate:
            extras.append("output gate")
        if self.window is not None:
            extras.append(f"{'chunks' if self.chunked else 'window'}={fmt(self.window)}")
        if self.kv_shared:
            extras.append("keys and values shared")
        if self.value_is_key:
            extras.append("values = keys")
        more = "".join(", " + x for x in extras)
        return (f"Attention(heads={fmt(self.heads)}, kv_heads={fmt(self.kv_heads)}, "
                f"head_dim={fmt(self.head_dim)}{more})")
