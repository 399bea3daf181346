"""Mixture of attention heads (JetMoE's MoA): routed query/output projections around shared keys and values.

transformers' ``JetMoeAttention`` / ``JetMoeMoA`` (5.x), after Shen et al., "ModuleFormer"
and "JetMoE" (arXiv:2404.07413): a router (``experts.router.layer``, D -> E, no bias) picks
k of E attention experts per token; expert e holds a query projection
``input_linear[e]`` D -> H_kv*d_h and an output projection ``output_linear[e]``
H_kv*d_h -> D; one ``kv_proj`` D -> 2*H_kv*d_h (no bias) gives keys and values shared by
the k chosen experts; a bias of D is added to the output. So a token's attention has
k*H_kv heads of d_h, while the cache keeps only the shared keys and values, 2*H_kv*d_h
per token, as multi-query attention per expert would.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .attention import attended
from .base import Fmt
from .mlp import MoE

__all__ = ["MixtureOfAttention"]


@dataclass(frozen=True)
class MixtureOfAttention(MoE):
    """A routed mixture of query/output experts over keys and values of ``kv_heads`` heads of ``head_dim``.

    ``extras`` hold what every token uses (``kv_proj`` and the output bias); the routed
    ``expert`` is one expert's query and output projection.
    """

    kv_heads: Expr = 1
    head_dim: Expr = 1
    group: str = "attention"

    def heads(self) -> Expr:
        """Query heads one token attends with: H_kv from each of its k experts."""
        return self.top_k * self.kv_heads

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return 2 * 2 * attended(T, causal) * self.heads() * self.head_dim

    def softmax_flops(self, T: Expr) -> Expr:
        return 3 * self.heads() * T

    def cache_elements(self, T: Expr) -> Expr:
        return 2 * self.kv_heads * self.head_dim * T

    def describe(self, fmt: Fmt = str) -> str:
        return (f"MixtureOfAttention(experts={fmt(self.experts)}, top_k={fmt(self.top_k)}, "
                f"kv_heads={fmt(self.kv_heads)}, head_dim={fmt(self.head_dim)})")
