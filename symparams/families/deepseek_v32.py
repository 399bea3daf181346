"""DeepSeek-V3.2 (model_type ``deepseek_v32``): DeepSeek-V3 with sparse attention picked by a lightning indexer.

transformers' ``DeepseekV32ForCausalLM`` (5.x) is DeepSeek-V3 (:mod:`._deepseek_mla`) with
three differences:

* every attention layer stores an :class:`~symparams.components.indexer.Indexer` in
  ``self_attn.indexer``: ``index_n_heads`` = H_I heads of ``index_head_dim`` = d_I, queries
  from the latent query of ``q_lora_rank`` (which must therefore be given: no plain q
  projection here), one shared key with its LayerNorm, and per-head weights;
* each query attends to the ``index_topk`` = K_I keys the indexer picks: eager attention
  still scores all T and masks the rest, a sparse kernel meets at most K_I;
* ``mlp_layer_types`` says which layers are dense or sparse (MoE), one per layer; missing,
  it is ``first_k_dense_replace`` dense layers, then sparse ones. Only how many are dense
  matters to the counts (L_d).

The router's ``e_score_correction_bias`` is a buffer, and the multi-token-prediction layer
is not built, as in V3; ``mlp_bias`` is read by transformers' config but by none of its layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, Config, Field, Fields
from . import _deepseek_mla as mla
from ._deepseek_vocab import pad_field
from ._moe_config import norm_topk_field
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "dense_layers"]

# transformers 5.x DeepseekV32Config
FIELDS = Fields(
    Field("vocab_size", 129280),
    Field("hidden_size", 7168),
    Field("intermediate_size", 18432),
    Field("moe_intermediate_size", 2048),
    Field("num_hidden_layers", 61),
    Field("num_attention_heads", 128),
    Field("n_shared_experts", 1, minimum=0),
    # num_experts is a keyword DeepseekV32Config re-routes only when it is not None: its null is "not given"
    Field("n_routed_experts", 256, aliases=("num_local_experts",), null=DERIVED, legacy=("num_experts",)),
    Field("kv_lora_rank", 512),
    Field("q_lora_rank", 1536),
    Field("qk_rope_head_dim", 64),
    Field("head_dim", 64),  # typed, so a null is refused; __post_init__ then sets it to qk_rope_head_dim
    Field("v_head_dim", 128),
    Field("qk_nope_head_dim", 128),
    Field("num_experts_per_tok", 8),
    Field("first_k_dense_replace", 3, minimum=0),
    Field("mlp_layer_types", DERIVED, null=DERIVED, kind="any", types=("list",)),
    Field("moe_layer_freq", 1, null=DEFAULT),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 163840),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    Field("index_n_heads", 64),
    Field("index_head_dim", 128),
    Field("index_topk", 2048),
    norm_topk_field(True),
    pad_field(None),
    groups={**mla.GROUPS, "k_norm": "norm"},
)


def dense_layers(cfg: Config, layers: int) -> tuple[bool, ...]:
    """Which layers are dense: those ``mlp_layer_types`` names so, or the first ``first_k_dense_replace``."""
    first = cfg.get("first_k_dense_replace")
    kinds = cfg.get("mlp_layer_types")
    if kinds is DERIVED:
        return tuple(i < first for i in range(layers))
    if not isinstance(kinds, list) or not all(isinstance(x, str) for x in kinds):
        raise cfg.error("mlp_layer_types", 'expected a list of "dense" and "sparse"')
    if len(kinds) != layers:
        raise cfg.error("mlp_layer_types", f"lists {len(kinds)} layers, but num_hidden_layers is {layers}")
    unknown = sorted(set(kinds) - {"dense", "sparse"})
    if unknown:
        raise cfg.error("mlp_layer_types", f"{unknown[0]!r} is not a layer kind (dense, sparse)")
    return tuple(x == "dense" for x in kinds)


def read(cfg: Config) -> Reading:
    """The config's sizes, layers' kinds, indexer and router, checked, with no tree built."""
    cfg.get("head_dim")
    where = dense_layers(cfg, cfg.get("num_hidden_layers"))
    shape = mla.read_shape(cfg, dense=sum(where), dense_at=where)
    values = {"H_I": cfg.get("index_n_heads"), "d_I": cfg.get("index_head_dim"), "K_I": cfg.get("index_topk")}
    return mla.reading("deepseek_v32", shape, mla.sigmoid_routing(cfg), notes=(mla.BUFFER,), values=values)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components.indexer import Indexer
    from ..symbols import H_I, K_I, D, d_I, r_q

    return mla.build(r, "deepseek_v32", "DeepSeek-V3.2 decoder (sparse latent attention, shared-expert MoE)",
                     attention_extras=(Indexer("indexer", D, r_q, H_I, d_I),), topk=K_I)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="deepseek_v32",
    layer_lists="filled",
    summary="DeepSeek-V3.2: DeepSeek-V3 with a lightning indexer choosing the keys each query attends to",
    model_types=("deepseek_v32",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null size, q_lora_rank or top-k (transformers cannot build them); moe_layer_freq other than 1; "
            "mlp_layer_types other than one dense or sparse per layer",
)
