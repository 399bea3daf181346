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

from ..components import MLP, Linear, MoE
from ..components.decoder_attention import DecoderAttention
from ..components.routing import MIXTRAL, Routing
from ..config import DERIVED, Config, Field, Fields
from ..spec import AtMost, Spec
from ..symbols import D, E, F, F_e, H, H_kv, L_d, W, d_h, k
from ._qwen_decoder import (
    GROUPS,
    Axis,
    core_fields,
    decoder_spec,
    decoder_tree,
    int_list,
    list_field,
    read_core,
    read_experts,
    read_window,
    sparse_layers,
)
from .decoder import norm_topk_field, renorm
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config", "LLAMA_MLP", "routed"]

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


def routed(activation: str, name: str = "mlp", router: str = "gate", routing: Routing = MIXTRAL) -> MoE:
    """A router D -> E and E gated experts of F_e, k per token (Qwen's sparse MoE block)."""
    expert = MLP("expert", D, F_e, gated=True, activation=activation, names=LLAMA_MLP)
    return MoE(name, Linear(router, D, E, group="mlp"), expert, E, k, routing=routing)


def from_config(cfg: Config) -> Spec:
    core = read_core(cfg)
    mlp_only = int_list(cfg, "mlp_only_layers") or []
    experts, top_k = read_experts(cfg, "num_experts", used=any(i not in mlp_only for i in range(core.layers)))
    sparse = sparse_layers(core.layers, experts, cfg.get("decoder_sparse_step"), mlp_only)
    window = read_window(cfg) if cfg.get("use_sliding_window") else None
    bias = cfg.get("attention_bias")
    attn = DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, qk_norm=True,
                            window=None if window is None else W, names=("q_proj", "k_proj", "v_proj", "o_proj"))
    modules = {"dense": MLP("mlp", D, F, gated=True, activation=core.activation, names=LLAMA_MLP),
               "moe": routed(core.activation, routing=Routing(renorm=renorm(cfg), cast=True))}
    tree, counts = decoder_tree(
        "qwen3_moe", "Qwen3-MoE decoder",
        Axis(("full",) * core.layers, {"full": attn}, "full", L_d),
        Axis(tuple("moe" if s else "dense" for s in sparse), modules, "dense", L_d),
        tied=core.tied,
    )
    values = {F: cfg.get("intermediate_size"), F_e: cfg.get("moe_intermediate_size"), E: experts, k: top_k, **counts}
    if window is not None:
        values[W] = window
    return decoder_spec("qwen3_moe", tree, core, values, constraints=[AtMost(k, E, "a token picks k of the E experts")])


FAMILY = Family(
    name="qwen3_moe",
    summary="Qwen3-MoE: Qwen3's attention, E routed experts of F_e (k per token), dense layers by decoder_sparse_step",
    model_types=("qwen3_moe",),
    fields=FIELDS,
    build=from_config,
    refused="num_experts_per_tok above num_experts (no token can pick them)",
)
