"""InternVL (model_type ``internvl``): InternViT, a pixel-shuffle projector and a decoder (Qwen2 as released in InternVL3).

transformers' ``InternVLForConditionalGeneration`` holds:
- ``vision_tower``: InternViT (:mod:`._internvl_vision`). Its config class is the wrapper's own
  (``InternVLVisionConfig``), whatever ``model_type`` the object names; missing or null: that
  class's defaults (InternViT-300M at 448 pixels);
- ``multi_modal_projector``: the pixel shuffle regroups n x n neighbouring patches (n = 1 /
  ``downsample_ratio``) into one feature of D_vis*n^2, then a ``layer_norm`` (weight and bias),
  ``linear_1`` to D and, after ``projector_hidden_act``, ``linear_2`` of D x D, both with biases;
- the language model its ``text_config`` describes, read by the model type that object names
  (``qwen2`` where it names none or is missing), beside a bias-free ``lm_head`` of the wrapper's
  own (:data:`.llava.DECODERS`).

The projector squares the patches it takes, so an image runs through it only where they are
the tower's patches exactly: one layer's (``vision_feature_layer`` an index, not a list), the
class token dropped (``vision_feature_select_strategy`` "default"), n a whole number whose
shuffle divides the patches a side as transformers computes it in floating point (a ratio of
1/2, 1/4 or 1: the released files' 0.5). ``vision_feature_layer`` indexes the L_vis + 1
hidden states (-1 is the last, after the final LayerNorm where there is one); 0, which
transformers reads as no hidden states at all, runs no image either. A file that breaks one of
these builds a model no image runs through, and is refused.

The head is tied where the top level's ``tie_word_embeddings`` says (true by default; null
refused), whatever the text config says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, short
from . import _internvl_vision, llava
from ._vision_language import (
    TowerFields,
    built_with_towers,
    check_decoder,
    decoder_reading,
    feature_layers,
    sub_config,
    with_sizes,
    wrapper,
)

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "read", "build", "from_config"]

# transformers 5.x InternVLConfig (its text_config read by the family of the model type it names)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("downsample_ratio", 0.5, kind="number", types=("float",)),
    Field("projector_hidden_act", "gelu", kind="str"),
    Field("vision_feature_layer", -1, kind="any", types=("int", "list")),
    Field("vision_feature_select_strategy", "default", kind="str"),
    towers=("vision_tower", "multi_modal_projector"),
    groups=llava.FIELDS.groups,
)


def _shuffle(cfg: Config, sizes: dict[str, int]) -> int:
    """n = 1 / ``downsample_ratio``, where the pixel shuffle regroups the patches a side into whole n x n blocks as
    transformers computes it (in floating point), and the projector takes the features an image makes."""
    given = cfg.get("downsample_ratio")
    ratio = float(given)
    side, width = sizes["S_img"] // sizes["p_img"], sizes["D_vis"]
    inverse = 1 / ratio if ratio > 0 else 0.0
    blocks = int(inverse)
    exact = blocks >= 1 and side % ratio == 0 and int(side * ratio) * blocks == side and \
        int(width / ratio) == width * blocks and int(width / ratio**2) == width * blocks**2
    if not exact:
        raise cfg.error("downsample_ratio", f"{ratio!r} does not regroup the {side} "
                                            "patches a side into whole blocks of 1/ratio: the pixel shuffle cannot, "
                                            "so no image runs through it")
    return blocks


def _check_features(cfg: Config, layers: int) -> None:
    """Refuse features no image reaches the projector with: a list of layers, hidden state 0, one the tower lacks,
    or the class token kept."""
    layer = cfg.get("vision_feature_layer")
    if not (isinstance(layer, int) and not isinstance(layer, bool)):
        raise cfg.error("vision_feature_layer", f"{short(layer)} is not one layer index: the projector takes one "
                                                "layer's features, so no image runs through it")
    if layer == 0:
        raise cfg.error("vision_feature_layer", "0 is read by transformers as asking for no hidden states at all: "
                                                "no image runs through it")
    feature_layers(cfg, layers)
    strategy = cfg.get("vision_feature_select_strategy")
    if strategy != "default":
        raise cfg.error("vision_feature_select_strategy", f"{short(strategy)} keeps the class token: the pixel "
                                                          "shuffle cannot square the features, so no image runs "
                                                          "through it")


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and switches and the decoder read to plain data (``plain`` false: a learned decoder is
    built), every check made."""
    from .activations import activation

    check_decoder(cfg, "qwen2", llava.DECODERS)
    sizes, switches = _internvl_vision.read(sub_config(cfg, "vision_config", _internvl_vision.FIELDS))
    blocks = _shuffle(cfg, sizes)
    _check_features(cfg, sizes["L_vis"])
    activation(cfg, "projector_hidden_act")
    text, notes = decoder_reading(cfg, "qwen2", cfg.get("tie_word_embeddings"), own_type=True, plain=plain)
    return with_sizes(text, (("switches", tuple(sorted(switches.items()))), ("blocks", blocks)), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the tower and the projector beside it."""
    import sympy

    from ..components import Linear, Norm
    from ..components.tower import Tower
    from ..symbols import D, D_vis

    shape = dict(reading.shape)
    tower, relations, constraints = _internvl_vision.tower(dict(shape["switches"]))
    shuffled = sympy.Integer(shape["blocks"]**2) * D_vis
    projector = Tower("multi_modal_projector", (
        Norm("layer_norm", shuffled, kind="layer", weight=True, bias=True, group="vision"),
        Linear("linear_1", shuffled, D, bias=True, group="vision"),
        Linear("linear_2", D, D, bias=True, group="vision"),
    ), group="vision", label="pixel-shuffle projector: n x n patches to one token of the decoder's width")
    return built_with_towers(reading, "internvl", "InternVL vision-language model", (tower, projector), relations,
                             constraints)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "internvl",
    "InternVL: an InternViT tower with layer scale, a pixel-shuffle projector and a decoder (Qwen2 by default)",
    from_config, FIELDS, "InternVLForConditionalGeneration",
    refused="decoders other than " + ", ".join(llava.DECODERS) + "; images and patches that are not square; a "
            "pixel shuffle no image runs through (a downsample_ratio that does not regroup the patches a side, a "
            "list of feature layers or hidden state 0, the class token kept)",
    read=read,
)
