"""Attention sinks: one learned logit per query head that every softmax also normalises over.

gpt-oss (transformers' ``GptOssAttention.sinks``, a Parameter of shape
``[num_attention_heads]``) appends this logit to each head's scores before the
softmax and drops its column afterwards, so a head may put weight on "no token".
It stores H values, adds no matmul and nothing to the KV cache (it is the same
for every position), and makes each head's softmax one entry longer: 3*H more
softmax FLOPs per token in Chinchilla's convention of 3 per score.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from .base import Fmt
from .leaves import Parameter

__all__ = ["Sinks"]

_HEADS = sympy.Symbol("n", positive=True, integer=True)


@dataclass(frozen=True)
class Sinks(Parameter):
    """One sink logit per query head: a Parameter of shape ``(heads,)`` that every softmax also normalises over.

    As a bare parameter it keeps no activations of its own; the scores it joins are the
    attention layer's.
    """

    group: str = "attention"

    @property
    def heads(self) -> Expr:
        return self.shape[0]

    def softmax_flops(self, T: Expr) -> Expr:
        return 3 * self.heads

    def example(self) -> "Sinks":
        return Sinks("x", (_HEADS,), group=self.group)

    def describe(self, fmt: Fmt = str) -> str:
        return f"Sinks({fmt(self.heads)} heads)"
