"""Gated DeltaNet (Yang, Kautz & Hatamizadeh 2024): the linear-attention layer of Qwen3-Next and Qwen3.5.

It takes attention's place in three of every four layers of those hybrids. Shapes, as
transformers 5 builds them (``Qwen3NextGatedDeltaNet``, ``Qwen3_5GatedDeltaNet``), with
H_lk key heads of d_lk and H_lv value heads of d_lv:

* the input projections: queries and keys (H_lk*d_lk each), values and the output gate z
  (H_lv*d_lv each), and per value head a write strength b and a decay input a. Qwen3-Next
  fuses them into ``in_proj_qkvz`` (D -> 2*H_lk*d_lk + 2*H_lv*d_lv) and ``in_proj_ba``
  (D -> 2*H_lv); Qwen3.5 keeps four (``in_proj_qkv``, ``in_proj_z``, ``in_proj_b``,
  ``in_proj_a``). The same weights either way; no biases;
* ``conv1d``: a depthwise causal convolution of K_c taps, no bias, over the
  2*H_lk*d_lk + H_lv*d_lv query, key and value channels;
* ``dt_bias`` and ``A_log``: one value per value head each;
* ``norm``: the gated RMSNorm over one value head (d_lv weights, shared by the heads);
* ``out_proj``: H_lv*d_lv -> D, no bias.

What it keeps and computes without weights differs from attention:

* **State, not cache.** Per sequence, whatever its length T: the convolution's last K_c
  inputs per channel (transformers' ``LinearAttentionLayer`` conv state) and the
  recurrent state, one d_lk x d_lv matrix per value head (queries and keys are repeated
  up to H_lv heads). ``cache_elements(T)`` returns that constant.
* **The delta rule.** Per token and value head the rule reads the state with the key
  (k^T S), writes the correction back (an outer product added to S) and reads the state
  out with the query (q^T S): three d_lk x d_lv products, 6*d_lk*d_lv FLOPs, whatever T,
  and the same for ``causal`` (the recurrence is causal by construction). Reported as
  ``attention_flops``, the weight-free work that plays attention's part; counted, as
  attention's reading is, by its matmuls only (the decay of S, like a softmax, is an
  element-wise scale; the L2 norms of q and k, the sigmoid of b and the softplus of a are
  not counted anywhere).

What a forward pass over T tokens executes is more (transformers'
``torch_chunk_gated_delta_rule``, like flash-linear-attention's kernel, runs the chunked
form): T is padded up to whole chunks of C = 64 tokens, and per value head and chunk the
intra-chunk products (βK)K^T and QK^T (2*C^2*d_lk FLOPs each) and the intra-chunk attention
times the new values (2*C^2*d_lv) come on top of the three state products, so
H_lv*ceil(T/C)*C*(4*C*d_lk + 2*C*d_lv + 6*d_lk*d_lv) per sequence; and
``causal_conv1d_fn`` computes K_c - 1 padded outputs per channel that it drops,
2*c*K_c*(K_c - 1) FLOPs more. Per token those are fractions of a FLOP that depend on T
and on an implementation's chunk size, which a per-token reading in whole FLOPs cannot
carry; the reading here is the rule's own cost, what single-token decoding executes
(``torch_recurrent_gated_delta_rule``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr, Integer

from .base import ZERO, Fmt, Module
from .conv import Conv1d
from .leaves import Linear, Norm, Parameter
from .saving import DEFAULT, Saving, not_modelled

__all__ = ["GatedDeltaNet", "DELTA_FLOPS_PER_STATE"]

# FLOPs per element of one value head's d_lk x d_lv state, per token: three products (see above).
DELTA_FLOPS_PER_STATE = Integer(6)


@dataclass(frozen=True)
class GatedDeltaNet(Module):
    """One Gated DeltaNet layer; ``fused`` names its projections as Qwen3-Next does, else as Qwen3.5."""

    name: str
    d_model: Expr
    key_heads: Expr
    value_heads: Expr
    key_dim: Expr
    value_dim: Expr
    kernel: Expr
    fused: bool = False
    group: str = "attention"

    def keys(self) -> Expr:
        return self.key_heads * self.key_dim

    def values(self) -> Expr:
        return self.value_heads * self.value_dim

    def conv_channels(self) -> Expr:
        """Queries, keys and values pass the convolution; the gate z does not."""
        return 2 * self.keys() + self.values()

    def state_elements(self) -> Expr:
        """The recurrent state of one sequence: a d_lk x d_lv matrix per value head."""
        return self.value_heads * self.key_dim * self.value_dim

    def children(self) -> tuple[Module, ...]:
        g, d, hv = self.group, self.d_model, self.value_heads
        if self.fused:
            projections: tuple[Module, ...] = (
                Linear("in_proj_qkvz", d, 2 * self.keys() + 2 * self.values(), group=g),
                Linear("in_proj_ba", d, 2 * hv, group=g),
            )
        else:
            projections = (
                Linear("in_proj_qkv", d, self.conv_channels(), group=g),
                Linear("in_proj_z", d, self.values(), group=g),
                Linear("in_proj_b", d, hv, group=g),
                Linear("in_proj_a", d, hv, group=g),
            )
        return (
            *projections,
            Conv1d("conv1d", self.conv_channels(), self.kernel, bias=False, group=g),
            Parameter("dt_bias", (hv,), group=g),
            Parameter("A_log", (hv,), group=g),
            Norm("norm", self.value_dim, "rms", weight=True),
            Linear("out_proj", self.values(), d, group=g),
        )

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return DELTA_FLOPS_PER_STATE * self.state_elements()

    def softmax_flops(self, T: Expr) -> Expr:
        return ZERO

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Refused: under the fla kernels not measurable here, under the torch fallback not measured yet."""
        s = saving or DEFAULT
        raise not_modelled("Gated DeltaNet layers under the CUDA kernels" if s.ssm_kernel != "torch"
                           else "GatedDeltaNet nodes")

    def cache_elements(self, T: Expr) -> Expr:
        """Per sequence, whatever T: the convolution's last K_c inputs per channel, and the state."""
        return self.conv_channels() * self.kernel + self.state_elements()

    def describe(self, fmt: Fmt = str) -> str:
        return (f"GatedDeltaNet(key_heads={fmt(self.key_heads)}x{fmt(self.key_dim)}, "
                f"value_heads={fmt(self.value_heads)}x{fmt(self.value_dim)}, conv={fmt(self.kernel)})")
