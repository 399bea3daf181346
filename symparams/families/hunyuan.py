"""Hunyuan dense (model_type ``hunyuan_v1_dense``): the Llama layout with q/k RMSNorm over each head.

transformers' ``HunYuanDenseV1ForCausalLM`` (5.x): RMSNorms of D, GQA attention with
biases on q, k, v and o per ``attention_bias`` and RMSNorms of d_h over each query head
(``query_layernorm``) and key head (``key_layernorm``), a SwiGLU MLP without biases.
``head_dim`` is a config field defaulting to None, which transformers reads as the head
size itself (``getattr`` finds the None), so no model builds without one: a config must
state it, and one that does not is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config
from ._deepseek_vocab import check_padding, pad_field
from .decoder_sizes import LLAMA_GROUPS, decoder_fields, read_sizes, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x HunYuanDenseV1Config
FIELDS = decoder_fields(
    vocab_size=290943, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
    head_dim_null=REFUSE, max_position_embeddings=2048, mlp_bias=None, extra=(pad_field(0),),
    groups={**LLAMA_GROUPS, "query_layernorm": "norm", "key_layernorm": "norm"},
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    if cfg.get("head_dim") is DERIVED:
        raise cfg.error("head_dim", "is not given; HunYuanDenseV1Config's default is None, with which transformers "
                                    "builds no attention, so the head size must be stated")
    sizes = read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    return reading("hunyuan_v1_dense", sizes, attention_bias=cfg.get("attention_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components.normed_attention import NormedAttention
    from ..symbols import D, H, H_kv, d_h
    from . import decoder

    sizes, bias = sizes_of(r), dict(r.shape)["attention_bias"]
    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, names=decoder.LLAMA_ATTENTION,
                           q_norm=d_h, k_norm=d_h, norm_names=("query_layernorm", "key_layernorm"), per_head=True)
    tree = decoder.pre_norm_decoder("hunyuan_v1_dense", "Hunyuan dense decoder (q/k RMSNorm per head)",
                                    decoder.gated_mlp(sizes.activation), tied=sizes.tied, attn=attn)
    return decoder.decoder_spec("hunyuan_v1_dense", tree, sizes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="hunyuan_v1_dense",
    rope_head_unset=True,
    summary="Hunyuan dense: the Llama layout with RMSNorm over each query and key head",
    model_types=("hunyuan_v1_dense",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a missing or null head_dim (transformers builds no model without one)",
)
