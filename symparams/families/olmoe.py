"""OLMoE (model_type ``olmoe``): OLMo's pre-norm decoder with q/k RMSNorm and a mixture of experts.

transformers' ``OlmoeForCausalLM`` (5.x): RMSNorm (weight D) before attention and before
the MoE; attention with biases on q, k, v and o per ``attention_bias`` and two RMSNorms
sized from the width, not the heads: ``q_norm`` over D and ``k_norm`` over
(D // H) * H_kv (which is H_kv*d_h when head_dim is D/H); a router ``gate`` (E x D, no
bias) and E gated experts of ``intermediate_size`` stored fused (``gate_up_proj`` E x 2F x D,
``down_proj`` E x D x F), k per token.
"""

from __future__ import annotations

import sympy

from ..components.normed_attention import NormedAttention
from ..components.routing import Routing
from ..config import REFUSE, Config
from ..spec import Spec
from ..symbols import D, H, H_kv, d_h
from . import _deepseek_heads as heads
from . import decoder
from ._deepseek_vocab import check_padding, pad_field
from .decoder import LLAMA_ATTENTION, LLAMA_GROUPS, decoder_fields, expert_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]


def routing(cfg: Config) -> Routing:
    """OLMoE's router (Qwen's code): softmax, top-k, renormalised if ``norm_topk_prob``, cast to the activation dtype."""
    return Routing(renorm=decoder.renorm(cfg), cast=True)


EXPERTS, TOP_K = 64, 8
# transformers 5.x OlmoeConfig
FIELDS = decoder_fields(
    vocab_size=50304, hidden_size=2048, intermediate_size=2048, num_hidden_layers=16,
    num_attention_heads=16, head_dim_null=REFUSE, max_position_embeddings=4096, mlp_bias=None,
    extra=(*expert_fields(EXPERTS, TOP_K), pad_field(1), decoder.norm_topk_field(False)),
    groups={**LLAMA_GROUPS, "q_norm": "norm", "k_norm": "norm"},
)


def from_config(cfg: Config) -> Spec:
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    experts = decoder.read_experts(cfg, EXPERTS, TOP_K)
    bias = cfg.get("attention_bias")
    # k_norm is (D // H) * H_kv wide: H_kv*d_h where d_h is D/H, else floor(D/H)*H_kv
    if sizes.head_dim_derived or floor:
        k_width = H_kv * d_h
    elif sizes.width % sizes.heads == 0:
        k_width = H_kv * D / H
    else:
        k_width = H_kv * sympy.floor(D / H)
    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, names=LLAMA_ATTENTION,
                           q_norm=D, k_norm=k_width)
    mlp = decoder.moe(sizes.activation, routing(cfg))
    tree = decoder.pre_norm_decoder("olmoe", "OLMoE decoder (q/k RMSNorm, sparse MoE)", mlp,
                                    tied=sizes.tied, attn=attn)
    spec = decoder.decoder_spec("olmoe", tree, sizes, experts=experts)
    return heads.floored(spec) if floor else spec


FAMILY = Family(
    name="olmoe",
    summary="OLMoE: OLMo with q/k RMSNorm and a sparse mixture of E experts, k per token",
    model_types=("olmoe",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    refused="a null head_dim or expert count (transformers cannot build them)",
)
