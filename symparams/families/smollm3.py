"""SmolLM3 (model_type ``smollm3``): Llama's layout with no-RoPE layers and optional sliding windows.

transformers' ``SmolLM3ForCausalLM``: RMSNorm pre-norms, GQA with biases when
``attention_bias``, a SwiGLU MLP with biases when ``mlp_bias``, a head tied to the
embedding by default. Every ``no_rope_layer_interval``-th layer (4) skips rotary
positions (``no_rope_layers``), which changes no weights. The layers ``layer_types``
marks ``sliding_attention`` keep a window of ``sliding_window`` tokens: their mask and
their cache are windowed whatever ``use_sliding_window`` says (it only reaches the
attention kernel's own window argument), and a null window fails on them and is refused.
Without ``layer_types``, ``use_sliding_window`` (false by default) with a window set makes
the no-RoPE layers windowed (L_s = floor(L/4) by the interval). ``head_dim`` is D // H
unless a config names one; a null one fails and is refused. The default padding row
(128,004) must lie inside the vocabulary, as transformers' embedding checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, REFUSE, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .layer_kinds import Layers, Rule, constant, layers_of, read_layers, windowed_every
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x SmolLM3Config
FIELDS = Fields(
    Field("vocab_size", 128256),
    Field("hidden_size", 2048),
    Field("intermediate_size", 11008),
    Field("num_hidden_layers", 36),
    Field("num_attention_heads", 16),
    Field("num_key_value_heads", 4, null=DERIVED),
    Field("head_dim", DERIVED, null=REFUSE),
    Field("hidden_act", "silu", kind="str"),
    Field("max_position_embeddings", 32768),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    Field("mlp_bias", False, kind="bool"),
    Field("use_sliding_window", False, kind="bool"),
    Field("sliding_window", None, null=DEFAULT),
    Field("no_rope_layer_interval", 4),
    Field("no_rope_layers", DERIVED, null=DERIVED, kind="any", types=("list",)),
    groups=LLAMA_GROUPS,
)


def _no_rope_layers(cfg: Config, layers_: int) -> list | None:
    """The listed ``no_rope_layers`` (one entry per layer at least, as the attention indexes them), or None."""
    listed = cfg.get("no_rope_layers")
    cfg.get("no_rope_layer_interval")  # a strict int in transformers; it divides by it when no list is given
    if listed is DERIVED:
        return None
    if not isinstance(listed, list) or not all(isinstance(x, (bool, int)) for x in listed):
        raise cfg.error("no_rope_layers", "expected a list of 0/1 flags, one per layer")
    if len(listed) < layers_:
        raise cfg.error("no_rope_layers", f"lists {len(listed)} layers but num_hidden_layers is {layers_}")
    return listed


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg)
    check_padding(cfg, 128004, sizes.vocab)
    flags = _no_rope_layers(cfg, sizes.layers)
    window = cfg.get("sliding_window")
    rule: Rule | None = None
    if cfg.get("use_sliding_window") and window is not None:
        if flags is None:
            rule = windowed_every(cfg.get("no_rope_layer_interval"))
        else:
            rule = constant(sum(1 for x in flags[: sizes.layers] if not x))
    kinds = read_layers(cfg, sizes.layers, window, rule)
    if flags is not None and kinds.rule is not None:
        kinds = Layers(kinds.layers, kinds.sliding, kinds.window, None, pattern=tuple(not x for x in flags[: sizes.layers]))
    return reading("smollm3", sizes, kinds, attention_bias=cfg.get("attention_bias"), mlp_bias=cfg.get("mlp_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import _gemma_layers as layers
    from .decoder import gated_mlp, rms_norm

    shape, sizes = dict(r.shape), sizes_of(r)
    bias, kinds = shape["attention_bias"], layers_of(shape["layers"], dict(r.values))
    mlp = layers.mlp_with_activation(gated_mlp(sizes.activation, bias=shape["mlp_bias"]), sizes.activation)

    def block(w: Expr | None) -> Block:
        return layers.pre_norm_block(layers.attention(w, qkv_bias=bias, out_bias=bias), mlp, rms_norm,
                                     label=layers.window_label("pre-norm decoder block", w))

    tree = layers.decoder_model("smollm3", "SmolLM3 decoder", layers.layer_stack(block, kinds),
                                rms_norm("norm"), sizes.tied)
    return layers.layered_spec("smollm3", tree, sizes, kinds)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="smollm3",
    rope_head="given",  # a stated head_dim is validated, though the layers use D/H
    layer_lists="filled",
    summary="SmolLM3: Llama's layout with no-RoPE layers and optional sliding windows",
    model_types=("smollm3",),
    fields=FIELDS,
    build=from_config,
    read=read,
)
