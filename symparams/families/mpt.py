"""MPT (model_type ``mpt``): fused qkv, weight-only LayerNorms, a 4x GELU MLP and ALiBi positions.

transformers' ``MptForCausalLM`` (5.x), sized by ``d_model``, ``n_heads`` and ``n_layers``:
``wte`` V x D (no position table: ALiBi biases hold no weights); per block ``norm_1``,
attention (``Wqkv`` D -> 3D and ``out_proj`` D -> D, no biases), ``norm_2`` and the MLP
(``up_proj`` D -> 4D, GELU, ``down_proj`` 4D -> D, no biases); ``norm_f``; the head, tied by
default. Its LayerNorms have their bias removed (``norm.bias = None``): a weight of D each.

transformers builds that one shape whatever the config says, while MosaicML's own code
follows the config. A config asking for another shape (``expansion_ratio`` other than 4,
``no_bias`` false, multi-query attention, q/k LayerNorms, or learned positions without
ALiBi) would be counted for a model it does not describe, so it is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, Config, Field, Fields
from .dbrx import nested
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "ATTN_FIELDS", "from_config", "read", "build"]

# transformers 5.x MptConfig and MptAttentionConfig
FIELDS = Fields(
    Field("d_model", 2048, aliases=("hidden_size",)),
    Field("n_heads", 16, aliases=("num_attention_heads",)),
    Field("n_layers", 24, aliases=("num_hidden_layers",)),
    Field("expansion_ratio", 4),
    Field("max_seq_len", 2048),
    Field("vocab_size", 50368),
    Field("learned_pos_emb", True, kind="bool"),
    Field("attn_config", DERIVED, null=DERIVED, kind="any", types=("object",)),
    Field("no_bias", True, kind="bool"),
    Field("tie_word_embeddings", True, kind="bool"),
    groups={"wte": "embedding", "norm_1": "norm", "norm_2": "norm", "norm_f": "norm", "attn": "attention",
            "ffn": "mlp", "lm_head": "head"},
)
ATTN_FIELDS = Fields(
    Field("attn_type", "multihead_attention", kind="str", choices=("multihead_attention", "multiquery_attention")),
    Field("qk_ln", False, kind="bool"),
    Field("alibi", True, kind="bool"),
    Field("clip_qkv", None, null=DEFAULT, kind="number", types=("float",)),
)

_IGNORED = "which transformers ignores, building {what}; the count would not describe this model"


def read(cfg: Config) -> Reading:
    """The config's sizes, checked against the one shape transformers builds, with no tree built."""
    width, heads = cfg.get("d_model"), cfg.get("n_heads")
    if width % heads:
        raise cfg.error("n_heads", f"{heads} does not divide d_model {width} (MPT's attention splits it into heads)")
    if cfg.get("expansion_ratio") != 4:
        raise cfg.error("expansion_ratio", f"is {cfg.get('expansion_ratio')}, " + _IGNORED.format(what="a 4x MLP"))
    if not cfg.get("no_bias"):
        raise cfg.error("no_bias", "is false, " + _IGNORED.format(what="no biases"))
    attn = nested(cfg, "attn_config", ATTN_FIELDS)
    if attn.get("attn_type") != "multihead_attention":
        raise attn.error("attn_type", "is multi-query, " + _IGNORED.format(what="multi-head attention"))
    if attn.get("qk_ln"):
        raise attn.error("qk_ln", "is true, " + _IGNORED.format(what="no q/k LayerNorms"))
    if cfg.get("learned_pos_emb") and not attn.get("alibi"):
        raise attn.error("alibi", "is false with learned_pos_emb, " + _IGNORED.format(what="no position table"))
    cfg.get("max_seq_len")
    shape = (("clipped", bool(attn.get("clip_qkv"))), ("tied", cfg.get("tie_word_embeddings")))
    values = {"V": cfg.get("vocab_size"), "D": width, "L": cfg.get("n_layers"), "H": heads}
    return Reading(shape, tuple(values.items()), f"mpt (D={width}, L={values['L']})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Block, Embedding, Linear, Model, Norm, Repeat
    from ..components.fused_attention import FusedAttention
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from .layernorm import mha_spec

    shape = dict(r.shape)

    def norm(name: str) -> Norm:
        return Norm(name, D, kind="layer", weight=True, bias=False)

    block = Block("block", (
        norm("norm_1"),
        FusedAttention("attn", D, H, H_kv, d_h, fused_names=("Wqkv", "out_proj"), split="mpt", clip=shape["clipped"]),
        norm("norm_2"),
        MLP("ffn", D, F, gated=False, activation="gelu", names=("up_proj", "down_proj")),
    ), label="pre-norm block")
    tree = Model("mpt", (Embedding("wte", V, D), Repeat("blocks", L, block), norm("norm_f"),
                         Linear("lm_head", D, V, tied=shape["tied"], group="head")), label="MPT decoder")
    return mha_spec("mpt", tree, r, "MPT splits d_model into n_heads heads")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="mpt",
    lacks=("max_position_embeddings",),
    rotary="none",
    summary="MPT: fused qkv, weight-only LayerNorms, a 4x GELU MLP, ALiBi",
    model_types=("mpt",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="max_seq_len",
    refused="expansion_ratio other than 4, no_bias false, multi-query attention, qk_ln, learned positions without "
            "ALiBi (transformers builds none of them)",
)
