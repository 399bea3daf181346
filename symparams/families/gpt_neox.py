"""GPT-NeoX and Pythia (``model_type: gpt_neox``), as transformers' ``GPTNeoXForCausalLM`` builds it.

Structure: token embedding ``embed_in`` (V x D), rotary positions (no weights);
L blocks with two LayerNorms (``input_layernorm`` before attention,
``post_attention_layernorm`` before the MLP), attention with a fused
``query_key_value`` (split here into q, k, v) and output ``dense``, biased when
``attention_bias`` (the default), and an MLP D -> F -> D that always has biases; a
final LayerNorm; an untied LM head D -> V without bias (tied only if the config
says so).

``use_parallel_residual`` changes how the two branches are added, not the
weights: a parallel NeoX block still has both norms. ``rotary_pct`` only sets how
many dimensions rotate. transformers accepts no null in any of these fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from .activations import activation
from .registry import Family, Reading
from .rope import is_number, plain_share, refuse_negative_width, rope_table, rotary_table_width

if TYPE_CHECKING:
    from sympy import Expr

    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "tree"]

# transformers 5.x GPTNeoXConfig
FIELDS = Fields(
    Field("vocab_size", 50432),
    Field("hidden_size", 6144),
    Field("num_hidden_layers", 44),
    Field("num_attention_heads", 64),
    Field("intermediate_size", 24576),
    Field("hidden_act", "gelu", kind="str"),
    Field("max_position_embeddings", 2048),
    Field("rotary_pct", None, kind="number"),
    Field("attention_bias", True, kind="bool"),
    Field("use_parallel_residual", True, kind="bool"),
    Field("tie_word_embeddings", False, kind="bool"),
    groups={
        "embed_in": "embedding",
        "input_layernorm": "norm", "post_attention_layernorm": "norm", "final_layer_norm": "norm",
        "attention": "attention", "mlp": "mlp",
        "lm_head": "head", "embed_out": "head",
    },
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    values = {name: cfg.get(field) for name, field in (("V", "vocab_size"), ("D", "hidden_size"),
                                                        ("L", "num_hidden_layers"), ("H", "num_attention_heads"),
                                                        ("F", "intermediate_size"))}
    cfg.get("max_position_embeddings")
    share = cfg.get("rotary_pct")  # shapes no weight, but transformers refuses a null one
    _, table = rope_table(cfg)
    head = values["D"] // values["H"]
    if isinstance(table, dict) and "partial_rotary_factor" in table:
        rotating = table["partial_rotary_factor"]
    elif share is not None:
        rotating = cfg.data["rotary_pct"]
        refuse_negative_width(cfg, "rotary_pct", head, rotating, key="rotary_pct")
    else:
        rotating = 0.25  # GPTNeoXConfig's rotary_pct
    shape = (("tied", cfg.get("tie_word_embeddings")), ("attention_bias", cfg.get("attention_bias")),
             ("parallel", cfg.get("use_parallel_residual")), ("activation", activation(cfg, "hidden_act")),
             ("rotary_share", plain_share(rotating if is_number(rotating) else 1)))
    return Reading(shape, tuple(values.items()), f"gpt_neox (D={values['D']}, L={values['L']})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from .layernorm import mha_spec

    shape = dict(r.shape)
    built = tree(tied=shape["tied"], attention_bias=shape["attention_bias"], parallel=shape["parallel"],
                 activation=shape["activation"], rotary_dim=rotary_table_width(shape["rotary_share"]))
    return mha_spec("gpt_neox", built, r, "GPT-NeoX needs hidden_size divisible by num_attention_heads")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def tree(tied: bool = False, attention_bias: bool = True, parallel: bool = True, activation: str = "gelu",
         rotary_dim: Expr | None = None):
    """GPT-NeoX's module tree in symbols: ``rotary_dim`` channels of each head rotate (tables of that width), and the
    rotary code concatenates them with the rest."""
    from dataclasses import replace

    from ..components import MLP, Attention, Embedding, Repeat
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from .layernorm import block, layer_norm, lm_head, model

    layout = "parallel residual" if parallel else "sequential"
    layer = block(
        "layer",
        (
            layer_norm("input_layernorm"),
            replace(layer_norm("post_attention_layernorm"), shares_input=parallel),
            Attention("attention", D, H, H_kv, d_h, qkv_bias=attention_bias, out_bias=attention_bias,
                      names=("query", "key", "value", "dense"), rotary_dim=rotary_dim, rotary_concat=True),
            MLP("mlp", D, F, gated=False, bias=True, activation=activation,
                names=("dense_h_to_4h", "dense_4h_to_h")),
        ),
        f"Block({layout}: 2 LayerNorms, attention, MLP)",
    )
    return model(
        "gpt_neox",
        (
            Embedding("embed_in", V, D),
            Repeat("layers", L, layer),
            layer_norm("final_layer_norm"),
            lm_head(tied),
        ),
        "GPT-NeoX",
    )


FAMILY = Family(
    name="gpt_neox",
    rope_default=(("rope_theta", 10000.0), ("partial_rotary_factor", 0.25)),
    rope_share=True,
    rope_share_field="rotary_pct",
    rope_theta_field="rotary_emb_base",
    summary="GPT-NeoX / Pythia: parallel attention and MLP, rotary, untied head",
    model_types=("gpt_neox",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="max_position_embeddings",
    default_context=2048,
    refused="any null shape field (transformers refuses them all); a width the heads do not divide",
)
