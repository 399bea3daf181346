"""JetMoE's two mixtures as nodes: what each keeps for the backward pass (:mod:`.jetmoe` builds them)."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from ..components import Attention, MoE
from ..components.base import ZERO
from ..components.moa import MixtureOfAttention
from ..components.routing import Routing
from ..components.saving import DEFAULT, Saving, activation_saves, not_modelled
from ..symbols import B, D, F

__all__ = ["ROUTING", "JetMoeMLP", "JetMoeAttention"]

ROUTING = Routing(kind="jetmoe", cast=True)


def _weighted(s: Saving, T: Expr, width: Expr, top_k: Expr) -> Expr:
    """Each routed token's expert output, its gate and the gated output (kept by the merging ``index_add``)."""
    return s.stream(s.width * B * T * top_k * (2 * width + 1))


@dataclass(frozen=True)
class JetMoeMLP(MoE):
    """``JetMoeMoE``: the router (:mod:`~symparams.components.routing`, ``"jetmoe"``), then per routed token
    the gathered input (a*D), the fused ``input_linear`` output (2F: the activation and the product keep its
    halves), the activation's output and the product (F each) and :func:`_weighted`'s a*(2D + 1)."""

    activation: str = "silu"

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or DEFAULT
        if activation_saves(self.activation) != (True, 0):
            raise not_modelled(f"JetMoE experts with the {self.activation!r} activation")
        hidden = s.split(s.width * B * T * self.top_k * 4 * F)
        gathered = s.stream(s.width * B * T * self.top_k * D)
        return (self.routing.router_bytes(s, T, D, self.experts, self.top_k, False) + gathered + hidden
                + _weighted(s, T, D, self.top_k))


@dataclass(frozen=True)
class JetMoeAttention(MixtureOfAttention):
    """``JetMoeAttention``: attention over the k*H_kv query heads of a token's experts, keys and values repeated
    to match (``repeat``, so SDPA too takes them at k*H_kv heads), as :class:`Attention` keeps it; then the
    router's tensors, the gathered input of the query experts (a*D per routed token), their output as the
    ``index_add`` that ungroups it keeps it (a*H_kv*d_h), the output experts' gathered input in place of an
    output projection's, and :func:`_weighted`. Under SDPA the kernel's output is kept besides that gathered
    copy (a*H_kv*d_h per routed token)."""

    def core(self) -> Attention:
        heads = self.top_k * self.kv_heads
        return Attention("attention", D, heads, heads, self.head_dim)

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or DEFAULT
        routed = s.width * B * T * self.top_k
        sdpa = ZERO if s.eager else s.split(routed * self.kv_heads * self.head_dim)
        return (self.core().activation_bytes(T, s) + self.routing.router_bytes(s, T, D, self.experts, self.top_k, True)
                - s.stream(s.width * B * T * D) + s.stream(routed * D) + s.split(routed * self.kv_heads * self.head_dim)
                + sdpa + _weighted(s, T, D, self.top_k))

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        return self.core().activation_shared(T, saving)

    def core_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """The causal mask a checkpointed eager core keeps (selective recomputation), as the core's."""
        return self.core().core_shared(T, saving)
