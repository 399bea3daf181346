"""CodeGen (model_type ``codegen``): GPT-J's parallel block with one fused qkv projection.

transformers' ``CodeGenForCausalLM`` (5.x): ``wte`` V x D (rotary positions, no table);
L parallel blocks in which one LayerNorm ``ln_1`` feeds both attention (``qkv_proj``
D -> 3D and ``out_proj`` D -> D, no biases) and the MLP (``fc_in`` D -> F, ``fc_out`` F -> D,
with biases); ``ln_f``; ``lm_head`` D -> V with a bias, untied by default (tied, it keeps
its V biases). ``n_inner`` missing or null is F = 4D. transformers refuses a width the
heads do not divide, and a null ``rotary_dim`` or ``n_positions``.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Embedding, Repeat
from ..components.fused_attention import FusedAttention
from ..config import DERIVED, Config, Field, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .activations import activation
from .layernorm import block, layer_norm, lm_head, model, spec
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

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


def from_config(cfg: Config) -> Spec:
    width, heads = cfg.get("n_embd"), cfg.get("n_head")
    if width % heads:
        raise cfg.error("n_head", f"{heads} does not divide n_embd {width}, which CodeGen's attention refuses")
    cfg.get("n_positions")
    rotary = cfg.get("rotary_dim")
    values = {V: Integer(cfg.get("vocab_size")), D: Integer(width), L: Integer(cfg.get("n_layer")), H: Integer(heads)}
    relations = {H_kv: H, d_h: D / H}
    inner = cfg.get("n_inner")
    if inner is DERIVED:
        relations[F] = 4 * D
    else:
        values[F] = Integer(inner)
    act = activation(cfg, "activation_function", cfg.get("activation_function"))
    layer = block("h", (
        layer_norm("ln_1"),
        FusedAttention("attn", D, H, H_kv, d_h, fused_names=("qkv_proj", "out_proj"), split="codegen",
                       rotary_dim=None if rotary is None else Integer(rotary)),
        MLP("mlp", D, F, gated=False, bias=True, activation=act, names=("fc_in", "fc_out")),
    ), "Block(parallel: 1 LayerNorm, attention + MLP)")
    tree = model("codegen", (Embedding("wte", V, D), Repeat("blocks", L, layer), layer_norm("ln_f"),
                             lm_head(cfg.get("tie_word_embeddings"), bias=True)), "CodeGen")
    return spec("codegen", tree, values, relations, [Divides(H, D, "CodeGen needs n_embd divisible by n_head")])


FAMILY = Family(
    name="codegen",
    rotary="none",
    summary="CodeGen: GPT-J's parallel block with a fused qkv projection",
    model_types=("codegen",),
    fields=FIELDS,
    build=from_config,
    context="n_positions",
    refused="a width the heads do not divide; null sizes, n_positions or rotary_dim (transformers refuses them)",
)
