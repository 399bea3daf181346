"""Multi-head latent attention (MLA), DeepSeek-V2's attention with a compressed key/value cache.

Shapes follow transformers' ``DeepseekV2Attention`` / ``DeepseekV3Attention`` (5.x), which
follow the DeepSeek-V2 paper (arXiv:2405.04434, section 2.1):

* queries: either one projection ``q_proj`` D -> H*(d_nope + d_rope) (``q_lora_rank``
  null, as in DeepSeek-V2-Lite), or a low-rank pair ``q_a_proj`` D -> r_q, an RMSNorm
  ``q_a_layernorm`` over r_q, and ``q_b_proj`` r_q -> H*(d_nope + d_rope);
* keys and values: ``kv_a_proj_with_mqa`` D -> r_kv + d_rope (the latent plus one rotary
  key shared by every head), an RMSNorm ``kv_a_layernorm`` over r_kv, and ``kv_b_proj``
  r_kv -> H*(d_nope + d_v) (each head's key without positions and its value);
* ``o_proj`` H*d_v -> D.

``attention_bias`` puts a bias on ``q_a_proj``, ``kv_a_proj_with_mqa`` and ``o_proj`` only
(transformers never gives ``q_proj``, ``q_b_proj`` or ``kv_b_proj`` one).

Readings that differ from multi-head attention: the scores use keys of d_nope + d_rope per
head and the values d_v, so the forward score and value matmuls cost
2*T*H*(d_nope + d_rope) + 2*T*H*d_v FLOPs per token as eager attention runs them (a causal
kernel that skips masked blocks meets (T + 1)/2 keys on average instead of T); the cache
keeps only the latent and the rotary key, (r_kv + d_rope) values per token and layer,
which is the point of MLA (the paper's "(d_c + d_h^R) l" elements per token).

DeepSeek-V3.2 adds sparse attention: ``extras`` holds its indexer (stored in ``self_attn``,
its readings added to these), and ``topk`` = K_I caps the keys a query attends to. Eager
code still scores all T keys and masks the rest; a causal kernel that skips them meets
min(i + 1, K_I) keys at position i, the same count as a window of K_I.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from ..symbols import B
from .attention import Attention, attended
from .base import ZERO, Fmt, Module, least
from .leaves import Linear, Norm
from .saving import DEFAULT, FP32, Saving, not_modelled

__all__ = ["MLA"]


@dataclass(frozen=True)
class MLA(Module):
    """DeepSeek's multi-head latent attention; ``q_rank`` None means a plain query projection."""

    name: str
    d_model: Expr
    heads: Expr
    q_rank: Expr | None
    kv_rank: Expr
    nope: Expr
    rope: Expr
    v_dim: Expr
    bias: bool = False
    group: str = "attention"
    topk: Expr | None = None
    extras: tuple[Module, ...] = ()
    sdpa_math: bool = True

    def children(self) -> tuple[Module, ...]:
        g, b = self.group, self.bias
        qk = self.heads * (self.nope + self.rope)
        if self.q_rank is None:
            query: tuple[Module, ...] = (Linear("q_proj", self.d_model, qk, False, group=g),)
        else:
            query = (
                Linear("q_a_proj", self.d_model, self.q_rank, b, group=g),
                Norm("q_a_layernorm", self.q_rank, kind="rms", weight=True),
                Linear("q_b_proj", self.q_rank, qk, False, group=g),
            )
        return (
            *query,
            Linear("kv_a_proj_with_mqa", self.d_model, self.kv_rank + self.rope, b, group=g),
            Norm("kv_a_layernorm", self.kv_rank, kind="rms", weight=True),
            Linear("kv_b_proj", self.kv_rank, self.heads * (self.nope + self.v_dim), False, group=g),
            Linear("o_proj", self.heads * self.v_dim, self.d_model, b, group=g),
            *self.extras,
        )

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        own = 2 * attended(T, causal, self.topk) * self.heads * (self.nope + self.rope + self.v_dim)
        return own + sympy.Add(*(x.attention_flops(T, causal) for x in self.extras))

    def softmax_flops(self, T: Expr) -> Expr:
        return 3 * self.heads * T + sympy.Add(*(x.softmax_flops(T) for x in self.extras))

    def cache_elements(self, T: Expr) -> Expr:
        return (self.kv_rank + self.rope) * T + sympy.Add(*(x.cache_elements(T) for x in self.extras))

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Bytes kept for backward, as transformers' DeepSeek attention runs (rotary tables at the root).

        Per token, in activation elements of a bytes unless fp32 is said: the input the
        down-projections multiply (D); with a query rank, what ``q_a_layernorm`` keeps
        (:class:`.leaves.Norm` over r_q) and ``q_b_proj``'s input (r_q); ``kv_a_layernorm``'s
        input in fp32 (r_kv; in fp32 the split leaves it a view of the whole r_kv + d_rope
        projection, which is then what is kept), its 1/rms and its normalised output
        (r_kv), ``kv_b_proj``'s input (r_kv); the queries and keys of every head as the
        score matmul copies them (H*(d_nope + d_rope) each), the values (H*d_v), the output
        projection's input (H*d_v); and the B*H*T^2 probabilities as eager attention keeps
        them. With one sequence or one head the value matmul takes the values as the view of
        ``kv_b_proj``'s output they are (its batch and head dimensions merge), which keeps that
        output whole: H*d_nope per token more. Under ``recompute="selective"`` the eager core is checkpointed: no probabilities,
        and it keeps the values as the view of ``kv_b_proj``'s output they are (H*d_nope more
        per token) and the causal mask (:meth:`core_shared`); V3.2's sparse mask is refused there.
        Under SDPA, what CPU runs (:meth:`_sdpa_bytes`): its math path where the
        query/key and value head sizes differ, its fused kernel where they are equal; flash
        kernels pad the values to the query/key size and refuse. DeepSeek-V3.2's indexer (``extras``)
        adds its own reading, which is nothing (:mod:`.indexer`); its sparse mask needs no
        gradient, so the attention keeps what V3's does.
        """
        s = saving or DEFAULT
        extras = sympy.Add(*(x.activation_bytes(T, s) for x in self.extras))  # DeepSeek-V3.2's indexer
        if s.attention == "flash":
            raise not_modelled("latent attention with flash kernels (they pad the values to the query/key head size; "
                               "not measured on CPU)")
        if s.tp != 1 or s.sp:
            raise not_modelled("latent attention under tensor parallelism")
        a, rows = s.width, B * T
        qk, v = self.heads * (self.nope + self.rope), self.heads * self.v_dim
        kept = a * rows * (self.d_model + self.kv_rank + 2 * qk + 2 * v)
        if self.q_rank is not None:
            norm = Norm("q_a_layernorm", self.q_rank, kind="rms", weight=True)
            kept += norm.activation_bytes(T, s) + a * rows * self.q_rank
        kv_norm = Norm("kv_a_layernorm", self.kv_rank, kind="rms", weight=True)
        kept += kv_norm.activation_bytes(T, s)
        if s.width == FP32:
            kept += FP32 * rows * self.rope
        if s.eager:
            if s.recompute != "selective":
                kept += B * self.heads * T**2 * Attention._probability_bytes(s)
                view = 1 - least(1, (B - 1) * (self.heads - 1))  # one sequence or one head
                kept += view * a * rows * self.heads * self.nope
            elif self.extras:
                raise not_modelled("selective recomputation of sparse latent attention (its index mask is not measured)")
            else:  # the checkpointed core keeps the values as the view of kv_b_proj's output they are
                kept += a * rows * self.heads * self.nope
        else:
            kept += self._sdpa_bytes(T, s)
        if s.drops("residual"):
            kept += s.mask_width * rows * self.d_model
        return kept + extras

    def _sdpa_bytes(self, T: Expr, s: Saving) -> Expr:
        """What CPU SDPA keeps beyond eager's tensors without the probabilities (see :meth:`activation_bytes`).

        Query/key and value heads of different sizes (``sdpa_math``) run PyTorch's math path:
        eager's ops over q, k and v upcast to fp32 (so 4 - a more bytes per element below
        fp32) with the softmax in fp32 only; in fp32 nothing is upcast, and with one sequence or
        one head the values stay the view eager keeps (H*d_nope per token more). Equal sizes run the fused CPU kernel: it keeps a
        log-sum-exp per query row and head (fp32) and takes the values as the view of
        ``kv_b_proj``'s output they are, keeping it whole (H*(d_nope + d_v)), and its output,
        of which the output projection takes a copy (H*d_v); with DeepSeek-V3.2's indexer the
        sparse mask is passed explicitly, and the kernel keeps it (B x 1 x T x T, a bytes each).
        """
        a, rows = s.width, B * T
        qk, v = self.heads * (self.nope + self.rope), self.heads * self.v_dim
        if self.sdpa_math:
            probabilities = FP32 * B * self.heads * T**2 if s.recompute != "selective" else ZERO
            view = 1 - least(1, (B - 1) * (self.heads - 1))  # as eager's values
            view = view if s.width == FP32 and s.recompute != "selective" else ZERO
            return (FP32 - a) * rows * (2 * qk + v) + probabilities + view * a * rows * self.heads * self.nope
        mask = a * B * T**2 if self.extras else ZERO
        return FP32 * B * self.heads * T + a * rows * self.heads * (self.nope + self.v_dim) + mask

    def core_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """The causal mask a checkpointed eager core keeps, shared with the other layers (:meth:`.Attention.core_shared`)."""
        s = saving or DEFAULT
        if not (s.eager and s.recompute == "selective"):
            return {}
        return {("mask", "causal", None, False): s.width * B * T**2}

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """The rotary cos and sin tables over the d_rope rotated dimensions (T x d_rope each)."""
        return {("positions", "rotary", self.rope): 2 * (saving or DEFAULT).width * T * self.rope}

    def input_width(self) -> Expr:
        return self.d_model

    def describe(self, fmt: Fmt = str) -> str:
        q = "q_proj" if self.q_rank is None else f"q_rank={fmt(self.q_rank)}"
        return (f"MLA(heads={fmt(self.heads)}, {q}, kv_rank={fmt(self.kv_rank)}, "
                f"nope={fmt(self.nope)}, rope={fmt(self.rope)}, v={fmt(self.v_dim)})")
