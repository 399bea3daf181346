"""Zamba2's own modules: the shared transformer blocks, their gated MLP, and a use's low-rank adapter.

Kept apart from :mod:`.zamba2` so that reading a config imports no SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from ..components import Composite
from ..components.saving import DEFAULT as NO_SETTINGS
from ..components.saving import Saving, activation_saves, not_modelled
from ..components.shared import Shared
from ..symbols import B, D, F, r_a

__all__ = ["_Shared", "_GatedMLP", "_Adapter"]


@dataclass(frozen=True)
class _Shared(Shared):
    """The shared blocks: each use keeps its own activations, so the reading is ``uses`` times one block's."""

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        if s.recompute != "none":
            raise not_modelled("recomputation of Zamba2's shared blocks (what each use keeps then is not measured)")
        return self.uses * self.child.activation_bytes(T, s)


@dataclass(frozen=True)
class _GatedMLP(Composite):
    """``Zamba2MLP``: act(gate) * up over a fused ``gate_up_proj`` (plus the use's adapter), then ``down_proj``.

    Per token it keeps its input (D), the sum of gate_up and the adapter (2F: the
    activation keeps the gate as a view of it, the product the up half), the activation's
    output and the product (F each), and any further tensors the activation keeps (F each).
    """

    activation: str = "gelu"

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        if s.tp != 1 or s.dropout:
            raise not_modelled("Zamba2's shared MLP under tensor parallelism or dropout")
        _, extra = activation_saves(self.activation)
        return s.width * B * T * (D + (4 + extra) * F)


@dataclass(frozen=True)
class _Adapter(Composite):
    """A use's low-rank adapter beside a projection: its down input is the projection's (counted there), so it keeps
    only the r_a values per token its up projection multiplies."""

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        return s.width * B * T * r_a
