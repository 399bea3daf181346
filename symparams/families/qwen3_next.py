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

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
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
    renorm,
    sparse_layers,
)
from ._qwen_hybrid import LINEAR_FIELDS, ROTARY_FRACTION, read_mixers
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

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


def read(cfg: Config) -> Reading:
    """The config's sizes, its token mixers and sparse layers, checked, with no tree built."""
    core = read_core(cfg, ROTARY_FRACTION)
    experts, top_k = read_experts(cfg, "num_experts")
    sparse = sparse_layers(core.layers, experts, cfg.get("decoder_sparse_step"), int_list(cfg, "mlp_only_layers") or [])
    routing = renorm(cfg)
    mixer_shape, mixers, linear = read_mixers(cfg, core.layers)
    mlp = tuple("moe" if s else "dense" for s in sparse)
    values = expert_values(mlp, cfg.get("intermediate_size"), {
        "F_e": cfg.get("moe_intermediate_size"), "F_s": cfg.get("shared_expert_intermediate_size"), "E": experts,
        "k": top_k})
    values.update(linear)
    values.update(layer_counts(("L_a", mixers, "full"), ("L_d", mlp, "dense")))
    shape = (*mixer_shape, ("renorm", routing), ("mlp", layout(mlp)))
    return decoder_reading("qwen3_next", core, shape, values, attention="full" in mixers)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP
    from ..spec import AtMost
    from ..symbols import D, E, F, L_d, k
    from ._qwen_config import core_of
    from ._qwen_decoder import Axis, decoder_tree, reading_spec
    from ._qwen_hybrid import linear_rules, mixers, norm
    from .qwen2_moe import shared_moe
    from .qwen3_moe import LLAMA_MLP

    shape, core = dict(r.shape), core_of(r)
    modules = {"dense": MLP("mlp", D, F, gated=True, activation=core.activation, names=LLAMA_MLP),
               "moe": shared_moe(core.activation, shape["renorm"])}
    tree, _ = decoder_tree(
        "qwen3_next", "Qwen3-Next decoder (Gated DeltaNet, gated attention, routed and shared experts)",
        mixers(shape, kinds_of(shape["mixers"], core.layers), fused=True, activation=core.activation),
        Axis(kinds_of(shape["mlp"], core.layers), modules, "dense", L_d),
        tied=core.tied, norm=norm,
    )
    return reading_spec("qwen3_next", tree, r, constraints=(*linear_rules(), AtMost(k, E, "a token picks k of the E experts")))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="qwen3_next",
    rope_head="always",
    rope_share=True,
    rope_share_default=ROTARY_FRACTION,
    layer_lists="filled",
    summary="Qwen3-Next: Gated DeltaNet and gated attention, E routed experts and a gated shared expert",
    model_types=("qwen3_next",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="layer_types other than linear_attention and full_attention; H_lk not dividing H_lv",
)
