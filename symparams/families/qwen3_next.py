"""Qwen3-Next (model_type ``qwen3_next``): Gated DeltaNet hybrid with a sparse MoE of many small experts.

transformers 5's ``Qwen3NextForCausalLM``: L_a gated full-attention layers and L - L_a
Gated DeltaNet layers (see :mod:`._qwen_hybrid`), the DeltaNet's projections fused as
``in_proj_qkvz`` (D -> 2*H_lk*d_lk + 2*H_lv*d_lv) and ``in_proj_ba`` (D -> 2*H_lv).

The feed-forward is Qwen2-MoE's sparse block (router D -> E, E gated experts of
``moe_intermediate_size`` = F_e with k per token, a shared expert of
``shared_expert_intermediate_size`` = F_s behind a D -> 1 sigmoid gate), in the layers that
``mlp_only_layers`` and ``decoder_sparse_step`` leave sparse; the others keep a dense gated
MLP of ``intermediate_size`` = F (L_d layers). Defaults (Qwen3-Next-80B-A3B's shape):
V = 151,936, D = 2,048, L = 48, H = 16, H_kv = 2, d_h = 256, E = 512, k = 10,
F_e = F_s = 512, and 16 key and 32 value heads of 128 in the DeltaNet. Null is refused in
every shape field; a null ``layer_types`` or ``mlp_only_layers`` means the default.
"""

from __future__ import annotations

from ..components import MLP
from ..config import Config, Field, Fields
from ..spec import AtMost, Spec
from ..symbols import D, E, F, F_e, F_s, L_d, k
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
    sparse_layers,
)
from ._qwen_hybrid import LINEAR_FIELDS, LINEAR_RULES, ROTARY_FRACTION, mixer_values, mixers, norm
from .decoder import norm_topk_field, renorm
from .qwen2_moe import shared_moe
from .qwen3_moe import LLAMA_MLP
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x Qwen3NextConfig
FIELDS = Fields(
    *core_fields(vocab_size=151936, hidden_size=2048, num_hidden_layers=48, num_attention_heads=16,
                 num_key_value_heads=2, head_dim=256),
    Field("intermediate_size", 5632),
    *LINEAR_FIELDS,
    Field("decoder_sparse_step", 1),
    Field("moe_intermediate_size", 512),
    Field("shared_expert_intermediate_size", 512),
    Field("num_experts_per_tok", 10),
    norm_topk_field(True),
    Field("num_experts", 512, minimum=0),
    list_field("mlp_only_layers"),
    groups=GROUPS,
)


def from_config(cfg: Config) -> Spec:
    core = read_core(cfg, ROTARY_FRACTION)
    experts, top_k = read_experts(cfg, "num_experts")
    sparse = sparse_layers(core.layers, experts, cfg.get("decoder_sparse_step"), int_list(cfg, "mlp_only_layers") or [])
    modules = {"dense": MLP("mlp", D, F, gated=True, activation=core.activation, names=LLAMA_MLP),
               "moe": shared_moe(core.activation, renorm(cfg))}
    tree, counts = decoder_tree(
        "qwen3_next", "Qwen3-Next decoder (Gated DeltaNet, gated attention, routed and shared experts)",
        mixers(cfg, core.layers, fused=True, activation=core.activation),
        Axis(tuple("moe" if s else "dense" for s in sparse), modules, "dense", L_d),
        tied=core.tied, norm=norm,
    )
    values = {F: cfg.get("intermediate_size"), F_e: cfg.get("moe_intermediate_size"),
              F_s: cfg.get("shared_expert_intermediate_size"), E: experts, k: top_k, **mixer_values(cfg), **counts}
    return decoder_spec("qwen3_next", tree, core, values,
                        constraints=(*LINEAR_RULES, AtMost(k, E, "a token picks k of the E experts")))


FAMILY = Family(
    name="qwen3_next",
    rope_share=True,
    layer_lists="filled",
    summary="Qwen3-Next: Gated DeltaNet and gated attention, E routed experts and a gated shared expert",
    model_types=("qwen3_next",),
    fields=FIELDS,
    build=from_config,
    refused="layer_types other than linear_attention and full_attention; H_lk not dividing H_lv",
)
