"""Llama (model_type ``llama``): Llama 1/2/3 and the many models that reuse its layout.

transformers' ``LlamaForCausalLM``: pre-norm RMSNorm decoder (weights of D), GQA
attention whose q/k/v/o share one ``attention_bias`` switch, a SwiGLU MLP whose
three linears share ``mlp_bias``, an LM head untied unless ``tie_word_embeddings``.
Missing ``num_key_value_heads`` means H (MHA); missing ``head_dim`` means D / H.
"""

from __future__ import annotations

from ..config import Config
from ..spec import Spec
from . import decoder
from .decoder import decoder_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x LlamaConfig
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, max_position_embeddings=2048,
)


def from_config(cfg: Config) -> Spec:
    sizes = decoder.read_sizes(cfg, rope="always")
    attention_bias = cfg.get("attention_bias")
    mlp_bias = cfg.get("mlp_bias")
    tree = decoder.pre_norm_decoder(
        "llama", "Llama decoder",
        decoder.gated_mlp(sizes.activation, bias=mlp_bias),
        tied=sizes.tied,
        attn=decoder.attention(qkv_bias=attention_bias, out_bias=attention_bias),
    )
    return decoder.decoder_spec("llama", tree, sizes)


FAMILY = Family(
    name="llama",
    summary="Llama 1/2/3 and the models that reuse its layout: RMSNorm, GQA, SwiGLU",
    model_types=("llama",),
    fields=FIELDS,
    build=from_config,
    refused="nulls transformers refuses (sizes, attention_bias, mlp_bias); heads that do not divide the width "
            "without a head_dim; odd rotary heads above 4; key/value heads that do not divide the heads",
)
