"""Selective state-space mixers: Mamba (Gu & Dao 2023) and Mamba-2 (Dao & Gu 2024).

A state-space layer takes the place of attention as a block's token mixer. Its
weights are projections (read like any linear layer), a depthwise convolution and a
few per-channel or per-head vectors. What sets it apart is what it keeps and what it
computes without weights:

* **State, not cache.** Generation keeps, per sequence, the convolution's last K_c
  inputs for each of its channels and the recurrent state h (d_in x N_s values): a
  constant whatever the context T. ``cache_elements(T)`` returns that constant, so a
  memory reading must present it per *sequence*, never per token (dividing it by T
  gives a per-token figure that shrinks as the context grows, which describes
  nothing real). The tests check it against the cache transformers' forward pass fills.
* **What training keeps.** ``activation_bytes`` depends on the kernel that runs the scan
  (``Saving.ssm_kernel``): under transformers' torch path (``"torch"``) Mamba-1's loop
  keeps every step's state and Mamba-2's einsums keep their operands in batched-matmul
  layout, read op by op below and checked against autograd to the byte; mamba_ssm's and
  causal-conv1d's CUDA kernels (``"cuda"``) keep their inputs and recompute the rest, which
  is not measured, so the readings refuse under them. Selective recomputation (Korthikanti
  et al.; Megatron-LM's ``--recompute-granularity selective``) recomputes attention's core
  (its ``recompute_modules`` name no part of a Mamba mixer), so a mixer keeps under it what
  it keeps without recomputation; the tests check it on hybrids whose attention core is
  checkpointed. Tensor parallelism refuses: transformers shards no Mamba mixer (no tp_plan),
  so its torch scan never runs sharded, and Megatron-LM, which shards Mamba-2 by heads and
  groups, runs it under the CUDA kernels.
* **The scan.** ``attention_flops`` is the scan's weight-free matmul work per token,
  the part that plays attention's score and value products (``exact`` counts matmuls
  only; its element-wise work is left out, as softmax, activations and norms are):

  - Mamba-1: each token's readout y = C·h is a (d_in x N_s)(N_s x 1) matmul,
    2·d_in·N_s FLOPs (``mamba_selective_scan``'s loop runs it as ``torch.matmul``);
  - Mamba-2: the SSD algorithm (``mamba2_chunk_scan``, and the fused kernels) cuts the
    sequence into chunks of Q = ``chunk_size`` tokens. Per token: 2·Q·H_m·N_s for the
    scores C·Bᵀ within its chunk (per head), 2·Q·d_in for those scores times x
    (quadratic within a chunk, like attention within a window), and 4·d_in·N_s for its
    share of the chunk's final state Bᵀx and of the readout C·h of the state entering
    the chunk: 2·Q·H_m·N_s + 2·Q·d_in + 4·d_in·N_s, whatever T.

  Not in the per-token reading, as per-sequence costs of transformers' eager path that
  a kernel avoids: the convolution's K_c - 1 padded outputs (see
  :class:`~symparams.components.conv.Conv1d`); for Mamba-2, the padding of T up to a
  whole number of chunks (its tokens cost the per-token figure too), and the state
  passing between the c = ceil(T/Q) chunks, which the eager code runs as one
  (c+1) x (c+1) einsum, 2·(c+1)²·d_in·N_s, where kernels pass states along element-wise.
  The tests compare T times the reading plus exactly these terms with ``FlopCounterMode``
  on transformers' forward pass. Also not counted, being element-wise: Mamba-1's
  discretisation and state update (Δ·A, Δ·B, ·x, Ā·h + B̄x: 5·d_in·N_s per token in the
  reference loop; Gu's "9·L·D·N" for the selective scan, state-spaces/mamba issue #110,
  counts these with a parallel scan's extra combining step and the readout) and
  Mamba-2's decay masks. The same value serves ``causal``: a scan is causal by
  construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from ..symbols import B
from .base import ZERO, Fmt, Module, least
from .conv import Conv1d
from .leaves import Linear, Norm, Parameter
from .saving import ACTIVATION_MASKS, DEFAULT, FP32, Saving, activation_saves, not_modelled

__all__ = ["Mamba", "Mamba2"]


def either(*flags: Expr) -> Expr:
    """``Max`` of flags that are each 0 or 1: 1 where any is.

    A flag that is a number decides it here; the others are kept unevaluated. sympy's
    ``Max`` would search the assumptions for a flag that bounds another, which for these
    (products of ``1 - Min(1, x - 1)``) ends undecided after some 0.02 s a call; once values
    replace the symbols the ``Max`` evaluates as usual.
    """
    if any(f == 1 for f in flags):
        return sympy.Integer(1)
    rest = [f for f in flags if f != 0]
    return sympy.Max(*rest, evaluate=False) if len(rest) > 1 else rest[0] if rest else ZERO


def _no_tensor_parallelism(kind: str):
    """The refusal of a mixer under tensor parallelism, with why no sharded torch scan can be read."""
    return not_modelled(f"tensor parallelism of {kind} layers: transformers has no tensor-parallel plan for Mamba "
                        "mixers, so the torch scan (--ssm-kernel torch) never runs sharded, and Megatron-LM, which "
                        "shards Mamba-2 by heads and groups (never Mamba-1), runs mamba_ssm's CUDA kernels, which "
                        "are not measured")


class _Scan(Module):
    """What every selective state-space mixer reads the same way: scan FLOPs and the kept state."""

    inner: Expr
    state: Expr
    kernel: Expr

    def conv_channels(self) -> Expr:  # pragma: no cover - each mixer says
        raise NotImplementedError

    def state_elements(self) -> Expr:
        """The recurrent state h of one sequence: d_in x N_s values."""
        return self.inner * self.state

    def softmax_flops(self, T: Expr) -> Expr:
        return ZERO

    def cache_elements(self, T: Expr) -> Expr:
        """Per sequence, whatever T: the convolution's last K_c inputs per channel, and the state h.

        transformers' cache keeps ``conv_kernel`` columns (``LinearAttentionLayer``'s
        conv state) and the recurrent state of d_in x N_s.
        """
        return self.conv_channels() * self.kernel + self.state_elements()


@dataclass(frozen=True)
class Mamba(_Scan):
    """The Mamba-1 mixer (transformers' ``MambaMixer``, and ``JambaMambaMixer``).

    Shapes, as transformers 5 builds them (d_in = intermediate_size):

    * ``in_proj``: D -> 2·d_in (the scanned stream and its gate), bias per ``use_bias``;
    * ``conv1d``: depthwise over d_in channels, K_c taps, bias per ``use_conv_bias``;
    * ``x_proj``: d_in -> R_Δ + 2·N_s (Δ's low-rank input, B and C), no bias;
    * ``dt_proj``: R_Δ -> d_in, always with a bias;
    * ``A_log``: d_in x N_s; ``D``: d_in;
    * ``out_proj``: d_in -> D, bias per ``use_bias``;
    * Jamba only (``inner_norms``): RMSNorms with weights over Δ (R_Δ), B and C (N_s each).
    """

    name: str
    d_model: Expr
    inner: Expr
    state: Expr
    kernel: Expr
    dt_rank: Expr
    bias: bool = False
    conv_bias: bool = True
    inner_norms: bool = False
    group: str = "ssm"
    activation: str = "silu"

    def conv_channels(self) -> Expr:
        return self.inner

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        """The readout y = C·h of every token: 2·d_in·N_s."""
        return 2 * self.inner * self.state

    def children(self) -> tuple[Module, ...]:
        g, d, n, r = self.group, self.inner, self.state, self.dt_rank
        parts: list[Module] = [
            Linear("in_proj", self.d_model, 2 * d, self.bias, group=g),
            Conv1d("conv1d", d, self.kernel, self.conv_bias, group=g),
            Linear("x_proj", d, r + 2 * n, group=g),
            Linear("dt_proj", r, d, True, group=g),
            Parameter("A_log", (d, n), group=g),
            Parameter("D", (d,), group=g),
            Linear("out_proj", d, self.d_model, self.bias, group=g),
        ]
        if self.inner_norms:
            parts += [Norm("dt_layernorm", r, weight=True), Norm("b_layernorm", n, weight=True),
                      Norm("c_layernorm", n, weight=True)]
        return tuple(parts)

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """What transformers' torch path (``mamba_selective_scan``'s loop) keeps, with a = the activation width.

        Per layer, over B sequences of T tokens (d = d_in, N = N_s, R = R_dt, K = K_c), read
        op by op from ``MambaMixer.forward`` and checked against autograd to the byte:

        * in_proj's input, a*B*T*D; the conv's input, the whole in_proj output x|z,
          a*B*T*2d (z is a view of it, kept by silu(z)); the conv activation's input, the
          conv output of T + K - 1 columns per channel, a*B*d*(T + K - 1);
        * x_proj's input, a copy of the activated x into token-major rows, a*B*T*d (a view,
          no copy, when B, T or d is 1: the factor min(1, B - 1, T - 1, d - 1)); its output
          (dt's rank part, B and C, which the scan reads as views), a*B*T*(R + 2N);
        * dt before and after the softplus, 2*a*B*T*d; exp(dt*A) and dt*B, 4*B*T*d*N
          each; x in fp32, 4*B*T*d, and below fp32 x itself too (the skip x*D keeps it),
          a*B*T*d, with B in fp32, 4*B*T*N, and D in fp32, 4*d;
        * the states: a zero initial state and one per token, each B*d*N, kept in fp32
          (4 bytes) by the next step's product and cast to the activation dtype for the
          readout: 4*(T + 1) in fp32, a*(T + 1) + 4*(T - 1) below it;
        * the scan output plus x*D (fp32), 4*B*T*d; silu(z), a*B*T*d; out_proj's input,
          a*B*T*d; and -exp(A_log) and its exp, 8*d*N, whatever B and T;
        * Jamba's RMSNorms over dt, B and C (``inner_norms``): x_proj's output is kept in
          fp32 by their upcasts (4*B*T*(R + 2N), which replaces a*B*T*(R + 2N)), with their
          normalised values a*B*T*(R + 2N) and 1/rms, 3*4*B*T; their outputs are what the
          scan keeps: dt a*B*T*R, C a*B*T*N, and B in fp32 4*B*T*N (in fp32 that is B itself).

        Under the CUDA kernels (mamba_ssm, causal-conv1d) it refuses: they keep other tensors.
        """
        s = saving or DEFAULT
        if s.ssm_kernel != "torch":
            raise not_modelled("Mamba layers under the CUDA kernels")
        if s.tp != 1:
            raise _no_tensor_parallelism("Mamba")
        a, d, n, k, D = s.width, self.inner, self.state, self.kernel, self.d_model
        keeps_input, extra = activation_saves(self.activation)
        if self.activation in ACTIVATION_MASKS:
            raise not_modelled(f"the {self.activation!r} activation in Mamba layers")
        below = sympy.Integer(0) if a == FP32 else sympy.Integer(1)
        copied = least(1, B - 1, T - 1, d - 1)
        per_token = (a * D + 2 * a * d + a * d * copied + a * (self.dt_rank + 2 * n) + 2 * a * d
                     + 2 * FP32 * d * n + FP32 * d + below * (a * d + FP32 * n) + FP32 * d + 2 * a * d
                     + extra * a * d)
        if self.inner_norms:
            r = self.dt_rank
            # x_proj's output in fp32 (each norm's upcast; itself in fp32), the normalised values and 1/rms
            # of three norms, and their outputs that the scan keeps: dt (a*R), B in fp32 (4*N), C (a*N)
            per_token += (FP32 - a) * (r + 2 * n) + a * (r + 2 * n) + 3 * FP32 + a * r + a * n + FP32 * n * (1 - below)
        conv = a * d * (T + k - 1) if keeps_input else ZERO
        states = d * n * (FP32 * (T + 1) if a == FP32 else a * (T + 1) + FP32 * (T - 1))
        return B * (T * per_token + conv + states) + 2 * FP32 * d * n + below * FP32 * d

    def describe(self, fmt: Fmt = str) -> str:
        return (f"Mamba(d_in={fmt(self.inner)}, state={fmt(self.state)}, conv={fmt(self.kernel)}, "
                f"dt_rank={fmt(self.dt_rank)})")


@dataclass(frozen=True)
class Mamba2(_Scan):
    """The Mamba-2 mixer (transformers' ``Mamba2Mixer``, and those of Bamba, Falcon-H1, Nemotron-H, Zamba2).

    Shapes, as transformers 5 builds them (d_in = H_m x head_dim, G groups of B and C):

    * ``in_proj``: D -> 2·d_in + 2·G·N_s + H_m (the gate z, the conv stream x, B, C, and Δ per head);
    * ``conv1d``: depthwise over d_in + 2·G·N_s channels (x, B and C), K_c taps;
    * ``dt_bias``, ``A_log``, ``D``: one value per head (H_m each);
    * ``norm``: the gated RMSNorm over d_in, with a weight (Falcon-H1 may leave it out);
    * ``out_proj``: d_in -> D.

    ``chunk`` is the scan's chunk length Q (``chunk_size``), which sets its FLOPs.
    ``bias`` is the in_proj's bias and ``out_bias`` the out_proj's (one switch in most
    families; Falcon-H1 has two).
    """

    name: str
    d_model: Expr
    inner: Expr
    heads: Expr
    groups: Expr
    state: Expr
    kernel: Expr
    chunk: Expr
    bias: bool = False
    out_bias: bool = False
    conv_bias: bool = True
    gated_norm: bool = True
    group: str = "ssm"
    activation: str = "silu"
    mup: bool = False

    def conv_channels(self) -> Expr:
        return self.inner + 2 * self.groups * self.state

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        """The chunked scan's matmuls per token: 2·Q·H_m·N_s + 2·Q·d_in + 4·d_in·N_s."""
        return 2 * self.chunk * self.heads * self.state + 2 * self.chunk * self.inner + 4 * self.inner * self.state

    def children(self) -> tuple[Module, ...]:
        g, d, h = self.group, self.inner, self.heads
        parts: list[Module] = [
            Linear("in_proj", self.d_model, d + self.conv_channels() + h, self.bias, group=g),
            Conv1d("conv1d", self.conv_channels(), self.kernel, self.conv_bias, group=g),
            Parameter("dt_bias", (h,), group=g),
            Parameter("A_log", (h,), group=g),
            Parameter("D", (h,), group=g),
        ]
        if self.gated_norm:
            parts.append(Norm("norm", d, weight=True))
        parts.append(Linear("out_proj", d, self.d_model, self.out_bias, group=g))
        return tuple(parts)

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """What transformers' torch path (``mamba2_chunk_scan``, the SSD algorithm in einsums) keeps.

        Per layer over B sequences of T tokens, with a the activation width, d = d_in,
        H = H_m heads, G groups of N = N_s, K = K_c taps, c = ceil(T/Q) chunks of Q
        tokens, P = c*Q the padded length, and c_in = d + 2*G*N the conv's channels; read
        op by op from ``Mamba2Mixer.forward`` and ``mamba2_chunk_scan`` and checked against
        autograd to the byte (the scan runs in fp32 whatever a is):

        * in_proj's input a*B*T*D and output (the conv's input, z|x|B|C|dt read as views)
          a*B*T*(d + c_in + H); the activation's input, the conv output of T + K - 1
          columns, a*B*c_in*(T + K - 1); dt before the softplus and before the clamp,
          2*a*B*T*H, and after it in fp32, 4*B*T*H (two copies below fp32);
        * x, B, C in fp32: in fp32 the activated conv output itself, 4*B*T*c_in; below it
          a copy of x, 4*B*T*d (and the activated output a*B*T*c_in where the activation
          keeps its output, relu); x padded for the skip x*D, 4*B*P*d;
        * per chunk: the decay matrix exp(segsum) and the scores C*B^T, 4*B*H*P*Q each, and
          the scores again as the value product's operand, 4*B*H*P*Q; the einsums' operands
          copied into batched-matmul layout, C twice and B twice, and B once more for
          the product with its decay (4*B*P*H*N each), x*dt twice, 4*B*P*d each; two decay vectors
          4*B*H*P each; the chunk states' operands 4*B*c*d*N and 4*B*(c + 1)*d*N; the
          inter-chunk decay 4*B*H*(c + 1)^2; the off-diagonal output 4*B*P*d;
        * the gated norm in fp32: the scan output (padded) 4*B*P*d, silu(z) (and below
          fp32 z in fp32), x*silu(z) and its normalised value, 4*B*T*d each, 1/rms per
          group 4*B*T*G (without the norm, Falcon-H1's option, the product with silu(z)
          keeps silu(z), a*B*T*d); out_proj's input a*B*T*d;
        * whatever B and T: -exp(A_log) and its exp, 8*H, and the boolean masks of two
          segment sums, 2*Q^2 + 2*(c + 1)^2 bytes; with ``mup`` (Falcon-H1's in_proj output
          scaled by a buffer, ``mup_vector``), that buffer, a*(d + c_in + H).

        Some einsum operands are views, not copies, where a size is 1 (indicators
        1 - min(1, x - 1), 1 exactly when x = 1; measured over heads, head size, N, Q, T
        and B of 1 and more, fp32 and bf16):

        * x*dt is kept once, not twice (4*B*P*d fewer), where the state product takes the
          padded x*dt as it is: one chunk (T <= Q), unless T = 1 with B >= 2 and H >= 2;
          one head of one sequence; or Q = 1 (einsum multiplies over a contraction of 1);
        * C and B are kept once each, not twice (2*4*B*P*H*N fewer): one chunk of one
          sequence, one head (the scores' einsum batches over nothing but b and c), N = 1,
          or Q = 1;
        * the readout takes all c + 1 chunk states as they are (4*B*d*N more than the c it
          copies otherwise): one chunk, one head of one sequence, or N = 1.

        Head size 1 changes nothing.

        Under the CUDA kernels (mamba_ssm's fused scan) it refuses: they keep other tensors.
        """
        s = saving or DEFAULT
        if s.ssm_kernel != "torch":
            raise not_modelled("Mamba-2 layers under the CUDA kernels")
        if s.tp != 1:
            raise _no_tensor_parallelism("Mamba-2")
        if self.activation in ACTIVATION_MASKS:
            raise not_modelled(f"the {self.activation!r} activation in Mamba-2 layers")
        keeps_input, extra = activation_saves(self.activation)
        a, d, h, g, n, q = s.width, self.inner, self.heads, self.groups, self.state, self.chunk
        f = FP32
        below = sympy.Integer(0) if a == FP32 else sympy.Integer(1)
        c = sympy.ceiling(T / q)
        P = c * q
        channels = self.conv_channels()
        tokens = T * (a * self.d_model + a * (d + channels + h) + 2 * a * h + f * h * (1 + below)
                      + (f * d if below else f * channels) + extra * a * channels
                      + (ZERO if keeps_input else below * a * channels)
                      + (f * d * (3 + below) + f * g if self.gated_norm else a * d) + a * d)
        conv = a * channels * (T + self.kernel - 1) if keeps_input else ZERO
        one, single, token, head, scalar, step = (1 - least(1, x - 1) for x in (c, B, T, h, n, q))
        # x*dt kept once: the state product takes the padded x*dt as it is
        once = either(one * (1 - token * (1 - single) * (1 - head)), head * single, step)
        # C and B kept once each: the scores' einsum takes them as they are
        views = either(one * single, head, scalar, step)
        # the readout takes all c + 1 chunk states as they are, not the c before the last
        states = either(one, head * single, scalar)
        padded = f * ((5 - once) * P * d + 3 * h * P * q + (5 - 2 * views) * P * h * n + 2 * h * P)
        chunks = f * ((c + states) * d * n + (c + 1) * d * n + h * (c + 1) ** 2)
        scale = a * (d + channels + h) if self.mup else ZERO
        return B * (tokens + conv + padded + chunks) + 2 * f * h + 2 * q**2 + 2 * (c + 1) ** 2 + scale

    def describe(self, fmt: Fmt = str) -> str:
        return (f"Mamba2(d_in={fmt(self.inner)}, heads={fmt(self.heads)}, groups={fmt(self.groups)}, "
                f"state={fmt(self.state)}, conv={fmt(self.kernel)}, chunk={fmt(self.chunk)})")
