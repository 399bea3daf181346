"""Aya Vision (model_type ``aya_vision``): a SigLIP tower, a pixel-shuffle SwiGLU projector and a Cohere 2 decoder.

transformers' ``AyaVisionForConditionalGeneration`` holds:
- the vision tower its ``vision_config`` names: SigLIP's (the default) or CLIP's
  (:mod:`._siglip`). Missing or null, its config class makes SigLIP So400m/14 at 384 pixels
  with 14 heads (:data:`ABSENT`), which do not divide the width: transformers raises, and so
  does symparams;
- ``multi_modal_projector``: the pixel shuffle regroups s x s neighbouring features (s =
  ``downsample_factor``) into one of D_vis*s^2, then a ``layernorm`` (weight and bias),
  ``linear_1`` to A = ``alignment_intermediate_size`` (no field of the class, read where a
  file states it; D where none) and, after a SwiGLU that multiplies one half of its output by
  the SiLU of the other, ``linear_2`` from A/2 to D, both with biases;
- the language model its ``text_config`` describes, read by the model type that object names
  (``cohere2`` where it names none), beside a bias-free ``lm_head`` of the wrapper's own
  (:data:`.llava.DECODERS`).

The shuffle squares the features it takes, so it runs only where they are the tower's patches
exactly: the patches a side a multiple of s, one feature layer, and the class token dropped
(``vision_feature_select_strategy`` "default") where the tower has one (CLIP's) and kept
("full", the default) where it has none (SigLIP's); A must be even for the SwiGLU's halves to
meet. A file that breaks one of these builds a model no image runs through, and is refused.

The head is tied where the top level's ``tie_word_embeddings`` says (true by default; null
refused), whatever the text config says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, short
from . import _siglip, llava
from ._vision_language import TowerFields, built_with_towers, check_decoder, decoder_reading, feature_layers, with_sizes, wrapper

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "ABSENT", "read", "build", "from_config", "check_regroup", "check_halves"]

# transformers 5.x AyaVisionConfig (its text_config read by the family of the model type it names);
# alignment_intermediate_size is no field of the class, which its projector reads where a file states it
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("vision_feature_select_strategy", "full", kind="str", choices=("default", "full")),
    Field("vision_feature_layer", -1, kind="any", types=("int", "list")),
    Field("downsample_factor", 2),
    Field("alignment_intermediate_size", None, null=DEFAULT, sized=True),
    towers=("vision_tower", "multi_modal_projector"),
    groups=llava.FIELDS.groups,
)

# What AyaVisionConfig makes of a missing or null vision_config (its sub-config's init_kwargs).
ABSENT = {"model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304, "patch_size": 14,
          "image_size": 384, "num_hidden_layers": 26, "num_attention_heads": 14, "vision_use_head": False}


def check_regroup(cfg: Config, sizes: dict[str, int], scale: int) -> None:
    """Refuse a pixel shuffle whose scale s (``downsample_factor``) does not divide the patches a side: it regroups
    them s x s, and no image runs through it otherwise (Aya Vision's, Cohere 2 Vision's)."""
    side = sizes["S_img"] // sizes["p_img"]
    if side % scale:
        raise cfg.error("downsample_factor", f"{scale} does not divide the {side} patches a side: the pixel shuffle "
                                             "cannot regroup them, so no image runs through it")


def check_halves(cfg: Config, name: str, width: int) -> None:
    """Refuse a SwiGLU projector of odd width: its two halves do not meet, and no image runs through it."""
    if width % 2:
        raise cfg.error(name, f"makes the projector {width} wide, odd: its SwiGLU's two halves do not meet, so no "
                              "image runs through it")


def _check_shuffle(cfg: Config, sizes: dict[str, int], clip: bool, scale: int) -> None:
    """Refuse a projector no image runs through: the pixel shuffle squares the features it takes and regroups them
    s x s, and its LayerNorm takes one layer's features."""
    check_regroup(cfg, sizes, scale)
    if feature_layers(cfg, sizes["L_vis"]) != 1:
        raise cfg.error("vision_feature_layer", f"{short(cfg.get('vision_feature_layer'))} takes the features of "
                                                "several layers, but the projector's LayerNorm takes one layer's: no "
                                                "image runs through it")
    strategy = cfg.get("vision_feature_select_strategy")
    if (strategy == "default") != clip:
        kept = "drops the first patch of a tower without a class token" if not clip else \
            "keeps the class token of CLIP's tower"
        raise cfg.error("vision_feature_select_strategy", f"{strategy!r} {kept}: the pixel shuffle cannot square "
                                                          "the features, so no image runs through it")


def _width(cfg: Config, text: Reading) -> int | None:
    """A = ``alignment_intermediate_size`` where stated (None: the decoder's width), even, as the SwiGLU halves it."""
    if cfg.is_null("alignment_intermediate_size"):
        raise cfg.error("alignment_intermediate_size", "is null; the projector needs a width (leave the field out "
                                                       "for the decoder's)")
    given = cfg.get("alignment_intermediate_size")
    width = dict(text.values)["D"] if given is None else given
    check_halves(cfg, "alignment_intermediate_size" if given is not None else "text_config", width)
    return given


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and choices and the decoder read to plain data (``plain`` false: a learned decoder is
    built), every check made."""
    check_decoder(cfg, "cohere2", llava.DECODERS)
    sizes, head, clip = llava.read_tower(cfg, ABSENT)
    scale = cfg.get("downsample_factor")
    _check_shuffle(cfg, sizes, clip, scale)
    text, notes = decoder_reading(cfg, "cohere2", cfg.get("tie_word_embeddings"), own_type=True, plain=plain)
    given = _width(cfg, text)
    return with_sizes(text, (("head", head), ("clip", clip), ("scale", scale), ("width", given)), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the tower and the projector beside it."""
    import sympy

    from ..components import Linear, Norm
    from ..components.tower import Tower
    from ..spec import Divides
    from ..symbols import D, D_vis

    shape = dict(reading.shape)
    given = shape["width"]
    inner, half = (D, D / 2) if given is None else (sympy.Integer(given), sympy.Integer(given // 2))
    shuffled = sympy.Integer(shape["scale"]**2) * D_vis
    tower, relations, constraints = _siglip.tower(shape["head"], clip=shape["clip"])
    projector = Tower("multi_modal_projector", (
        Norm("layernorm", shuffled, kind="layer", weight=True, bias=True, group="vision"),
        Linear("linear_1", shuffled, inner, bias=True, group="vision"),
        Linear("linear_2", half, D, bias=True, group="vision"),
    ), group="vision", label="pixel-shuffle SwiGLU projector: s x s patches to one token of the decoder's width")
    even = (Divides(sympy.Integer(2), D, "the projector's SwiGLU halves the decoder's width"),) if given is None else ()
    return built_with_towers(reading, "aya_vision", "Aya Vision vision-language model", (tower, projector), relations,
                             constraints + even)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "aya_vision",
    "Aya Vision: a SigLIP tower, a pixel-shuffle SwiGLU projector and a Cohere 2 decoder",
    from_config, FIELDS, "AyaVisionForConditionalGeneration",
    refused="decoders other than " + ", ".join(llava.DECODERS) + "; vision towers other than SigLIP's and CLIP's; "
            "a pixel shuffle no image runs through (a downsample_factor that does not divide the patches a side, "
            "several feature layers, a class token kept or a patch dropped, an odd alignment_intermediate_size)",
    read=read,
)
