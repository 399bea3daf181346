"""Hunyuan dense (model_type ``hunyuan_v1_dense``): the Llama layout with q/k RMSNorm over each head.

transformers' ``HunYuanDenseV1ForCausalLM`` (5.x): RMSNorms of D, GQA attention with
biases on q, k, v and o per ``attention_bias`` and RMSNorms of d_h over each query head
(``query_layernorm``) and key head (``key_layernorm``), a SwiGLU MLP without biases.
``head_dim`` is a config field defaulting to None, which transformers reads as the head
size itself (``getattr`` finds the None), so no model builds without one: a config must
state it, and one that does not is refused.
"""

from __future__ import annotations

from ..components.normed_attention import NormedAttention
from ..config import DERIVED, REFUSE, Config
from ..spec import Spec
from ..symbols import D, H, H_kv, d_h
from . import decoder
from ._deepseek_vocab import check_padding, pad_field
from .decoder import LLAMA_ATTENTION, LLAMA_GROUPS, decoder_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x HunYuanDenseV1Config
FIELDS = decoder_fields(
    vocab_size=290943, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
    head_dim_null=REFUSE, max_position_embeddings=2048, mlp_bias=None, extra=(pad_field(0),),
    groups={**LLAMA_GROUPS, "query_layernorm": "norm", "key_layernorm": "norm"},
)


def from_config(cfg: Config) -> Spec:
    if cfg.get("head_dim") is DERIVED:
        raise cfg.error("head_dim", "is not given; HunYuanDenseV1Config's default is None, with which transformers "
                                    "builds no attention, so the head size must be stated")
    sizes = decoder.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    bias = cfg.get("attention_bias")
    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, names=LLAMA_ATTENTION,
                           q_norm=d_h, k_norm=d_h, norm_names=("query_layernorm", "key_layernorm"))
    tree = decoder.pre_norm_decoder("hunyuan_v1_dense", "Hunyuan dense decoder (q/k RMSNorm per head)",
                                    decoder.gated_mlp(sizes.activation), tied=sizes.tied, attn=attn)
    return decoder.decoder_spec("hunyuan_v1_dense", tree, sizes)


FAMILY = Family(
    name="hunyuan_v1_dense",
    summary="Hunyuan dense: the Llama layout with RMSNorm over each query and key head",
    model_types=("hunyuan_v1_dense",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    refused="a missing or null head_dim (transformers builds no model without one)",
)
