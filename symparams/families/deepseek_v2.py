"""DeepSeek-V2 (model_type ``deepseek_v2``): latent attention and a mixture of routed and shared experts.

transformers' ``DeepseekV2ForCausalLM`` (5.x), built as :mod:`._deepseek_mla` describes,
with what differs from V3: a softmax router without a correction bias, ``mlp_bias`` on the
dense MLP and the shared experts (never on the routed experts), no dense layers unless
``first_k_dense_replace`` says so (DeepSeek-V2's own configs say 1), and a config class
that insists ``num_attention_heads`` divide ``hidden_size``. Its ``num_experts_per_tok``
defaults to None, with which transformers builds a model that cannot route a token; such a
config is refused rather than given a guessed top-k.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, Config, Field, Fields
from . import _deepseek_mla as mla
from ._deepseek_vocab import pad_field
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x DeepseekV2Config
FIELDS = Fields(
    Field("vocab_size", 102400),
    Field("hidden_size", 4096),
    Field("intermediate_size", 11008),
    Field("moe_intermediate_size", 1407),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 32),
    Field("n_shared_experts", 2, minimum=0),
    Field("n_routed_experts", 64, aliases=("num_experts",), null=DERIVED),  # see Config.strict
    Field("kv_lora_rank", 512),
    Field("q_lora_rank", 1536, null=DERIVED),
    Field("qk_rope_head_dim", 64),
    Field("v_head_dim", 128),
    Field("qk_nope_head_dim", 128),
    Field("num_experts_per_tok", DERIVED, null=DERIVED),
    Field("first_k_dense_replace", 0, minimum=0),
    Field("moe_layer_freq", 1, null=DEFAULT),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 2048),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    Field("mlp_bias", False, kind="bool"),
    # typed str and int | None in DeepseekV2Config, which refuses other types (true is no group count)
    Field("topk_method", "greedy", null=DERIVED, kind="str"),
    Field("n_group", None, null=DEFAULT, minimum=-(10**50)),
    Field("topk_group", None, null=DEFAULT, minimum=-(10**50)),
    pad_field(None),
    groups=mla.GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes, layers' kinds, biases and router, checked, with no tree built."""
    width, heads = cfg.get("hidden_size"), cfg.get("num_attention_heads")
    if width % heads:
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size {width}, "
                                               "which DeepseekV2Config refuses")
    cfg.checked.heads_divide_width = True
    shape = mla.read_shape(cfg)
    mlp_bias = cfg.get("mlp_bias")
    return mla.reading("deepseek_v2", shape, _routing(cfg), mlp_bias=mlp_bias)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    return mla.build(r, "deepseek_v2", "DeepSeek-V2 decoder (latent attention, shared-expert MoE)")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def _routing(cfg: Config) -> tuple:
    """DeepSeek-V2's router: softmax scores, greedy top-k or, with ``group_limited_greedy``, limited to groups
    (as :func:`._deepseek_mla.routing_of` reads it)."""
    method = cfg.get("topk_method")
    groups, chosen = cfg.get("n_group"), cfg.get("topk_group")  # read either way: they shape nothing but routing
    if method == "greedy":
        return ("softmax_group", False, None, None)
    if method != "group_limited_greedy":
        return (f"topk_method {method if method is not DERIVED else None!r}", True, None, None)
    if groups is None or chosen is None or not 1 <= chosen <= groups:
        return ("deepseek_v2 group-limited without 1 <= topk_group <= n_group", True, None, None)
    return ("softmax_group", False, groups, chosen)


FAMILY = Family(
    name="deepseek_v2",
    summary="DeepSeek-V2: multi-head latent attention, routed and shared experts",
    model_types=("deepseek_v2",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a missing or null num_experts_per_tok where there are MoE layers (transformers' None cannot route); "
            "moe_layer_freq other than 1",
)
