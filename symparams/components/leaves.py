"""Leaves: the nodes that hold weights (Linear, Embedding, Norm, Parameter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy import Expr, Integer

from ..symbols import B, V
from .base import ZERO, Fmt, Leaf
from .saving import DEFAULT, FP32, INDEX, Saving, not_modelled

__all__ = ["Linear", "Embedding", "Norm", "Parameter"]

_D_IN, _D_OUT, _ROWS, _DIM = sympy.symbols("d_in d_out n d", positive=True, integer=True)


@dataclass(frozen=True)
class Linear(Leaf):
    """``nn.Linear(d_in, d_out, bias)``: d_in*d_out weights (+ d_out biases).

    ``tied`` marks an output layer that reuses the embedding matrix: it stores no
    weight of its own (only its bias, if any) but still costs a full matmul.
    """

    name: str
    d_in: Expr
    d_out: Expr
    bias: bool = False
    tied: bool = False
    group: str = "other"

    def params(self) -> Expr:
        weight = ZERO if self.tied else self.d_in * self.d_out
        return weight + (self.d_out if self.bias else ZERO)

    def matmul(self) -> Expr:
        return self.d_in * self.d_out

    def palm(self) -> Expr:
        return self.d_in * self.d_out + self.params() if self.tied else self.params()

    def example(self) -> "Linear":
        return Linear("x", _D_IN, _D_OUT, bias=self.bias, tied=self.tied)

    def tensor_shapes(self) -> tuple[tuple[Expr, ...], ...]:
        """``weight`` (d_out, d_in), as PyTorch stores it, unless tied; ``bias`` (d_out,)."""
        weight = () if self.tied else ((self.d_out, self.d_in),)
        return weight + (((self.d_out,),) if self.bias else ())

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """A lone linear layer (an LM head) keeps its input for the weight gradient: B*T*d_in elements."""
        s = saving or DEFAULT
        return s.stream(s.width * B * T * self.d_in)

    def input_width(self) -> Expr:
        return self.d_in

    def rule_note(self) -> str:
        return "shares the embedding's matrix" if self.tied else ""

    def sized_product(self, size: Callable[[Expr], Expr]) -> Expr | None:
        if self.tied:
            return None
        d_in, d_out = size(self.d_in), size(self.d_out)
        product = sympy.Mul(d_in, d_out, evaluate=False)
        return sympy.Add(product, d_out, evaluate=False) if self.bias else product

    def describe(self, fmt: Fmt = str) -> str:
        tied = ", tied to the embedding" if self.tied else ""
        return f"Linear({fmt(self.d_in)} -> {fmt(self.d_out)}, bias={self.bias}{tied})"


@dataclass(frozen=True)
class Embedding(Leaf):
    """``nn.Embedding(rows, dim)``: a lookup table, rows*dim weights and no matmul.

    PaLM's N' leaves every table out; Chinchilla counts the token table (the one
    with V rows) as a one-hot matmul. ``scaled``: the looked-up rows are multiplied by a
    0-d tensor in the activation dtype (Gemma's sqrt(D) normaliser), which the product keeps.
    """

    name: str
    rows: Expr
    dim: Expr
    group: str = "embedding"
    scaled: bool = False

    def params(self) -> Expr:
        return self.rows * self.dim

    def onehot(self) -> Expr:
        return self.params() if sympy.sympify(self.rows).has(V) else ZERO

    def palm(self) -> Expr:
        return ZERO

    def example(self) -> "Embedding":
        return Embedding("x", _ROWS, _DIM)

    def tensor_shapes(self) -> tuple[tuple[Expr, ...], ...]:
        return ((self.rows, self.dim),)

    def _token_table(self) -> bool:
        return bool(sympy.sympify(self.rows).has(V))

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """The lookup keeps its indices (int64): the token ids, B*T; a position table's ids, T.

        transformers makes one row of positions (``arange(T).unsqueeze(0)``) that every
        sequence of the batch shares. Dropout on the embeddings (``"embedding"``) keeps a
        mask of B*T*dim, counted at the token table; the dropped-out sum is the first
        norm's input and is counted there. A ``scaled`` table's product keeps its 0-d scale (a bytes).
        """
        s = saving or DEFAULT
        if not self._token_table():
            return INDEX * T
        mask = s.stream(s.mask_width * B * T * self.dim) if s.drops("embedding") else ZERO
        return INDEX * B * T + mask + (s.width if self.scaled else ZERO)

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """A stored position table means learned positions: the root then counts no rotary tables."""
        return {} if self._token_table() else {("positions", "learned"): ZERO}

    def sized_product(self, size: Callable[[Expr], Expr]) -> Expr | None:
        return sympy.Mul(size(self.rows), size(self.dim), evaluate=False)

    def describe(self, fmt: Fmt = str) -> str:
        return f"Embedding({fmt(self.rows)}, {fmt(self.dim)})"


@dataclass(frozen=True)
class Norm(Leaf):
    """RMSNorm or LayerNorm over ``dim``: a weight and/or a bias vector, or nothing.

    nanochat's ``F.rms_norm`` has neither (0 parameters); Llama's RMSNorm has a
    weight (D); LayerNorm usually has both (2D). ``offset``: the norm scales by
    (1 + weight): an RMSNorm computes it in fp32 (Qwen3-Next's and Qwen3.5's), a LayerNorm in the
    weights' dtype and hands it to ``native_layer_norm`` (Nemotron's LayerNorm1P); still one weight per channel.
    ``written_out``: a LayerNorm computed op by op in fp32 (Cohere's ``CohereLayerNorm``), not
    by ``native_layer_norm``. ``vectors``: how many vectors it normalises per token (a norm over
    each head: the heads), each of ``width`` (None: ``dim``; a weight per head and channel that
    normalises each head alone, as Cohere's and StableLM's q/k norms do, has ``dim`` = heads x width).
    ``shares_input``: the LayerNorm normalises the very tensor another norm beside it does (GPT-NeoX's
    parallel block), which is kept once, at the other: this one keeps only its statistics.
    ``weight_copied``: the product takes the weight cast to fp32 (Helium's ``self.weight.to(torch.float32)``,
    as a ``written_out`` norm does), a copy it keeps where the weights are narrower: 4*dim whatever B and T.
    """

    name: str
    dim: Expr
    kind: str = "rms"
    weight: bool = False
    bias: bool = False
    group: str = "norm"
    weight_fp32: bool = False
    offset: bool = False
    written_out: bool = False
    vectors: Expr = Integer(1)
    width: Expr | None = None
    shares_input: bool = False
    weight_copied: bool = False

    def params(self) -> Expr:
        return self.dim * (int(self.weight) + int(self.bias))

    def example(self) -> "Norm":
        return Norm("x", _DIM, kind=self.kind, weight=self.weight, bias=self.bias, offset=self.offset)

    def tensor_shapes(self) -> tuple[tuple[Expr, ...], ...]:
        return tuple((self.dim,) for on in (self.weight, self.bias) if on)

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """What a norm over B*T vectors of ``dim`` keeps (its output is counted by whoever multiplies it).

        RMSNorm as Llama writes it upcasts: x in fp32 (kept by the square and the product),
        1/rms per vector in fp32, and, with a weight, the normalised vector cast back to the
        activation dtype (kept by the product with the weight): 4*dim + 4 (+ a*dim) bytes per
        token; ``weight_fp32`` (gpt-oss) multiplies the fp32 vector by the weight before the
        cast, so the product keeps 4*dim. LayerNorm (``native_layer_norm``) keeps its input, and the mean and 1/std per
        vector in fp32: a*dim + 8. An ``offset`` RMSNorm multiplies the fp32 normalised vector by 1 + weight in
        fp32 before the cast: 4*dim + 4 + 4*dim per token, and the fp32 1 + weight, 4*dim whatever B and T
        (:meth:`offset_bytes`). A ``written_out`` LayerNorm keeps x - mean twice (the square and the
        product each compute it anew), 1/std, and the normalised vector the weight multiplies, all in
        fp32: 12*dim + 4 per vector; below fp32 also the weight's fp32 copy, 4*dim whatever B and T.
        """
        s = saving or DEFAULT
        rows = B * T * self.vectors
        if self.kind not in ("rms", "layer"):
            raise not_modelled(f"{self.kind} norms")
        each = self.dim if self.width is None else self.width
        copied = self.weight_copied or self.written_out
        copy = FP32 * self.dim if copied and self.weight and s.width != FP32 else ZERO
        if self.kind == "layer" and self.written_out:
            return s.stream(3 * FP32 * rows * each + FP32 * rows) + copy
        if self.kind == "layer":
            kept = ZERO if self.shares_input else s.width * rows * each
            shifted = s.width * self.dim if self.offset and self.weight else ZERO  # 1 + weight, in the weights' dtype
            return s.stream(kept + 2 * FP32 * rows) + shifted
        fp32 = self.weight_fp32 or self.offset
        normalised = (FP32 if fp32 else s.width) * rows * each if self.weight else ZERO
        return s.stream(FP32 * rows * each + FP32 * rows + normalised) + self.offset_bytes() + copy

    def offset_bytes(self) -> Expr:
        """An ``offset`` norm's fp32 1 + weight, which its product keeps: 4*dim, whatever B and T (else 0)."""
        return FP32 * self.dim if self.offset and self.weight else ZERO

    def input_width(self) -> Expr:
        return self.dim

    def with_bias(self) -> "Norm":
        return self

    def describe(self, fmt: Fmt = str) -> str:
        kind = {"rms": "RMSNorm", "layer": "LayerNorm"}.get(self.kind, self.kind)
        parts = [p for p, on in (("weight", self.weight), ("bias", self.bias)) if on]
        learned = "+".join(parts) if parts else "no learnable parameters"
        return f"{kind}({fmt(self.dim)}, {learned})"


@dataclass(frozen=True)
class Parameter(Leaf):
    """A bare tensor of learned values (scalars, gates, sinks) that is not a layer."""

    name: str
    shape: tuple[Expr, ...]
    group: str = "other"

    def params(self) -> Expr:
        return sympy.Mul(*self.shape) if self.shape else Integer(1)

    def example(self) -> "Parameter":
        return Parameter("x", tuple(sympy.Symbol(f"s_{i + 1}", positive=True) for i in range(len(self.shape))))

    def tensor_shapes(self) -> tuple[tuple[Expr, ...], ...]:
        return (self.shape,) if self.shape else ((Integer(1),),)

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """A bare parameter keeps nothing of its own; what multiplies it is counted by its layer."""
        return ZERO

    def describe(self, fmt: Fmt = str) -> str:
        return f"Parameter({', '.join(fmt(s) for s in self.shape)})"
