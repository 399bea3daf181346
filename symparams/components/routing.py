"""Routers of a mixture of experts: what each keeps for the backward pass, per token and per routed token.

A router scores the E experts of every token, picks k of them and weighs their outputs.
Which tensors it saves depends on the order of those steps in transformers' code, so each
kind of router is named here after the code it follows, and a layer whose router is not
one of them refuses its activation reading (never a guess). With n = B*T tokens, a the
activation width and D the width, read op by op from transformers 5.24 (checked to the
byte in tests/test_activations.py):

* ``"softmax_topk"`` (Mixtral, Qwen2/3-MoE, OLMoE, Qwen3-Next, Jamba): the router's input
  (a*D per token), the softmax over the E experts (fp32, 4*E), the top-k indices (int64,
  8*k) and, when the top-k weights are renormalised (``renorm``), their sum and the
  weights before it (fp32, 4 + 4*k). Each routed token keeps its weight for the product
  with its expert's output: in fp32 (Mixtral), or cast to the activation dtype (``cast``).
* ``"topk_softmax"`` (gpt-oss, GraniteMoE): the top-k of the logits first, then a softmax over
  those k: the input (a*D), the top-k indices (8*k) and the softmax output, in the activation
  dtype (a*k; gpt-oss) or over logits cast to fp32 (4*k, ``softmax_fp32``: GraniteMoE); the
  weights are in the activation dtype (``cast``).
* ``"ernie"`` (ERNIE 4.5 MoE): the router runs in fp32 whatever the activation dtype: its
  input cast to fp32 (4*D per token; in fp32 the input itself), and below fp32 the weight
  matrix cast to fp32 (4*E*D per layer); the softmax (4*E), the top-k indices (8*k, the
  choice adds the correction bias but gathers the unbiased scores), the gathered weights
  (4*k), their sum and its clamp to ``moe_norm_min`` (4 + 4). Weights cast to the
  activation dtype.

* ``"sigmoid_group"`` (DeepSeek-V3, GLM-4.5, Nemotron-H): in fp32 as ERNIE's (the input and,
  below fp32, the weight cast), the sigmoid of the logits (4*E) and the top-k indices its
  gather keeps (8*k); renormalised (``renorm``), the sum and the weights before it (4 + 4*k).
  The choice itself (the correction bias, the group scores and the mask of the groups left
  out) feeds only top-k indices, so autograd frees what it saved there as soon as the forward
  pass drops the top-k values: whatever ``groups`` and ``group_k``, it keeps nothing. Weights
  in fp32.
* ``"softmax_group"`` (DeepSeek-V2): in fp32 as ERNIE's, the softmax (4*E) and the top-k
  indices (8*k); group-limited (``groups`` given), the boolean mask of the experts left out,
  which the masked scores' top-k keeps (E bytes; the group maxima feed only indices and are
  freed). Weights in fp32, never renormalised.

* ``"dbrx"`` (DBRX): the input (a*D), the softmax in the activation dtype (a*E), the top-k
  indices and values (8*k + a*k) and, renormalised by a p-norm (``renorm``), that norm (a).
  Weights in the activation dtype. Its experts run in a loop (``experts="loop"``), not as a
  grouped matmul: each routed token keeps its index pair from ``torch.where`` (16 bytes) in
  place of the grouped-mm dispatch, and its weighted output besides (a*D).

* ``"llama4"`` (Llama 4): the top-k of the logits (the indices kept, 8*k), scattered into a row of
  -inf and through a sigmoid in fp32 (its output kept, 4*E), cast to the activation dtype and
  transposed into a copy (a*E) that scales every expert's copy of the input. Its experts run
  densely (``experts="dense"``): all E on every token, each keeping the repeated input the
  product keeps (a*D) and its MLP's tensors over every token, its scaled input among them.

* ``"sparsemixer"`` (PhiMoE): two choices in turn, each over logits in the activation dtype: the
  boolean mask of the experts its threshold leaves out (E bytes), the softmax over the rest
  (a*E), the chosen index, sampled in training (8), and its gathered weight (a), which
  PhiMoE's custom backward keeps with the softmax and the index. With ``jitter``
  (``input_jitter_noise`` > 0) the block and then the router each scale the input in place
  by fresh noise, which the products keep (2*a*D per token).

* ``"jetmoe"`` (JetMoE's ``JetMoeTopKGating``, in its mixture of attention heads and of MLP
  experts): the input (a*D), the top-k of the logits cast to fp32 (indices, 8*k), the softmax
  over those k (fp32, 4*k), and the grouping of the routed tokens by expert: the sorted slots
  and the token of each (int64, 8*k each).

``shared_gate`` is Qwen2-MoE's sigmoid gate over the shared expert: its sigmoid output and
the shared expert's output, which the product keeps: a*(1 + D) per token.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from ..symbols import B
from .base import ZERO
from .saving import FP32, INDEX, Saving, not_modelled

__all__ = ["Routing", "ROUTERS", "MIXTRAL", "UNMEASURED"]

ROUTERS = ("softmax_topk", "topk_softmax", "ernie", "sigmoid_group", "softmax_group", "dbrx", "llama4", "sparsemixer", "jetmoe")
# Routers whose saved tensors are not measured yet: each refuses with its reason (saving.WHY_NOT).
UNMEASURED: tuple[str, ...] = ()


@dataclass(frozen=True)
class Routing:
    """How a layer routes (see the module): the router's kind and its options."""

    kind: str = "softmax_topk"
    renorm: bool = True
    cast: bool = False
    shared_gate: bool = False
    softmax_fp32: bool = False
    experts: str = "grouped_mm"
    groups: Expr | None = None
    group_k: Expr | None = None
    jitter: bool = False

    def router_bytes(self, s: Saving, T: Expr, d: Expr, e: Expr, k: Expr, shared: bool) -> Expr:
        """Bytes the router keeps over B*T tokens, its a*D input included where it is kept (``shared``: a
        shared expert beside it keeps that input anyway, counted here)."""
        n, a = B * T, s.width
        if self.kind == "softmax_topk":
            renorm = n * (FP32 + FP32 * k) if self.renorm else ZERO
            return s.stream(a * n * d + n * (FP32 * e + INDEX * k) + renorm)
        if self.kind == "topk_softmax":
            return s.stream(a * n * d + n * (INDEX * k + (FP32 if self.softmax_fp32 else a) * k))
        if self.kind == "dbrx":
            return s.stream(a * n * d + n * (a * e + INDEX * k + a * k + (a if self.renorm else ZERO)))
        if self.kind == "llama4":
            return s.stream(a * n * d + n * (INDEX * k + FP32 * e + a * e))
        if self.kind == "sparsemixer":
            jitter = 2 * a * n * d if self.jitter else ZERO
            return s.stream(a * n * d + jitter + 2 * n * (e + a * e + INDEX + a))
        if self.kind == "jetmoe":
            return s.stream(a * n * d + n * k * (3 * INDEX + FP32))
        if self.kind == "ernie":
            return self._fp32_input(s, T, d, e, shared) + s.stream(n * (FP32 * e + INDEX * k + FP32 * k + 2 * FP32))
        if self.kind == "sigmoid_group":
            renorm = FP32 + FP32 * k if self.renorm else ZERO
            return self._fp32_input(s, T, d, e, shared) + s.stream(n * (FP32 * e + INDEX * k + renorm))
        if self.kind == "softmax_group":
            mask = e if self.groups is not None else ZERO
            return self._fp32_input(s, T, d, e, shared) + s.stream(n * (FP32 * e + mask + INDEX * k))
        raise not_modelled(self.kind if self.kind in UNMEASURED else f"mixture-of-experts layers routed by {self.kind}")

    @staticmethod
    def _fp32_input(s: Saving, T: Expr, d: Expr, e: Expr, shared: bool) -> Expr:
        """A router run in fp32: its input cast (and below fp32 the weight matrix too); the input itself is
        kept only in fp32 or where a shared expert keeps it."""
        n = B * T
        below = s.width != FP32
        kept = s.stream(s.width * n * d) if shared or not below else ZERO
        return kept + (s.stream(FP32 * n * d) + FP32 * e * d if below else ZERO)

    def weight_bytes(self, s: Saving) -> Expr:
        """Bytes of one routed token's weight, as the product with its expert's output keeps it."""
        return s.width if self.cast else FP32

    def gate_bytes(self, s: Saving, T: Expr, d: Expr) -> Expr:
        """The shared expert's sigmoid gate: its output and the shared expert's output, per token."""
        return s.stream(s.width * B * T * (1 + d)) if self.shared_gate else ZERO


MIXTRAL = Routing()
