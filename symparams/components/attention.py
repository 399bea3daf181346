"""Multi-head attention (MHA, GQA, MQA): projections, score FLOPs and the KV cache."""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from ..symbols import B
from .base import ZERO, Fmt, Module, least
from .leaves import Linear
from .saving import DEFAULT, FP32, Saving

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
    rotary_per_layer: bool = False
    rotary_dim: Expr | None = None
    rotary_concat: bool = False
    input_shared: bool = False

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

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Bytes this layer keeps for backward, as Llama's attention runs (rotary tables counted at the root).

        Per token, in activation elements of a bytes: the input the q, k, v projections
        multiply (D); the rotated queries (H*d_h); keys and values as the kernel takes them
        (eager: repeated to H heads by ``repeat_kv``, H*d_h each, but H_kv*d_h with one
        sequence and one key head, see :meth:`_repeated`; sdpa/flash: H_kv*d_h each);
        the output projection's input (H*d_h). Eager attention also keeps the
        probabilities, B*H*T^2 of them: the fp32 softmax output, plus its cast to the
        activation dtype below fp32, or with dropout the mask and the dropped-out copy.
        sdpa/flash keep a log-sum-exp per query row and head instead (fp32). Under
        ``recompute="selective"`` eager attention's core (transformers'
        ``eager_attention_forward``: repeat_kv, scores, softmax, dropout, the product with
        the values) is checkpointed: it keeps its inputs, keys and values before repeat_kv
        (H_kv*d_h each) and the causal mask (:meth:`core_shared`), and no probabilities.
        Under SDPA a layer whose sliding window (or chunk: Llama 4) W is at most T is handed an explicit mask, and
        transformers lets the kernel take grouped keys and values only without one: keys and
        values are then repeated to H heads (copies of H*d_h each, but a view of one key head's
        H_kv*d_h where there is one), and the mask, converted for the
        kernel in each layer, is kept there, B*T^2 elements of the activation dtype (measured:
        tests/test_activations.py, and for chunks tests/test_activations_moe.py). Dropout after
        the output projection (``"residual"``) keeps a mask of D per token.
        ``rotary_concat``: the rotary code concatenates the rotated and the passed-through parts of q and k
        (Phi-3's, GLM's, Bamba's), so they come out head-major; under SDPA the kernel's output follows the
        queries' layout, and the output projection keeps a copy of it beside it: a*H*d_h bytes per token more
        where a GPU holds two heads or more and T >= 2 (with one, both layouts agree); eager attention copies
        its output either way, and flash kernels return it token-major (not measured: they do not run on CPU).
        ``input_shared``: a parallel block's attention (phi's, Cohere's), whose input is the one the MLP beside
        it multiplies: one tensor, kept once and counted at the MLP.
        ``rotary_dim``: the width of the rotary tables where only part of each head rotates
        (GLM-4.5's ``partial_rotary_factor``); ``rotary_per_layer``: the layer makes its own copy of the cos and sin tables (ERNIE
        4.5 interleaves them in every layer, in fp32), which it keeps instead of the shared ones.
        """
        s = saving or DEFAULT
        a, rows = s.width, B * T
        inner, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        repeated = s.eager and s.recompute != "selective"  # a checkpointed core keeps k, v before repeat_kv
        heads = a * rows * (2 * inner + 2 * (self._repeated(inner, kv) if repeated else kv))
        if s.eager:
            if s.recompute != "selective":
                heads += self._kept_probabilities(T, s)
        else:
            heads += FP32 * B * self.heads * T
        mask = ZERO
        window = getattr(self, "window", None)
        window = getattr(self, "mask_window", None) if window is None else window
        if s.attention == "sdpa" and window is not None:
            masked = sympy.Piecewise((1, T >= window), (0, True))
            repeated_copy = least(1, self.kv_heads - 1)  # one key head repeats as a view, which the kernel takes
            heads += masked * repeated_copy * a * rows * 2 * (inner - kv)
            mask = masked * a * B * T**2
        width = ZERO if self.input_shared else a * rows * self.d_model
        if s.drops("residual"):
            width += s.mask_width * rows * self.d_model
        tables = 2 * FP32 * T * self.head_dim if self.rotary_per_layer else ZERO
        if self.rotary_concat and s.attention == "sdpa":
            copied = least(1, self.heads / s.tp - 1, T - 1)  # one head or one token: the layouts agree
            heads += copied * a * rows * inner
        return s.split(heads) + s.stream(width) + tables + mask

    def _repeated(self, inner: Expr, kv: Expr) -> Expr:
        """Elements per token of a key (or value) as eager attention keeps it after ``repeat_kv``.

        Repeated to H heads, a copy of H*d_h; but with one sequence and one key head the
        expanded key is a view the matmul takes as it is (its batch and head dimensions
        merge), so only the H_kv*d_h it expands is kept.
        """
        single = 1 - least(1, B - 1)  # one sequence
        lone = 1 - least(1, self.kv_heads - 1)  # one key head
        return inner - single * lone * (inner - kv)

    def _kept_probabilities(self, T: Expr, s: Saving) -> Expr:
        """Bytes eager attention keeps for its B*H*T^2 probabilities (see :meth:`_probability_bytes`)."""
        return B * self.heads * T**2 * self._probability_bytes(s)

    @staticmethod
    def _probability_bytes(s: Saving) -> Expr:
        """Bytes eager attention keeps per attention probability."""
        softmax = FP32 if s.softmax_fp32 else s.width
        if s.drops("attention"):
            return softmax + s.mask_width + s.width
        return softmax + (s.width if s.width != softmax else ZERO)

    def core_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """What a checkpointed eager core keeps that the layers share: the causal mask.

        transformers builds one B x 1 x T x T mask in the activation dtype per kind of mask
        (a window or chunks make their own) and hands it to every layer's
        ``eager_attention_forward``; checkpointing that function keeps it as an input, one
        storage for all the layers (measured: tests/test_activations.py). Without the
        checkpoint the mask feeds an addition, which keeps nothing.
        """
        s = saving or DEFAULT
        if not (s.eager and s.recompute == "selective"):
            return {}
        kind = (getattr(self, "window", None), getattr(self, "chunked", False))
        return {("mask", "causal", *kind): s.width * B * T**2}

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """Rotary positions: the cos and sin tables (T x d_h each, one row for the whole batch) every layer uses."""
        if self.rotary_per_layer:
            return {}
        width = self.head_dim if self.rotary_dim is None else self.rotary_dim
        return {("positions", "rotary", width): 2 * (saving or DEFAULT).width * T * width}

    def input_width(self) -> Expr:
        return self.d_model

    def describe(self, fmt: Fmt = str) -> str:
        return f"Attention(heads={fmt(self.heads)}, kv_heads={fmt(self.kv_heads)}, head_dim={fmt(self.head_dim)})"
