"""What Qwen3-Next and Qwen3.5 share: Gated DeltaNet layers between gated full-attention layers.

Both configs (transformers 5's ``Qwen3NextConfig``, ``Qwen3_5TextConfig``,
``Qwen3_5MoeTextConfig``) set each layer's token mixer by ``layer_types``: by default every
``full_attention_interval``-th layer (4, a constructor argument rather than a field) is
``full_attention`` and the rest ``linear_attention``. So L_a of the L layers are full
attention and L - L_a are Gated DeltaNet (:class:`~symparams.components.gated_delta.GatedDeltaNet`).

The full-attention layers are gated (``q_proj``: D -> 2*H*d_h, the second half a sigmoid
gate on the output), carry Qwen3's q/k RMSNorm over d_h and ``attention_bias`` on all four
projections; ``head_dim`` defaults to 256, and RoPE turns only a quarter of it
(``partial_rotary_factor`` 0.25), which changes no weight. Their RMSNorms scale by
(1 + weight): still one weight per channel.
"""

from __future__ import annotations

from fractions import Fraction

from sympy import Symbol

from ..components import Module
from ..components.decoder_attention import DecoderAttention
from ..components.gated_delta import GatedDeltaNet
from ..config import DERIVED, Config, Field
from ..spec import Divides
from ..symbols import D, H, H_kv, H_lk, H_lv, K_c, L_a, d_h, d_lk, d_lv
from ._qwen_decoder import Axis, layer_types, list_field

__all__ = ["LINEAR_FIELDS", "ROTARY_FRACTION", "LINEAR_RULES", "mixers", "mixer_values"]

ROTARY_FRACTION = Fraction(1, 4)

# The linear-attention fields, with the defaults all three config classes share.
LINEAR_FIELDS = (
    Field("attention_bias", False, kind="bool"),
    Field("linear_conv_kernel_dim", 4),
    Field("linear_key_head_dim", 128),
    Field("linear_value_head_dim", 128),
    Field("linear_num_key_heads", 16),
    Field("linear_num_value_heads", 32),
    Field("full_attention_interval", 4, null=DERIVED),
    list_field("layer_types"),
)

# The delta rule repeats each query/key head over H_lv / H_lk value heads.
LINEAR_RULES = (Divides(H_lk, H_lv, "each linear-attention key head serves H_lv/H_lk value heads"),)


def mixers(cfg: Config, layers: int, fused: bool) -> Axis:
    """Each layer's token mixer: gated full attention or Gated DeltaNet (Qwen3-Next's fused projections if ``fused``)."""

    def default() -> list[str]:
        interval = cfg.get("full_attention_interval")
        if interval is DERIVED:
            raise cfg.error("full_attention_interval", "is null, and no layer_types says which layers are full attention")
        return ["linear_attention" if (i + 1) % interval else "full_attention" for i in range(layers)]

    types = layer_types(cfg, layers, ("full_attention", "linear_attention"), default)
    bias = cfg.get("attention_bias")
    modules: dict[str, Module] = {
        "full": DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, qk_norm=True,
                                 output_gate=True, names=("q_proj", "k_proj", "v_proj", "o_proj")),
        "linear": GatedDeltaNet("linear_attn", D, H_lk, H_lv, d_lk, d_lv, K_c, fused=fused),
    }
    return Axis(tuple(t.split("_")[0] for t in types), modules, "full", L_a)


def mixer_values(cfg: Config) -> dict[Symbol, int]:
    """The linear-attention sizes (used only where some layer is linear)."""
    return {H_lk: cfg.get("linear_num_key_heads"), H_lv: cfg.get("linear_num_value_heads"),
            d_lk: cfg.get("linear_key_head_dim"), d_lv: cfg.get("linear_value_head_dim"),
            K_c: cfg.get("linear_conv_kernel_dim")}
