"""What Qwen3-Next and Qwen3.5 share: Gated DeltaNet layers between gated full-attention layers.

Both configs (transformers 5's ``Qwen3NextConfig``, ``Qwen3_5TextConfig``,
``Qwen3_5MoeTextConfig``) set each layer's token mixer by ``layer_types``: by default every
``full_attention_interval``-th layer (4, a constructor argument rather than a field) is
``full_attention`` and the rest ``linear_attention``. So L_a of the L layers are full
attention and L - L_a are Gated DeltaNet (:class:`~symparams.components.gated_delta.GatedDeltaNet`).

The full-attention layers are gated (``q_proj``: D -> 2*H*d_h, the second half a sigmoid
gate on the output), carry Qwen3's q/k RMSNorm over d_h and ``attention_bias`` on all four
projections; ``head_dim`` defaults to 256, and RoPE turns only a quarter of it
(``partial_rotary_factor`` 0.25), which changes no weight but concatenates the rotated and
passed-through parts of q and k (``rotary_concat``). Their RMSNorms, and the decoder's,
scale by (1 + weight) in fp32 (:func:`norm`): still one weight per channel.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..config import DERIVED, Config, Field
from ._qwen_config import layer_types, layout, list_field
from .rope import partial_rotary_factor

if TYPE_CHECKING:
    from ..components import Norm
    from ..spec import Constraint
    from ._qwen_decoder import Axis

__all__ = ["LINEAR_FIELDS", "ROTARY_FRACTION", "linear_rules", "read_mixers", "mixers", "norm"]

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

# How a rotary share is kept in a shape (its type's name and text) and read back, exactly as the config gave it.
_NUMBERS: dict[str, Callable[[str], Any]] = {"int": int, "Fraction": Fraction, "Decimal": Decimal, "float": float}


def linear_rules() -> tuple[Constraint, ...]:
    """The delta rule repeats each query/key head over H_lv / H_lk value heads."""
    from ..spec import Divides
    from ..symbols import H_lk, H_lv

    return (Divides(H_lk, H_lv, "each linear-attention key head serves H_lv/H_lk value heads"),)


def norm(name: str) -> Norm:
    """The decoder's RMSNorm(D), which scales by (1 + weight) in fp32 (``Qwen3NextRMSNorm``)."""
    from ..components import Norm
    from ..symbols import D

    return Norm(name, D, "rms", weight=True, offset=True)


def read_mixers(cfg: Config, layers: int) -> tuple[tuple[tuple[str, Any], ...], tuple[str, ...], dict[str, int]]:
    """(shape, each layer's token mixer, the linear-attention sizes where some layer is linear) of a config.

    The shape holds the attention biases, the rotary share as the config states it, and the mixers' layout.
    """

    def default() -> list[str]:
        interval = cfg.get("full_attention_interval")
        if interval is DERIVED:
            raise cfg.error("full_attention_interval", "is null, and no layer_types says which layers are full attention")
        return ["linear_attention" if (i + 1) % interval else "full_attention" for i in range(layers)]

    types = layer_types(cfg, layers, ("full_attention", "linear_attention"), default)
    bias = cfg.get("attention_bias")
    share = partial_rotary_factor(cfg, ROTARY_FRACTION)
    kinds = tuple(t.split("_")[0] for t in types)
    values = {"H_lk": cfg.get("linear_num_key_heads"), "H_lv": cfg.get("linear_num_value_heads"),
              "d_lk": cfg.get("linear_key_head_dim"), "d_lv": cfg.get("linear_value_head_dim"),
              "K_c": cfg.get("linear_conv_kernel_dim")} if "linear" in kinds else {}
    shape = (("attention_bias", bias), ("rotary_share", (type(share).__name__, str(share))), ("mixers", layout(kinds)))
    return shape, kinds, values


def mixers(shape: Mapping[str, Any], kinds: tuple[str, ...], fused: bool, activation: str,
           tables_per_sequence: bool = False) -> Axis:
    """Each layer's token mixer: gated full attention or Gated DeltaNet (Qwen3-Next's fused projections if ``fused``).

    ``activation`` (``hidden_act``) is also the DeltaNet convolution's activation;
    ``tables_per_sequence``: the rotary tables have a row per sequence and token (Qwen3.5).
    The cos and sin tables are int(d_h * partial_rotary_factor) wide, rounded up to even (transformers' RoPE).
    """
    import sympy

    from ..components import Module
    from ..components.decoder_attention import DecoderAttention
    from ..components.gated_delta import GatedDeltaNet
    from ..symbols import D, H, H_kv, H_lk, H_lv, K_c, L_a, d_h, d_lk, d_lv
    from ._qwen_decoder import Axis

    kind, text = shape["rotary_share"]
    share = sympy.nsimplify(_NUMBERS[kind](text))
    bias = shape["attention_bias"]
    modules: dict[str, Module] = {
        "full": DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, qk_norm=True,
                                 output_gate=True, names=("q_proj", "k_proj", "v_proj", "o_proj"),
                                 rotary_concat=True, norm_offset=True,
                                 rotary_dim=2 * sympy.ceiling(sympy.floor(d_h * share) / 2),
                                 rotary_batch=tables_per_sequence),
        "linear": GatedDeltaNet("linear_attn", D, H_lk, H_lv, d_lk, d_lv, K_c, fused=fused, activation=activation),
    }
    return Axis(kinds, modules, "full", L_a)
