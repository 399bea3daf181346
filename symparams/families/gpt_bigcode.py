"""GPT-BigCode (model_type ``gpt_bigcode``; SantaCoder, StarCoder): GPT-2's block with multi-query attention.

transformers' ``GPTBigCodeForCausalLM`` (5.x): ``wte`` V x D and learned positions ``wpe``
P x D; per block LayerNorm ``ln_1``, attention (one ``c_attn`` D -> D + 2*H_kv*d_h and
``c_proj`` D -> D, both with biases), LayerNorm ``ln_2``, the MLP (``c_fc`` D -> F,
``c_proj`` F -> D, with biases); ``ln_f``; the head, tied by default, without a bias.
``multi_query`` (default true) means one key/value head (H_kv = 1), else H_kv = H.
``n_inner`` missing or null is F = 4D.

``add_cross_attention`` adds encoder-decoder attention to every block, which is no causal
LM's and is refused, as is a width the heads do not divide (transformers refuses it).
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

# transformers 5.x GPTBigCodeConfig, with its attribute_map aliases
FIELDS = Fields(
    Field("vocab_size", 50257),
    Field("n_positions", 1024, aliases=("max_position_embeddings",)),
    Field("n_embd", 768, aliases=("hidden_size",)),
    Field("n_layer", 12, aliases=("num_hidden_layers",)),
    Field("n_head", 12, aliases=("num_attention_heads",)),
    Field("n_inner", DERIVED, null=DERIVED),
    Field("activation_function", "gelu_pytorch_tanh", kind="str"),
    Field("multi_query", True, kind="bool"),
    Field("add_cross_attention", False, kind="bool"),
    Field("tie_word_embeddings", True, kind="bool"),
    groups={"wte": "embedding", "wpe": "embedding", "ln_1": "norm", "ln_2": "norm", "ln_f": "norm",
            "attn": "attention", "mlp": "mlp", "lm_head": "head"},
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    width, heads = cfg.get("n_embd"), cfg.get("n_head")
    if width % heads:
        raise cfg.error("n_head", f"{heads} does not divide n_embd {width}, which GPT-BigCode's attention refuses")
    if cfg.get("add_cross_attention"):
        raise cfg.error("add_cross_attention", "is true: encoder-decoder cross-attention in every block is not "
                                               "a causal language model's, and is not counted here")
    values = {"V": cfg.get("vocab_size"), "P": cfg.get("n_positions"), "D": width, "L": cfg.get("n_layer"), "H": heads}
    multi_query = cfg.get("multi_query")
    if multi_query:
        values["H_kv"] = 1
    inner = cfg.get("n_inner")
    if inner is not DERIVED:
        values["F"] = inner
    act = activation(cfg, "activation_function", cfg.get("activation_function"))
    shape = (("tied", cfg.get("tie_word_embeddings")), ("activation", act), ("inner", inner is not DERIVED),
             ("multi_query", bool(multi_query)))
    return ln_reading("gpt_bigcode", shape, values)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Embedding, Repeat
    from ..components.fused_attention import FusedAttention
    from ..spec import Divides
    from ..symbols import D, F, H, H_kv, L, P, V, d_h
    from .layernorm import block, layer_norm, lm_head, model, spec, values_of

    shape = dict(r.shape)
    relations = {d_h: D / H}
    if not shape["multi_query"]:
        relations[H_kv] = H
    if not shape["inner"]:
        relations[F] = 4 * D
    layer = block("h", (
        layer_norm("ln_1"),
        FusedAttention("attn", D, H, H_kv, d_h, qkv_bias=True, out_bias=True, fused_names=("c_attn", "c_proj"),
                       split="bigcode"),
        layer_norm("ln_2"),
        MLP("mlp", D, F, gated=False, bias=True, activation=shape["activation"], names=("c_fc", "c_proj")),
    ), "Block(LayerNorm, multi-query attention, LayerNorm, MLP)")
    tree = model("gpt_bigcode", (Embedding("wte", V, D), Embedding("wpe", P, D), Repeat("blocks", L, layer),
                                 layer_norm("ln_f"), lm_head(shape["tied"])), "GPT-BigCode")
    return spec("gpt_bigcode", tree, values_of(r), relations,
                [Divides(H, D, "GPT-BigCode needs n_embd divisible by n_head"),
                 Divides(H_kv, H, "each key/value head serves H/H_kv query heads")])


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="gpt_bigcode",
    rotary="none",
    summary="GPT-BigCode (SantaCoder, StarCoder): GPT-2's block with multi-query attention",
    model_types=("gpt_bigcode",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="n_positions",
    refused="add_cross_attention (encoder-decoder attention); a width the heads do not divide",
)
