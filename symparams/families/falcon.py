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
* F is ``ffn_hidden_size``, 4*D when absent or null (the relation F = 4*D).

The boolean switches are typed "bool or null" in transformers, and a null acts as
false there, so it does here too. ``n_embed`` is the older name of ``hidden_size``
(a keyword FalconConfig pops, so its null means "not given"). ``head_dim`` is a
read-only property of FalconConfig (D / H): transformers refuses a config that
sets it, and so does this reader.

Falcon's first releases used remote code with other names: model_type
``RefinedWeb`` / ``RefinedWebModel`` and ``n_head``, ``n_layer``, ``n_head_kv``.
transformers reads none of them (its FalconConfig silently ignores the three
fields and would build its default sizes instead), so they are refused with the
names to use.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layernorm_config import ln_reading
from .activations import activation
from .registry import Family, Reading
from .rope import check_rope_head_dim

if TYPE_CHECKING:
    from ..components import Model
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "tree", "RW_NAMES", "RW_MODEL_TYPES"]

# transformers 5.x FalconConfig. A null switch is DERIVED here: the builder reads it as false.
FIELDS = Fields(
    Field("vocab_size", 65024),
    Field("hidden_size", 4544, legacy=("n_embed",)),
    Field("num_hidden_layers", 32),
    Field("num_attention_heads", 71),
    Field("num_kv_heads", DERIVED, null=DERIVED),
    Field("new_decoder_architecture", False, kind="bool", null=DERIVED),
    Field("multi_query", True, kind="bool", null=DERIVED),
    Field("parallel_attn", True, kind="bool", null=DERIVED),
    Field("bias", False, kind="bool", null=DERIVED),
    Field("alibi", False, kind="bool", null=DERIVED),
    Field("num_ln_in_parallel_attn", DERIVED, null=DERIVED),
    Field("ffn_hidden_size", DERIVED, null=DERIVED),
    Field("activation", "gelu", kind="str"),
    Field("max_position_embeddings", 2048),
    Field("tie_word_embeddings", True, kind="bool"),
    groups={
        "word_embeddings": "embedding",
        "input_layernorm": "norm", "post_attention_layernorm": "norm",
        "ln_attn": "norm", "ln_mlp": "norm", "ln_f": "norm",
        "self_attention": "attention", "mlp": "mlp",
        "lm_head": "head",
    },
)

# RefinedWeb-era field names, and the names transformers reads instead.
RW_NAMES = {"n_head": "num_attention_heads", "n_layer": "num_hidden_layers", "n_head_kv": "num_kv_heads"}
RW_MODEL_TYPES = {
    model_type: (
        f"{model_type!r} is the model_type of Falcon's first remote-code releases, which transformers does not "
        f"read: set model_type to 'falcon' (with new_decoder_architecture: {new}) and rename n_head, n_layer, "
        "n_head_kv to num_attention_heads, num_hidden_layers, num_kv_heads"
    )
    for model_type, new in (("RefinedWebModel", "false"), ("RefinedWeb", "true"))
}


def _switch(cfg: Config, name: str) -> bool:
    """A "bool or null" field: missing means transformers' default, null means false."""
    value = cfg.get(name)
    return False if value is DERIVED else value


def _refuse_rw_names(cfg: Config) -> None:
    """An RW-era name counts only where the name transformers reads says the same; otherwise it would be ignored."""
    for old, new in RW_NAMES.items():
        cfg.read.add(old)
        if not cfg.has(old):
            continue
        if cfg.has(new) and cfg.data[new] == cfg.data[old] and type(cfg.data[new]) is type(cfg.data[old]):
            continue
        raise cfg.error(old, f"is the RefinedWeb-era name of {new!r}; transformers' FalconConfig ignores it and "
                             f"sizes the model by {new!r} (or its default) alone: rename it, or give both one value")


def _norms_per_block(cfg: Config, parallel: bool, new_arch: bool) -> int:
    count = cfg.get("num_ln_in_parallel_attn")
    if count is not DERIVED and count not in (1, 2):
        raise cfg.error("num_ln_in_parallel_attn", f"{count} is not understood (known: 1, 2)")
    if not parallel:
        return 2
    if count is DERIVED:
        return 2 if new_arch else 1
    return count


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built.

    Its shape holds the attention ``layout`` (grouped, multi-query or multi-head), whether
    the grouped layout's ``num_kv_heads`` is given (else H_kv = H), and the norms per block.
    """
    _refuse_rw_names(cfg)
    cfg.read.add("head_dim")
    if cfg.given("head_dim"):
        raise cfg.error("head_dim", "FalconConfig derives the head size as hidden_size / num_attention_heads and "
                                    "refuses a config that sets it, even to null; leave head_dim out")
    values = {name: cfg.get(field) for name, field in (("V", "vocab_size"), ("D", "hidden_size"),
                                                        ("L", "num_hidden_layers"), ("H", "num_attention_heads"))}
    cfg.get("max_position_embeddings")
    _switch(cfg, "alibi")  # positions without weights, either way
    width, heads = values["D"], values["H"]
    if width % heads == 0:  # transformers checks the rotary head size even under ALiBi
        check_rope_head_dim(cfg, width // heads, "num_attention_heads")
    new_arch = _switch(cfg, "new_decoder_architecture")
    multi_query = _switch(cfg, "multi_query")
    kv_heads = cfg.get("num_kv_heads")
    kv_given = False
    if new_arch:
        if kv_heads is not DERIVED:
            values["H_kv"] = kv_heads
            kv_given = True
        layout = "grouped key/value heads"
    elif multi_query:
        values["H_kv"] = 1
        layout = "multi-query"
    else:
        layout = "multi-head"
    ffn = cfg.get("ffn_hidden_size")
    if ffn is not DERIVED:
        values["F"] = ffn
    parallel = _switch(cfg, "parallel_attn")
    shape = (("tied", cfg.get("tie_word_embeddings")), ("bias", _switch(cfg, "bias")), ("parallel", parallel),
             ("norms", _norms_per_block(cfg, parallel, new_arch)), ("activation", activation(cfg, "activation")),
             ("layout", layout), ("kv_given", kv_given), ("inner", ffn is not DERIVED))
    return ln_reading("falcon", shape, values)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..spec import CachedOtherwise, Divides
    from ..symbols import D, F, H, H_kv, d_h
    from .layernorm import spec, values_of

    shape = dict(r.shape)
    relations = {d_h: D / H}
    constraints = [Divides(H, D, "Falcon needs hidden_size divisible by num_attention_heads")]
    constraints.append(Divides(H_kv, H, "each key/value group serves H/H_kv query heads"))
    if not shape["kv_given"] and shape["layout"] != "multi-query":
        relations[H_kv] = H
    if not shape["inner"]:
        relations[F] = 4 * D
    built = tree(tied=shape["tied"], bias=shape["bias"], parallel=shape["parallel"], norms=shape["norms"],
                 activation=shape["activation"], layout=shape["layout"])
    out = spec("falcon", built, values_of(r), relations, constraints)
    if shape["layout"] == "grouped key/value heads":
        out = replace(out, cached_otherwise=CachedOtherwise(
            "caches its H_kv key and value heads broadcast to the H query heads", ((H_kv, H),)))
    return out


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def tree(
    tied: bool = True,
    bias: bool = False,
    parallel: bool = True,
    norms: int = 1,
    activation: str = "gelu",
    layout: str = "multi-query",
) -> Model:
    """Falcon's module tree in symbols (Falcon-7B's layout by default)."""
    from ..components import MLP, Attention, Embedding, Norm, Repeat
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from .layernorm import block, layer_norm, lm_head, model

    norm_parts: tuple[Norm, ...]
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


FAMILY = Family(
    name="falcon",
    summary="Falcon: multi-query or grouped attention, parallel blocks",
    model_types=("falcon",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="max_position_embeddings",
    default_context=2048,
    refused="RefinedWeb / RefinedWebModel model types and n_head, n_layer, n_head_kv (pre-transformers names "
            "transformers does not read); a head_dim field",
    retired=RW_MODEL_TYPES,
)
