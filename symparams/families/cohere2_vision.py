"""Cohere 2 Vision (model_type ``cohere2_vision``): a SigLIP tower, a pixel-shuffle SwiGLU projector and a Cohere 2 decoder.

transformers' ``Cohere2VisionForConditionalGeneration`` (Command A Vision) holds:
- the vision tower its ``vision_config`` names, built whole (SigLIP's, :mod:`._siglip`); missing or
  null, its config class makes SigLIP So400m-wide at 512 pixels with 12 heads (:data:`ABSENT`);
- ``multi_modal_projector``: the pixel shuffle regroups s x s neighbouring features of the tower's
  last hidden state (s = ``downsample_factor``) into one of D_vis*s^2, then ``linear_1`` to
  A = ``alignment_intermediate_size`` and, after a SwiGLU that multiplies one half of its output by
  the SiLU of the other, ``linear_2`` from A/2 to D, both with biases. Aya Vision's projector
  (:mod:`.aya_vision`) without its LayerNorm, and A a field of the class (36,864 by default);
- the language model its ``text_config`` describes, read by the model type that object names
  (``cohere2`` where it names none), beside a bias-free ``lm_head`` of the wrapper's own
  (:data:`.llava.DECODERS`).

The shuffle squares the tower's features, so it runs only on a tower without a class token
(CLIP's has one) whose patches a side s divides; A must be even for the SwiGLU's halves to
meet. A file that breaks one of these builds a model no image runs through, and is refused.
The head is tied where the top level's ``tie_word_embeddings`` says (true by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field
from . import _siglip, llava
from ._vision_language import TowerFields, built_with_towers, check_decoder, decoder_reading, with_sizes, wrapper
from .aya_vision import check_halves, check_regroup

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "ABSENT", "read", "build", "from_config"]

# transformers 5.x Cohere2VisionConfig (its text_config read by the family of the model type it names)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("downsample_factor", 2),
    Field("alignment_intermediate_size", 36864),
    towers=("vision_tower", "multi_modal_projector"),
    groups=llava.FIELDS.groups,
)

# What Cohere2VisionConfig makes of a missing or null vision_config (its sub-config's init_kwargs).
ABSENT = {"model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 3072, "image_size": 512,
          "num_hidden_layers": 27, "num_attention_heads": 12}


def _check_shuffle(cfg: Config, sizes: dict[str, int], clip: bool, scale: int, width: int) -> None:
    """Refuse a projector no image runs through: the shuffle squares the features, regroups them s x s, and the
    SwiGLU halves A."""
    if clip:
        raise cfg.error("vision_config", "model_type 'clip_vision_model' is CLIP's tower, whose class token leaves "
                                         "features the pixel shuffle cannot square: no image runs through it")
    check_regroup(cfg, sizes, scale)
    check_halves(cfg, "alignment_intermediate_size", width)


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and choices and the decoder read to plain data (``plain`` false: a learned decoder is
    built), every check made."""
    check_decoder(cfg, "cohere2", llava.DECODERS)
    sizes, head, clip = llava.read_tower(cfg, ABSENT)
    scale, width = cfg.get("downsample_factor"), cfg.get("alignment_intermediate_size")
    _check_shuffle(cfg, sizes, clip, scale, width)
    text, notes = decoder_reading(cfg, "cohere2", cfg.get("tie_word_embeddings"), own_type=True, plain=plain)
    return with_sizes(text, (("head", head), ("clip", clip), ("scale", scale), ("width", width)), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the tower and the projector beside it."""
    import sympy

    from ..components import Linear
    from ..components.tower import Tower
    from ..symbols import D, D_vis

    shape = dict(reading.shape)
    width = shape["width"]
    shuffled = sympy.Integer(shape["scale"]**2) * D_vis
    tower, relations, constraints = _siglip.tower(shape["head"], clip=shape["clip"])
    projector = Tower("multi_modal_projector", (
        Linear("linear_1", shuffled, sympy.Integer(width), bias=True, group="vision"),
        Linear("linear_2", sympy.Integer(width // 2), D, bias=True, group="vision"),
    ), group="vision", label="pixel-shuffle SwiGLU projector: s x s patches to one token of the decoder's width")
    return built_with_towers(reading, "cohere2_vision", "Cohere 2 Vision vision-language model", (tower, projector),
                             relations, constraints)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "cohere2_vision",
    "Cohere 2 Vision (Command A Vision): a SigLIP tower, a pixel-shuffle SwiGLU projector and a Cohere 2 decoder",
    from_config, FIELDS, "Cohere2VisionForConditionalGeneration",
    refused="decoders other than " + ", ".join(llava.DECODERS) + "; vision towers other than SigLIP's; "
            "a pixel shuffle no image runs through (a downsample_factor that does not divide the patches a side, "
            "an odd alignment_intermediate_size)",
    read=read,
)
