"""Qwen3.5 as released (model_types ``qwen3_5`` and ``qwen3_5_moe``): the hybrid decoder and its vision tower.

transformers' ``Qwen3_5ForConditionalGeneration`` (and the MoE one) holds the language model its
``text_config`` describes, read field by field as a ``qwen3_5_text`` (``qwen3_5_moe_text``) file
(:mod:`.qwen3_5`, :mod:`._vision_language`), and the vision tower its ``vision_config``
describes (:mod:`._qwen_vision`; missing or null: the class's defaults, whose merger must
still end at the decoder's width). Whether the LM head shares the embedding is the top
level's ``tie_word_embeddings`` (false by default; null is refused, as transformers refuses
it). transformers' ``AutoModelForCausalLM`` builds the decoder alone from these configs; the
files name ``Qwen3_5ForConditionalGeneration``, whose weights they hold, and that is what is
counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field
from . import _qwen_vision
from ._qwen_config import GROUPS
from ._vision_language import TowerFields, built_with_towers, decoder_reading, sub_config, with_sizes, wrapper

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "MOE_FAMILY", "FIELDS", "from_config", "moe_from_config"]

# transformers 5.x Qwen3_5Config and Qwen3_5MoeConfig (their text_config read by the text families' tables)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    towers=("visual",),
    groups=GROUPS,
)


def _read(cfg: Config, text_type: str, plain: bool = True) -> Reading:
    """The decoder read to plain data (``plain`` false: a learned decoder is built) and the tower's sizes, every
    check made."""
    text, notes = decoder_reading(cfg, text_type, cfg.get("tie_word_embeddings"), plain=plain)
    whence = "" if isinstance(cfg.data.get("text_config"), dict) else " (text_config is missing or null: the defaults)"
    sizes = _qwen_vision.read(sub_config(cfg, "vision_config", _qwen_vision.FIELDS), dict(text.values)["D"], whence)
    return with_sizes(text, (), sizes, notes)


def _built(reading: Reading, family: str, label: str) -> Spec:
    tower, relations, constraints = _qwen_vision.tower()
    return built_with_towers(reading, family, label, (tower,), relations, constraints)


def read(cfg: Config) -> Reading:
    return _read(cfg, "qwen3_5_text")


def moe_read(cfg: Config) -> Reading:
    return _read(cfg, "qwen3_5_moe_text")


def from_config(cfg: Config) -> Spec:
    return _built(_read(cfg, "qwen3_5_text", plain=False), "qwen3_5", "Qwen3.5 vision-language model")


def moe_from_config(cfg: Config) -> Spec:
    return _built(_read(cfg, "qwen3_5_moe_text", plain=False), "qwen3_5_moe", "Qwen3.5-MoE vision-language model")


_REFUSED = ("a merger whose out_hidden_size is not the decoder's width")

FAMILY = wrapper(
    "qwen3_5",
    "Qwen3.5 as released: the Gated DeltaNet hybrid decoder and its vision tower",
    from_config, FIELDS, "Qwen3_5ForConditionalGeneration",
    refused=_REFUSED, read=read,
)

MOE_FAMILY = wrapper(
    "qwen3_5_moe",
    "Qwen3.5-MoE as released: the hybrid mixture-of-experts decoder and its vision tower",
    moe_from_config, FIELDS, "Qwen3_5MoeForConditionalGeneration",
    refused=_REFUSED, read=moe_read,
)
