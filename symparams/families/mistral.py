"""Mistral (model_type ``mistral``): Mistral-7B and its relatives.

The Llama layout without any biases; sliding-window attention changes no weight.
transformers' defaults differ from Llama's: a missing ``num_key_value_heads`` is 8
(not H), the MLP is 14,336 wide, and ``head_dim`` falls back to D / H.
"""

from __future__ import annotations

from ..config import REFUSE, Config
from ..spec import Spec
from . import decoder
from .decoder import decoder_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x MistralConfig
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, kv_null=REFUSE, max_position_embeddings=4096 * 32,
    attention_bias=None, mlp_bias=None,
)


def from_config(cfg: Config) -> Spec:
    sizes = decoder.read_sizes(cfg, floor_head_dim=True, rope="always")
    tree = decoder.pre_norm_decoder("mistral", "Mistral decoder", decoder.gated_mlp(sizes.activation), tied=sizes.tied)
    return decoder.decoder_spec("mistral", tree, sizes)


FAMILY = Family(
    name="mistral",
    summary="Mistral: the Llama layout without biases; a missing num_key_value_heads is 8",
    model_types=("mistral",),
    fields=FIELDS,
    build=from_config,
    refused="a null num_key_value_heads (typed int by transformers) or size; odd rotary heads above 4; key/value "
            "heads that do not divide the heads",
)
