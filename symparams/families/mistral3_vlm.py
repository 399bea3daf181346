"""Mistral 3 as released (model_type ``mistral3``): a decoder, Pixtral's vision tower and Mistral 3's projector.

transformers' ``Mistral3ForConditionalGeneration`` (Mistral Small 3.1 and 3.2) holds the
language model its ``text_config`` describes, read by the model type that object names
(``mistral`` where it names none: transformers' AutoConfig), with that family's every check
(:mod:`._vision_language`), beside a bias-free ``lm_head`` of the wrapper's own (whatever the
head of that model type's causal LM has). A missing or null ``text_config`` is what Mistral3Config makes of
it, Mistral Small 3.1's decoder (``ABSENT``), not MistralConfig's defaults. The vision tower
and projector are :mod:`._pixtral`'s. Whether the LM head shares the embedding is the top
level's ``tie_word_embeddings`` (true by default; null is refused, as transformers refuses
it), not the text config's. transformers' ``AutoModelForCausalLM`` builds no model from these
configs; the files name ``Mistral3ForConditionalGeneration``, which is what is counted and
verified.

The projector normalises and merges one layer's features (its RMSNorm and patch merger are
D_vis wide, though its first linear layer widens with each layer listed): a
``vision_feature_layer`` naming several layers, one the tower lacks, or a bare 0 (no hidden
states, to transformers) builds a model no image runs through, and is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, printable, short
from . import _pixtral
from ._qwen_config import GROUPS
from ._vision_language import (
    TowerFields,
    built_text,
    built_with_towers,
    decoder_reading,
    feature_layers,
    sub_config,
    with_sizes,
    wrapper,
)

if TYPE_CHECKING:
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "ABSENT", "read", "build", "from_config"]

# transformers 5.x Mistral3Config (its text_config read by the family of the model type it names)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("spatial_merge_size", 2),
    Field("multimodal_projector_bias", False, kind="bool"),
    Field("projector_hidden_act", "gelu", kind="str"),
    Field("vision_feature_layer", -1, kind="any", types=("int", "list")),
    towers=("vision_tower", "multi_modal_projector"),
    groups={**GROUPS, "q_a_layernorm": "norm", "kv_a_layernorm": "norm"},  # a latent-attention decoder's (Mistral 4)
)

# What Mistral3Config makes of a missing or null text_config (its sub-config's init_kwargs).
ABSENT = {"attention_dropout": 0.0, "head_dim": 128, "hidden_act": "silu", "hidden_size": 5120, "initializer_range": 0.02,
          "intermediate_size": 32768, "max_position_embeddings": 131072, "model_type": "mistral",
          "num_attention_heads": 32, "num_hidden_layers": 40, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
          "rope_theta": 1000000000.0, "sliding_window": None, "use_cache": True, "vocab_size": 131072}


def _check_decoder_type(cfg: Config) -> None:
    """Refuse a text_config whose model type's config class holds no ``rms_norm_eps``: the projector's norm reads it
    there, so transformers builds no model (a LayerNorm decoder's, GPT-2's; another vision-language model's)."""
    from .field_types import of_type

    given = cfg.data.get("text_config")
    stated = given.get("model_type", "mistral") if isinstance(given, dict) else "mistral"
    entry = of_type(stated) if isinstance(stated, str) else None
    if entry is not None and "rms_norm_eps" not in entry["fields"]:
        raise cfg.error("text_config", f"its model_type {printable(short(stated))} has no rms_norm_eps, which Mistral "
                                       "3's projector reads from it: transformers builds no model")


def _bias_free_head(text: Spec) -> Spec:
    """The decoder with the wrapper's own head: Mistral 3 builds the text model type's base model and a bias-free
    ``lm_head`` beside it, so a decoder whose causal LM's head has a bias (ERNIE 4.5's ``use_bias``, GPT-J's) has
    none here."""
    from dataclasses import replace

    from ..components import Linear

    parts = tuple(replace(p, bias=False) if isinstance(p, Linear) and p.group == "head" else p
                  for p in text.tree.parts)
    return replace(text, tree=replace(text.tree, parts=parts))


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's sizes and the decoder read to plain data (``plain`` false: a learned decoder is built), every
    check made."""
    from .activations import activation

    vision = sub_config(cfg, "vision_config", _pixtral.FIELDS)
    if not isinstance(cfg.data.get("vision_config"), dict):
        vision.data = dict(_pixtral.ABSENT)
    sizes = _pixtral.read(vision)
    sizes["m_img"] = cfg.get("spatial_merge_size")
    activation(cfg, "projector_hidden_act")
    features, bias = feature_layers(cfg, sizes["L_vis"]), cfg.get("multimodal_projector_bias")
    if features != 1:
        raise cfg.error("vision_feature_layer", f"takes the features of {features} layers, but the projector's RMSNorm "
                                                "and patch merger take one layer's: no image runs through it")
    _check_decoder_type(cfg)
    text, notes = decoder_reading(cfg, "mistral", cfg.get("tie_word_embeddings"), own_type=True, absent=ABSENT,
                                  plain=plain)
    return with_sizes(text, (("features", features), ("bias", bias)), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the vision tower and projector beside it, their symbols added."""
    shape = dict(reading.shape)
    return built_with_towers(reading, "mistral3", "Mistral 3 vision-language model",
                             (_pixtral.tower(), _pixtral.projector(shape["features"], shape["bias"])), (), (),
                             text=_bias_free_head(built_text(reading)))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "mistral3",
    "Mistral 3 as released (Mistral Small 3.1/3.2): a decoder, Pixtral's vision tower and the projector",
    from_config, FIELDS, "Mistral3ForConditionalGeneration",
    refused="vision towers other than Pixtral's; feature layers no image runs through (several, one the tower "
            "lacks, a bare 0)",
    read=read,
)
