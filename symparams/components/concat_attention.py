"""Attention that reads a wider input than it writes (Zamba2's shared block over [h; x0])."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .attention import Attention
from .base import Fmt, Module
from .leaves import Linear

__all__ = ["ConcatAttention"]


@dataclass(frozen=True)
class ConcatAttention(Attention):
    """GQA attention whose q, k, v read ``d_model`` inputs and whose output projection writes ``d_out``.

    Zamba2's shared transformer concatenates the layer's hidden state with the
    original token embeddings (2·D inputs, transformers' ``attention_hidden_size``) and
    returns D: q: 2D -> H·d_h, k and v: 2D -> H_kv·d_h, o: H·d_h -> D. Scores, softmax
    and the KV cache are those of any attention with these heads.
    """

    d_out: Expr | None = None

    def children(self) -> tuple[Module, ...]:
        q, k, v, o = super().children()
        assert isinstance(o, Linear)
        out = self.d_out if self.d_out is not None else self.d_model
        return (q, k, v, Linear(o.name, o.d_in, out, self.out_bias, group=self.group))

    def describe(self, fmt: Fmt = str) -> str:
        return f"Concat{super().describe(fmt)} from {fmt(self.d_model)} inputs"
