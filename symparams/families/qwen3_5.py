"""Qwen3.5 text models (model_types ``qwen3_5_text`` and ``qwen3_5_moe_text``): Gated DeltaNet hybrids.

The language model inside Qwen3.5 (transformers 5's ``Qwen3_5ForCausalLM`` and
``Qwen3_5MoeForCausalLM``): L_a gated full-attention layers and L - L_a Gated DeltaNet
layers (see :mod:`._qwen_hybrid`), with the DeltaNet's projections kept apart
(``in_proj_qkv``, ``in_proj_z``, ``in_proj_b``, ``in_proj_a``).

* ``qwen3_5_text``: every layer has a dense gated MLP of ``intermediate_size`` = F.
  Defaults (Qwen3.5-9B's shape): V = 248,320, D = 4,096, L = 32, H = 16, H_kv = 4,
  d_h = 256, F = 12,288.
* ``qwen3_5_moe_text``: every layer is sparse (there is no ``decoder_sparse_step``): a router
  D -> E, E gated experts of ``moe_intermediate_size`` = F_e (k per token), and a shared
  expert of ``shared_expert_intermediate_size`` = F_s behind a D -> 1 sigmoid gate, as in
  Qwen2-MoE. Defaults (Qwen3.5-35B-A3B's shape): D = 2,048, L = 40, H_kv = 2, E = 256,
  k = 8, F_e = F_s = 512.

Null is refused in every shape field (plain ints in the config classes); a null
``layer_types`` means the default pattern. The full model_type ``qwen3_5`` (the
vision-language model with these as its ``text_config``) is not read here: its vision tower
is not counted.
"""

from __future__ import annotations

from ..components import MLP
from ..config import Config, Field, Fields
from ..spec import AtMost, Spec
from ..symbols import D, E, F, F_e, F_s, L_d, k
from ._qwen_decoder import GROUPS, Axis, core_fields, decoder_spec, decoder_tree, read_core, read_experts
from ._qwen_hybrid import LINEAR_FIELDS, LINEAR_RULES, ROTARY_FRACTION, mixer_values, mixers, norm
from .qwen2_moe import shared_moe
from .qwen3_moe import LLAMA_MLP
from .registry import Family

__all__ = ["FAMILY", "MOE_FAMILY", "FIELDS", "MOE_FIELDS", "from_config", "moe_from_config"]

# transformers 5.x Qwen3_5TextConfig
FIELDS = Fields(
    *core_fields(vocab_size=248320, hidden_size=4096, num_hidden_layers=32, num_attention_heads=16,
                 num_key_value_heads=4, head_dim=256),
    Field("intermediate_size", 12288),
    *LINEAR_FIELDS,
    groups=GROUPS,
)

# transformers 5.x Qwen3_5MoeTextConfig
MOE_FIELDS = Fields(
    *core_fields(vocab_size=248320, hidden_size=2048, num_hidden_layers=40, num_attention_heads=16,
                 num_key_value_heads=2, head_dim=256),
    *LINEAR_FIELDS,
    Field("moe_intermediate_size", 512),
    Field("shared_expert_intermediate_size", 512),
    Field("num_experts_per_tok", 8),
    Field("num_experts", 256),
    groups=GROUPS,
)


def from_config(cfg: Config) -> Spec:
    core = read_core(cfg, ROTARY_FRACTION)
    mlp = MLP("mlp", D, F, gated=True, activation=core.activation, names=LLAMA_MLP)
    tree, counts = decoder_tree(
        "qwen3_5_text", "Qwen3.5 decoder (Gated DeltaNet and gated attention)",
        mixers(cfg, core.layers, fused=False, activation=core.activation,
               tables_per_sequence=True), Axis(("dense",) * core.layers, {"dense": mlp}, "dense", L_d),
        tied=core.tied, norm=norm,
    )
    values = {F: cfg.get("intermediate_size"), **mixer_values(cfg), **counts}
    return decoder_spec("qwen3_5_text", tree, core, values, constraints=LINEAR_RULES)


def moe_from_config(cfg: Config) -> Spec:
    core = read_core(cfg, ROTARY_FRACTION)
    experts, top_k = read_experts(cfg, "num_experts")
    tree, counts = decoder_tree(
        "qwen3_5_moe_text", "Qwen3.5-MoE decoder (Gated DeltaNet, gated attention, routed and shared experts)",
        mixers(cfg, core.layers, fused=False, activation=core.activation,
               tables_per_sequence=True),
        Axis(("moe",) * core.layers, {"moe": shared_moe(core.activation, True)}, "moe", L_d),
        tied=core.tied, norm=norm,
    )
    values = {F_e: cfg.get("moe_intermediate_size"), F_s: cfg.get("shared_expert_intermediate_size"),
              E: experts, k: top_k, **mixer_values(cfg), **counts}
    return decoder_spec("qwen3_5_moe_text", tree, core, values,
                        constraints=(*LINEAR_RULES, AtMost(k, E, "a token picks k of the E experts")))


FAMILY = Family(
    name="qwen3_5_text",
    rope_share=True,
    layer_lists="filled",
    summary="Qwen3.5 (text): Gated DeltaNet layers between gated full-attention layers, dense MLPs",
    model_types=("qwen3_5_text",),
    fields=FIELDS,
    build=from_config,
    refused="the vision-language model_type qwen3_5 (its vision tower is not counted); layer_types other than "
            "linear_attention and full_attention",
)

MOE_FAMILY = Family(
    name="qwen3_5_moe_text",
    rope_share=True,
    layer_lists="filled",
    summary="Qwen3.5-MoE (text): Gated DeltaNet and gated attention, E routed experts and a gated shared expert",
    model_types=("qwen3_5_moe_text",),
    fields=MOE_FIELDS,
    build=moe_from_config,
    refused="the vision-language model_type qwen3_5_moe (its vision tower is not counted); layer_types other than "
            "linear_attention and full_attention",
)
