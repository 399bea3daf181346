"""Mistral 4 (model_type ``mistral4``): DeepSeek-V3's latent attention and shared-expert MoE, with a softmax router.

transformers' ``Mistral4ForCausalLM`` (5.x) builds exactly the parameters of
:mod:`._deepseek_mla`'s decoder: MLA attention (``q_lora_rank`` 1,024, or a plain ``q_proj``
where it is null), ``first_k_dense_replace`` dense layers (none by default), then
mixture-of-experts layers of ``n_routed_experts`` experts of ``moe_intermediate_size``,
``num_experts_per_tok`` of them per token, beside ``n_shared_experts`` shared ones. What differs
from DeepSeek-V3 is the router, which scores by softmax (group-limited, with no correction
bias), and the class's defaults (Mistral Small 4's: 36 layers of 4,096, 128 experts, a context
of 1,048,576 tokens, and a YaRN table of its own that keeps its base and its share of each head,
qk_rope_head_dim / (qk_nope_head_dim + qk_rope_head_dim), whatever the top level says).
transformers' AutoModelForCausalLM does not list the model type, so its class is named here.
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

# transformers 5.x Mistral4Config
FIELDS = Fields(
    Field("vocab_size", 131072),
    Field("hidden_size", 4096),
    Field("intermediate_size", 12288),
    Field("moe_intermediate_size", 2048),
    Field("num_hidden_layers", 36),
    Field("num_attention_heads", 32),
    Field("n_shared_experts", 1, minimum=0),
    Field("n_routed_experts", 128, aliases=("num_local_experts",), null=DERIVED),
    Field("kv_lora_rank", 256),
    Field("q_lora_rank", 1024, null=DERIVED),
    Field("qk_rope_head_dim", 64),
    Field("v_head_dim", 128),
    Field("qk_nope_head_dim", 64),
    Field("num_experts_per_tok", 4, null=DERIVED),
    Field("first_k_dense_replace", 0, minimum=0),
    Field("moe_layer_freq", 1, null=DEFAULT),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 1048576),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    *mla.ROUTER_FIELDS,
    pad_field(11),
    groups=mla.GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes, layers' kinds and router, checked, with no tree built."""
    shape = mla.read_shape(cfg)
    return mla.reading("mistral4", shape, ("softmax_group", mla.renorm(cfg), None, None), mtp=False)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    return mla.build(r, "mistral4", "Mistral 4 decoder (latent attention, shared-expert MoE)")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="mistral4",
    summary="Mistral 4: DeepSeek-V3's latent attention and routed and shared experts, with a softmax router",
    model_types=("mistral4",),
    fields=FIELDS,
    build=from_config,
    read=read,
    model_class="Mistral4ForCausalLM",
    rope_default=(("rope_type", "yarn"), ("rope_theta", 10000.0), ("factor", 128.0),
                  ("original_max_position_embeddings", 8192), ("beta_fast", 32.0), ("beta_slow", 1.0),
                  ("mscale_all_dim", 1.0), ("mscale", 1.0), ("llama_4_scaling_beta", 0.1)),
    rope_share=True,
    # qk_rope_head_dim / (qk_nope_head_dim + qk_rope_head_dim), here at the class's sizes: no check reads it
    # (no rope_head), the rotary width being qk_rope_head_dim, which read_shape checks as such
    rope_share_default=0.5,
    rope_share_field=None,
    refused="moe_layer_freq other than 1 (transformers ignores it); null sizes or top-k",
)
