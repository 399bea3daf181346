"""Qwen2-VL and Qwen2.5-VL (model_types ``qwen2_vl``, ``qwen2_5_vl``): the Qwen2 decoder and a vision tower.

transformers' ``Qwen2VLForConditionalGeneration`` (and ``Qwen2_5_VL...``) holds the language
model its text config describes and the vision tower its ``vision_config`` describes
(:mod:`._qwen2_vision`; missing or null: the class's defaults, whose merger must still end at
the decoder's width).

**Where the text config is.** The released files are flat: the decoder's fields sit at the top
level beside ``vision_config``. When ``text_config`` is missing or null, the config class takes
every top-level field its text config class names (:data:`TEXT_KEYS`, as its ``__post_init__``
does); a ``text_config`` object, where there is one, is read instead and the top level's copies
are not.

**The decoder** (``qwen2_vl_text``, ``qwen2_5_vl_text``; no causal LM reads them alone) is
Qwen2's layer for layer, read through the ``qwen2`` family's table
(:class:`._vision_language.TextClass`) with its own class's defaults and rules:

- V = 152,064, D = 8,192, F = 29,568, 80 layers, 64 heads, 8 key/value heads (null: H),
  ``max_window_layers`` 80;
- its attention makes heads of D / H and refuses a width the heads do not divide;
- its rotary embedding turns heads of ``head_dim`` where a file gives one (null or 0: D / H):
  a file whose ``head_dim`` is another size runs no token and is refused, and one it gives is
  checked as Qwen2's RoPE validation checks it;
- a null ``use_sliding_window`` means no window, and a rope table of type ``mrope`` (the
  released files') is the default rotary embedding, as the class renames it.

**The head** is tied when the top level's ``tie_word_embeddings`` is true (false by default;
null refused) or when a ``text_config`` object's own is, as the config class makes it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT, Config, Field
from . import _qwen2_vision
from ._qwen_config import GROUPS
from ._vision_language import (
    TextClass,
    TowerFields,
    built_with_towers,
    check_rotary_head,
    decoder_reading,
    sub_config,
    with_sizes,
    wrapper,
)

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FAMILY_2_5", "FIELDS", "TEXT", "TEXT_2_5", "TEXT_KEYS", "read", "read_2_5", "from_config",
           "from_config_2_5"]

# transformers 5.x Qwen2VLConfig and Qwen2_5_VLConfig (their text_config read through TEXT and TEXT_2_5)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    towers=("visual",),
    groups=GROUPS,
)

# What the config class moves from the top level into a missing text config: the parameters of the text config
# class's __init__ (transformers 5.x Qwen2VLTextConfig, Qwen2_5_VLTextConfig), and three rope fields.
TEXT_KEYS = (
    "architectures", "attention_dropout", "bos_token_id", "chunk_size_feed_forward", "dtype", "eos_token_id",
    "hidden_act", "hidden_size", "id2label", "initializer_range", "intermediate_size", "is_encoder_decoder",
    "label2id", "layer_types", "max_position_embeddings", "max_window_layers", "num_attention_heads",
    "num_hidden_layers", "num_key_value_heads", "output_hidden_states", "pad_token_id", "problem_type", "return_dict",
    "rms_norm_eps", "rope_parameters", "sliding_window", "transformers_version", "use_cache", "use_sliding_window",
    "vocab_size", "rope_scaling", "rope_theta",
)


def _text_class(data: dict[str, Any]) -> dict[str, Any]:
    """What the text config class makes of a file's fields where Qwen2's would not: a rope table of type ``mrope``
    (the released files') is the default rotary embedding; a null ``use_sliding_window`` is no window; a null
    ``max_window_layers`` is never read unless the default layer pattern needs it (a window and no
    ``layer_types``), where transformers fails on it, and so does qwen2."""
    for key in ("rope_scaling", "rope_parameters"):
        table = data.get(key)
        if isinstance(table, dict) and table.get("rope_type", table.get("type")) == "mrope":
            data[key] = {**table, "rope_type": "default"}
    if "use_sliding_window" in data and data["use_sliding_window"] is None:
        data["use_sliding_window"] = False
    windowed = data.get("use_sliding_window") and data.get("sliding_window", 4096) is not None
    if "max_window_layers" in data and data["max_window_layers"] is None and not (
            windowed and data.get("layer_types") is None):
        del data["max_window_layers"]
    return data




def _tied(cfg: Config) -> bool:
    """The top level's tie, or a text_config object's own where that is truthy (the config class's ``__post_init__``
    reads it with ``getattr``, as Python reads truth)."""
    inner = cfg.data.get("text_config")
    return bool(cfg.get("tie_word_embeddings")) or (isinstance(inner, dict) and bool(inner.get("tie_word_embeddings")))


_DEFAULTS = {"vocab_size": 152064, "hidden_size": 8192, "intermediate_size": 29568, "num_hidden_layers": 80,
             "num_attention_heads": 64, "num_key_value_heads": 8, "max_window_layers": 80}
# the file's architectures (the wrapper's, moved in with the rest) name no text model
_TEXT = dict(defaults=_DEFAULTS, ignored=("architectures",), unset=("head_dim",), whole_heads=True,
             adjust=_text_class, check=check_rotary_head)
TEXT = TextClass("qwen2_vl_text", "qwen2", **_TEXT)  # type: ignore[arg-type]
TEXT_2_5 = TextClass("qwen2_5_vl_text", "qwen2", **_TEXT)  # type: ignore[arg-type]


def _read(cfg: Config, text_class: TextClass, kind: str, plain: bool = True) -> Reading:
    """The decoder read to plain data (``plain`` false: a learned decoder is built) and the tower's sizes, every
    check made."""
    from .field_types import check_types

    check_types(cfg)  # the wrapper's own fields first: a flat file's decoder fields are read next, as its text's
    cfg.get("text_config")
    nested = isinstance(cfg.data.get("text_config"), dict)
    flat = None if nested else {k: cfg.data[k] for k in TEXT_KEYS if k in cfg.data}
    text, notes = decoder_reading(cfg, text_class, _tied(cfg), given=flat, plain=plain)
    fields = _qwen2_vision.QWEN2_FIELDS if kind == "qwen2_vl" else _qwen2_vision.QWEN2_5_FIELDS
    sizes, ratio = _qwen2_vision.read(sub_config(cfg, "vision_config", fields), kind, dict(text.values)["D"])
    return with_sizes(text, (("ratio", ratio),), sizes, notes)


def _built(reading: Reading, kind: str, label: str) -> Spec:
    tower, relations, constraints = _qwen2_vision.tower(kind, dict(reading.shape)["ratio"])
    return built_with_towers(reading, kind, label, (tower,), relations, constraints)


def read(cfg: Config) -> Reading:
    return _read(cfg, TEXT, "qwen2_vl")


def read_2_5(cfg: Config) -> Reading:
    return _read(cfg, TEXT_2_5, "qwen2_5_vl")


def from_config(cfg: Config) -> Spec:
    return _built(_read(cfg, TEXT, "qwen2_vl", plain=False), "qwen2_vl", "Qwen2-VL vision-language model")


def from_config_2_5(cfg: Config) -> Spec:
    return _built(_read(cfg, TEXT_2_5, "qwen2_5_vl", plain=False), "qwen2_5_vl", "Qwen2.5-VL vision-language model")


def _nested(cfg: Config) -> bool:
    """Whether the file has a text_config object: a flat file's top-level rope keys are its text config's, read with
    that class's defaults (a rope_theta it fills in, its max_position_embeddings) when the decoder is read."""
    return isinstance(cfg.data.get("text_config"), dict)


_REFUSED = ("a width the decoder's heads do not divide (its attention raises); a merger whose output is "
            "not the decoder's width")

FAMILY = replace(wrapper(
    "qwen2_vl",
    "Qwen2-VL: the Qwen2 decoder (flat or nested config) and a LayerNorm vision tower with a patch merger",
    from_config, FIELDS, "Qwen2VLForConditionalGeneration",
    refused=_REFUSED, read=read,
), rope_top=_nested)

FAMILY_2_5 = replace(wrapper(
    "qwen2_5_vl",
    "Qwen2.5-VL: the Qwen2 decoder (flat or nested config) and an RMSNorm vision tower with gated MLPs",
    from_config_2_5, FIELDS, "Qwen2_5_VLForConditionalGeneration",
    refused=_REFUSED, read=read_2_5,
), rope_top=_nested)
