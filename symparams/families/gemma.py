"""Gemma (model_type ``gemma``): Gemma 1, with an explicit head_dim and a tied head.

The Llama layout with a GeGLU MLP (``gelu`` is read as the tanh approximation, as
transformers does) and the embedding tied to the LM head by default. head_dim
need not be D / H: Gemma-7B has 16 heads of 256 on D = 3,072, so q and o are
3,072 x 4,096. Gemma's RMSNorm scales by (1 + weight), but the weight is still D
parameters. Defaults: ``num_key_value_heads`` 16, ``head_dim`` 256.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import REFUSE, Config
from ._layered_config import check_padding
from .decoder_sizes import decoder_fields, read_sizes, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x GemmaConfig
FIELDS = decoder_fields(
    vocab_size=256000, hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
    num_attention_heads=16, num_key_value_heads=16, kv_null=REFUSE, head_dim=256, head_dim_null=REFUSE,
    tie_word_embeddings=True, hidden_act="gelu_pytorch_tanh", max_position_embeddings=8192, mlp_bias=None,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes = read_sizes(cfg, rope="always")
    check_padding(cfg, 0, sizes.vocab)
    return reading("gemma", sizes, attention_bias=cfg.get("attention_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import decoder

    shape = dict(r.shape)
    activation = "gelu_pytorch_tanh" if shape["activation"] == "gelu" else shape["activation"]
    tree = decoder.pre_norm_decoder(
        "gemma", "Gemma decoder", decoder.gated_mlp(activation), tied=shape["tied"],
        attn=decoder.attention(qkv_bias=shape["attention_bias"], out_bias=shape["attention_bias"]), gemma=True,
    )
    return decoder.decoder_spec("gemma", tree, sizes_of(r))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="gemma",
    summary="Gemma 1: GeGLU, an explicit head_dim and a tied head",
    model_types=("gemma",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null num_key_value_heads, head_dim or attention_bias; odd rotary heads above 4",
)
