"""Feed-forward layers: a plain or gated MLP, and a mixture of experts over them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sympy import Expr, Integer

from ..symbols import B
from .base import ONE, ZERO, Fmt, Module
from .composite import Repeat
from .leaves import Linear, Parameter
from .routing import MIXTRAL, Routing
from .saving import ACTIVATION_MASKS, DEFAULT, INDEX, Saving, activation_saves, not_modelled

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

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Bytes kept for backward: the input (D per token) and the hidden tensors (F per token each).

        The activation's output is kept by the down projection (plain) or by the product
        with the up projection (gated), which also keeps the up projection's output, and the
        down projection keeps the product. What the activation itself keeps besides (its
        input, intermediate tensors) is read from :data:`.saving.ACTIVATION_SAVES`, and its
        masks and scalars (xIELU) from :data:`.saving.ACTIVATION_MASKS`. Dropout
        after the down projection (``"residual"``) keeps a mask of D per token.
        """
        s = saving or DEFAULT
        keeps_input, extras = activation_saves(self.activation)
        hidden = 1 + int(keeps_input) + extras + (2 if self.gated else 0)
        mask = s.mask_width * B * T * self.d_model if s.drops("residual") else ZERO
        mask_bytes, scalars = ACTIVATION_MASKS.get(self.activation, (0, 0))
        own = s.split(mask_bytes * B * T * self.hidden) + scalars * s.width
        return s.split(s.width * B * T * hidden * self.hidden) + s.stream(s.width * B * T * self.d_model + mask) + own

    def input_width(self) -> Expr:
        return self.d_model

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
    routing: Routing = MIXTRAL

    def routed(self) -> Repeat:
        return Repeat("experts", self.experts, self.expert, group=self.group)

    def children(self) -> tuple[Module, ...]:
        shared = (self.shared,) if self.shared is not None else ()
        return (self.router, self.routed(), *shared, *self.extras)

    def token_children(self) -> tuple[tuple[Expr, Module], ...]:
        shared = ((ONE, self.shared),) if self.shared is not None else ()
        return ((ONE, self.router), (self.top_k, self.expert), *shared, *((ONE, x) for x in self.extras))

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Bytes kept for backward, as transformers 5 routes (``routing``, see :mod:`.routing`; grouped-mm experts).

        With n = B*T tokens, each sent to k experts:

        * the router keeps what its kind keeps (Mixtral's: the input it multiplies, a*D per
          token, the softmax over the E experts in fp32, the top-k indices in int64, and for
          renormalising the top-k weights, their sum and the weights themselves in fp32:
          4*E + 8*k + 4 + 4*k bytes per token);
        * dispatch keeps the sorted token indices and their slots (int64, twice per routed
          token), the scatter index (int64 per routed token) and one int32 offset per expert;
        * each routed token keeps what its expert MLP keeps for one token (the gathered
          input and the hidden tensors; gate and up are one storage), the expert's output
          (kept for the product with its weight) and that weight (fp32, or the activation
          width where the router casts it); experts with biases gather them by expert id,
          whose index (int64 per routed token) is kept;
        * a shared expert keeps what an MLP does but its input (the router's); Qwen2-MoE's
          sigmoid gate over it keeps its output and the shared expert's output.

        The totals are exact whatever the routing: grouped-mm experts keep one gathered row
        per routed token, B*T*k in all, however the tokens spread over the experts. Extras
        other than a shared expert's gate and a router's bias vector (kept by no op that
        saves it) are not modelled and refuse.
        """
        s = saving or DEFAULT
        for extra in self.extras:
            gate = self.routing.shared_gate and isinstance(extra, Linear) and extra.d_out == 1
            if not (gate or isinstance(extra, Parameter)) or (isinstance(extra, Parameter) and self.routing is MIXTRAL):
                raise not_modelled("mixture-of-experts layers with extra parts (gates, router biases)")
        if self.routing.shared_gate and self.shared is None:
            raise not_modelled("mixture-of-experts layers with extra parts (gates, router biases)")
        a, n, k, e = s.width, B * T, self.top_k, self.experts
        d = self.router.d_in
        inner = replace(s, dropout=s.dropout - {"residual"})
        router = self.routing.router_bytes(s, T, d, e, k, self.shared is not None)
        if self.routing.experts == "dense":
            return router + self._dense_experts(s, inner, T) + self._shared_bytes(inner, T, a, n)
        looped = self.routing.experts == "loop"
        dispatch = s.stream(2 * INDEX * n * k) if looped else s.stream(3 * INDEX * n * k) + Integer(4) * e
        expert = self.expert.activation_bytes(T, inner) + s.split(_fused_gate_up(self.expert, inner, T))
        biases = INDEX if getattr(self.expert, "bias", False) else ZERO  # experts' biases gathered by expert id
        weighted = a * d if looped else ZERO  # the loop keeps each routed token's weighted output too
        routed = k * (expert + s.stream(n * (a * d + self.routing.weight_bytes(s) + biases + weighted)))
        return router + dispatch + routed + self._shared_bytes(inner, T, a, n) + self.routing.gate_bytes(s, T, d)

    def _shared_bytes(self, s: Saving, T: Expr, a: Expr, n: Expr) -> Expr:
        """A shared expert keeps what its MLP does but its input, which the router keeps."""
        if self.shared is None:
            return ZERO
        return self.shared.activation_bytes(T, s) - s.stream(a * n * self.shared.input_width())

    def _dense_experts(self, s: Saving, inner: Saving, T: Expr) -> Expr:
        """Every expert runs on every token (Llama 4): each keeps the repeated input its weight scales (a*D per
        token, for the product) and what its MLP keeps over all B*T tokens, its scaled input included."""
        e, n = self.experts, B * T
        expert = self.expert.activation_bytes(T, inner) + s.split(_fused_gate_up(self.expert, inner, T))
        return e * (expert + s.stream(s.width * n * self.router.d_in))

    def input_width(self) -> Expr:
        return self.router.d_in

    def describe(self, fmt: Fmt = str) -> str:
        shared = ", shared expert" if self.shared is not None else ""
        return f"MoE(experts={fmt(self.experts)}, top_k={fmt(self.top_k)}{shared})"


def _fused_gate_up(expert: Module, s: Saving, T: Expr) -> Expr:
    """Experts hold gate and up as one storage: an activation that does not keep its input keeps it anyway."""
    if not isinstance(expert, MLP):
        raise not_modelled(f"experts of kind {expert.describe()}")
    if not expert.gated:
        return ZERO
    keeps_input, _ = activation_saves(expert.activation)
    return ZERO if keeps_input else s.width * B * T * expert.hidden
