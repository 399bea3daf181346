"""Qwen2 (model_type ``qwen2``): the Llama layout with biases on q, k and v only.

transformers hard-wires ``bias=True`` on q/k/v and ``bias=False`` on o and the MLP,
whatever the config says. Its defaults: a missing ``num_key_value_heads`` is 32
(not H), while a null one is H, as Qwen2Config's ``__post_init__`` makes it;
V = 151,936. ``head_dim`` is not a Qwen2 field but is honoured when a config.json
carries it, else D / H (a null one fails in transformers, so it is refused).

Sliding windows, as ``Qwen2Config.__post_init__`` and ``Qwen2Attention`` set them: the
window is ``sliding_window`` (default 4,096) only when ``use_sliding_window`` is true
(default false), else none; the windowed layers are those ``layer_types`` marks
``sliding_attention``, or by default layer i (from 0) when i >= ``max_window_layers``
(default 28). So L_s = L - max_window_layers of them when the config does not list
them, a relation of L as transformers derives it (every layer when max_window_layers
is at most 0, none when it is at least L). Windows change no weight, only the KV cache
and the causal attention FLOPs; a config without one keeps the closed forms free of W
and L_s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field
from ._layered_config import check_padding
from .decoder_sizes import decoder_fields, read_sizes, reading, sizes_of
from .layer_kinds import ALL, Layers, Rule, after, layers_of, read_layers
from .mistral import windowed_decoder
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "read_kinds"]

# transformers 5.x Qwen2Config
FIELDS = decoder_fields(
    vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=32, head_dim_null=REFUSE, max_position_embeddings=32768,
    attention_bias=None, mlp_bias=None, extra=(
        Field("use_sliding_window", False, kind="bool"),
        Field("sliding_window", 4096, null=DERIVED, minimum=0),
        Field("max_window_layers", 28, minimum=-(10**50)),
    ),
)


def read_kinds(cfg: Config, layers_: int) -> Layers:
    """Which layers are windowed: listed in ``layer_types``, else those from ``max_window_layers`` on.

    A window of 0 tokens (use_sliding_window with sliding_window 0) is refused: such a
    layer attends to nothing. Sliding layers listed without a window are read as full
    attention, with a note (transformers' cache cannot hold them).
    """
    first, given, use = (cfg.get(name) for name in ("max_window_layers", "sliding_window", "use_sliding_window"))
    window = given if use and given is not DERIVED else None  # each field read (and checked) either way
    if window == 0:
        raise cfg.error("sliding_window", "is 0 with use_sliding_window: a window of no tokens attends to nothing")
    rule: Rule | None = None
    if window is not None and first < layers_:
        rule = after(first) if first > 0 else ALL
    return read_layers(cfg, layers_, window, rule)


def read(cfg: Config) -> Reading:
    """The config's sizes and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg, floor_head_dim=True, rope="given")
    check_padding(cfg, None, sizes.vocab)
    return reading("qwen2", sizes, read_kinds(cfg, sizes.layers))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from . import _gemma_layers as layers
    from . import decoder

    sizes, kinds = sizes_of(r), layers_of(dict(r.shape)["layers"], dict(r.values))
    tree = windowed_decoder("qwen2", "Qwen2 decoder", decoder.gated_mlp(sizes.activation), sizes.tied, kinds,
                            qkv_bias=True)
    return layers.layered_spec("qwen2", tree, sizes, kinds)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="qwen2",
    layer_lists="filled",
    summary="Qwen2: the Llama layout with biases on q, k and v, and an optional sliding window on its later layers",
    model_types=("qwen2",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim (transformers cannot build it); key/value heads that do not divide the heads; "
            "a null use_sliding_window or max_window_layers; a window of 0 tokens",
)
