"""LLaVA and LLaVA-NeXT (model_types ``llava``, ``llava_next``): a decoder, a CLIP or SigLIP vision tower, a projector.

transformers' ``LlavaForConditionalGeneration`` holds:
- the language model its ``text_config`` describes, read by the model type that object names
  (``llama`` where it names none, as transformers' AutoConfig reads it; missing or null:
  LlamaConfig's defaults), with that family's every check (:mod:`._vision_language`). The
  wrapper builds that model type's base model and a bias-free ``lm_head`` of its own, so the
  decoders counted here are those whose causal LM is exactly that (:data:`DECODERS`); others
  are refused;
- the vision tower its ``vision_config`` describes: CLIP's (``clip_vision_model``, the
  default) or SigLIP's (:mod:`._siglip`), and for LLaVA itself Pixtral's (:mod:`._pixtral`:
  Pixtral 12B is released as a LLaVA); missing or null: the class's CLIP ViT-L/14 at 336
  pixels (:data:`ABSENT`);
- ``LlavaMultiModalProjector``: ``linear_1`` from D_vis times the number of layers
  ``vision_feature_layer`` takes features from to D, an activation, ``linear_2`` of D x D,
  both with biases where ``multimodal_projector_bias`` (true by default);
- LLaVA-NeXT adds ``image_newline``, one vector of D.

LLaVA's head is tied where the top level's ``tie_word_embeddings`` is true (false by default;
null refused) or where the text config's own is (its class's default where it states none:
Gemma's is true), as LlavaConfig makes it; LLaVA-NeXT's config class reads the top level's
alone. ``vision_feature_layer`` indexes the tower's
L_vis + 1 hidden states; an index past them is refused, since no image runs through it, and
so is a bare 0, which transformers reads as asking for no hidden states (``[0]`` runs).

The model types built from LLaVA's parts with other defaults or one more part (LLaVA-OneVision,
LLaVA-NeXT-Video: :mod:`.llava_onevision`; VipLLaVA: :mod:`.vipllava`) are :func:`build` with
a :class:`Layout` of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..config import DEFAULT, Config, Field
from . import _pixtral, _siglip
from ._gemma_family import GEMMA_GROUPS
from ._qwen_config import GROUPS
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
    from ..components.tower import Tower
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "NEXT_FAMILY", "FIELDS", "ABSENT", "DECODERS", "Layout", "LLAVA", "NEXT", "read_tower",
           "read", "build", "built", "reader", "from_config", "next_from_config"]

# transformers 5.x LlavaConfig (LlavaNextConfig reads the same fields; its text_config is read by its own type's family)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("multimodal_projector_bias", True, kind="bool"),
    Field("projector_hidden_act", "gelu", kind="str"),
    Field("vision_feature_layer", -2, kind="any", types=("int", "list")),
    Field("vision_feature_select_strategy", "default", kind="str", choices=("default", "full")),
    towers=("vision_tower", "multi_modal_projector", "image_newline"),
    groups={**GROUPS, **GEMMA_GROUPS},
)

# What the config classes make of a missing or null vision_config (their sub-config's init_kwargs).
ABSENT = {"model_type": "clip_vision_model", "intermediate_size": 4096, "hidden_size": 1024, "patch_size": 14,
          "image_size": 336, "num_hidden_layers": 24, "num_attention_heads": 16, "vocab_size": 32000,
          "projection_dim": 768}

# Decoders whose causal LM is their base model and a bias-free lm_head over embed_tokens, as LLaVA builds them (Cohere's
# scales its logits by a constant, which is no weight).
DECODERS = ("llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "phi3", "cohere", "cohere2")


@dataclass(frozen=True)
class Layout:
    """What one of LLaVA's model types builds beside LLaVA's parts.

    ``text``: the model type a ``text_config`` naming none is read as; ``absent``: what the config class makes of a
    missing or null ``vision_config``; ``either_tie``: the config class ties the head where the text config's own
    ``tie_word_embeddings`` is true, not only the top level's; ``newline``: LLaVA-NeXT's image-newline vector;
    ``norm``: a LayerNorm before the projector (VipLLaVA's); ``pixtral``: a Pixtral tower is read as one (LLaVA's,
    whose image features it passes on whole); ``extra`` the parts a model type adds (LLaVA-NeXT-Video's
    resampler): read from its config to shape entries (plain constants, every check made), and built from them.
    """

    family: str
    label: str
    text: str = "llama"
    absent: Mapping[str, Any] = field(default_factory=lambda: ABSENT)
    either_tie: bool = True
    newline: bool = False
    norm: bool = False
    pixtral: bool = False
    extra: tuple[Callable[[Config], tuple[tuple[str, Any], ...]], Callable[[Mapping[str, Any]], tuple[Tower, ...]]] | None \
        = None


def read_tower(cfg: Config, absent: Mapping[str, Any]) -> tuple[dict[str, int], bool, bool]:
    """The vision tower's sizes, whether it has SigLIP's pooling head, and whether it is CLIP's: the one
    ``vision_config`` names (``absent``'s where it names none; ``absent`` where missing or null)."""
    vision = sub_config(cfg, "vision_config", _siglip.CLIP_FIELDS)
    if not isinstance(cfg.data.get("vision_config"), dict):
        vision.data = dict(absent)
    named = vision.data.get("model_type", absent["model_type"])
    vision.data = {**vision.data, "model_type": named}
    clip = named != _siglip.MODEL_TYPE
    if not clip:
        vision.fields = _siglip.FIELDS
    sizes, head = _siglip.read(vision, clip=clip)
    return sizes, head, clip


def read(cfg: Config, layout: Layout, plain: bool = True) -> Reading:
    """The tower's sizes and choices, the decoder read to plain data (``plain`` false: a learned decoder is
    built) and ``layout``'s extra parts, every check made."""
    from .activations import activation

    check_decoder(cfg, layout.text, DECODERS)
    stated = cfg.data.get("vision_config")
    if layout.pixtral and isinstance(stated, dict) and stated.get("model_type") == _pixtral.MODEL_TYPE:
        sizes, head, clip = _pixtral.read(sub_config(cfg, "vision_config", _pixtral.FIELDS)), False, False
        tower: tuple[tuple[str, Any], ...] = (("pixtral", True),)
    else:
        sizes, head, clip = read_tower(cfg, layout.absent)
        tower = ()
    features = feature_layers(cfg, sizes["L_vis"])
    bias = cfg.get("multimodal_projector_bias") if "multimodal_projector_bias" in cfg.fields else True
    activation(cfg, "projector_hidden_act")
    if "vision_feature_select_strategy" in cfg.fields:
        cfg.get("vision_feature_select_strategy")
    tied = cfg.get("tie_word_embeddings")
    text, notes = decoder_reading(cfg, layout.text, (True if tied else None) if layout.either_tie else tied,
                                  own_type=True, plain=plain)
    extra = layout.extra[0](cfg) if layout.extra is not None else ()
    return with_sizes(text, (("head", head), ("clip", clip), *tower, ("features", features), ("bias", bias), *extra),
                      sizes, notes)


def build(cfg: Config, layout: Layout) -> Spec:
    """The decoder's Spec with the tower, the projector and ``layout``'s parts beside it."""
    return built(read(cfg, layout, plain=False), layout)


def built(reading: Reading, layout: Layout) -> Spec:
    """The tree of a config read by :func:`read`."""
    import sympy

    from ..components import Linear, Norm, Parameter
    from ..components.tower import Tower
    from ..symbols import D, D_vis

    shape = dict(reading.shape)
    width = sympy.Integer(shape["features"]) * D_vis
    bias = shape["bias"]
    tower, relations, constraints = (_pixtral.tower(), (), ()) if shape.get("pixtral") else \
        _siglip.tower(shape["head"], clip=shape["clip"])
    norm = (Norm("projector_layernorm", width, kind="layer", weight=True, bias=True, group="vision"),)
    projector = Tower("multi_modal_projector", (
        *(norm if layout.norm else ()),
        Linear("linear_1", width, D, bias=bias, group="vision"),
        Linear("linear_2", D, D, bias=bias, group="vision"),
    ), group="vision", label="projector from the tower's features to the decoder's width")
    towers: tuple[Tower, ...] = (tower, projector)
    if layout.newline:
        towers += (Tower("image_newline", (Parameter("image_newline", (D,), group="vision"),), group="vision",
                         label="a learned vector closing each row of image features"),)
    extra = layout.extra[1](shape) if layout.extra is not None else ()
    return built_with_towers(reading, layout.family, layout.label, (*towers, *extra), relations, constraints)


def reader(layout: Layout) -> Callable[[Config], Reading]:
    """``Family.read`` of a layout: :func:`read`, to plain data only."""
    def plain(cfg: Config) -> Reading:
        return read(cfg, layout)
    return plain


LLAVA = Layout("llava", "LLaVA vision-language model", pixtral=True)
NEXT = Layout("llava_next", "LLaVA-NeXT vision-language model", either_tie=False, newline=True)


def from_config(cfg: Config) -> Spec:
    return build(cfg, LLAVA)


def next_from_config(cfg: Config) -> Spec:
    return build(cfg, NEXT)


_REFUSED = ("decoders other than " + ", ".join(DECODERS) + "; vision towers other than CLIP's and "
            "SigLIP's; feature layers the tower lacks")

FAMILY = wrapper(
    "llava",
    "LLaVA: a decoder, a CLIP (SigLIP, Pixtral) vision tower and a two-layer projector",
    from_config, FIELDS, "LlavaForConditionalGeneration",
    refused=_REFUSED.replace("CLIP's and SigLIP's", "CLIP's, SigLIP's and Pixtral's"), read=reader(LLAVA),
)

NEXT_FAMILY = wrapper(
    "llava_next",
    "LLaVA-NeXT: LLaVA's parts and a learned image-newline vector",
    next_from_config, FIELDS, "LlavaNextForConditionalGeneration",
    refused=_REFUSED, read=reader(NEXT),
)
