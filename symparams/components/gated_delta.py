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

import sympy
from sympy import Expr, Integer

from ..symbols import B
from .base import ZERO, Fmt, Module, least
from .conv import Conv1d
from .leaves import Linear, Norm, Parameter
from .saving import ACTIVATION_MASKS, DEFAULT, FP32, Saving, activation_saves, not_modelled

__all__ = ["GatedDeltaNet", "DELTA_FLOPS_PER_STATE", "CHUNK"]

# FLOPs per element of one value head's d_lk x d_lv state, per token: three products (see above).
DELTA_FLOPS_PER_STATE = Integer(6)
# The chunk length of transformers' torch_chunk_gated_delta_rule (its default; the layers never pass another).
CHUNK = Integer(64)


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
    activation: str = "silu"

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
        """What transformers' torch fallback keeps (``causal_conv1d_fn``, ``torch_chunk_gated_delta_rule``).

        Per layer over B sequences of T tokens, with a the activation width, H = H_lv value
        heads (queries and keys are repeated up to H heads), d_k = d_lk, d_v = d_lv,
        c_in = 2*H_lk*d_k + H*d_v the conv's channels, K = K_c taps, C = 64 the chunk length,
        c = ceil(T/C) chunks and P = c*C the padded length; read op by op from
        ``Qwen3NextGatedDeltaNet.forward`` (and Qwen3.5's) and checked against autograd to
        the byte (the rule runs in fp32 whatever a is):

        * the projections' input a*B*T*D; the conv's input, the q|k|v projection output,
          a*B*T*c_in; the activation's input, the conv output of T + K - 1 columns,
          a*B*c_in*(T + K - 1); beta = sigmoid(b), a*B*T*H; the softplus's input and output
          in fp32, 8*B*T*H;
        * the L2 norms of q and k: each its fp32 input 4*B*T*H*d_k and 1/norm 4*B*T*H;
        * padded to P: q, k and v, beta and k*beta (4*B*H*P*(2*d_k + d_v + 1) and 4*B*H*P*d_k);
          the two triangular solves' results, 4*B*H*P*(d_v + d_k); per chunk and head five
          C x C matrices (the decay mask's exp, K_beta*K^T and Q*K^T before and after the
          decay), 20*B*H*c*C^2; the decay's exp for k*beta and for q, 8*B*H*P; each chunk's
          corrected values v_new, 4*B*H*P*d_v, and the state it starts from, 4*B*H*c*d_k*d_v;
        * with two chunks or more (the last chunk's state update is dropped, the first reads a
          zero state that needs no gradient): q and k with their decays applied, 8*B*H*P*d_k,
          the keys' decay exp, 4*B*H*P, and each chunk's total decay, 4*B*H*c;
        * the gated RMSNorm: the rule's output in fp32 4*B*T*H*d_v, 1/rms 4*B*T*H, z in fp32
          and silu(z), 8*B*T*H*d_v, the normalised output and its product with the weight,
          2*a*B*T*H*d_v; out_proj's input a*B*T*H*d_v;
        * whatever B and T: the chunk's boolean causal mask, C^2 bytes, and -exp(A_log) and
          its exp, 8*H.

        In fp32 the rule's casts to fp32 return views, not copies, so the layout of q and k
        decides what is copied later:

        * queries and keys not repeated (H_lk = H_lv): the L2 norms keep the activated conv
          output, 4*B*T*c_in, in place of their two inputs (nothing more where the activation
          keeps its output, relu, already counted); with Qwen3-Next's fused projection z is a
          view too, and silu(z) keeps the whole q|k|v|z output, 4*B*T*c_in more;
        * T a multiple of C (no padding, so the padded copies keep the strided layout): the
          intra-chunk products copy their four operands, 16*B*H*P*d_k; with repeated heads the
          state products then copy q and k chunk by chunk, which keeps 8*B*H*C*d_k less
          (two chunks or more), and without repeated heads they copy only with two chunks
          or more;
        * one sequence (B = 1): with T a multiple of C, repeated heads keep what unrepeated
          ones keep; with one value head (H = 1), no intra-chunk product copies at all, and
          the gated RMSNorm takes the rule's output as a view of its padded form, 4*(P - T)*d_v
          per sequence (so it does with one value head and one token, whatever B; not with
          d_v = 1 in a single chunk); with Qwen3-Next's fused projection, one key head
          repeated and one token, z is a view and silu(z) keeps the whole q|k|v|z output,
          4*c_in;
        * keys of one element per head (d_k = 1), not repeated: no intra-chunk product copies.

        Checked for B >= 1 and T >= 1 (one sequence, one token and one head included).

        Selective recomputation recomputes attention's core only (Megatron-LM's ``core_attn``),
        so the layer keeps under it what it keeps without; full recomputation is checked
        against gradient checkpointing of each decoder layer. Under the CUDA kernels
        (flash-linear-attention) it refuses: they keep other tensors; so does tensor
        parallelism, since transformers shards no Gated DeltaNet.
        """
        s = saving or DEFAULT
        if s.ssm_kernel != "torch":
            raise not_modelled("Gated DeltaNet layers under the CUDA kernels")
        if s.tp != 1:
            raise not_modelled("tensor parallelism of Gated DeltaNet layers: transformers has no tensor-parallel "
                               "plan for them, so their torch fallback never runs sharded")
        if self.activation in ACTIVATION_MASKS:
            raise not_modelled(f"the {self.activation!r} activation in Gated DeltaNet layers")
        keeps_input, extra = activation_saves(self.activation)
        a, f, h, dk, dv, q = s.width, FP32, self.value_heads, self.key_dim, self.value_dim, CHUNK
        channels = self.conv_channels()
        c = sympy.ceiling(T / q)
        P = c * q
        one = 1 - least(1, c - 1)  # a single chunk: no state update is kept
        tokens = T * (a * self.d_model + a * channels + (ZERO if keeps_input else a * channels)
                      + extra * a * channels + a * h + 2 * f * h + 2 * f * h * (dk + 1)
                      + f * h * (3 * dv + 1) + 3 * a * h * dv)
        conv = a * channels * (T + self.kernel - 1) if keeps_input else ZERO
        padded = f * h * P * ((6 - 2 * one) * dk + 3 * dv + 4 - one)
        chunks = f * h * c * (5 * q**2 + dk * dv + 1 - one)
        if a == FP32:  # the rule's casts to fp32 are views: see the docstring
            same = 1 - least(1, h - self.key_heads)  # queries and keys are not repeated
            whole = 1 - least(1, P - T)  # no padding
            single = 1 - least(1, B - 1)  # one sequence
            lone = 1 - least(1, h - 1)  # one value head
            token = 1 - least(1, T - 1)  # one token per sequence
            spread = (1 - same) * (1 - single)  # repeated heads, copied sequence by sequence
            tokens += T * same * ((f * channels if keeps_input else ZERO) - 2 * f * h * dk
                                  + (f * channels if self.fused else ZERO))
            if self.fused:
                tokens += (1 - same) * (1 - least(1, self.key_heads - 1)) * single * token * f * channels
            flat = 1 - (1 - lone * single) * least(1, dk - 1)  # no copies: one head and sequence, or d_k = 1
            padded += whole * f * h * dk * (spread * (4 * P - 2 * q * (1 - one))
                                            + (1 - spread) * (1 - same * flat) * 4 * P * (1 - one))
            kept = 1 - one * (1 - least(1, dv - 1))  # not where d_v = 1 in a single chunk
            padded += lone * (single + token - single * token) * kept * f * (P - T) * dv
        return B * (tokens + conv + padded + chunks) + q**2 + 2 * f * h

    def cache_elements(self, T: Expr) -> Expr:
        """Per sequence, whatever T: the convolution's last K_c inputs per channel, and the state."""
        return self.conv_channels() * self.kernel + self.state_elements()

    def describe(self, fmt: Fmt = str) -> str:
        return (f"GatedDeltaNet(key_heads={fmt(self.key_heads)}*{fmt(self.key_dim)}, "
                f"value_heads={fmt(self.value_heads)}*{fmt(self.value_dim)}, conv={fmt(self.kernel)})")
