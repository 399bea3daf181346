"""Nemotron-H's own modules: an RMSNorm that keeps an fp32 copy of its weight, and the latent mixture of experts.

Kept apart from :mod:`.nemotron_h` so that reading a config imports no SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sympy import Expr

from ..components import MoE, Norm
from ..components.base import ZERO
from ..components.saving import DEFAULT as NO_SETTINGS
from ..components.saving import FP32, Saving
from ..symbols import B

__all__ = ["_Norm", "_LatentMoE"]


@dataclass(frozen=True)
class _Norm(Norm):
    """Nemotron-H's RMSNorm: (weight.to(fp32) * x).to(dtype), so below fp32 each norm also keeps an fp32 copy of
    its weight (``dim`` values, whatever B and T) beside the fp32 product Norm's ``weight_fp32`` reads."""

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        return super().activation_bytes(T, s) + (ZERO if s.width == FP32 else FP32 * self.dim)


@dataclass(frozen=True)
class _LatentMoE(MoE):
    """Nemotron-H's mixture of experts between two latent projections (``moe_latent_size``): D -> r_e -> D.

    ``fc1_latent_proj`` takes the block's normalised input, which the shared expert keeps
    already, and its output is what the experts gather rows from (kept as their input, r_e
    wide); each routed token keeps the expert's output at r_e (not D) for the product with
    its weight; ``fc2_latent_proj`` keeps its input, the experts' sum, a*r_e per token.
    """

    latent: Expr = ZERO

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        plain = MoE.activation_bytes(replace(self, extras=()), T, s)
        n, width = B * T, self.router.d_in
        return plain + s.stream(s.width * n * (self.top_k * (self.latent - width) + self.latent))
