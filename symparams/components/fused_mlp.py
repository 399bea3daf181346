"""A gated MLP whose gate and up projections are one matrix (Phi-3's ``gate_up_proj``)."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .base import Fmt, Module
from .leaves import Linear
from .mlp import MLP
from .saving import Saving, activation_saves, not_modelled

__all__ = ["FusedMLP"]


@dataclass(frozen=True)
class FusedMLP(MLP):
    """``gate_up_proj``: D -> 2F, split into gate and up after the matmul; ``down_proj``: F -> D.

    transformers 5's ``Phi3MLP``: ``nn.Linear(hidden_size, 2 * intermediate_size)`` and
    ``nn.Linear(intermediate_size, hidden_size)``, no biases unless ``bias``. The weights and
    their multiply-accumulates are those of a gated MLP's three matrices, held in two leaves.

    Activation memory: gate and up are views of one output, so an activation that keeps its
    input (SiLU, GELU) keeps what a gated MLP's does; one that does not would still keep the
    whole fused output alive, which is not modelled yet and refuses.
    """

    gated: bool = True
    names: tuple[str, ...] = ("gate_up_proj", "down_proj")

    def children(self) -> tuple[Module, ...]:
        g, b = self.group, self.bias
        up, down = self.names
        return (
            Linear(up, self.d_model, 2 * self.hidden, b, group=g),
            Linear(down, self.hidden, self.d_model, b, group=g),
        )

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        keeps_input, _ = activation_saves(self.activation)
        if not keeps_input:
            raise not_modelled(f"a fused gate_up MLP with the {self.activation!r} activation")
        return super().activation_bytes(T, saving)

    def describe(self, fmt: Fmt = str) -> str:
        return f"MLP(gated, fused gate_up, {self.activation}, hidden={fmt(self.hidden)})"
