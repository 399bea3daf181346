"""LLaVA and LLaVA-NeXT (model_types ``llava``, ``llava_next``): a decoder, a CLIP or SigLIP vision tower, a projector.

transformers' ``LlavaForConditionalGeneration`` holds:
- the language model its ``text_config`` describes, read by the model type that object names
  (``llama`` where it names none, as transformers' AutoConfig reads it; missing or null:
  LlamaConfig's defaults), with that family's every check (:mod:`._vision_language`). The
  wrapper builds that model type's base model and a bias-free ``lm_head`` of its own, so the
  decoders counted here are those whose causal LM is exactly that (:data:`DECODERS`); others
  are refused;
- the vision tower its ``vision_config`` describes: CLIP's (``clip_vision_model``, the
  default) or SigLIP's (:mod:`._siglip`); missing or null: the class's CLIP ViT-L/14 at 336
  pixels (:data:`ABSENT`);
- ``LlavaMultiModalProjector``: ``linear_1`` from D_vis times the number of layers
  ``vision_feature_layer`` takes features from to D, an activation, ``linear_2`` of D x D,
  both with biases where ``multimodal_projector_bias`` (true by default);
- LLaVA-NeXT adds ``image_newline``, one vector of D.

LLaVA's head is tied where the top level's ``tie_word_embeddings`` is true (false by default;
null refused) or where the text config's own is (its class's default where it states none:
Gemma's is true), as LlavaConfig makes it; LLaVA-NeXT's config class reads the top level's
alone. ``vision_feature_layer`` indexes the tower's
L_vis + 1 hidden states; an index past them is refused, since no image runs through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, printable, short
from . import _siglip
from ._gemma_family import GEMMA_GROUPS
from ._qwen_config import GROUPS
from ._vision_language import WRAPPER, TowerFields, decoder, sub_config, with_towers
from .registry import Family

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "NEXT_FAMILY", "FIELDS", "ABSENT", "DECODERS", "from_config", "next_from_config"]

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

# Decoders whose causal LM is their base model and a bias-free lm_head over embed_tokens, as LLaVA builds them.
DECODERS = ("llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "phi3")


def _features(cfg: Config, layers: int) -> int:
    """How many of the tower's hidden states (L_vis + 1 of them) the projector takes: ``vision_feature_layer``."""
    value = cfg.get("vision_feature_layer")
    listed = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not (isinstance(listed, list) and listed and all(isinstance(v, int) and not isinstance(v, bool)
                                                        for v in listed)):
        raise cfg.error("vision_feature_layer", f"expected a layer index or a non-empty list of them, got "
                                                f"{short(value)}")
    for i in listed:
        if not -(layers + 1) <= i <= layers:
            raise cfg.error("vision_feature_layer", f"takes hidden state {i}, but a tower of {layers} layers has "
                                                    f"{layers + 1}: no image runs through it")
    return len(listed)


def _build(cfg: Config, family: str, label: str, next_: bool) -> Spec:
    import sympy

    from ..components import Linear, Parameter
    from ..components.tower import Tower
    from ..symbols import D, D_vis
    from .activations import activation

    given = cfg.data.get("text_config")
    stated = given.get("model_type", "llama") if isinstance(given, dict) else "llama"
    if stated not in DECODERS:
        raise cfg.error("text_config", f"its model_type {printable(short(stated))} is not one symparams counts inside "
                                       f"{cfg.model_type}, whose head is a bias-free lm_head of its own beside that "
                                       f"model type's base model ({', '.join(DECODERS)})")
    raw = cfg.data.get("vision_config")
    vision = sub_config(cfg, "vision_config", _siglip.CLIP_FIELDS)
    if not isinstance(raw, dict):
        vision.data = dict(ABSENT)
    clip = vision.data.get("model_type", _siglip.CLIP_TYPE) != _siglip.MODEL_TYPE
    if not clip:
        vision.fields = _siglip.FIELDS
    sizes, head = _siglip.read(vision, clip=clip)
    features = _features(cfg, sizes["L_vis"])
    bias = cfg.get("multimodal_projector_bias")
    activation(cfg, "projector_hidden_act")
    cfg.get("vision_feature_select_strategy")
    tied = cfg.get("tie_word_embeddings")
    text, notes = decoder(cfg, "llama", tied if next_ else (True if tied else None), own_type=True)
    tower, relations, constraints = _siglip.tower(head, clip=clip)
    projector = Tower("multi_modal_projector", (
        Linear("linear_1", sympy.Integer(features) * D_vis, D, bias=bias, group="vision"),
        Linear("linear_2", D, D, bias=bias, group="vision"),
    ), group="vision", label="projector from the tower's features to the decoder's width")
    towers: tuple[Tower, ...] = (tower, projector)
    if next_:
        towers += (Tower("image_newline", (Parameter("image_newline", (D,), group="vision"),), group="vision",
                         label="a learned vector closing each row of image features"),)
    return with_towers(text, family, label, towers, sizes, relations, constraints, (), notes)


def from_config(cfg: Config) -> Spec:
    return _build(cfg, "llava", "LLaVA vision-language model", next_=False)


def next_from_config(cfg: Config) -> Spec:
    return _build(cfg, "llava_next", "LLaVA-NeXT vision-language model", next_=True)


_COMMON = dict(fields=FIELDS, **WRAPPER,
               refused="decoders other than " + ", ".join(DECODERS) + "; vision towers other than CLIP's and "
                       "SigLIP's; feature layers the tower lacks; per-image compute (per-token readings are the "
                       "decoder's)")

FAMILY = Family(
    name="llava",
    summary="LLaVA: a decoder, a CLIP (or SigLIP) vision tower and a two-layer projector",
    model_types=("llava",),
    build=from_config,
    same_parameters=("LlavaForConditionalGeneration",),
    model_class="LlavaForConditionalGeneration",
    **_COMMON,  # type: ignore[arg-type]
)

NEXT_FAMILY = Family(
    name="llava_next",
    summary="LLaVA-NeXT: LLaVA's parts and a learned image-newline vector",
    model_types=("llava_next",),
    build=next_from_config,
    same_parameters=("LlavaNextForConditionalGeneration",),
    model_class="LlavaNextForConditionalGeneration",
    **_COMMON,  # type: ignore[arg-type]
)
