"""What Gemma 2, Gemma 3 (text) and VaultGemma share: fields, blocks and the builder.

transformers' ``Gemma2DecoderLayer`` / ``Gemma3DecoderLayer`` hold four RMSNorms of D
(``input_layernorm`` before attention, ``post_attention_layernorm`` on its output,
``pre_feedforward_layernorm`` before the MLP, ``post_feedforward_layernorm`` on its
output); ``VaultGemmaDecoderLayer`` keeps only the two pre-norms. Gemma's RMSNorm scales
by (1 + weight), still D weights. The MLP is GeGLU (gate/up/down, no biases, the
activation named by ``hidden_activation``; Gemma 2's ``hidden_act`` is not read by the
model). Gemma 3 adds RMSNorm(head_dim) over each query and key head (``q_norm``,
``k_norm``). Logit soft-capping, ``query_pre_attn_scalar`` and the embedding scale by
sqrt(D) change no weights (a ``query_pre_attn_scalar`` of 0, whose -1/2 power attention
takes, builds no model, and is refused).

Layers alternate sliding-window and full attention by ``layer_types``; without one,
Gemma 2 and VaultGemma make every second layer full (L_s = L - floor(L/2) windowed) and
Gemma 3 every ``sliding_window_pattern``-th (6 by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .layer_kinds import Rule, layers_of, read_layers, read_window
from .registry import Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block
    from ..spec import Spec

__all__ = ["GEMMA_GROUPS", "BIDIRECTIONAL", "gemma_fields", "read", "build"]

GEMMA_GROUPS = {**LLAMA_GROUPS, "pre_feedforward_layernorm": "norm", "post_feedforward_layernorm": "norm"}


def gemma_fields(*, vocab_size: int, max_position_embeddings: int, sliding_window: int,
                 softcaps: tuple[float | None, float | None] = (None, None), extra: tuple[Field, ...] = ()) -> Fields:
    """The field table of a Gemma 2-style config class (Gemma 2, Gemma 3 text and VaultGemma share the rest).

    Every size is typed ``int`` in transformers' strict config classes, so a null one is
    refused there and here; ``sliding_window`` (``int | None``) may be null, and the model is
    then built (and counted) but cannot run: a note says so. ``softcaps``: the class's
    ``attn_logit_softcapping`` and ``final_logit_softcapping`` (null: no cap), which change no
    weight, only what eager attention and the loss keep.
    """
    return Fields(
        Field("vocab_size", vocab_size),
        Field("hidden_size", 2304),
        Field("intermediate_size", 9216),
        Field("num_hidden_layers", 26),
        Field("num_attention_heads", 8),
        Field("num_key_value_heads", 4),
        Field("head_dim", 256),
        Field("hidden_activation", "gelu_pytorch_tanh", kind="str"),
        Field("max_position_embeddings", max_position_embeddings),
        Field("tie_word_embeddings", True, kind="bool"),
        Field("attention_bias", False, kind="bool"),
        Field("sliding_window", sliding_window, null=DERIVED),
        Field("attn_logit_softcapping", softcaps[0], null=DERIVED, kind="number", types=("float",)),
        Field("final_logit_softcapping", softcaps[1], null=DERIVED, kind="number", types=("float",)),
        *extra,
        groups=GEMMA_GROUPS,
    )


def read(cfg: Config, family: str, rule: Rule | None, attn_softcap: bool = True) -> Reading:
    """A Gemma 2-style config read to plain data: ``rule`` gives the sliding layers when ``layer_types`` is absent.
    ``attn_softcap``: whether the model caps its attention scores by ``attn_logit_softcapping`` (Gemma 3's
    attention takes the field but passes it to no kernel)."""
    if "use_bidirectional_attention" in cfg.fields and cfg.get("use_bidirectional_attention"):
        raise cfg.error("use_bidirectional_attention", "true makes an encoder (EmbeddingGemma) with a halved "
                        "two-sided window; only causal language models are modelled here")
    scalar = cfg.data.get("query_pre_attn_scalar")
    if type(scalar) is int and scalar == 0:
        raise cfg.error("query_pre_attn_scalar", "is 0; attention scales queries by its -1/2 power, so transformers "
                                                 "builds no model")
    sizes = read_sizes(cfg, "hidden_activation", heads_divide_width=True)
    check_padding(cfg, 0, sizes.vocab)
    window, notes = read_window(cfg, needed=True)
    kinds = read_layers(cfg, sizes.layers, window, rule if window is not None else None)
    caps = [cfg.get(name) not in (None, DERIVED) for name in ("attn_logit_softcapping", "final_logit_softcapping")]
    return reading(family, sizes, kinds, notes, attention_bias=cfg.get("attention_bias"), attn_softcap=caps[0] and attn_softcap,
                   logit_softcap=caps[1])


def build(r: Reading, family: str, label: str, *, post_norms: bool, qk_norm: bool, rotary_by_kind: bool = False) -> Spec:
    """The Spec of a Gemma 2-style reading: its shape alone chooses the tree, its values are the symbols'.
    ``rotary_by_kind``: windowed and full layers take rotary tables of their own (Gemma 3's local and global)."""
    from dataclasses import replace

    from ..components import Block, Embedding
    from ..symbols import D, V
    from . import _gemma_layers as layers
    from .decoder import gated_mlp
    from .decoder import gemma_norm as rms_norm

    sizes, kinds = sizes_of(r), layers_of(dict(r.shape)["layers"], dict(r.values))
    shape = dict(r.shape)
    bias = shape["attention_bias"]

    def block(w: Expr | None) -> Block:
        attn = replace(layers.attention(w, qkv_bias=bias, out_bias=bias, qk_norm=qk_norm), norm_offset=qk_norm,
                       softcap=shape["attn_softcap"], rotary_by_kind=rotary_by_kind)
        mlp = layers.mlp_with_activation(gated_mlp(sizes.activation), sizes.activation)
        if post_norms:
            parts = (rms_norm("input_layernorm"), attn, rms_norm("post_attention_layernorm"),
                     rms_norm("pre_feedforward_layernorm"), *mlp, rms_norm("post_feedforward_layernorm"))
            what = "sandwich-norm decoder block"
        else:
            parts = (rms_norm("input_layernorm"), attn, rms_norm("pre_feedforward_layernorm"), *mlp)
            what = "pre-norm decoder block"
        return Block("layer", parts, label=f"{what}{', sliding window' if w is not None else ''}")

    tree = replace(layers.decoder_model(family, label, layers.layer_stack(block, kinds), rms_norm("norm"), sizes.tied,
                                        embed=Embedding("embed_tokens", V, D, scaled=True)),
                   logit_softcap=shape["logit_softcap"])
    return layers.layered_spec(family, tree, sizes, kinds)


# ``bool | None`` in transformers: null is the default, false.
BIDIRECTIONAL = Field("use_bidirectional_attention", False, null=DEFAULT, kind="bool")
