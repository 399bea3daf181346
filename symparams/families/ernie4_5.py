"""ERNIE 4.5 (model_types ``ernie4_5`` and ``ernie4_5_moe``): a Llama-style decoder, and its mixture of experts.

transformers' ``Ernie4_5ForCausalLM`` (5.x): RMSNorms of D, GQA attention and a SwiGLU
MLP whose every linear (q, k, v, o, gate, up, down) carries a bias when ``use_bias`` is
set (a null ``use_bias`` builds none); the embedding is tied to the head by default.
``head_dim`` defaults to 128; a null one is D // H (floored), as its ``__post_init__`` says.

``Ernie4_5_MoeForCausalLM`` uses the same attention (``head_dim`` is no field of its config:
D // H unless a config.json carries one) and puts a mixture in every layer i with
(i + 1) % ``moe_layer_interval`` == 0 and ``moe_layer_start_index`` <= i <=
``moe_layer_end_index`` (-1: the last layer); the other L_d layers keep a dense MLP of
``intermediate_size``. The mixture: a router ``gate`` (E x D) with its
``e_score_correction_bias`` (E values, a parameter here, though never trained), E experts
of ``moe_intermediate_size`` F_e stored fused, k per token, and, when
``moe_num_shared_experts`` E_s is not 0, one shared MLP of E_s*F_e with biases per
``use_bias``. Its head has a bias too under ``use_bias``, tied or not.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, REFUSE, Config, Field
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding, pad_field
from ._moe_config import decoder_sizes, dense_of, layout, moe_values
from .decoder_sizes import LLAMA_GROUPS, decoder_fields, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import Attention
    from ..spec import Spec

__all__ = ["FAMILY", "MOE_FAMILY", "FIELDS", "MOE_FIELDS", "from_config", "moe_from_config", "moe_layers", "read",
           "build", "moe_read", "moe_build"]

_BIAS = Field("use_bias", False, kind="bool", null=DEFAULT)
# transformers 5.x Ernie4_5Config
FIELDS = decoder_fields(
    vocab_size=103424, hidden_size=1024, intermediate_size=3072, num_hidden_layers=18, num_attention_heads=16,
    num_key_value_heads=2, kv_null=DERIVED, head_dim=128, head_dim_null=DERIVED, tie_word_embeddings=True,
    max_position_embeddings=131072, attention_bias=None, mlp_bias=None, extra=(_BIAS, pad_field(0)),
)
# transformers 5.x Ernie4_5_MoeConfig
MOE_FIELDS = decoder_fields(
    vocab_size=103424, hidden_size=2560, intermediate_size=12288, num_hidden_layers=28, num_attention_heads=20,
    num_key_value_heads=4, kv_null=REFUSE, head_dim_null=REFUSE, tie_word_embeddings=True,
    max_position_embeddings=131072, attention_bias=None, mlp_bias=None,
    extra=(
        _BIAS, pad_field(0),
        Field("moe_intermediate_size", 1536),
        Field("moe_k", 6, aliases=("num_experts_per_tok",), null=DERIVED),
        Field("moe_num_experts", 64, aliases=("num_experts",), null=DERIVED),
        Field("moe_num_shared_experts", 2, minimum=0, null=DERIVED),
        Field("moe_layer_start_index", 1, minimum=-(10**50), null=DERIVED),
        Field("moe_layer_end_index", -1, minimum=-(10**50), null=DERIVED),
        Field("moe_layer_interval", 1),
    ),
    groups={**LLAMA_GROUPS, "moe_statics": "mlp"},
)


def _attention(bias: bool) -> Attention:
    """Llama's attention whose every layer interleaves its own copy of the rotary tables (kept for backward)."""
    from . import decoder

    return replace(decoder.attention(qkv_bias=bias, out_bias=bias), rotary_per_layer=True)


def read(cfg: Config) -> Reading:
    """The config's sizes and bias switch, checked, with no tree built."""
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    return heads.floored_reading(reading("ernie4_5", sizes, use_bias=cfg.get("use_bias")), floor)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import decoder

    shape, sizes = dict(r.shape), sizes_of(r)
    bias = shape["use_bias"]
    tree = decoder.pre_norm_decoder("ernie4_5", "ERNIE 4.5 decoder", decoder.gated_mlp(sizes.activation, bias=bias),
                                    tied=sizes.tied, attn=_attention(bias))
    spec = decoder.decoder_spec("ernie4_5", tree, sizes)
    return heads.floored(spec) if shape["floored"] else spec


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def moe_layers(cfg: Config, layers: int) -> list[bool]:
    """Which layers transformers gives a mixture of experts (the rest keep a dense MLP).

    transformers tests each layer's interval, then its start, then its end, stopping at the
    first that fails: a null start or end is only an error once a layer's test reaches it.
    """
    start, end, every = (cfg.get(n) for n in ("moe_layer_start_index", "moe_layer_end_index", "moe_layer_interval"))
    end = layers - 1 if end == -1 else end
    where = [False] * layers
    for i in range(layers):
        if (i + 1) % every:
            continue
        if start is DERIVED:
            raise cfg.error("moe_layer_start_index", f"is null; transformers compares layer {i} with it and cannot")
        if i < start:
            continue
        if end is DERIVED:
            raise cfg.error("moe_layer_end_index", f"is null; transformers compares layer {i} with it and cannot")
        where[i] = i <= end
    return where


def moe_read(cfg: Config) -> Reading:
    """The config's sizes, bias switch, layers' kinds and experts, checked, with no tree built."""
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    bias = cfg.get("use_bias")
    experts, top_k = cfg.get("moe_num_experts"), cfg.get("moe_k")
    moe_at = moe_layers(cfg, sizes.layers)
    sparse = sum(moe_at)
    if experts is DERIVED:  # null: transformers cannot size the experts, but builds a model without any
        if sparse:
            name = next(n for n in cfg.fields["moe_num_experts"].names if cfg.is_null(n))
            raise cfg.error(name, "is null; transformers cannot build the mixture-of-experts layers without it")
        experts = 1  # no layer reads it
    if top_k is DERIVED:  # null: a router that cannot pick experts, where there is one
        if sparse:
            name = next(n for n in cfg.fields["moe_k"].names if cfg.is_null(n))
            raise cfg.error(name, "is null; transformers then builds a router that cannot pick experts, "
                                  "so the experts per token must be stated")
        top_k = 1  # no layer reads it
    if sparse and top_k > experts:
        raise cfg.error("moe_k", f"{top_k} exceeds moe_num_experts {experts}")
    shared = cfg.get("moe_num_shared_experts")
    if shared is DERIVED:  # null: transformers compares it with 0 in each MoE layer, and builds none without one
        if sparse:
            raise cfg.error("moe_num_shared_experts", "is null; transformers cannot build the mixture-of-experts "
                                                      "layers without it")
        shared = 0
    dense = sizes.layers - sparse
    kinds = layout(dense, sizes.layers, [not x for x in moe_at])
    r = heads.floored_reading(reading("ernie4_5_moe", sizes, use_bias=bias, layout=kinds, shared=bool(shared)), floor)
    values = [(n, v) for n, v in r.values if n != "F"]
    values += moe_values(kinds, hidden=sizes.hidden, dense=dense, expert_hidden=cfg.get("moe_intermediate_size"),
                         experts=experts, top_k=top_k, shared=shared).items()
    return replace(r, values=tuple(values))


def moe_build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from sympy import Integer

    from ..components import MLP, Block, Embedding, Linear, Model, Module, MoE, Parameter
    from ..components.routing import Routing
    from ..symbols import SYMBOLS, D, E, E_s, F_e, V, k
    from . import decoder
    from ._deepseek_mla import dense_then_moe

    shape, values, sizes = dict(r.shape), dict(r.values), decoder_sizes(r)
    bias, act = shape["use_bias"], sizes.activation
    expert = MLP("expert", D, F_e, gated=True, activation=act, names=("gate", "up", "down"))
    shared_mlp = (MLP("shared_experts", D, E_s * F_e, gated=True, bias=bias, activation=act,
                      names=("gate_proj", "up_proj", "down_proj")) if shape["shared"] else None)
    moe = MoE("mlp", Linear("gate", D, E, group="mlp"), expert, E, k, shared=shared_mlp,
              extras=(Parameter("e_score_correction_bias", (E,), group="mlp"),), routing=Routing(kind="ernie", cast=True))
    attn = _attention(bias)

    def block(mlp: Module) -> Block:
        return Block("layer", (decoder.rms_norm("input_layernorm"), attn, decoder.rms_norm("post_attention_layernorm"),
                               mlp), label="pre-norm decoder block")

    dense, where = dense_of(shape["layout"], values)
    stack, _, constraints = dense_then_moe(block, decoder.gated_mlp(act, bias=bias), moe, dense, sizes.layers, where)
    tree = Model("ernie4_5_moe", (Embedding("embed_tokens", V, D), *stack, decoder.rms_norm("norm"),
                                  Linear("lm_head", D, V, bias=bias, tied=sizes.tied, group="head")),
                 label="ERNIE 4.5 MoE decoder")
    spec = decoder.decoder_spec("ernie4_5_moe", tree, sizes)
    spec = heads.floored(spec) if shape["floored"] else spec
    return replace(spec, values=tuple((SYMBOLS[n], Integer(v)) for n, v in r.values),
                   constraints=spec.constraints + tuple(constraints))


def moe_from_config(cfg: Config) -> Spec:
    return moe_build(moe_read(cfg))


FAMILY = Family(
    name="ernie4_5",
    summary="ERNIE 4.5: a Llama-style decoder with biases on every linear under use_bias",
    model_types=("ernie4_5",),
    rope_head="always",
    fields=FIELDS,
    build=from_config,
    read=read,
)
MOE_FAMILY = Family(
    name="ernie4_5_moe",
    summary="ERNIE 4.5 MoE: mixture-of-experts layers by start, end and interval, routed and shared experts",
    model_types=("ernie4_5_moe",),
    rope_head="given",
    fields=MOE_FIELDS,
    build=moe_from_config,
    read=moe_read,
    refused="a null size, head_dim, layer index or interval (transformers cannot build them); where there are "
            "mixture-of-experts layers, a null moe_num_experts (likewise) or moe_k (its router cannot pick experts)",
)
