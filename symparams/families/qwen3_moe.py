"""Qwen3-MoE (model_type ``qwen3_moe``): Qwen3's attention with routed experts in most layers.

transformers 5's ``Qwen3MoeDecoderLayer`` makes a layer sparse when it is not in
``mlp_only_layers`` and ``num_experts > 0 and (layer_idx + 1) % decoder_sparse_step == 0``;
the others keep a dense gated MLP of ``intermediate_size`` = F. A sparse layer has a router
``gate`` (D -> E, no bias) and E gated experts of ``moe_intermediate_size`` = F_e, stored
fused (``gate_up_proj``: E x 2F_e x D, ``down_proj``: E x D x F_e), of which
``num_experts_per_tok`` = k run per token. There is no shared expert, and
``norm_topk_prob`` only rescales the routing weights.

With L_d dense layers the total reads V*D*(2 or 1) + L*(attention + 2D) + L_d*3*D*F +
(L - L_d)*(D*E + 3*E*D*F_e) + D. Defaults differ from Qwen3's: ``num_key_value_heads`` is 4
and null is refused (a plain int field), ``num_experts`` (also read as
``num_local_experts``, the config's ``attribute_map``) 128, k = 8, F_e = 768, and
``head_dim`` is not a field: D // H unless a config.json carries one (Qwen3-30B-A3B has
D = 2,048, 32 heads and head_dim 128). ``use_sliding_window`` puts the window on every
layer (the attention reads ``config.sliding_window``, which is None without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._qwen_config import (
    GROUPS,
    core_fields,
    decoder_reading,
    expert_values,
    int_list,
    kinds_of,
    layer_counts,
    layout,
    list_field,
    norm_topk_field,
    read_core,
    read_experts,
    read_window,
    renorm,
    sparse_layers,
)
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import MoE
    from ..components.routing import Routing
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "LLAMA_MLP", "routed"]

LLAMA_MLP = ("gate_proj", "up_proj", "down_proj")

# transformers 5.x Qwen3MoeConfig
FIELDS = Fields(
    *core_fields(vocab_size=151936, hidden_size=2048, num_hidden_layers=24, num_attention_heads=32,
                 num_key_value_heads=4),
    Field("intermediate_size", 6144),
    Field("attention_bias", False, kind="bool"),
    Field("use_sliding_window", False, kind="bool"),
    Field("sliding_window", 4096, null=DERIVED, minimum=0),
    Field("decoder_sparse_step", 1),
    Field("moe_intermediate_size", 768),
    Field("num_experts_per_tok", 8),
    norm_topk_field(False),
    Field("num_experts", 128, aliases=("num_local_experts",), minimum=0, null=DERIVED),  # see Config.strict
    list_field("mlp_only_layers"),
    groups=GROUPS,
)


def routed(activation: str, name: str = "mlp", router: str = "gate", routing: Routing | None = None) -> MoE:
    """A router D -> E and E gated experts of F_e, k per token (Qwen's sparse MoE block; Mixtral's routing by
    default)."""
    from ..components import MLP, Linear, MoE
    from ..components.routing import MIXTRAL
    from ..symbols import D, E, F_e, k

    expert = MLP("expert", D, F_e, gated=True, activation=activation, names=LLAMA_MLP)
    return MoE(name, Linear(router, D, E, group="mlp"), expert, E, k, routing=routing or MIXTRAL)


def read(cfg: Config) -> Reading:
    """The config's sizes, its sparse layers and window, checked, with no tree built."""
    core = read_core(cfg)
    mlp_only = int_list(cfg, "mlp_only_layers") or []
    experts, top_k = read_experts(cfg, "num_experts", used=any(i not in mlp_only for i in range(core.layers)))
    sparse = sparse_layers(core.layers, experts, cfg.get("decoder_sparse_step"), mlp_only)
    window = read_window(cfg) if cfg.get("use_sliding_window") else None
    bias = cfg.get("attention_bias")
    kinds = tuple("moe" if s else "dense" for s in sparse)
    values = expert_values(kinds, cfg.get("intermediate_size"),
                           {"F_e": cfg.get("moe_intermediate_size"), "E": experts, "k": top_k})
    values.update(layer_counts(("L_d", kinds, "dense")))
    if window is not None:
        values["W"] = window
    shape = (("attention_bias", bias), ("windowed", window is not None), ("renorm", renorm(cfg)),
             ("mlp", layout(kinds)))
    return decoder_reading("qwen3_moe", core, shape, values)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP
    from ..components.decoder_attention import DecoderAttention
    from ..components.routing import Routing
    from ..spec import AtMost
    from ..symbols import D, E, F, H, H_kv, L_d, W, d_h, k
    from ._qwen_config import core_of
    from ._qwen_decoder import Axis, decoder_tree, reading_spec

    shape, core = dict(r.shape), core_of(r)
    bias = shape["attention_bias"]
    attn = DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, qk_norm=True,
                            window=W if shape["windowed"] else None, names=("q_proj", "k_proj", "v_proj", "o_proj"))
    modules = {"dense": MLP("mlp", D, F, gated=True, activation=core.activation, names=LLAMA_MLP),
               "moe": routed(core.activation, routing=Routing(renorm=shape["renorm"], cast=True))}
    tree, _ = decoder_tree(
        "qwen3_moe", "Qwen3-MoE decoder",
        Axis(("full",) * core.layers, {"full": attn}, "full", L_d),
        Axis(kinds_of(shape["mlp"], core.layers), modules, "dense", L_d),
        tied=core.tied,
    )
    return reading_spec("qwen3_moe", tree, r, constraints=[AtMost(k, E, "a token picks k of the E experts")])


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="qwen3_moe",
    summary="Qwen3-MoE: Qwen3's attention, E routed experts of F_e (k per token), dense layers by decoder_sparse_step",
    model_types=("qwen3_moe",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="num_experts_per_tok above num_experts (no token can pick them)",
)
