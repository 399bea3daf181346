"""Gemma 3 as released (model_type ``gemma3``): the Gemma 3 decoder with a SigLIP vision tower and a projector.

transformers' ``Gemma3ForConditionalGeneration`` holds three parts:
- the language model its ``text_config`` describes, read field by field as a ``gemma3_text``
  file (:mod:`.gemma3`, :mod:`._vision_language`); a missing or null ``text_config`` is
  Gemma3TextConfig's defaults;
- the vision tower its ``vision_config`` describes (:mod:`._siglip`; missing or null: SigLIP's
  defaults, with its pooling head);
- ``Gemma3MultiModalProjector``: an RMSNorm of D_vis (``mm_soft_emb_norm``) and a D_vis x D
  matrix (``mm_input_projection_weight``) that maps pooled patches into the decoder's width.

Whether the LM head shares the embedding is the top level's ``tie_word_embeddings`` (true by
default; null unties it), not the text config's. The projector pools the patches of a side
to int(sqrt(``mm_tokens_per_image``)) tokens; a config whose image has fewer patches a side
builds a pooling of kernel 0, which no image runs through, and is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, Config, Field
from . import _siglip
from ._gemma_family import GEMMA_GROUPS
from ._vision_language import TowerFields, built_with_towers, decoder_reading, sub_config, with_sizes, wrapper

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x Gemma3Config (its text_config read by the gemma3_text family's own table)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("mm_tokens_per_image", 256),
    Field("tie_word_embeddings", True, null=DERIVED, kind="bool"),
    towers=("vision_tower", "multi_modal_projector"),
    groups=GEMMA_GROUPS,
)


def _tied(cfg: Config) -> bool:
    """The top level's ``tie_word_embeddings``: true when missing, and null (which transformers keeps) unties."""
    value = cfg.get("tie_word_embeddings")
    return value is not DERIVED and value


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and the decoder read to plain data (``plain`` false: a learned decoder is built), every
    check made."""
    sizes, head = _siglip.read(sub_config(cfg, "vision_config", _siglip.FIELDS))
    tokens = cfg.get("mm_tokens_per_image")
    side, patches = int(tokens ** 0.5), sizes["S_img"] // sizes["p_img"]
    if patches < side:
        raise cfg.error("mm_tokens_per_image", f"{tokens} pools each image to {side} tokens a side, but it has "
                                               f"{patches} patches a side: the pooling kernel would be 0")
    text, notes = decoder_reading(cfg, "gemma3_text", _tied(cfg), plain=plain)
    return with_sizes(text, (("head", head), ("side", side)), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the vision tower and projector beside it, their symbols and rules added."""
    import sympy

    from ..components import Norm, Parameter
    from ..components.tower import Tower
    from ..spec import AtMost
    from ..symbols import D, D_vis, N_img, S_img, p_img

    shape = dict(reading.shape)
    tower, relations, constraints = _siglip.tower(shape["head"])
    projector = Tower("multi_modal_projector", (
        Norm("mm_soft_emb_norm", D_vis, weight=True, offset=True, group="vision"),
        Parameter("mm_input_projection_weight", (D_vis, D), group="vision"),
    ), group="vision", label="projector from the tower's width to the decoder's")
    pooled = AtMost(sympy.Integer(shape["side"]), sympy.floor(S_img / p_img), "the projector pools each image to this "
                    "many tokens a side, at most its patches a side")
    return built_with_towers(reading, "gemma3", "Gemma 3 vision-language model", (tower, projector), relations,
                             constraints + (pooled,), (N_img,))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "gemma3",
    "Gemma 3 as released (4B and up): the Gemma 3 decoder, a SigLIP vision tower and its projector",
    from_config, FIELDS, "Gemma3ForConditionalGeneration",
    refused="vision towers other than SigLIP's", counted_as_class=False, read=read,
)
