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
``layer_types`` means the default pattern. The vision-language model_types ``qwen3_5`` and
``qwen3_5_moe``, which hold these as their ``text_config``, are read by :mod:`.qwen3_5_vlm`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from ._qwen_config import GROUPS, core_fields, decoder_reading, kinds_of, layer_counts, read_core, read_experts
from ._qwen_hybrid import LINEAR_FIELDS, ROTARY_FRACTION, read_mixers
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import Module
    from ..spec import Spec

__all__ = ["FAMILY", "MOE_FAMILY", "FIELDS", "MOE_FIELDS", "from_config", "moe_from_config", "read", "moe_read",
           "build", "moe_build"]

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


def _read(cfg: Config, family: str, experts: bool) -> Reading:
    """The config's sizes and token mixers, checked, with no tree built; every layer's MLP dense, or sparse
    (``experts``)."""
    core = read_core(cfg, ROTARY_FRACTION)
    routed = read_experts(cfg, "num_experts") if experts else None
    shape, mixers, linear = read_mixers(cfg, core.layers)
    values = {"F": cfg.get("intermediate_size")} if routed is None else {
        "F_e": cfg.get("moe_intermediate_size"), "F_s": cfg.get("shared_expert_intermediate_size"), "E": routed[0],
        "k": routed[1]}
    values.update(linear)
    values.update(layer_counts(("L_a", mixers, "full")))
    return decoder_reading(family, core, shape, values, attention="full" in mixers)


def read(cfg: Config) -> Reading:
    """A Qwen3.5 config's sizes and token mixers, checked, with no tree built."""
    return _read(cfg, "qwen3_5_text", experts=False)


def moe_read(cfg: Config) -> Reading:
    """A Qwen3.5-MoE config's sizes, experts and token mixers, checked, with no tree built."""
    return _read(cfg, "qwen3_5_moe_text", experts=True)


def _build(r: Reading, family: str, label: str, mlp: Module, kind: str) -> Spec:
    from ..spec import AtMost
    from ..symbols import E, L_d, k
    from ._qwen_config import core_of
    from ._qwen_decoder import Axis, decoder_tree, reading_spec
    from ._qwen_hybrid import linear_rules, mixers, norm

    shape, core = dict(r.shape), core_of(r)
    tree, _ = decoder_tree(
        family, label,
        mixers(shape, kinds_of(shape["mixers"], core.layers), fused=False, activation=core.activation,
               tables_per_sequence=True),
        Axis((kind,) * core.layers, {kind: mlp}, kind, L_d),
        tied=core.tied, norm=norm,
    )
    rules = (*linear_rules(), AtMost(k, E, "a token picks k of the E experts")) if kind == "moe" else linear_rules()
    return reading_spec(family, tree, r, constraints=rules)


def build(r: Reading) -> Spec:
    """The tree of a Qwen3.5 Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP
    from ..symbols import D, F
    from .qwen3_moe import LLAMA_MLP

    mlp = MLP("mlp", D, F, gated=True, activation=dict(r.shape)["activation"], names=LLAMA_MLP)
    return _build(r, "qwen3_5_text", "Qwen3.5 decoder (Gated DeltaNet and gated attention)", mlp, "dense")


def moe_build(r: Reading) -> Spec:
    """The tree of a Qwen3.5-MoE Reading: its shape alone chooses the tree, its values are the symbols'."""
    from .qwen2_moe import shared_moe

    return _build(r, "qwen3_5_moe_text", "Qwen3.5-MoE decoder (Gated DeltaNet, gated attention, routed and shared experts)",
                  shared_moe(dict(r.shape)["activation"], True), "moe")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def moe_from_config(cfg: Config) -> Spec:
    return moe_build(moe_read(cfg))


FAMILY = Family(
    name="qwen3_5_text",
    rope_share=True,
    rope_share_default=ROTARY_FRACTION,
    layer_lists="filled",
    summary="Qwen3.5 (text): Gated DeltaNet layers between gated full-attention layers, dense MLPs",
    model_types=("qwen3_5_text",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="layer_types other than linear_attention and full_attention",
)

MOE_FAMILY = Family(
    name="qwen3_5_moe_text",
    rope_share=True,
    rope_share_default=ROTARY_FRACTION,
    layer_lists="filled",
    summary="Qwen3.5-MoE (text): Gated DeltaNet and gated attention, E routed experts and a gated shared expert",
    model_types=("qwen3_5_moe_text",),
    fields=MOE_FIELDS,
    build=moe_from_config,
    read=moe_read,
    refused="layer_types other than linear_attention and full_attention",
)
