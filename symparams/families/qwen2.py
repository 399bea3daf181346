"""Qwen2 (model_type ``qwen2``): the Llama layout with biases on q, k and v only.

transformers hard-wires ``bias=True`` on q/k/v and ``bias=False`` on o and the MLP,
whatever the config says. Its defaults: a missing ``num_key_value_heads`` is 32
(not H), while a null one is H, as Qwen2Config's ``__post_init__`` makes it;
V = 151,936. ``head_dim`` is not a Qwen2 field but is honoured when a config.json
carries it, else D / H (a null one fails in transformers, so it is refused).
"""

from __future__ import annotations

from ..config import REFUSE, Config
from ..spec import Spec
from . import decoder
from .decoder import decoder_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x Qwen2Config
FIELDS = decoder_fields(
    vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=32, head_dim_null=REFUSE, max_position_embeddings=32768,
    attention_bias=None, mlp_bias=None,
)


def from_config(cfg: Config) -> Spec:
    sizes = decoder.read_sizes(cfg, floor_head_dim=True, rope="given")
    tree = decoder.pre_norm_decoder(
        "qwen2", "Qwen2 decoder", decoder.gated_mlp(sizes.activation), tied=sizes.tied,
        attn=decoder.attention(qkv_bias=True, out_bias=False),
    )
    return decoder.decoder_spec("qwen2", tree, sizes)


FAMILY = Family(
    name="qwen2",
    summary="Qwen2: the Llama layout with biases on q, k and v",
    model_types=("qwen2",),
    fields=FIELDS,
    build=from_config,
    refused="a null head_dim (transformers cannot build it); key/value heads that do not divide the heads",
)
