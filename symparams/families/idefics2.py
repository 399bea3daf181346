"""Idefics 2 (model_type ``idefics2``): a SigLIP encoder, a perceiver-resampler connector and a decoder.

transformers' ``Idefics2ForConditionalGeneration`` holds:
- ``vision_model``: SigLIP's encoder without its pooling head (:mod:`._siglip`): a patch
  convolution with a bias, N_img = floor(S_img/p_img)^2 learned positions, L_vis layers and a
  final LayerNorm. Its config class is the wrapper's own (``idefics2_vision``), whatever
  ``model_type`` the object names;
- ``connector``: a bias-free gated MLP from D_vis through the decoder's own F to D
  (``modality_projection``), then a perceiver resampler of the decoder's width: N_lat learned
  latents, L_r layers (RMSNorms on the latents and on the image features, a bias-free attention of
  the latents to both with H_r query and H_kv_r key/value heads of d_r, an RMSNorm and a gated MLP
  of 4 D) and a final RMSNorm. transformers makes the resampler as wide as the decoder whatever its
  config says, so its ``hidden_size`` is not read;
- the language model its ``text_config`` describes, read by the model type that object names
  (``mistral`` where it names none; a missing or null one is Mistral with the class's own
  context), beside a bias-free ``lm_head`` of the wrapper's own (:data:`.llava.DECODERS`).

The head is tied where the top level's ``tie_word_embeddings`` says (false by default; null
refused). Resampler key/value heads that do not divide its query heads are refused: transformers
builds them, but no image runs through the attention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, Fields, printable, short
from . import _siglip
from ._gemma_family import GEMMA_GROUPS
from ._qwen_config import GROUPS
from ._vision_language import (
    TowerFields,
    Unread,
    built_text,
    built_with_towers,
    check_decoder,
    decoder_reading,
    sub_config,
    typed_as,
    with_sizes,
    wrapper,
)
from .llava import DECODERS

if TYPE_CHECKING:
    from ..components import Module
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "VISION_FIELDS", "PERCEIVER_FIELDS", "VISION_TYPE", "PERCEIVER_TYPE", "ABSENT",
           "read", "build", "from_config"]

VISION_TYPE = "idefics2_vision"
PERCEIVER_TYPE = "idefics2_perceiver"

# What Idefics2Config makes of a missing or null text_config: Mistral, with these of its own.
ABSENT = {"model_type": "mistral", "max_position_embeddings": 4096 * 8, "rms_norm_eps": 1e-5, "pad_token_id": 0}

# transformers 5.x Idefics2Config (its text_config read by the family of the model type it names)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("perceiver_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", False, kind="bool"),
    towers=("vision_model", "connector"),
    groups={**GROUPS, **GEMMA_GROUPS},
)

# transformers 5.x Idefics2VisionConfig: SigLIP's defaults but for its patch
VISION_FIELDS = Fields(*_siglip.ENCODER, Field("patch_size", 32), Field("hidden_act", "gelu_pytorch_tanh", kind="str"))

# transformers 5.x Idefics2PerceiverConfig (its hidden_size is the decoder's, whatever it says)
PERCEIVER_FIELDS = Fields(
    Field("hidden_act", "silu", kind="str"),
    Field("resampler_n_latents", 64),
    Field("resampler_depth", 3),
    Field("resampler_n_heads", 16),
    Field("resampler_head_dim", 96),
    Field("num_key_value_heads", 4),
)


def _perceiver(cfg: Config) -> dict[str, int]:
    """The resampler's sizes by symbol name; every check that lets an image run through it."""
    from .activations import activation

    perceiver = typed_as(sub_config(cfg, "perceiver_config", PERCEIVER_FIELDS), PERCEIVER_TYPE)
    activation(perceiver, "hidden_act")
    sizes = {name: perceiver.get(key) for name, key in (
        ("N_lat", "resampler_n_latents"), ("L_r", "resampler_depth"), ("H_r", "resampler_n_heads"),
        ("H_kv_r", "num_key_value_heads"), ("d_r", "resampler_head_dim"))}
    if sizes["H_r"] % sizes["H_kv_r"]:
        raise perceiver.error("num_key_value_heads", f"{sizes['H_kv_r']} key/value heads do not divide "
                                                     f"{sizes['H_r']} query heads: no image runs through it "
                                                     "(transformers builds it)")
    return sizes


def _check_text_fields(cfg: Config, text_type: str, width: int) -> None:
    """Refuse a decoder whose config class lacks what the connector reads from it: ``hidden_act`` (the modality
    projection's activation) and, for a resampler whose ``hidden_size`` is not the decoder's, ``rms_norm_eps``
    (transformers copies both into the resampler's config). transformers builds no model without them."""
    from .field_types import of_type

    given = cfg.data.get("perceiver_config")
    stated = given.get("hidden_size", 4096) if isinstance(given, dict) else 4096
    entry = of_type(text_type)
    if entry is not None and "hidden_act" not in entry["fields"]:
        raise cfg.error("text_config", f"its model_type {printable(short(text_type))} has no hidden_act, which the "
                                       "modality projection reads from it: transformers builds no model")
    if stated != width and entry is not None and "rms_norm_eps" not in entry["fields"]:
        raise cfg.error("perceiver_config", f"its hidden_size {short(stated)} is not the decoder's {width}: "
                                            "transformers then copies the text config's rms_norm_eps into it, which "
                                            f"{printable(short(text_type))} has not, and builds no model")


def _connector(width) -> Module:
    """The connector: a gated MLP into the decoder's width (through ``width``, the decoder's F), then the resampler."""
    from ..components import Block, Composite, Linear, Norm, Parameter, Repeat
    from ..components.tower import Tower
    from ..symbols import D, D_vis, H_kv_r, H_r, L_r, N_lat, d_r

    g = "vision"

    def rms(name: str) -> Norm:
        return Norm(name, D, kind="rms", weight=True, group=g)

    def gated(name: str, into, hidden, out, label: str) -> Composite:
        return Composite(name, (Linear("gate_proj", into, hidden, group=g), Linear("up_proj", into, hidden, group=g),
                                Linear("down_proj", hidden, out, group=g)), group=g, label=label)

    attention = Composite("self_attn", (
        Linear("q_proj", D, H_r * d_r, group=g), Linear("k_proj", D, H_kv_r * d_r, group=g),
        Linear("v_proj", D, H_kv_r * d_r, group=g), Linear("o_proj", H_r * d_r, D, group=g),
    ), group=g, label="bias-free attention of the latents to the image features and themselves")
    layer = Block("layer", (rms("input_latents_norm"), rms("input_context_norm"), attention,
                            rms("post_attention_layernorm"), gated("mlp", D, 4 * D, D, "gated MLP of 4 D")),
                  group=g, label="perceiver layer")
    resampler = Composite("perceiver_resampler", (
        Parameter("latents", (N_lat, D), group=g), Repeat("layers", L_r, layer, group=g), rms("norm"),
    ), group=g, label="perceiver resampler: N_lat latents attend to each image's features")
    projection = gated("modality_projection", D_vis, width, D, "gated MLP from the vision width through the "
                                                                "decoder's F to D")
    return Tower("connector", (projection, resampler), group=g, label="modality projection and perceiver resampler")


def read(cfg: Config, plain: bool = True) -> Reading:
    """The tower's and resampler's sizes and the decoder read to plain data (``plain`` false: a learned decoder is
    built), every check made. A decoder whose F is no value of its own but derived is :class:`Unread` where
    ``plain``: its tree says what F is."""
    from . import FAMILIES

    check_decoder(cfg, "mistral", DECODERS)
    vision = typed_as(sub_config(cfg, "vision_config", VISION_FIELDS), VISION_TYPE)
    sizes, _ = _siglip.read(vision, named=False)
    sizes.update(_perceiver(cfg))
    text, notes = decoder_reading(cfg, "mistral", cfg.get("tie_word_embeddings"), own_type=True, absent=ABSENT,
                                  plain=plain)
    given = cfg.data.get("text_config")
    given = given if isinstance(given, dict) else ABSENT
    text_type = str(given.get("model_type", "mistral"))  # one of DECODERS, checked above
    family = FAMILIES.by_type[text_type]
    stated = given.get("intermediate_size", family.fields["intermediate_size"].default
                       if "intermediate_size" in family.fields else None)
    values = dict(text.values)
    width: int | None = values.get("F")
    if width is None and plain:
        raise Unread(f"{cfg.source}: the decoder's F is derived; its tree says what it is")
    if width is None:
        from ..symbols import F

        env = built_text(text).env
        width = int(env[F]) if F in env and env[F].is_Integer else None
    if width is None or width != stated:
        raise cfg.error("text_config", f"its model_type {short(text_type)}: the connector is as wide as the "
                                       "decoder's intermediate_size, which symparams reads as F in Llama-like "
                                       "decoders alone")
    _check_text_fields(cfg, text_type, values["D"])
    return with_sizes(text, (), sizes, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the SigLIP encoder and the connector beside it."""
    from ..spec import Divides
    from ..symbols import F, H_kv_r, H_r

    tower, relations, constraints = _siglip.tower(False)
    rule = Divides(H_kv_r, H_r, "the resampler's key/value heads divide its query heads")
    return built_with_towers(reading, "idefics2", "Idefics 2 vision-language model", (tower, _connector(F)),
                             relations, (*constraints, rule))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "idefics2",
    "Idefics 2: a SigLIP encoder, a perceiver-resampler connector and a decoder (Mistral 7B as released)",
    from_config, FIELDS, "Idefics2ForConditionalGeneration",
    refused="decoders other than " + ", ".join(DECODERS) + " (and among them those whose intermediate_size is not "
            "their F); resampler key/value heads that do not divide its query heads",
    read=read,
)
