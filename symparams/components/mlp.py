"""Feed-forward layers: a plain or gated MLP, and a mixture of experts over them."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .base import ONE, Fmt, Module
from .composite import Repeat
from .leaves import Linear

__all__ = ["MLP", "MoE"]


@dataclass(frozen=True)
class MLP(Module):
    """Feed-forward: up D -> F, activation, down F -> D; gated adds a second D -> F.

    ``gated`` is SwiGLU/GeGLU (three matrices); plain is GELU/ReLU^2 (two).
    """

    name: str
    d_model: Expr
    hidden: Expr
    gated: bool = False
    bias: bool = False
    activation: str = "relu2"
    group: str = "mlp"
    names: tuple[str, ...] = ()

    def children(self) -> tuple[Module, ...]:
        g, b = self.group, self.bias
        if self.gated:
            gate, up, down = self.names or ("gate", "up", "down")
            return (
                Linear(gate, self.d_model, self.hidden, b, group=g),
                Linear(up, self.d_model, self.hidden, b, group=g),
                Linear(down, self.hidden, self.d_model, b, group=g),
            )
        up, down = self.names or ("fc", "proj")
        return (
            Linear(up, self.d_model, self.hidden, b, group=g),
            Linear(down, self.hidden, self.d_model, b, group=g),
        )

    def describe(self, fmt: Fmt = str) -> str:
        kind = "gated" if self.gated else "plain"
        return f"MLP({kind}, {self.activation}, hidden={fmt(self.hidden)})"


@dataclass(frozen=True)
class MoE(Module):
    """Mixture of experts: a router D -> E and E experts, of which k run per token.

    ``shared`` holds experts every token passes through (DeepSeek, Qwen2-MoE,
    Llama 4), beside the routed ones; ``extras`` holds anything else the layer
    stores and every token uses (a shared expert's gate, a router's bias).
    """

    name: str
    router: Linear
    expert: Module
    experts: Expr
    top_k: Expr
    group: str = "mlp"
    shared: Module | None = None
    extras: tuple[Module, ...] = ()

    def routed(self) -> Repeat:
        return Repeat("experts", self.experts, self.expert, group=self.group)

    def children(self) -> tuple[Module, ...]:
        shared = (self.shared,) if self.shared is not None else ()
        return (self.router, self.routed(), *shared, *self.extras)

    def token_children(self) -> tuple[tuple[Expr, Module], ...]:
        shared = ((ONE, self.shared),) if self.shared is not None else ()
        return ((ONE, self.router), (self.top_k, self.expert), *shared, *((ONE, x) for x in self.extras))

    def describe(self, fmt: Fmt = str) -> str:
        shared = ", shared expert" if self.shared is not None else ""
        return f"MoE(experts={fmt(self.experts)}, top_k={fmt(self.top_k)}{shared})"
