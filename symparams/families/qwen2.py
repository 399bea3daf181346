"""Qwen2 (model_type ``qwen2``): the Llama layout with biases on q, k and v only.

transformers hard-wires ``bias=True`` on q/k/v and ``bias=False`` on o and the MLP,
whatever the config says. Its defaults: a missing ``num_key_value_heads`` is 32
(not H), V = 151,936; ``head_dim`` is not a Qwen2 field but is honoured when a
config.json carries it, else D / H.
"""

from __future__ import annotations

from ..hf import Config
from ..spec import Spec
from . import decoder
from .decoder import Defaults, hf_group

__all__ = ["from_config", "hf_group", "DEFAULTS"]

# transformers 5.x Qwen2Config
DEFAULTS = Defaults(
    vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=32, head_dim=None, tie_word_embeddings=False,
    hidden_act="silu", nullable=frozenset({"num_key_value_heads"}),
)


def from_config(cfg: Config) -> Spec:
    sizes = decoder.read_sizes(cfg, DEFAULTS)
    tree = decoder.pre_norm_decoder(
        "qwen2", "Qwen2 decoder", decoder.gated_mlp(sizes.activation), tied=sizes.tied,
        attn=decoder.attention(qkv_bias=True, out_bias=False),
    )
    return decoder.decoder_spec("qwen2", tree, sizes)
