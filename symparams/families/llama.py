"""Llama (model_type ``llama``): Llama 1/2/3 and the many models that reuse its layout.

transformers' ``LlamaForCausalLM``: pre-norm RMSNorm decoder (weights of D), GQA
attention whose q/k/v/o share one ``attention_bias`` switch, a SwiGLU MLP whose
three linears share ``mlp_bias``, an LM head untied unless ``tie_word_embeddings``.
Missing ``num_key_value_heads`` means H (MHA); missing ``head_dim`` means D / H.
"""

from __future__ import annotations

from ..hf import Config
from ..spec import Spec
from . import decoder
from .decoder import Defaults, hf_group

__all__ = ["from_config", "hf_group", "DEFAULTS"]

# transformers 5.x LlamaConfig
DEFAULTS = Defaults(
    vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=None, head_dim=None, tie_word_embeddings=False,
    hidden_act="silu", nullable=frozenset({"num_key_value_heads", "head_dim"}),
)


def from_config(cfg: Config) -> Spec:
    sizes = decoder.read_sizes(cfg, DEFAULTS)
    attention_bias = cfg.bool("attention_bias", False)
    mlp_bias = cfg.bool("mlp_bias", False)
    tree = decoder.pre_norm_decoder(
        "llama", "Llama decoder",
        decoder.gated_mlp(sizes.activation, bias=mlp_bias),
        tied=sizes.tied,
        attn=decoder.attention(qkv_bias=attention_bias, out_bias=attention_bias),
    )
    return decoder.decoder_spec("llama", tree, sizes)
