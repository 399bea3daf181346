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

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field
from . import _qwen_vision
from ._qwen_config import GROUPS
from ._vision_language import TextClass, TowerFields, decoder, sub_config, with_towers, wrapper

if TYPE_CHECKING:
    from ..spec import Spec

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



def _layer_types(cfg: Config, text: Spec) -> None:
    """``layer_types``, which the text config classes do not declare, is still validated by transformers (a known
    type for each layer), and its attention looks each layer's type up in it: a null is refused."""
    from ..config import Fields
    from ..symbols import L
    from ._qwen_config import layer_types, list_field

    if "layer_types" not in cfg.data:
        return
    if cfg.data["layer_types"] is None:
        raise cfg.error("layer_types", "is null: this text config class keeps the null, and its attention cannot "
                                       "look a layer's type up in it (transformers raises)")
    listed = Config(cfg.data, cfg.source, Fields(list_field("layer_types")))
    layer_types(listed, int(text.env[L]), ("full_attention", "sliding_attention"), list)


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


def _build(cfg: Config, text_class: TextClass, family: str, label: str) -> Spec:
    from ..symbols import D, L

    text, notes = decoder(cfg, text_class, cfg.get("tie_word_embeddings"))
    whence = "" if isinstance(cfg.data.get("text_config"), dict) else " (text_config is missing or null: the defaults)"
    vision = sub_config(cfg, "vision_config", _qwen_vision.VL_FIELDS)
    sizes = _qwen_vision.read(vision, int(text.env[D]), whence, layers=int(text.env[L]))
    tower, relations, constraints = _qwen_vision.tower("N_ds" in sizes, "Qwen3-VL vision tower")
    return with_towers(text, family, label, (tower,), sizes, relations, constraints, (), notes)


def from_config(cfg: Config) -> Spec:
    return _build(cfg, TEXT, "qwen3_vl", "Qwen3-VL vision-language model")


def moe_from_config(cfg: Config) -> Spec:
    return _build(cfg, MOE_TEXT, "qwen3_vl_moe", "Qwen3-VL-MoE vision-language model")


_REFUSED = ("a merger whose out_hidden_size is not the decoder's width; deepstack layers the tower lacks, "
            "listed twice or beyond the decoder's depth")

FAMILY = wrapper(
    "qwen3_vl",
    "Qwen3-VL: the Qwen3 decoder and a vision tower whose deepstack mergers feed its first layers",
    from_config, FIELDS, "Qwen3VLForConditionalGeneration",
    refused=_REFUSED,
)

MOE_FAMILY = wrapper(
    "qwen3_vl_moe",
    "Qwen3-VL-MoE: the Qwen3-MoE decoder and a vision tower whose deepstack mergers feed its first layers",
    moe_from_config, FIELDS, "Qwen3VLMoeForConditionalGeneration",
    refused=_REFUSED,
)
