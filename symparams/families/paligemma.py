"""PaliGemma (model_type ``paligemma``): a SigLIP vision tower, one linear projector, and a Gemma decoder.

transformers' ``PaliGemmaForConditionalGeneration`` holds:
- the vision tower its ``vision_config`` describes (SigLIP's, :mod:`._siglip`; missing or null:
  the class's SigLIP So400m/14 at 224 pixels without its pooling head, :data:`VISION_ABSENT`);
- ``multi_modal_projector.linear``: D_vis to the top level's ``projection_dim``, with a bias.
  Image features take the place of token embeddings, so ``projection_dim`` must be the
  decoder's width; a file where it is not builds a model no image runs through, and is refused;
- the language model its ``text_config`` describes, read by the model type that object names
  (``gemma`` where it names none; PaliGemma 2's is ``gemma2``); missing or null: the class's
  Gemma 2B (:data:`TEXT_ABSENT`), not GemmaConfig's defaults. The wrapper builds that model
  type's base model and a bias-free ``lm_head`` of its own, and its config class sets the text
  config's ``use_bidirectional_attention``, which only Gemma's and Gemma 2's config classes
  hold: other decoders are refused (:data:`DECODERS`). It sets it true where the file leaves it
  out or null (its prefix attention over the image and prompt), and saves it back so: a text
  config stating it true is read as one leaving it out.

The head is tied where the top level's ``tie_word_embeddings`` says (true by default; null
refused), whatever the text config says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field
from . import _siglip
from ._gemma_family import GEMMA_GROUPS
from ._vision_language import TowerFields, built_with_towers, check_decoder, decoder_reading, sub_config, with_sizes, wrapper

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "DECODERS", "TEXT_ABSENT", "VISION_ABSENT", "read", "build", "from_config"]

# Decoders PaliGemmaConfig builds with: their config classes hold use_bidirectional_attention, which it sets.
DECODERS = ("gemma", "gemma2")

# transformers 5.x PaliGemmaConfig (its text_config read by the family of the model type it names)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("projection_dim", 2048),
    towers=("vision_tower", "multi_modal_projector"),
    groups=GEMMA_GROUPS,
)

# What PaliGemmaConfig makes of a missing or null part (its sub-configs' init_kwargs).
VISION_ABSENT = {"model_type": "siglip_vision_model", "intermediate_size": 4096, "hidden_size": 1152,
                 "patch_size": 14, "image_size": 224, "num_hidden_layers": 27, "num_attention_heads": 16,
                 "vocab_size": 257152, "vision_use_head": False}
TEXT_ABSENT = {"model_type": "gemma", "hidden_size": 2048, "num_hidden_layers": 18, "intermediate_size": 16384,
               "num_attention_heads": 8, "num_key_value_heads": 1, "is_encoder_decoder": False, "vocab_size": 257152}


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and the decoder read to plain data (``plain`` false: a learned decoder is built), every
    check made."""
    check_decoder(cfg, "gemma", DECODERS, "its config class sets the text config's use_bidirectional_attention, "
                                         "which only theirs hold")
    vision = sub_config(cfg, "vision_config", _siglip.FIELDS)
    if not isinstance(cfg.data.get("vision_config"), dict):
        vision.data = dict(VISION_ABSENT)
    sizes, head = _siglip.read(vision)
    stated = cfg.data.get("text_config")
    given = None
    if isinstance(stated, dict) and stated.get("use_bidirectional_attention") is True:
        # the flag PaliGemmaConfig sets where a file leaves it out (as transformers saves it back): its prefix
        # attention, not the encoder the flag makes of a Gemma alone; it holds no parameters
        given = {k: v for k, v in cfg.get("text_config").items() if k != "use_bidirectional_attention"}
    text, notes = decoder_reading(cfg, "gemma", cfg.get("tie_word_embeddings"), own_type=True, absent=TEXT_ABSENT,
                                  given=given, plain=plain)
    width, out = dict(text.values)["D"], cfg.get("projection_dim")
    if out != width:
        raise cfg.error("projection_dim", f"is {out}, but the decoder is {width} wide: image features of another "
                                          "width cannot take the place of token embeddings")
    return with_sizes(text, (("head", head),), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the SigLIP tower and the projector beside it."""
    from ..components import Linear
    from ..components.tower import Tower
    from ..symbols import D, D_vis

    tower, relations, constraints = _siglip.tower(dict(reading.shape)["head"])
    projector = Tower("multi_modal_projector", (Linear("linear", D_vis, D, bias=True, group="vision"),),
                      group="vision", label="projector from the tower's width to the decoder's")
    return built_with_towers(reading, "paligemma", "PaliGemma vision-language model", (tower, projector), relations,
                             constraints)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "paligemma",
    "PaliGemma (1 and 2): a SigLIP vision tower, a linear projector and a Gemma decoder",
    from_config, FIELDS, "PaliGemmaForConditionalGeneration",
    refused="decoders other than " + ", ".join(DECODERS) + "; vision towers other than SigLIP's; a projection_dim "
            "other than the decoder's width",
    read=read,
)
