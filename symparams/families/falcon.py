"""Falcon (``model_type: falcon``), as transformers' ``FalconForCausalLM`` builds it.

Structure: token embedding ``word_embeddings`` (V x D), rotary or ALiBi positions
(no weights); L blocks of attention (fused ``query_key_value``, split here into q,
k, v, and ``dense``) and an MLP D -> F -> D, linear biases only if ``bias``; a final
LayerNorm ``ln_f``; an LM head D -> V without bias, tied by default.

Three switches shape the attention and the norms:

* key/value heads: ``new_decoder_architecture`` (Falcon-40B/180B) uses
  ``num_kv_heads`` groups (H_kv, default H); otherwise ``multi_query`` (Falcon-7B)
  means one shared key/value head (H_kv = 1), and plain multi-head attention
  (H_kv = H) remains. q, k, v together are D -> (H + 2*H_kv)*d_h.
* norms per block: a sequential block (``parallel_attn: false``) has two
  LayerNorms; a parallel one has one shared LayerNorm, or two (``ln_attn``,
  ``ln_mlp``) when ``num_ln_in_parallel_attn`` is 2, which the new decoder
  architecture implies when the field is absent.
* F is ``ffn_hidden_size``, 4*D when absent (the relation F = 4*D).

The boolean switches are typed "bool or null" in transformers, and a null acts as
false there, so it does here too. ``n_embed`` is the older name of ``hidden_size``.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Embedding, Repeat
from ..config import Config, Fields
from ..spec import Divides, Spec
from ..symbols import D, F, H, H_kv, L, V, d_h
from .activations import activation
from .registry import Family
from .layernorm import alias_int, block, group_of, layer_norm, lm_head, model, spec

__all__ = ["FAMILY", "from_config", "hf_group", "DEFAULTS", "GROUPS", "NULLABLE"]

DEFAULTS = {
    "vocab_size": 65024,
    "hidden_size": 4544,
    "num_hidden_layers": 32,
    "num_attention_heads": 71,
    "new_decoder_architecture": False,
    "multi_query": True,
    "parallel_attn": True,
    "bias": False,
    "activation": "gelu",
    "tie_word_embeddings": True,
}

GROUPS = {
    "word_embeddings": "embedding",
    "input_layernorm": "norm", "post_attention_layernorm": "norm",
    "ln_attn": "norm", "ln_mlp": "norm", "ln_f": "norm",
    "self_attention": "attention", "mlp": "mlp",
    "lm_head": "head",
}

# "bool or null" fields of FalconConfig: a null acts as false.
SWITCHES = ("new_decoder_architecture", "multi_query", "parallel_attn", "bias")

# Fields transformers accepts as null and derives (any other null is refused).
NULLABLE = ("n_embed", "num_kv_heads", "ffn_hidden_size", "num_ln_in_parallel_attn", *SWITCHES)


def _switch(cfg: Config, name: str) -> bool:
    """A "bool or null" field: absent means transformers' default, null means false."""
    if name in cfg.data and cfg.data[name] is None:
        cfg.read.add(name)
        return False
    return cfg.bool(name, DEFAULTS[name])


def _norms_per_block(cfg: Config, parallel: bool, new_arch: bool) -> int:
    count = cfg.optional_int("num_ln_in_parallel_attn")
    if count is not None and count not in (1, 2):
        raise cfg.error("num_ln_in_parallel_attn", f"{count} is not understood (known: 1, 2)")
    if not parallel:
        return 2
    if count is None:
        return 2 if new_arch else 1
    return count


def from_config(cfg: Config) -> Spec:
    width = alias_int(cfg, ("hidden_size", "n_embed"), DEFAULTS["hidden_size"])
    values = {
        V: Integer(cfg.int("vocab_size", DEFAULTS["vocab_size"])),
        D: Integer(width),
        L: Integer(cfg.int("num_hidden_layers", DEFAULTS["num_hidden_layers"])),
        H: Integer(cfg.int("num_attention_heads", DEFAULTS["num_attention_heads"])),
    }
    relations = {d_h: D / H}
    constraints = [Divides(H, D, "Falcon needs hidden_size divisible by num_attention_heads")]
    new_arch = _switch(cfg, "new_decoder_architecture")
    multi_query = _switch(cfg, "multi_query")
    kv_heads = cfg.optional_int("num_kv_heads")
    if new_arch:
        if kv_heads is None:
            relations[H_kv] = H
        else:
            values[H_kv] = Integer(kv_heads)
            constraints.append(Divides(H_kv, H, "each key/value group serves H/H_kv query heads"))
        layout = "grouped key/value heads"
    elif multi_query:
        values[H_kv] = Integer(1)
        layout = "multi-query"
    else:
        relations[H_kv] = H
        layout = "multi-head"
    ffn = cfg.optional_int("ffn_hidden_size")
    if ffn is None:
        relations[F] = 4 * D
    else:
        values[F] = Integer(ffn)
    parallel = _switch(cfg, "parallel_attn")
    return spec(
        cfg,
        "falcon",
        tree(
            tied=cfg.bool("tie_word_embeddings", DEFAULTS["tie_word_embeddings"]),
            bias=_switch(cfg, "bias"),
            parallel=parallel,
            norms=_norms_per_block(cfg, parallel, new_arch),
            activation=activation(cfg, "activation", DEFAULTS["activation"]),
            layout=layout,
        ),
        values,
        relations,
        constraints,
        NULLABLE,
    )


def tree(
    tied: bool = True,
    bias: bool = False,
    parallel: bool = True,
    norms: int = 1,
    activation: str = "gelu",
    layout: str = "multi-query",
):
    """Falcon's module tree in symbols (Falcon-7B's layout by default)."""
    if not parallel:
        norm_parts = (layer_norm("input_layernorm"), layer_norm("post_attention_layernorm"))
        kind = "sequential: 2 LayerNorms"
    elif norms == 2:
        norm_parts = (layer_norm("ln_attn"), layer_norm("ln_mlp"))
        kind = "parallel: 2 LayerNorms"
    else:
        norm_parts = (layer_norm("input_layernorm"),)
        kind = "parallel: 1 LayerNorm"
    layer = block(
        "h",
        (
            *norm_parts,
            Attention("self_attention", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias,
                      names=("query", "key", "value", "dense")),
            MLP("mlp", D, F, gated=False, bias=bias, activation=activation,
                names=("dense_h_to_4h", "dense_4h_to_h")),
        ),
        f"Block({kind}, {layout} attention, MLP)",
    )
    return model(
        "falcon",
        (
            Embedding("word_embeddings", V, D),
            Repeat("blocks", L, layer),
            layer_norm("ln_f"),
            lm_head(tied),
        ),
        "Falcon",
    )


def hf_group(param_name: str) -> str:
    """The tree group of a ``FalconForCausalLM`` parameter name."""
    return group_of(param_name, GROUPS)


FAMILY = Family(
    name="falcon",
    summary="Falcon: multi-query or grouped attention, parallel blocks",
    model_types=("falcon",),
    fields=Fields(groups=GROUPS),
    build=from_config,
    context="max_position_embeddings",
    default_context=2048,
)
