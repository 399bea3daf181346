"""OPT (``model_type: opt``), as transformers' ``OPTForCausalLM`` builds it.

Structure: token embedding ``embed_tokens`` and learned positions
``embed_positions`` with P + 2 rows (OPT offsets position ids by 2, a leftover of
fairseq's padding convention, so the table is two rows longer than
``max_position_embeddings``); L blocks of LayerNorm -> attention (q, k, v,
out_proj) -> LayerNorm -> MLP (fc1 D -> F, fc2 F -> D), linear biases switched by
``enable_bias``; a final LayerNorm; an LM head without bias, tied by default.

``word_embed_proj_dim`` (D_e) is the width of the token embedding. Missing or null
it is D. OPT-350m's is narrower (512 on D = 1,024): its embedding is V x D_e, a
``project_in`` (D_e -> D) widens each token before the blocks, a ``project_out``
(D -> D_e) narrows it after them, and the LM head maps D_e -> V. Both projections
have no bias.

Shape-relevant switches read here: ``layer_norm_elementwise_affine: false`` makes
every LayerNorm parameter-free; ``do_layer_norm_before: false`` (OPT-350m's
post-norm layout) or ``_remove_final_layer_norm: true`` drops the final LayerNorm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layered_config import check_padding
from ._layernorm_config import ln_reading
from .activations import activation
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import Model
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "tree", "POSITION_OFFSET"]

POSITION_OFFSET = 2

# transformers 5.x OPTConfig; only word_embed_proj_dim may be null (it is then hidden_size).
FIELDS = Fields(
    Field("vocab_size", 50272),
    Field("hidden_size", 768),
    Field("num_hidden_layers", 12),
    Field("ffn_dim", 3072),
    Field("max_position_embeddings", 2048),
    Field("num_attention_heads", 12),
    Field("word_embed_proj_dim", DERIVED, null=DERIVED),
    Field("do_layer_norm_before", True, kind="bool"),
    Field("_remove_final_layer_norm", False, kind="bool"),
    Field("enable_bias", True, kind="bool"),
    Field("layer_norm_elementwise_affine", True, kind="bool"),
    Field("activation_function", "relu", kind="str"),
    Field("tie_word_embeddings", True, kind="bool"),
    groups={
        "embed_tokens": "embedding", "embed_positions": "embedding", "project_in": "embedding",
        "self_attn_layer_norm": "norm", "final_layer_norm": "norm",
        "self_attn": "attention", "fc1": "mlp", "fc2": "mlp",
        "project_out": "head", "lm_head": "head",
    },
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    width = cfg.get("hidden_size")
    values = {
        "V": cfg.get("vocab_size"),
        "D": width,
        "L": cfg.get("num_hidden_layers"),
        "H": cfg.get("num_attention_heads"),
        "F": cfg.get("ffn_dim"),
        "P": cfg.get("max_position_embeddings"),
    }
    embed = cfg.get("word_embed_proj_dim")
    projected = embed is not DERIVED and embed != width
    if projected:
        values["D_e"] = embed
    pre_norm, removed = cfg.get("do_layer_norm_before"), cfg.get("_remove_final_layer_norm")
    shape = (("tied", cfg.get("tie_word_embeddings")), ("bias", cfg.get("enable_bias")),
             ("affine", cfg.get("layer_norm_elementwise_affine")), ("final_norm", pre_norm and not removed),
             ("activation", activation(cfg, "activation_function")), ("projected", projected))
    check_padding(cfg, 1, values["V"])
    return ln_reading("opt", shape, values)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..spec import Differs
    from ..symbols import D, D_e
    from .layernorm import mha_spec

    shape = dict(r.shape)
    apart = [Differs(D_e, D, "transformers builds project_in and project_out only while word_embed_proj_dim differs "
                     "from hidden_size; set it in the config.json instead")] if shape["projected"] else []
    return mha_spec("opt", tree(**shape), r, "OPT needs hidden_size divisible by num_attention_heads", apart)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def tree(tied: bool = True, bias: bool = True, affine: bool = True, final_norm: bool = True, activation: str = "relu",
         projected: bool = False) -> Model:
    """OPT's module tree in symbols; ``projected`` adds the D_e-wide embedding and its projections (OPT-350m)."""
    from ..components import MLP, Attention, Embedding, Linear, Module, Repeat
    from ..symbols import D, D_e, F, H, H_kv, L, P, V, d_h
    from ._opt_positions import Positions
    from .layernorm import block, layer_norm, lm_head, model

    embed = D_e if projected else D
    layer = block(
        "layer",
        (
            layer_norm("self_attn_layer_norm", affine),
            Attention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias,
                      names=("q_proj", "k_proj", "v_proj", "out_proj")),
            layer_norm("final_layer_norm", affine),
            MLP("mlp", D, F, gated=False, bias=bias, activation=activation, names=("fc1", "fc2")),
        ),
        "Block(LayerNorm, attention, LayerNorm, MLP)",
    )
    parts: list[Module] = [
        Embedding("embed_tokens", V, embed),
        Positions("embed_positions", P + POSITION_OFFSET, D),
    ]
    if projected:
        parts.append(Linear("project_in", D_e, D, group="embedding"))
    parts.append(Repeat("layers", L, layer))
    if final_norm:
        parts.append(layer_norm("final_layer_norm", affine))
    if projected:
        parts.append(Linear("project_out", D, D_e, group="head"))
    parts.append(lm_head(tied, width=embed))
    return model("opt", parts, "OPT")


FAMILY = Family(
    name="opt",
    rotary="none",
    summary="OPT: learned positions offset by 2, LayerNorm, ReLU MLP, an optional narrower embedding",
    model_types=("opt",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="max_position_embeddings",
    default_context=2048,
    refused="nulls other than word_embed_proj_dim; a width the heads do not divide",
)
