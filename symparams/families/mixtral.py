"""Mixtral (model_type ``mixtral``): Mistral's attention with a sparse mixture of experts.

Each block's MLP is E gated experts (``num_local_experts``, default 8) behind a
router D -> E; a token runs through ``num_experts_per_tok`` = k of them (default
2). transformers stores the experts fused (``gate_up_proj``: E x 2F x D,
``down_proj``: E x D x F), which is the same E*3*D*F weights. The total counts
every expert; ``active`` counts the router and k experts per layer.

Attention is Mistral's: every layer attends through ``sliding_window`` = W tokens when
the config sets one. MixtralConfig's default is null (unlike Mistral's 4,096), so a
missing or null window is full attention; the window changes no weight, only the KV
cache and the causal attention FLOPs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, REFUSE, Config, Field
from ._layered_config import check_padding
from .decoder_sizes import decoder_fields, expert_fields, read_experts, read_sizes, reading, sizes_of
from .layer_kinds import layers_of
from .mistral import read_kinds, windowed_decoder
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "EXPERTS", "TOP_K"]

# transformers 5.x MixtralConfig
EXPERTS = 8
TOP_K = 2
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, kv_null=REFUSE, max_position_embeddings=4096 * 32,
    attention_bias=None, mlp_bias=None, extra=(*expert_fields(EXPERTS, TOP_K), Field("sliding_window", None, null=DEFAULT)),
)


def read(cfg: Config) -> Reading:
    """The config's sizes, experts and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg, floor_head_dim=True, rope="given")
    experts = read_experts(cfg, EXPERTS, TOP_K)
    kinds, notes = read_kinds(cfg, sizes.layers)
    check_padding(cfg, None, sizes.vocab)
    return reading("mixtral", sizes, kinds, notes, experts=experts)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import _gemma_layers as layers
    from . import decoder

    values = dict(r.values)
    sizes, kinds = sizes_of(r), layers_of(dict(r.shape)["layers"], values)
    tree = windowed_decoder("mixtral", "Mixtral decoder (sparse MoE)", decoder.moe(sizes.activation), sizes.tied, kinds,
                            one_mask=True)
    return layers.layered_spec("mixtral", tree, sizes, kinds, experts=(values["E"], values["k"]))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="mixtral",
    rope_head_unset=True,
    summary="Mixtral: Mistral's attention with a sparse mixture of E gated experts, k per token",
    model_types=("mixtral",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null num_key_value_heads, num_local_experts or num_experts_per_tok; top-k above the experts; "
            "key/value heads that do not divide the heads; a sliding_window below 1",
)
