"""Qwen3-VL (model_types ``qwen3_vl`` and ``qwen3_vl_moe``): Qwen3's decoder, or Qwen3-MoE's, and a deepstack vision tower.

transformers' ``Qwen3VLForConditionalGeneration`` holds the language model its ``text_config``
describes and the vision tower its ``vision_config`` describes (:mod:`._qwen_vision`, with its
deepstack mergers; missing or null: the class's defaults, whose merger must still end at the
decoder's width). Whether the LM head shares the embedding is the top level's
``tie_word_embeddings`` (false by default; null is refused, as transformers refuses it).

The text configs (``qwen3_vl_text``, ``qwen3_vl_moe_text``) have no causal LM of their own:
their decoders are Qwen3's and Qwen3-MoE's, layer for layer, so they are read through those
families' tables (:class:`._vision_language.TextClass`) with their own classes' defaults and
with what those classes do not read left out:

- ``qwen3_vl_text``: no sliding window (its attention applies none: a layer ``layer_types``
  marks sliding is read as full attention, with a note); a context of 128,000 by default;
- ``qwen3_vl_moe_text``: 16 heads, 16 key/value heads (null refused), ``intermediate_size``
  5,632, 60 experts of 1,408, 4 per token; its router always renormalises the chosen
  experts' weights, and ``head_dim``, null or 0, is D // H.

Neither class declares ``layer_types``, but transformers validates one that a file gives (a
known type per layer) and the attention looks each layer's type up in it: a null is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from ..config import DEFAULT, Config, Field
from . import _qwen_vision
from ._qwen_config import GROUPS
from ._vision_language import TextClass, TowerFields, built_with_towers, decoder_reading, sub_config, with_sizes, wrapper

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "MOE_FAMILY", "FIELDS", "TEXT", "MOE_TEXT", "from_config", "moe_from_config"]

# transformers 5.x Qwen3VLConfig and Qwen3VLMoeConfig (their text_config read through TEXT and MOE_TEXT)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    towers=("visual",),
    groups=GROUPS,
)

_NO_WINDOW = ("use_sliding_window", "sliding_window")



def _layer_types(cfg: Config, text: Mapping[str, int]) -> None:
    """``layer_types``, which the text config classes do not declare, is still validated by transformers (a known
    type for each layer), and its attention looks each layer's type up in it: a null is refused."""
    from ..config import Fields
    from ._qwen_config import layer_types, list_field

    if "layer_types" not in cfg.data:
        return
    if cfg.data["layer_types"] is None:
        raise cfg.error("layer_types", "is null: this text config class keeps the null, and its attention cannot "
                                       "look a layer's type up in it (transformers raises)")
    listed = Config(cfg.data, cfg.source, Fields(list_field("layer_types")))
    layer_types(listed, text["L"], ("full_attention", "sliding_attention"), list)


# transformers 5.x Qwen3VLTextConfig, against Qwen3Config (its attention applies no window: a sliding layer listed is
# read as full attention, with Qwen3's note)
TEXT = TextClass("qwen3_vl_text", "qwen3", defaults={"max_position_embeddings": 128000},
                 ignored=(*_NO_WINDOW, "max_window_layers"), check=_layer_types)

# transformers 5.x Qwen3VLMoeTextConfig, against Qwen3MoeConfig
MOE_TEXT = TextClass(
    "qwen3_vl_moe_text", "qwen3_moe",
    defaults={"intermediate_size": 5632, "num_attention_heads": 16, "num_key_value_heads": 16,
              "max_position_embeddings": 128000, "moe_intermediate_size": 1408, "num_experts_per_tok": 4,
              "num_experts": 60},
    ignored=_NO_WINDOW, fixed={"norm_topk_prob": True}, unset=("head_dim",), check=_layer_types,
)


def _read(cfg: Config, text_class: TextClass, plain: bool = True) -> Reading:
    """The decoder read to plain data (``plain`` false: a learned decoder is built) and the tower's sizes, every
    check made."""
    text, notes = decoder_reading(cfg, text_class, cfg.get("tie_word_embeddings"), plain=plain)
    whence = "" if isinstance(cfg.data.get("text_config"), dict) else " (text_config is missing or null: the defaults)"
    vision = sub_config(cfg, "vision_config", _qwen_vision.VL_FIELDS)
    values = dict(text.values)
    sizes = _qwen_vision.read(vision, values["D"], whence, layers=values["L"])
    return with_sizes(text, (("deepstack", "N_ds" in sizes),), sizes, notes)


def _built(reading: Reading, family: str, label: str) -> Spec:
    tower, relations, constraints = _qwen_vision.tower(dict(reading.shape)["deepstack"], "Qwen3-VL vision tower")
    return built_with_towers(reading, family, label, (tower,), relations, constraints)


def read(cfg: Config) -> Reading:
    return _read(cfg, TEXT)


def moe_read(cfg: Config) -> Reading:
    return _read(cfg, MOE_TEXT)


def from_config(cfg: Config) -> Spec:
    return _built(_read(cfg, TEXT, plain=False), "qwen3_vl", "Qwen3-VL vision-language model")


def moe_from_config(cfg: Config) -> Spec:
    return _built(_read(cfg, MOE_TEXT, plain=False), "qwen3_vl_moe", "Qwen3-VL-MoE vision-language model")


_REFUSED = ("a merger whose out_hidden_size is not the decoder's width; deepstack layers the tower lacks, "
            "listed twice or beyond the decoder's depth")

FAMILY = wrapper(
    "qwen3_vl",
    "Qwen3-VL: the Qwen3 decoder and a vision tower whose deepstack mergers feed its first layers",
    from_config, FIELDS, "Qwen3VLForConditionalGeneration",
    refused=_REFUSED, read=read,
)

MOE_FAMILY = wrapper(
    "qwen3_vl_moe",
    "Qwen3-VL-MoE: the Qwen3-MoE decoder and a vision tower whose deepstack mergers feed its first layers",
    moe_from_config, FIELDS, "Qwen3VLMoeForConditionalGeneration",
    refused=_REFUSED, read=moe_read,
)
