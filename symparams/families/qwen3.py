"""Qwen3 (model_type ``qwen3``): Llama's block with RMSNorm on each query and key head.

transformers 5's ``Qwen3Attention`` adds ``q_norm`` and ``k_norm``, each
``Qwen3RMSNorm(head_dim)`` (one weight of d_h shared by every head, "unlike olmo, only on
the head dim"), and puts ``attention_bias`` on all four projections. Its config differs
from Qwen2's where it matters for counting:

* ``head_dim`` is a field with default 128, not D / H (Qwen3-0.6B has D = 1,024 and 16
  heads of 128), and a null one is refused by the config class;
* a missing ``num_key_value_heads`` is 32, a null one is H (``__post_init__``);
* sliding windows: with ``use_sliding_window`` the layers from ``max_window_layers`` on
  (or those ``layer_types`` marks ``sliding_attention``) attend to and cache at most
  ``sliding_window`` = W tokens; without it (or with a null window) no layer has one.
  ``layer_types`` that still mark sliding layers build a model whose cache fails on them:
  it is counted, as full attention, with a note. Windows change no weight, only the cache
  and the causal attention FLOPs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._qwen_config import GROUPS, core_fields, core_of, kinds_of, layer_types, layout, list_field, read_core, read_window
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "windows"]

LLAMA_MLP = ("gate_proj", "up_proj", "down_proj")

# transformers 5.x Qwen3Config
FIELDS = Fields(
    *core_fields(vocab_size=151936, hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=32, kv_null=DERIVED, head_dim=128, max_position_embeddings=32768),
    Field("intermediate_size", 22016),
    Field("attention_bias", False, kind="bool"),
    Field("use_sliding_window", False, kind="bool"),
    Field("sliding_window", 4096, null=DERIVED, minimum=0),
    Field("max_window_layers", 28, minimum=0),
    list_field("layer_types"),
    groups=GROUPS,
)


NO_WINDOW = ("layer_types marks sliding layers, but there is no window (use_sliding_window is false or "
             "sliding_window null): transformers builds this model (every weight counted here) but its cache cannot "
             "hold such a layer, so it cannot run it; its layers are read as full attention")


def windows(cfg: Config, layers: int, default_from: int) -> tuple[list[str], int | None, tuple[str, ...]]:
    """(each layer's type, the window W or None, a note), as Qwen3's config works them out.

    The window is ``sliding_window`` when ``use_sliding_window`` is set (a null one means
    no window); the default pattern makes the layers from ``default_from`` on sliding.
    Sliding layers listed without a window build a model that cannot run: its weights are
    counted, its layers read as full attention, and the note says why.
    """
    window = read_window(cfg) if cfg.get("use_sliding_window") else None

    def default() -> list[str]:
        return ["sliding_attention" if window is not None and i >= default_from else "full_attention"
                for i in range(layers)]

    types = layer_types(cfg, layers, ("full_attention", "sliding_attention"), default)
    if window is None and "sliding_attention" in types:
        return ["full_attention"] * len(types), None, (NO_WINDOW,)
    return types, window, ()


def read(cfg: Config) -> Reading:
    """The config's sizes and layer types, checked, with no tree built.

    The shape holds the layer types only where they mix (L_s of them sliding): a model
    whose layers are all alike has the same tree at any depth.
    """
    core = read_core(cfg)
    types, window, notes = windows(cfg, core.layers, cfg.get("max_window_layers"))
    kinds = tuple(t.split("_")[0] for t in types)
    values = {**core.free(), "F": cfg.get("intermediate_size")}
    if len(set(kinds)) > 1:
        values["L_s"] = kinds.count("sliding")
    if window is not None and "sliding" in kinds:
        values["W"] = window
    shape = (*core.shape(), ("attention_bias", cfg.get("attention_bias")), ("layers", layout(kinds)))
    return Reading(shape, tuple(values.items()), core.name("qwen3"), core.notes + notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP
    from ..components.decoder_attention import DecoderAttention
    from ..symbols import D, F, H, H_kv, L_s, W, d_h
    from ._qwen_decoder import Axis, decoder_spec, decoder_tree

    shape, values = dict(r.shape), dict(r.values)
    layers = values["L"]
    kinds = kinds_of(shape["layers"], layers)
    core = core_of(r)
    bias = shape["attention_bias"]
    attn = {kind: DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, qk_norm=True,
                                   window=w, names=("q_proj", "k_proj", "v_proj", "o_proj"))
            for kind, w in {"full": None, "sliding": W}.items()}
    mlp = MLP("mlp", D, F, gated=True, activation=core.activation, names=LLAMA_MLP)
    tree, counts = decoder_tree(
        "qwen3", "Qwen3 decoder (q/k RMSNorm)",
        Axis(kinds, attn, "sliding", L_s),
        Axis(("dense",) * layers, {"dense": mlp}, "dense", L_s),
        tied=core.tied,
    )
    spec_values = {F: values["F"], **counts}
    if "W" in values:
        spec_values[W] = values["W"]
    return decoder_spec("qwen3", tree, core, spec_values)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="qwen3",
    layer_lists="filled",
    summary="Qwen3: Llama's block with RMSNorm over each query and key head, head_dim 128 by default",
    model_types=("qwen3",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="layer_types other than full_attention and sliding_attention",
)
