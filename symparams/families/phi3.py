"""Phi-3 (model_type ``phi3``): Llama's block with fused projections, and an optional sliding window.

transformers 5's ``Phi3Attention`` computes q, k and v with one ``qkv_proj`` of
D x (H + 2*H_kv)*d_h and ``Phi3MLP`` gate and up with one ``gate_up_proj`` of D x 2F; the
tree keeps them as the two fused leaves transformers holds (the same weights as three
separate matrices: the counts, and the closed form, are a Llama's). No linear has a bias.

``sliding_window`` (Phi-3-mini's 2,047) applies to every layer: the cache keeps at most W
tokens and causal attention meets at most W keys; null (the default) means none.
Defaults: V = 32,064, D = 3,072, F = 8,192, L = 32, H = 32; ``num_key_value_heads`` missing
or null is H; ``head_dim`` is D // H unless a config.json carries one. ``pad_token_id``
defaults to 32,000, so a vocabulary of 32,000 rows or fewer needs its own (or a null) one:
transformers' embedding refuses a padding row it does not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields, short
from ._qwen_config import GROUPS, core_fields, core_of, read_core, read_window
from .registry import Family, Reading
from .rope import NUMBERS, is_number, malformed, partial_rotary_factor, rope_table, rope_type

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "window", "check_rope", "RENAMES"]

# Older rope types Phi3Config reads as longrope, once it has filled its table in.
RENAMES = (("su", "longrope"), ("yarn", "longrope"))

# transformers 5.x Phi3Config
FIELDS = Fields(
    *core_fields(vocab_size=32064, hidden_size=3072, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=DERIVED, kv_null=DERIVED, max_position_embeddings=4096, pad_token_id=32000),
    Field("intermediate_size", 8192),
    Field("sliding_window", None, null=DERIVED, minimum=0),
    groups=GROUPS,
)


def window(cfg: Config) -> int | None:
    """The sliding window every layer has, or None."""
    return read_window(cfg)


def check_rope(cfg: Config, width: int, heads: int) -> None:
    """Refuse what Phi3Config's own rope validation refuses, beyond every class's.

    It rotates with the default or longrope type only (su and yarn renamed to it), and
    gives each rotary pair one short and one long factor: lists of
    int(hidden_size // num_attention_heads * partial_rotary_factor) / 2 numbers. It
    multiplies by the share whatever the type, so a null one cannot build.
    """
    name, table = rope_table(cfg)
    table = table if isinstance(table, dict) else {}
    stated = rope_type(table)
    kind = dict(RENAMES).get(stated, stated) if isinstance(stated, str) else stated
    if kind not in ("default", "longrope"):
        raise cfg.error(name, f"rope_type {short(stated)} is not one Phi-3 rotates with: default or longrope "
                              "(su and yarn are read as longrope)")
    if "partial_rotary_factor" not in table and cfg.data.get("partial_rotary_factor", 0) is None:
        raise cfg.error("partial_rotary_factor", "is null; Phi-3's rope validation multiplies by it")
    pairs = int(width // heads * float(partial_rotary_factor(cfg))) // 2
    for key in ("short_factor", "long_factor"):
        value = table.get(key)
        if value is None:
            continue
        if not (isinstance(value, list) and all(is_number(v) for v in value)):
            raise malformed(cfg, name, key, value, NUMBERS)
        if len(value) != pairs:
            raise cfg.error(name, f"{key} has {len(value)} entries; Phi-3 takes one per rotary pair, {pairs} "
                                  "(hidden_size // num_attention_heads x partial_rotary_factor, halved)")


def read(cfg: Config) -> Reading:
    """The config's sizes and window, checked, with no tree built."""
    core = read_core(cfg)
    check_rope(cfg, core.width, core.heads)
    w = window(cfg)
    values = {**core.free(), "F": cfg.get("intermediate_size")}
    if w is not None:
        values["W"] = w
    return Reading((*core.shape(), ("windowed", w is not None)), tuple(values.items()), core.name("phi3"), core.notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components.decoder_attention import DecoderAttention
    from ..components.fused_mlp import FusedMLP
    from ..symbols import D, F, H, H_kv, L_d, L_s, W, d_h
    from ._qwen_decoder import Axis, decoder_spec, decoder_tree

    core, values = core_of(r), dict(r.values)
    attn = DecoderAttention("self_attn", D, H, H_kv, d_h, fused=True, window=W if dict(r.shape)["windowed"] else None,
                            names=("q_proj", "k_proj", "v_proj", "o_proj"), rotary_concat=True)
    mlp = FusedMLP("mlp", D, F, activation=core.activation)
    tree, counts = decoder_tree(
        "phi3", "Phi-3 decoder (fused qkv and gate_up)",
        Axis(("full",) * core.layers, {"full": attn}, "full", L_s),
        Axis(("dense",) * core.layers, {"dense": mlp}, "dense", L_d),
        tied=core.tied,
    )
    spec_values = {F: values["F"], **counts}
    if "W" in values:
        spec_values[W] = values["W"]
    return decoder_spec("phi3", tree, core, spec_values)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="phi3",
    rope_share=True,
    rope_renames=RENAMES,
    summary="Phi-3: Llama's block with fused qkv_proj and gate_up_proj, an optional sliding window on every layer",
    model_types=("phi3",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a pad_token_id outside the vocabulary (the default 32,000 in a smaller one); rope types other than "
            "default and longrope (su and yarn read as longrope); short or long factors not one per rotary pair",
)
