"""Llama 4 as released (model_type ``llama4``): the mixture-of-experts decoder, its vision tower and projector.

transformers' ``Llama4ForConditionalGeneration`` holds the causal LM its ``text_config``
describes, read field by field as a ``llama4_text`` file (:mod:`.llama4`,
:mod:`._vision_language`), its own ``tie_word_embeddings`` deciding its head (the top
level's, false by default, builds nothing, though transformers refuses a null one), and the
vision tower and projector its ``vision_config`` describes (:mod:`._llama4_vision`).
transformers' ``AutoModelForCausalLM`` builds the decoder alone from these configs; the files
name ``Llama4ForConditionalGeneration``, whose weights they hold, and that is what is counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field
from . import _llama4_vision
from ._qwen_config import GROUPS
from ._vision_language import TowerFields, built_with_towers, decoder_reading, sub_config, with_sizes, wrapper

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "read", "build", "from_config"]

# transformers 5.x Llama4Config (its text_config read by the llama4_text family's own table)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    towers=("vision_model", "multi_modal_projector"),
    groups=GROUPS,
)


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and the decoder read to plain data (``plain`` false: a learned decoder is built), every
    check made."""
    cfg.get("tie_word_embeddings")  # read for its type alone: the decoder's own decides its head
    sizes = _llama4_vision.read(sub_config(cfg, "vision_config", _llama4_vision.FIELDS))
    text, notes = decoder_reading(cfg, "llama4_text", None, plain=plain)
    return with_sizes(text, (), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the vision tower and projector beside it, their symbols and rules added."""
    from ..symbols import N_img

    tower, relations, constraints = _llama4_vision.tower()
    return built_with_towers(reading, "llama4", "Llama 4 vision-language model", (tower, _llama4_vision.projector()),
                             relations, constraints, (N_img,))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "llama4",
    "Llama 4 as released: the mixture-of-experts decoder, its vision tower and projector",
    from_config, FIELDS, "Llama4ForConditionalGeneration",
    refused="vision towers no image runs through (the class's default one among them)", read=read,
)
