"""Gemma 3 as released (model_type ``gemma3``): the Gemma 3 decoder with a SigLIP vision tower and a projector.

transformers' ``Gemma3ForConditionalGeneration`` holds three parts:
- the language model its ``text_config`` describes, read field by field as a ``gemma3_text``
  file (:mod:`.gemma3`); a missing or null ``text_config`` is Gemma3TextConfig's defaults, and
  the ``model_type`` inside it is not read;
- the vision tower its ``vision_config`` describes (:mod:`._siglip`; missing or null: SigLIP's
  defaults, with its pooling head);
- ``Gemma3MultiModalProjector``: an RMSNorm of D_vis (``mm_soft_emb_norm``) and a D_vis x D
  matrix (``mm_input_projection_weight``) that maps pooled patches into the decoder's width.

Whether the LM head shares the embedding is the top level's ``tie_word_embeddings`` (true by
default; null unties it), not the text config's. The projector pools the patches of a side
to int(sqrt(``mm_tokens_per_image``)) tokens; a config whose image has fewer patches a side
builds a pooling of kernel 0, which no image runs through, and is refused. The parameters
count all three parts; every per-token reading (active weights, FLOPs, KV cache,
activations) is the language model's, since the tower and projector run once per image.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, Fields, printable, short
from . import _siglip
from ._gemma_family import GEMMA_GROUPS
from .registry import Family

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config"]

TOWERS = ("vision_tower", "multi_modal_projector")


class _Fields(Fields):
    """The wrapper's fields; a transformers parameter under the tower or projector is in the ``vision`` group."""

    def group(self, param_name: str) -> str:
        if any(part in TOWERS for part in param_name.split(".")):
            return "vision"
        return super().group(param_name)


# transformers 5.x Gemma3Config (its text_config read by the gemma3_text family's own table)
FIELDS = _Fields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("mm_tokens_per_image", 256),
    groups=GEMMA_GROUPS,
)

NOTE = ("the vision tower and projector run once per image: they are in the parameter count, and every "
        "per-token reading (active, FLOPs, KV cache, activations) is the language model's")


def _tied(cfg: Config) -> bool:
    """The top level's ``tie_word_embeddings``: true when missing, and null (which transformers keeps) unties."""
    value = cfg.data.get("tie_word_embeddings", True)
    if value is not None and not isinstance(value, bool):
        raise cfg.error("tie_word_embeddings", f"expected true or false, got {short(value)}")
    return bool(value)


def from_config(cfg: Config) -> Spec:
    """The decoder's Spec with the vision tower and projector beside it, their symbols and rules added."""
    import sympy

    from ..components import Model, Norm, Parameter
    from ..components.tower import Tower
    from ..spec import AtMost
    from ..symbols import SYMBOLS, D, D_vis, N_img, S_img, p_img
    from . import FAMILIES

    vision = Config(dict(cfg.get("vision_config")), f"{cfg.source} vision_config", _siglip.FIELDS)
    sizes, head = _siglip.read(vision)
    tokens = cfg.get("mm_tokens_per_image")
    side, patches = int(tokens ** 0.5), sizes["S_img"] // sizes["p_img"]
    if patches < side:
        raise cfg.error("mm_tokens_per_image", f"{tokens} pools each image to {side} tokens a side, but it has "
                                               f"{patches} patches a side: the pooling kernel would be 0")
    given = cfg.get("text_config")
    inner = {**given, "model_type": "gemma3_text", "tie_word_embeddings": _tied(cfg)}
    text = FAMILIES.from_dict(inner, f"{cfg.source} text_config")
    notes = [NOTE]
    if given.get("model_type", "gemma3_text") != "gemma3_text":
        notes.insert(0, f"text_config's model_type {printable(short(given['model_type']))} is not read: Gemma3Config "
                        "reads its text_config as Gemma 3's, and so does symparams")
    tower, relations, constraints = _siglip.tower(head)
    projector = Tower("multi_modal_projector", (
        Norm("mm_soft_emb_norm", D_vis, weight=True, offset=True, group="vision"),
        Parameter("mm_input_projection_weight", (D_vis, D), group="vision"),
    ), group="vision", label="projector from the tower's width to the decoder's")
    tree = Model("gemma3", (*text.tree.parts, tower, projector), label="Gemma 3 vision-language model")
    values = text.values + tuple((SYMBOLS[name], sympy.Integer(v)) for name, v in sizes.items())
    pooled = AtMost(sympy.Integer(side), sympy.floor(S_img / p_img), "the projector pools each image to this many "
                    "tokens a side, at most its patches a side")
    return replace(text, tree=tree, values=values, relations=text.relations + relations,
                   constraints=text.constraints + constraints + (pooled,), kept=(*text.kept, N_img), notes=(*text.notes, *notes))


FAMILY = Family(
    name="gemma3",
    summary="Gemma 3 as released (4B and up): the Gemma 3 decoder, a SigLIP vision tower and its projector",
    model_types=("gemma3",),
    fields=FIELDS,
    build=from_config,
    context=None,
    rotary="none",
    lacks=("max_position_embeddings", "num_attention_heads"),
    same_parameters=("Gemma3ForConditionalGeneration",),
    refused="vision towers other than SigLIP's; per-image compute (per-token readings are the decoder's)",
)
