"""The lightning indexer of DeepSeek Sparse Attention (DeepSeek-V3.2): which K_I keys each query attends to.

transformers' ``DeepseekV32Indexer`` (5.x), after the DeepSeek-V3.2-Exp report: H_I indexer
heads of d_I, queries from the latent query (``wq_b`` r_q -> H_I*d_I), one shared key
(``wk`` D -> d_I, then ``k_norm``, a LayerNorm of d_I with weight and bias), and per-head
weights (``weights_proj`` D -> H_I). It scores every earlier token, relu(q.k) summed over
heads with the weights, and keeps the best K_I (``index_topk``) for the attention proper.

Readings: its weights are its own; per token it multiplies the query with T keys per
head (2*T*H_I*d_I FLOPs) and weighs the H_I head scores of each key (2*T*H_I), as eager
code runs it over all T keys (a causal kernel meets (T + 1)/2 on average); no softmax
(a relu); it caches its key, d_I values per token.

Activation memory: none. Its forward ends in the top-k *indices* of the scores (the values
are dropped), which feed only the boolean mask of the keys left out, and that mask meets
attention through a mask that needs no gradient. So nothing it computes is on a path to
the loss: autograd frees every node of it, with what they saved, as the forward pass goes
on (as with DeepSeek-V3's group choice), and the training step keeps none of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .attention import attended
from .base import ZERO, Fmt, Module
from .leaves import Linear, Norm
from .saving import Saving

__all__ = ["Indexer"]


@dataclass(frozen=True)
class Indexer(Module):
    """DeepSeek-V3.2's indexer: ``heads`` H_I of ``head_dim`` d_I, queries from a latent of ``q_rank``."""

    name: str
    d_model: Expr
    q_rank: Expr
    heads: Expr
    head_dim: Expr
    group: str = "attention"

    def children(self) -> tuple[Module, ...]:
        g = self.group
        return (
            Linear("wq_b", self.q_rank, self.heads * self.head_dim, group=g),
            Linear("wk", self.d_model, self.head_dim, group=g),
            Norm("k_norm", self.head_dim, kind="layer", weight=True, bias=True),
            Linear("weights_proj", self.d_model, self.heads, group=g),
        )

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return 2 * attended(T, causal) * self.heads * (self.head_dim + 1)

    def softmax_flops(self, T: Expr) -> Expr:
        return ZERO

    def cache_elements(self, T: Expr) -> Expr:
        return self.head_dim * T

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Nothing is kept (see the module): the scores feed only top-k indices."""
        return ZERO

    def describe(self, fmt: Fmt = str) -> str:
        return f"Indexer(heads={fmt(self.heads)}, head_dim={fmt(self.head_dim)})"
