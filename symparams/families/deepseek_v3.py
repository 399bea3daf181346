"""DeepSeek-V3 (model_type ``deepseek_v3``): latent attention, three dense layers, then 256 routed experts and one shared.

transformers' ``DeepseekV3ForCausalLM`` (5.x), built as :mod:`._deepseek_mla` describes:
MLA attention (``q_lora_rank`` 1536, or a plain ``q_proj`` when it is null),
``first_k_dense_replace`` dense layers, then mixture-of-experts layers with a sigmoid
router, ``n_routed_experts`` experts of ``moe_intermediate_size``, ``num_experts_per_tok``
of them per token, and ``n_shared_experts`` shared ones. The router's
``e_score_correction_bias`` is a buffer in transformers and is not counted; neither is the
multi-token-prediction module, which transformers does not build (DeepSeek-V3's published
671B is the main model without it, as here).
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

# transformers 5.x DeepseekV3Config: its dataclass defaults; null is refused wherever
# transformers would fail to build (a None size) or to route (a None top-k).
FIELDS = Fields(
    Field("vocab_size", 129280),
    Field("hidden_size", 7168),
    Field("intermediate_size", 18432),
    Field("moe_intermediate_size", 2048),
    Field("num_hidden_layers", 61),
    Field("num_attention_heads", 128),
    Field("n_shared_experts", 1, minimum=0),
    Field("n_routed_experts", 256, aliases=("num_local_experts",), null=DERIVED),  # the alias's null: see read_shape
    Field("kv_lora_rank", 512),
    Field("q_lora_rank", 1536, null=DERIVED),
    Field("qk_rope_head_dim", 64),
    Field("v_head_dim", 128),
    Field("qk_nope_head_dim", 128),
    Field("num_experts_per_tok", 8, null=DERIVED),
    Field("first_k_dense_replace", 3, minimum=0),
    Field("moe_layer_freq", 1, null=DEFAULT),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 4096),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    *mla.ROUTER_FIELDS,
    pad_field(None),
    groups=mla.GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes, layers' kinds and router, checked, with no tree built."""
    shape = mla.read_shape(cfg, stated_head=True)
    return mla.reading("deepseek_v3", shape, mla.sigmoid_routing(cfg), notes=(mla.BUFFER,))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    return mla.build(r, "deepseek_v3", "DeepSeek-V3 decoder (latent attention, shared-expert MoE)")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="deepseek_v3",
    summary="DeepSeek-V3: multi-head latent attention, dense layers first, then routed and shared experts",
    model_types=("deepseek_v3",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="moe_layer_freq other than 1 (transformers ignores it); null sizes or top-k",
)
