"""Llama (model_type ``llama``): Llama 1/2/3 and the many models that reuse its layout.

transformers' ``LlamaForCausalLM``: pre-norm RMSNorm decoder (weights of D), GQA
attention whose q/k/v/o share one ``attention_bias`` switch, a SwiGLU MLP whose
three linears share ``mlp_bias``, an LM head untied unless ``tie_word_embeddings``.
Missing ``num_key_value_heads`` means H (MHA); missing ``head_dim`` means D / H.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from ._layered_config import check_padding
from .decoder_sizes import decoder_fields, read_sizes, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x LlamaConfig
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, max_position_embeddings=2048,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg, rope="always", heads_divide_width=True)
    check_padding(cfg, None, sizes.vocab)
    return reading("llama", sizes, attention_bias=cfg.get("attention_bias"), mlp_bias=cfg.get("mlp_bias"))


def build(reading: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import decoder

    shape = dict(reading.shape)
    tree = decoder.pre_norm_decoder(
        "llama", "Llama decoder",
        decoder.gated_mlp(shape["activation"], bias=shape["mlp_bias"]),
        tied=shape["tied"],
        attn=decoder.attention(qkv_bias=shape["attention_bias"], out_bias=shape["attention_bias"]),
    )
    return decoder.decoder_spec("llama", tree, sizes_of(reading))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="llama",
    summary="Llama 1/2/3 and the models that reuse its layout: RMSNorm, GQA, SwiGLU",
    model_types=("llama",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="nulls transformers refuses (sizes, attention_bias, mlp_bias); heads that do not divide the width "
            "without a head_dim; odd rotary heads above 4; key/value heads that do not divide the heads",
)
