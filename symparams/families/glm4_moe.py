"""GLM-4.5 (model_type ``glm4_moe``): GQA attention, dense layers first, then DeepSeek-V3's shared-expert MoE.

transformers' ``Glm4MoeForCausalLM`` (5.x): RMSNorms of D before attention and MLP; GQA
attention with biases on q, k and v per ``attention_bias`` (none on o) and, with
``use_qk_norm``, RMSNorms of d_h over each query and key head; the first
``first_k_dense_replace`` = L_d layers have a gated MLP of ``intermediate_size``, the
others DeepSeek-V3's mixture (:func:`._deepseek_mla.shared_expert_moe`): a sigmoid router
(E x D; its ``e_score_correction_bias`` is a buffer, not counted), E experts of
``moe_intermediate_size`` and ``n_shared_experts`` shared ones as one MLP. ``head_dim`` is
not a Glm4MoeConfig field; transformers honours one a config.json carries (GLM-4.5's say
128, not D/H). The multi-token-prediction layer is not built by transformers, nor counted.
"""

from __future__ import annotations

from dataclasses import replace

import sympy
from sympy import Expr, Integer

from ..components import Block, Embedding, Linear, Model, Module
from ..components.normed_attention import NormedAttention
from ..config import DERIVED, REFUSE, Config, Field
from ..spec import Spec
from ..symbols import D, E, E_s, F, F_e, H, H_kv, L_d, V, d_h, k
from . import _deepseek_heads as heads
from . import decoder
from ._deepseek_mla import NOTES, dense_then_moe, shared_expert_moe, sigmoid_routing
from ._deepseek_vocab import check_padding, pad_field
from .decoder import LLAMA_ATTENTION, LLAMA_GROUPS, decoder_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x Glm4MoeConfig
FIELDS = decoder_fields(
    vocab_size=151552, hidden_size=4096, intermediate_size=10944, num_hidden_layers=46,
    num_attention_heads=96, num_key_value_heads=8, kv_null=REFUSE, head_dim_null=REFUSE,
    max_position_embeddings=131072, mlp_bias=None,
    extra=(
        Field("moe_intermediate_size", 1408),
        Field("num_experts_per_tok", 8),
        Field("n_shared_experts", 1, minimum=0),
        Field("n_routed_experts", 128, aliases=("num_local_experts",), null=DERIVED),  # see Config.strict
        Field("first_k_dense_replace", 1, minimum=0),
        decoder.norm_topk_field(True),
        Field("use_qk_norm", False, kind="bool"),
        pad_field(None),
    ),
    groups={**LLAMA_GROUPS, "q_norm": "norm", "k_norm": "norm"},
)


def _rotary_width(cfg: Config) -> Expr:
    """Width of the cos and sin tables: int(d_h * partial_rotary_factor), rounded up to even (transformers' RoPE)."""
    share = sympy.nsimplify(decoder.partial_rotary_factor(cfg, 0.5))
    return 2 * sympy.ceiling(sympy.floor(d_h * share) / 2)


def from_config(cfg: Config) -> Spec:
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    top_k = cfg.get("num_experts_per_tok")
    dense = min(cfg.get("first_k_dense_replace"), sizes.layers)
    experts = cfg.strict("n_routed_experts", used=dense < sizes.layers)
    if experts is None:
        experts = 1  # a null alias that no layer reads
    elif top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds n_routed_experts {experts}")
    shared = cfg.get("n_shared_experts")
    qk = d_h if cfg.get("use_qk_norm") else None
    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=cfg.get("attention_bias"), out_bias=False,
                           names=LLAMA_ATTENTION, q_norm=qk, k_norm=qk, rotary_dim=_rotary_width(cfg), per_head=True)

    def block(mlp: Module) -> Block:
        return Block("layer", (decoder.rms_norm("input_layernorm"), attn, decoder.rms_norm("post_attention_layernorm"),
                               mlp), label="pre-norm decoder block")

    stack, used, constraints = dense_then_moe(block, decoder.gated_mlp(sizes.activation),
                                              shared_expert_moe(sizes.activation, shared, routing=sigmoid_routing(cfg)),
                                              dense, sizes.layers)
    tree = Model("glm4_moe", (Embedding("embed_tokens", V, D), *stack, decoder.rms_norm("norm"),
                              Linear("lm_head", D, V, tied=sizes.tied, group="head")),
                 label="GLM-4.5 decoder (dense layers, then shared-expert MoE)")
    spec = decoder.decoder_spec("glm4_moe", tree, sizes)
    spec = heads.floored(spec) if floor else spec
    every = {L_d: dense, F_e: cfg.get("moe_intermediate_size"), E: experts, k: top_k}
    extra = {s: v for s, v in every.items() if s in used}
    if E in used and shared:
        extra[E_s] = shared
    values = tuple((s, v) for s, v in spec.values if s is not F or F in used)  # F only where dense layers are
    return replace(spec, values=values + tuple((s, Integer(v)) for s, v in extra.items()),
                   constraints=spec.constraints + tuple(constraints),
                   notes=spec.notes + NOTES + ("the router's e_score_correction_bias (E values per MoE layer) is a "
                                               "buffer in transformers, not a parameter, and is not counted",))


FAMILY = Family(
    name="glm4_moe",
    rope_share=True,
    summary="GLM-4.5: GQA attention (optional q/k norm), dense layers first, then routed and shared experts",
    model_types=("glm4_moe",),
    fields=FIELDS,
    build=from_config,
    refused="a null size, head_dim or top-k (transformers cannot build them)",
)
