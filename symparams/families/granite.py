"""IBM Granite (model_type ``granite``): the Llama layout with scaling multipliers that hold no weights.

transformers' ``GraniteForCausalLM`` (5.x) is Llama's decoder: RMSNorms of D, q/k/v/o with
biases per ``attention_bias``, a SwiGLU MLP with biases per ``mlp_bias``, an untied head
unless ``tie_word_embeddings``. Its ``embedding_multiplier``, ``attention_multiplier``,
``residual_multiplier`` and ``logits_scaling`` scale activations and change no shape.
``head_dim`` is not a GraniteConfig field; transformers honours one a config.json
carries, and cannot build a null one.
"""

from __future__ import annotations

from ..config import REFUSE, Config
from ..spec import Spec
from . import _deepseek_heads as heads
from . import decoder
from ._deepseek_vocab import check_padding, pad_field
from .decoder import decoder_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x GraniteConfig
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, head_dim_null=REFUSE, max_position_embeddings=2048, extra=(pad_field(None),),
)


def from_config(cfg: Config) -> Spec:
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    bias = cfg.get("attention_bias")
    tree = decoder.pre_norm_decoder(
        "granite", "Granite decoder", decoder.gated_mlp(sizes.activation, bias=cfg.get("mlp_bias")),
        tied=sizes.tied, attn=decoder.attention(qkv_bias=bias, out_bias=bias),
    )
    spec = decoder.decoder_spec("granite", tree, sizes)
    return heads.floored(spec) if floor else spec


FAMILY = Family(
    name="granite",
    summary="IBM Granite: the Llama layout with activation multipliers",
    model_types=("granite",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    refused="a null head_dim (transformers cannot build it)",
)
