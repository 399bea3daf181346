"""IBM Granite (model_type ``granite``): the Llama layout with scaling multipliers that hold no weights.

transformers' ``GraniteForCausalLM`` (5.x) is Llama's decoder: RMSNorms of D, q/k/v/o with
biases per ``attention_bias``, a SwiGLU MLP with biases per ``mlp_bias``, an untied head
unless ``tie_word_embeddings``. Its ``embedding_multiplier``, ``attention_multiplier``,
``residual_multiplier`` and ``logits_scaling`` scale activations and change no shape.
``head_dim`` is not a GraniteConfig field; transformers honours one a config.json
carries, and cannot build a null one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import REFUSE, Config
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding, pad_field
from .decoder_sizes import decoder_fields, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x GraniteConfig
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, head_dim_null=REFUSE, max_position_embeddings=2048, extra=(pad_field(None),),
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    r = reading("granite", sizes, attention_bias=cfg.get("attention_bias"), mlp_bias=cfg.get("mlp_bias"))
    return heads.floored_reading(r, floor)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import decoder

    shape, sizes = dict(r.shape), sizes_of(r)
    bias = shape["attention_bias"]
    tree = decoder.pre_norm_decoder(
        "granite", "Granite decoder", decoder.gated_mlp(sizes.activation, bias=shape["mlp_bias"]),
        tied=sizes.tied, attn=decoder.attention(qkv_bias=bias, out_bias=bias),
    )
    spec = decoder.decoder_spec("granite", tree, sizes)
    return heads.floored(spec) if shape["floored"] else spec


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="granite",
    summary="IBM Granite: the Llama layout with activation multipliers",
    model_types=("granite",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim (transformers cannot build it)",
)
