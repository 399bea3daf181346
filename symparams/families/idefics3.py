"""Idefics 3 and SmolVLM (model_types ``idefics3``, ``smolvlm``): a SigLIP-like tower, a pixel-shuffle connector, a decoder.

transformers' ``Idefics3ForConditionalGeneration`` (and ``SmolVLMForConditionalGeneration``,
the same modules) holds:
- ``vision_model``: SigLIP's encoder without its pooling head (:mod:`._siglip`): a patch
  convolution with a bias, N_img = floor(S_img/p_img)^2 learned positions, L_vis layers and a
  final LayerNorm. Its config class is the wrapper's own (``idefics3_vision``,
  ``smolvlm_vision``), whatever ``model_type`` the object names;
- ``connector.modality_projection.proj``: the pixel shuffle regroups s x s neighbouring
  patches (s = ``scale_factor``) into one feature of D_vis*s^2, projected to D without a bias.
  The patches a side must be a multiple of s, or no image runs through it, and the file is
  refused;
- the language model its ``text_config`` describes, read by the model type that object names
  (``llama`` where it names none or is missing), beside a bias-free ``lm_head`` of the
  wrapper's own (:data:`.llava.DECODERS`, the decoders whose causal LM is exactly that).

The head is tied where the top level's ``tie_word_embeddings`` says (false by default; null
refused), whatever the text config says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, Fields
from . import _siglip
from ._gemma_family import GEMMA_GROUPS
from ._qwen_config import GROUPS
from ._vision_language import TowerFields, built_with_towers, check_decoder, decoder_reading, sub_config, with_sizes, wrapper
from .llava import DECODERS

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "SMOLVLM_FAMILY", "FIELDS", "VISION_FIELDS", "from_config", "smolvlm_from_config"]

# transformers 5.x Idefics3Config and SmolVLMConfig (their text_config read by the family of the model type it names)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("scale_factor", 2),
    towers=("vision_model", "connector"),
    groups={**GROUPS, **GEMMA_GROUPS},
)

# transformers 5.x Idefics3VisionConfig and SmolVLMVisionConfig
VISION_FIELDS = Fields(
    Field("hidden_size", 1152),
    Field("intermediate_size", 3072),
    Field("num_hidden_layers", 12),
    Field("num_attention_heads", 16),
    Field("num_channels", 3),
    Field("image_size", 224),
    Field("patch_size", 32),
    Field("hidden_act", "gelu_pytorch_tanh", kind="str"),
)


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and the decoder read to plain data (``plain`` false: a learned decoder is built), every
    check made."""
    check_decoder(cfg, "llama", DECODERS)
    sizes, _ = _siglip.read(sub_config(cfg, "vision_config", VISION_FIELDS), named=False)
    scale = cfg.get("scale_factor")
    side = sizes["S_img"] // sizes["p_img"]
    if side % scale:
        raise cfg.error("scale_factor", f"{scale} does not divide the {side} patches a side: the pixel shuffle "
                                        "cannot regroup them, so no image runs through it")
    text, notes = decoder_reading(cfg, "llama", cfg.get("tie_word_embeddings"), own_type=True, plain=plain)
    return with_sizes(text, (("scale", scale),), sizes, notes)


def _built(reading: Reading, family: str, label: str) -> Spec:
    import sympy

    from ..components import Linear
    from ..components.tower import Tower
    from ..symbols import D, D_vis

    tower, relations, constraints = _siglip.tower(False)
    scale = dict(reading.shape)["scale"]
    connector = Tower("connector", (Linear("proj", sympy.Integer(scale**2) * D_vis, D, group="vision"),),
                      group="vision", label="pixel-shuffle connector: s x s patches to one token of the decoder's width")
    return built_with_towers(reading, family, label, (tower, connector), relations, constraints)


def from_config(cfg: Config) -> Spec:
    return _built(read(cfg, plain=False), "idefics3", "Idefics 3 vision-language model")


def smolvlm_from_config(cfg: Config) -> Spec:
    return _built(read(cfg, plain=False), "smolvlm", "SmolVLM vision-language model")


_REFUSED = ("decoders other than " + ", ".join(DECODERS) + "; a scale_factor that does not divide the "
            "patches a side")

FAMILY = wrapper(
    "idefics3",
    "Idefics 3: a SigLIP encoder, a pixel-shuffle connector and a decoder (Llama 3 as released)",
    from_config, FIELDS, "Idefics3ForConditionalGeneration",
    refused=_REFUSED, read=read,
)

SMOLVLM_FAMILY = wrapper(
    "smolvlm",
    "SmolVLM: Idefics 3's layout with a SmolLM decoder",
    smolvlm_from_config, FIELDS, "SmolVLMForConditionalGeneration",
    refused=_REFUSED, read=read,
)
