"""CodeGen (model_type ``codegen``): GPT-J's parallel block with one fused qkv projection.

transformers' ``CodeGenForCausalLM`` (5.x): ``wte`` V x D (rotary positions, no table);
L parallel blocks in which one LayerNorm ``ln_1`` feeds both attention (``qkv_proj``
D -> 3D and ``out_proj`` D -> D, no biases) and the MLP (``fc_in`` D -> F, ``fc_out`` F -> D,
with biases); ``ln_f``; ``lm_head`` D -> V with a bias, untied by default (tied, it keeps
its V biases). ``n_inner`` missing or null is F = 4D. transformers refuses a width the
heads do not divide, and a null ``rotary_dim`` or ``n_positions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layernorm_config import ln_reading
from .activations import activation
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x CodeGenConfig, with its attribute_map aliases
FIELDS = Fields(
    Field("vocab_size", 50400),
    Field("n_positions", 2048, aliases=("max_position_embeddings",)),
    Field("n_embd", 4096, aliases=("hidden_size",)),
    Field("n_layer", 28, aliases=("num_hidden_layers",)),
    Field("n_head", 16, aliases=("num_attention_heads",)),
    Field("rotary_dim", 64),
    Field("n_inner", DERIVED, null=DERIVED),
    Field("activation_function", "gelu_new", kind="str"),
    Field("tie_word_embeddings", False, kind="bool"),
    groups={"wte": "embedding", "ln_1": "norm", "ln_f": "norm", "attn": "attention", "mlp": "mlp", "lm_head": "head"},
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    width, heads = cfg.get("n_embd"), cfg.get("n_head")
    if width % heads:
        raise cfg.error("n_head", f"{heads} does not divide n_embd {width}, which CodeGen's attention refuses")
    cfg.get("n_positions")
    rotary = cfg.get("rotary_dim")
    values = {"V": cfg.get("vocab_size"), "D": width, "L": cfg.get("n_layer"), "H": heads}
    inner = cfg.get("n_inner")
    if inner is not DERIVED:
        values["F"] = inner
    act = activation(cfg, "activation_function", cfg.get("activation_function"))
    shape = (("tied", cfg.get("tie_word_embeddings")), ("activation", act), ("inner", inner is not DERIVED),
             ("rotary_dim", rotary))
    return ln_reading("codegen", shape, values)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from sympy import Integer

    from ..components import MLP, Embedding, Repeat
    from ..components.fused_attention import FusedAttention
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from .layernorm import block, layer_norm, lm_head, mha_spec, model

    shape = dict(r.shape)
    rotary = shape["rotary_dim"]
    layer = block("h", (
        layer_norm("ln_1"),
        FusedAttention("attn", D, H, H_kv, d_h, fused_names=("qkv_proj", "out_proj"), split="codegen",
                       rotary_dim=None if rotary is None else Integer(rotary)),
        MLP("mlp", D, F, gated=False, bias=True, activation=shape["activation"], names=("fc_in", "fc_out")),
    ), "Block(parallel: 1 LayerNorm, attention + MLP)")
    tree = model("codegen", (Embedding("wte", V, D), Repeat("blocks", L, layer), layer_norm("ln_f"),
                             lm_head(shape["tied"], bias=True)), "CodeGen")
    return mha_spec("codegen", tree, r, "CodeGen needs n_embd divisible by n_head")


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="codegen",
    rotary="none",
    summary="CodeGen: GPT-J's parallel block with a fused qkv projection",
    model_types=("codegen",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="n_positions",
    refused="a width the heads do not divide; null sizes, n_positions or rotary_dim (transformers refuses them)",
)
