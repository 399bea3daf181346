"""LLaVA-OneVision and LLaVA-NeXT-Video (model_types ``llava_onevision``, ``llava_next_video``): LLaVA-NeXT, other defaults.

transformers' ``LlavaOnevisionForConditionalGeneration`` builds LLaVA-NeXT's modules
(:mod:`.llava`): the vision tower ``vision_config`` names, the two-layer projector, the
image-newline vector and the language model ``text_config`` names, beside a bias-free
``lm_head`` of its own. Its config class differs in its defaults: a ``text_config`` naming no
model type is Qwen2's; a missing or null ``vision_config`` is SigLIP So400m/14 at 384 pixels
without its pooling head (:data:`ABSENT`); the projector takes the last hidden state
(``vision_feature_layer`` -1) with every patch (``vision_feature_select_strategy`` "full").

``LlavaNextVideoForConditionalGeneration`` is LLaVA-NeXT's with LLaVA's defaults and a
``vision_resampler`` that pools the tower's features of each video frame by
``spatial_pool_stride``: ``average`` and ``max`` pooling have no weights; ``conv`` is a
convolution from D_vis to ``spatial_pool_out_channels`` (D_vis where the file states none) of
kernel and stride ``spatial_pool_stride``, with a bias.

Both config classes tie the head where the top level's ``tie_word_embeddings`` is true (false
by default; null refused) or where the text config's own is (its class's default where it
states none), as LLaVA's does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ..config import DEFAULT, Config, Field
from . import llava
from ._vision_language import TowerFields, wrapper

if TYPE_CHECKING:
    from ..components.tower import Tower
    from ..spec import Spec

__all__ = ["FAMILY", "VIDEO_FAMILY", "FIELDS", "VIDEO_FIELDS", "ABSENT", "from_config", "video_from_config"]

# What LlavaOnevisionConfig makes of a missing or null vision_config (its sub-config's init_kwargs).
ABSENT = {"model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304, "patch_size": 14,
          "image_size": 384, "num_hidden_layers": 26, "num_attention_heads": 16, "vision_use_head": False}

# transformers 5.x LlavaOnevisionConfig (its text_config read by the family of the model type it names)
FIELDS = TowerFields(
    *(f for f in llava.FIELDS if f.name not in ("vision_feature_layer", "vision_feature_select_strategy")),
    Field("vision_feature_layer", -1, kind="any", types=("int", "list")),
    Field("vision_feature_select_strategy", "full", kind="str", choices=("default", "full")),
    towers=("vision_tower", "multi_modal_projector", "image_newline"),
    groups=llava.FIELDS.groups,
)

# transformers 5.x LlavaNextVideoConfig; spatial_pool_out_channels is no field of the class, which its resampler reads
# where a file states it
VIDEO_FIELDS = TowerFields(
    *llava.FIELDS,
    Field("spatial_pool_mode", "average", kind="str", choices=("average", "max", "conv")),
    Field("spatial_pool_stride", 2),
    Field("spatial_pool_out_channels", None, null=DEFAULT, sized=True),
    towers=("vision_tower", "multi_modal_projector", "image_newline", "vision_resampler"),
    groups=llava.FIELDS.groups,
)


def _resampler(cfg: Config) -> tuple[tuple[str, Any], ...]:
    """LLaVA-NeXT-Video's pooling of each frame's features, as a shape entry: (stride, channels or None for the
    tower's width) where it is a convolution, else None (no weights)."""
    mode, stride = cfg.get("spatial_pool_mode"), cfg.get("spatial_pool_stride")
    null, out = cfg.is_null("spatial_pool_out_channels"), cfg.get("spatial_pool_out_channels")
    if mode != "conv":
        return (("pool", None),)
    if null:
        raise cfg.error("spatial_pool_out_channels", "is null; the resampler's convolution needs a number of "
                                                     "channels (leave the field out for the tower's width)")
    return (("pool", (stride, out)),)


def _resampler_tower(shape: Mapping[str, Any]) -> tuple[Tower, ...]:
    """The resampler :func:`_resampler` read: a convolution's weights, or none."""
    import sympy

    from ..components.tower import Patches, Tower
    from ..symbols import D_vis

    if shape["pool"] is None:
        return ()
    stride, out = shape["pool"]
    pool = Patches("pool", D_vis, sympy.Integer(stride), D_vis if out is None else sympy.Integer(out))
    return (Tower("vision_resampler", (pool,), group="vision",
                  label="convolution pooling each video frame's features"),)


ONEVISION = llava.Layout("llava_onevision", "LLaVA-OneVision vision-language model", text="qwen2", absent=ABSENT,
                         newline=True)
VIDEO = llava.Layout("llava_next_video", "LLaVA-NeXT-Video vision-language model", newline=True,
                     extra=(_resampler, _resampler_tower))


def from_config(cfg: Config) -> Spec:
    return llava.build(cfg, ONEVISION)


def video_from_config(cfg: Config) -> Spec:
    return llava.build(cfg, VIDEO)


_REFUSED = ("decoders other than " + ", ".join(llava.DECODERS) + "; vision towers other than CLIP's and SigLIP's; "
            "feature layers the tower lacks")

FAMILY = wrapper(
    "llava_onevision",
    "LLaVA-OneVision: LLaVA-NeXT's parts with a SigLIP tower and a Qwen2 decoder by default",
    from_config, FIELDS, "LlavaOnevisionForConditionalGeneration",
    refused=_REFUSED, read=llava.reader(ONEVISION),
)

VIDEO_FAMILY = wrapper(
    "llava_next_video",
    "LLaVA-NeXT-Video: LLaVA-NeXT's parts and a resampler pooling each frame (a convolution, or no weights)",
    video_from_config, VIDEO_FIELDS, "LlavaNextVideoForConditionalGeneration",
    refused=_REFUSED + "; a resampler mode other than average, max and conv (transformers raises)",
    read=llava.reader(VIDEO),
)
