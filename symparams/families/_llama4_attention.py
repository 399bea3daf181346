"""Llama 4's attention (``Llama4TextAttention``): what it keeps beyond Llama's, by whether a layer rotates q and k.

Apart from :mod:`.llama4` so that reading a Llama 4 config imports no SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sympy import Expr

from ..components.decoder_attention import DecoderAttention
from ..components.saving import DEFAULT, FP32, Saving, not_modelled
from ..symbols import B

__all__ = ["Llama4Attention"]


@dataclass(frozen=True)
class Llama4Attention(DecoderAttention):
    """``Llama4TextAttention``: what it keeps beyond Llama's depends on whether the layer rotates q and k.

    ``rope``: the layer rotates q and k by complex multiplication with one complex64 table
    of T x d_h/2 for the whole model (4*T*d_h bytes, whatever the activation dtype; the
    table is all the product keeps, since it needs no gradient); with ``l2_norm``
    (``use_qk_norm``) it then normalises q and k by ``Llama4TextL2Norm`` over an fp32 copy,
    which keeps that copy and its 1/rms: 4*(d_h + 1) bytes per token and head of q and of k.
    Its eager softmax runs in the activation dtype (no ``dtype=torch.float32``), so it keeps
    the probabilities once, in that dtype. Without rope and with ``temperature`` (``attn_temperature_tuning``) the queries are
    scaled by a per-position fp32 vector, which the product keeps (4*T per layer).
    ``rope=None``: the layers of one attention kind mix both, which the tree does not tell
    apart, so the reading refuses.
    """

    rope: bool | None = True
    l2_norm: bool = False
    temperature: bool = False

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        if self.rope is None:
            raise not_modelled("Llama 4 layers of one attention kind with and without RoPE")
        kept = super().activation_bytes(T, saving)
        s = saving or DEFAULT
        if self.rope:
            return kept + (s.split(FP32 * B * T * (self.heads + self.kv_heads) * (self.head_dim + 1)) if self.l2_norm else 0)
        return kept + (FP32 * T if self.temperature else 0)

    def _kept_probabilities(self, T: Expr, s: Saving) -> Expr:
        return super()._kept_probabilities(T, replace(s, softmax_fp32=False))

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        return {("positions", "rotary", "complex64", self.head_dim): FP32 * T * self.head_dim} if self.rope else {}
