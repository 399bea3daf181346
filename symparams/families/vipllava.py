"""VipLLaVA (model_type ``vipllava``): LLaVA's parts with a LayerNorm before the projector over five feature layers.

transformers' ``VipLlavaForConditionalGeneration`` builds LLaVA's modules (:mod:`.llava`): the
vision tower ``vision_config`` names (CLIP ViT-L/14 at 336 pixels where missing or null), the
language model ``text_config`` names (``llama`` where it names none) beside a bias-free
``lm_head`` of its own, and a projector whose ``projector_layernorm`` (weight and bias) normalises
the features of every layer ``vision_feature_layer`` names (five by default: -2, -5, -8, -11
and 6, all of which a tower of fewer than 11 layers lacks) before ``linear_1`` and ``linear_2``,
both always with biases.

Its config class forwards no tie from the text config: the head is tied where the top level's
``tie_word_embeddings`` says (false by default; null refused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field
from . import llava
from ._vision_language import TowerFields, wrapper

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x VipLlavaConfig (its text_config read by the family of the model type it names)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("projector_hidden_act", "gelu", kind="str"),
    Field("vision_feature_layer", [-2, -5, -8, -11, 6], aliases=("vision_feature_layers",), kind="any",
          types=("int", "list")),
    towers=("vision_tower", "multi_modal_projector"),
    groups=llava.FIELDS.groups,
)

LAYOUT = llava.Layout("vipllava", "VipLLaVA vision-language model", either_tie=False, norm=True)


def from_config(cfg: Config) -> Spec:
    return llava.build(cfg, LAYOUT)


FAMILY = wrapper(
    "vipllava",
    "VipLLaVA: LLaVA's parts, the projector normalising the features of five tower layers",
    from_config, FIELDS, "VipLlavaForConditionalGeneration",
    refused="decoders other than " + ", ".join(llava.DECODERS) + "; vision towers other than CLIP's and SigLIP's; "
            "feature layers the tower lacks",
    read=llava.reader(LAYOUT),
)
