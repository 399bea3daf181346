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
from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field
from . import _deepseek_heads as heads
from ._deepseek_mla import BUFFER, NOTES, sigmoid_routing
from ._deepseek_vocab import check_padding, pad_field
from ._moe_config import decoder_sizes, dense_of, layout, moe_values, norm_topk_field
from .decoder_sizes import LLAMA_GROUPS, decoder_fields, reading
from .registry import Family, Reading
from .rope import partial_rotary_factor, plain_share, rotary_table_width

if TYPE_CHECKING:

    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

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
        norm_topk_field(True),
        Field("use_qk_norm", False, kind="bool"),
        pad_field(None),
    ),
    groups={**LLAMA_GROUPS, "q_norm": "norm", "k_norm": "norm"},
)


def read(cfg: Config) -> Reading:
    """The config's sizes, layers' kinds, experts, norms and rotary share, checked, with no tree built."""
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
    kinds = layout(dense, sizes.layers)
    r = heads.floored_reading(reading("glm4_moe", sizes, qk_norm=cfg.get("use_qk_norm"),
                                      attention_bias=cfg.get("attention_bias"),
                                      rotary_share=plain_share(partial_rotary_factor(cfg, 0.5)),
                                      routing=sigmoid_routing(cfg), layout=kinds, shared=bool(shared)), floor)
    values = [(n, v) for n, v in r.values if n != "F"]
    values += moe_values(kinds, hidden=sizes.hidden, dense=dense, expert_hidden=cfg.get("moe_intermediate_size"),
                         experts=experts, top_k=top_k, shared=shared).items()
    return Reading(r.shape, tuple(values), r.name, r.notes + NOTES + (BUFFER,))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from sympy import Integer

    from ..components import Block, Embedding, Linear, Model, Module
    from ..components.normed_attention import NormedAttention
    from ..symbols import SYMBOLS, D, H, H_kv, V, d_h
    from . import decoder
    from ._deepseek_mla import dense_then_moe, routing_of, shared_expert_moe

    shape, values, sizes = dict(r.shape), dict(r.values), decoder_sizes(r)
    qk = d_h if shape["qk_norm"] else None
    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=shape["attention_bias"], out_bias=False,
                           names=decoder.LLAMA_ATTENTION, q_norm=qk, k_norm=qk,
                           rotary_dim=rotary_table_width(shape["rotary_share"]), per_head=True, rotary_concat=True)

    def block(mlp: Module) -> Block:
        return Block("layer", (decoder.rms_norm("input_layernorm"), attn, decoder.rms_norm("post_attention_layernorm"),
                               mlp), label="pre-norm decoder block")

    moe = shared_expert_moe(sizes.activation, shape["shared"], routing=routing_of(shape["routing"]))
    dense, where = dense_of(shape["layout"], values)
    stack, _, constraints = dense_then_moe(block, decoder.gated_mlp(sizes.activation), moe, dense, sizes.layers, where)
    tree = Model("glm4_moe", (Embedding("embed_tokens", V, D), *stack, decoder.rms_norm("norm"),
                              Linear("lm_head", D, V, tied=sizes.tied, group="head")),
                 label="GLM-4.5 decoder (dense layers, then shared-expert MoE)")
    spec = decoder.decoder_spec("glm4_moe", tree, sizes)
    spec = heads.floored(spec) if shape["floored"] else spec
    return replace(spec, values=tuple((SYMBOLS[n], Integer(v)) for n, v in r.values),
                   constraints=spec.constraints + tuple(constraints), notes=r.notes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="glm4_moe",
    rope_head="given",
    rope_share=True,
    rope_share_default=0.5,
    summary="GLM-4.5: GQA attention (optional q/k norm), dense layers first, then routed and shared experts",
    model_types=("glm4_moe",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null size, head_dim or top-k (transformers cannot build them)",
)
