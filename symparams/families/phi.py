"""phi-1, phi-1.5 and phi-2 (``model_type: phi``), as transformers' ``PhiForCausalLM`` builds it.

Structure: token embedding ``embed_tokens`` (V x D), partial rotary positions (no
weights); L *parallel* blocks: one LayerNorm ``input_layernorm`` feeds attention
and the MLP. Everything is biased: q_proj (D -> H*d_h), k_proj and v_proj
(D -> H_kv*d_h), dense (H*d_h -> D), fc1 (D -> F), fc2 (F -> D), and the LM head
D -> V, which keeps its V biases even when tied. A final LayerNorm
``final_layernorm``; untied by default.

Options read here: ``num_key_value_heads`` (GQA; H when missing or null),
``head_dim`` (D/H when missing, rounded down where H does not divide D, as
transformers does; it reads one a config gives, and fails on a null one), and
``qk_layernorm``, which adds LayerNorms over the query and key heads. Those are sized D/H by transformers even when ``head_dim``
differs, so they are sized so here, and D/H must then be whole.
``partial_rotary_factor`` only sets how many dimensions rotate (but transformers
refuses it null).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layered_config import check_padding
from ._layernorm_config import ln_reading
from .activations import activation
from .registry import Family, Reading
from .rope import check_rope_head_dim, is_number, partial_rotary_factor, plain_share, rotary_table_width

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Model
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "tree"]

PARTIAL_ROTARY = Decimal("0.5")  # PhiConfig's default share of each head that rotates

# transformers 5.x PhiConfig (head_dim is not declared, but the model reads one a config gives).
FIELDS = Fields(
    Field("vocab_size", 51200),
    Field("hidden_size", 2048),
    Field("intermediate_size", 8192),
    Field("num_hidden_layers", 24),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", DERIVED, null=DERIVED),
    Field("head_dim", DERIVED),
    Field("hidden_act", "gelu_new", kind="str"),
    Field("max_position_embeddings", 2048),
    Field("partial_rotary_factor", None, kind="number"),
    Field("qk_layernorm", False, kind="bool"),
    Field("tie_word_embeddings", False, kind="bool"),
    groups={
        "embed_tokens": "embedding",
        "input_layernorm": "norm", "final_layernorm": "norm",
        "q_layernorm": "norm", "k_layernorm": "norm",
        "self_attn": "attention", "mlp": "mlp",
        "lm_head": "head",
    },
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built.

    The head size is "given" (a value), "floored" (D // H where H does not divide D: a
    value, noted) or "derived" (the relation d_h = D/H).
    """
    values = {name: cfg.get(field) for name, field in (("V", "vocab_size"), ("D", "hidden_size"),
                                                        ("L", "num_hidden_layers"), ("H", "num_attention_heads"),
                                                        ("F", "intermediate_size"))}
    cfg.get("max_position_embeddings")
    cfg.get("partial_rotary_factor")
    share = partial_rotary_factor(cfg, PARTIAL_ROTARY, strict=False)
    kv_heads = cfg.get("num_key_value_heads")
    if kv_heads is not DERIVED:
        values["H_kv"] = kv_heads
    head_dim = cfg.get("head_dim")
    qk_norm = cfg.get("qk_layernorm")
    width, heads = values["D"], values["H"]
    notes = []
    if head_dim is not DERIVED:
        values["d_h"] = head_dim
        check_rope_head_dim(cfg, head_dim, partial_default=PARTIAL_ROTARY)
        head = "given"
    elif width % heads and not qk_norm:  # transformers rounds D // H down, as its config reads it
        values["d_h"] = width // heads
        notes.append(f"head_dim not given: hidden_size // num_attention_heads = {width // heads}, "
                     "rounded down as transformers does")
        head = "floored"
    else:
        head = "derived"
    shape = (("tied", cfg.get("tie_word_embeddings")), ("qk_layernorm", qk_norm),
             ("activation", activation(cfg, "hidden_act")), ("kv_heads", kv_heads is not DERIVED), ("head", head),
             ("rotary_share", plain_share(share if is_number(share) else 1)))
    check_padding(cfg, None, values["V"])
    return ln_reading("phi", shape, values, notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..spec import Divides
    from ..symbols import D, H, H_kv, d_h
    from .layernorm import spec, values_of

    shape = dict(r.shape)
    qk_norm = shape["qk_layernorm"]
    relations = {}
    if not shape["kv_heads"]:
        relations[H_kv] = H
    if shape["head"] == "derived":
        relations[d_h] = D / H
    constraints = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")]
    if shape["head"] == "derived" or qk_norm:
        why = "the query/key LayerNorms are D/H wide" if qk_norm else "the head dimension is D/H"
        constraints.insert(0, Divides(H, D, why))
    built = tree(tied=shape["tied"], qk_layernorm=qk_norm, activation=shape["activation"],
                 rotary_dim=rotary_table_width(shape["rotary_share"]))
    return spec("phi", built, values_of(r), relations, constraints, r.notes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def tree(tied: bool = False, qk_layernorm: bool = False, activation: str = "gelu_new",
         rotary_dim: Expr | None = None) -> Model:
    """phi's module tree in symbols: ``rotary_dim`` channels of each head rotate (tables of that width), which the
    rotary code concatenates with the rest; attention and MLP take one normalised input."""
    from ..components import MLP, Attention, Embedding, Norm, Repeat
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from .layernorm import block, layer_norm, lm_head, model

    head_norms = (
        (
            Norm("q_layernorm", D / H, kind="layer", weight=True, bias=True, vectors=H),
            Norm("k_layernorm", D / H, kind="layer", weight=True, bias=True, vectors=H_kv),
        )
        if qk_layernorm
        else ()
    )
    layer = block(
        "layer",
        (
            layer_norm("input_layernorm"),
            Attention("self_attn", D, H, H_kv, d_h, qkv_bias=True, out_bias=True,
                      names=("q_proj", "k_proj", "v_proj", "dense"), rotary_dim=rotary_dim, rotary_concat=True,
                      input_shared=True),
            *head_norms,
            MLP("mlp", D, F, gated=False, bias=True, activation=activation, names=("fc1", "fc2")),
        ),
        "Block(parallel: 1 LayerNorm, attention + MLP)",
    )
    return model(
        "phi",
        (
            Embedding("embed_tokens", V, D),
            Repeat("layers", L, layer),
            layer_norm("final_layernorm"),
            lm_head(tied, bias=True),
        ),
        "phi",
    )


FAMILY = Family(
    name="phi",
    rope_share=True,
    rope_share_default=0.5,
    summary="phi-1/1.5/2: parallel block, partial rotary, biased head",
    model_types=("phi",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="max_position_embeddings",
    default_context=2048,
    refused="a null head_dim or qk_layernorm; q/k LayerNorms when the heads do not divide the width",
)
