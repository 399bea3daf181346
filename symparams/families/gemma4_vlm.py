"""Gemma 4 as released (model_type ``gemma4``): the Gemma 4 decoder with a vision tower, an audio tower, or both.

transformers' ``Gemma4ForConditionalGeneration`` holds:
- the language model its ``text_config`` describes, read field by field as a ``gemma4_text``
  file (:mod:`.gemma4`); a missing or null ``text_config`` is Gemma4TextConfig's defaults;
- where ``vision_config`` is an object (missing or null: no vision tower), ``Gemma4VisionModel``:
  a bias-free projection of each 3 p_img^2 patch, a table of P_vis learned positions per image
  axis (two of them), and L_vis encoder layers, each four RMSNorms around a bias-free attention of
  H_vis query and H_kv_vis key/value heads of d_vis (an RMSNorm on each query and key head; the
  value norm has no weight) and a bias-free gated MLP of F_vis; then ``embed_vision``, a
  weightless RMSNorm and a bias-free D_vis x D projection into the decoder;
- where ``audio_config`` is an object (missing or null: no audio tower), ``Gemma4AudioModel``, a
  Conformer: two 3x3 convolutions of C_a1 and C_a2 channels (each with a bias-free LayerNorm),
  a projection of their floor(C_a1/4) C_a2 features to D_aud, and L_aud layers of two
  feed-forward halves (D_aud to 4 D_aud and back, RMSNorms before and after), chunked attention
  with relative positions (q, k, v, post and ``relative_k_proj``, all D_aud x D_aud, and a scale
  per head dimension), a light convolution (a GLU's D_aud x 2 D_aud, a depthwise convolution of
  K_aud taps, D_aud x D_aud out, two RMSNorms) and three RMSNorms; then ``output_proj`` to D_ao
  with a bias, and ``embed_audio``, a weightless RMSNorm and a bias-free D_ao x D projection.

The clamping bounds of ``use_clipped_linears`` are buffers, not parameters. Whether the LM head
shares the embedding is the top level's ``tie_word_embeddings`` (true by default), not the text
config's. Heads that do not divide the audio tower's width, and vision heads not a multiple of 4 wide,
are refused: transformers builds them, but no audio (no image) runs through the attention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, Config, Field, Fields, short
from ..limits import MAX_VALUE
from ._vision_language import (
    NOTE,
    TowerFields,
    built_text,
    built_with_towers,
    check_rope,
    decoder_reading,
    sub_config,
    typed_as,
    with_sizes,
    wrapper,
)
from .gemma4 import GROUPS

if TYPE_CHECKING:
    from ..components import Module
    from ..spec import Constraint, Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "VISION_FIELDS", "AUDIO_FIELDS", "VISION_TYPE", "AUDIO_TYPE", "read", "build",
           "from_config"]

VISION_TYPE = "gemma4_vision"
AUDIO_TYPE = "gemma4_audio"

# transformers 5.x Gemma4Config (its text_config read by the gemma4_text family's own table)
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", None, null=DEFAULT, kind="any", types=("object",)),
    Field("audio_config", None, null=DEFAULT, kind="any", types=("object",)),
    Field("tie_word_embeddings", True, kind="bool"),
    towers=("vision_tower", "embed_vision"),
    audio=("audio_tower", "embed_audio"),
    groups=GROUPS,
)

# transformers 5.x Gemma4VisionConfig
VISION_FIELDS = Fields(
    Field("hidden_size", 768),
    Field("intermediate_size", 3072),
    Field("num_hidden_layers", 16),
    Field("num_attention_heads", 12),
    Field("num_key_value_heads", 12),
    Field("head_dim", 64),
    Field("hidden_activation", "gelu_pytorch_tanh", kind="str"),
    Field("patch_size", 16),
    Field("position_embedding_size", 10 * 1024),
    Field("pooling_kernel_size", 3),
)

# transformers 5.x Gemma4AudioConfig
AUDIO_FIELDS = Fields(
    Field("hidden_size", 1024),
    Field("num_hidden_layers", 12),
    Field("num_attention_heads", 8),
    Field("hidden_act", "silu", kind="str"),
    Field("subsampling_conv_channels", [128, 32], kind="any", types=("list",)),
    Field("conv_kernel_size", 5),
    Field("output_proj_dims", 1536),
)


def _vision(cfg: Config) -> dict[str, int]:
    """The vision tower's sizes by symbol name; every check its modules make."""
    from .activations import activation

    vision = typed_as(sub_config(cfg, "vision_config", VISION_FIELDS), VISION_TYPE)
    activation(vision, "hidden_activation")
    vision.get("pooling_kernel_size")
    check_rope(vision, ("default", "axial"))
    sizes = {name: vision.get(key) for name, key in (
        ("D_vis", "hidden_size"), ("L_vis", "num_hidden_layers"), ("H_vis", "num_attention_heads"),
        ("H_kv_vis", "num_key_value_heads"), ("d_vis", "head_dim"), ("F_vis", "intermediate_size"),
        ("p_img", "patch_size"), ("P_vis", "position_embedding_size"))}
    if sizes["d_vis"] % 4:
        raise vision.error("head_dim", f"is {sizes['d_vis']}, but the axial rotary embedding turns each head in four "
                                       "quarters: no image runs through it (transformers builds it)")
    if sizes["H_vis"] % sizes["H_kv_vis"]:
        raise vision.error("num_key_value_heads", f"{sizes['H_kv_vis']} key/value heads do not divide "
                                                  f"{sizes['H_vis']} query heads: no image runs through it "
                                                  "(transformers builds it)")
    return sizes


def _audio(cfg: Config) -> dict[str, int]:
    """The audio tower's sizes by symbol name; every check that lets audio run through it."""
    from .activations import activation

    audio = typed_as(sub_config(cfg, "audio_config", AUDIO_FIELDS), AUDIO_TYPE)
    activation(audio, "hidden_act")
    channels = audio.get("subsampling_conv_channels")
    if not (isinstance(channels, list) and len(channels) >= 2
            and all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= MAX_VALUE for c in channels[:2])):
        raise audio.error("subsampling_conv_channels", f"expected two channel counts from 1 to 10^50, got "
                                                       f"{short(channels)}")
    if channels[0] < 4:
        raise audio.error("subsampling_conv_channels", f"{channels[0]} channels first: the projection after the "
                                                       "convolutions takes floor(channels / 4) of them, none: no "
                                                       "audio runs through it")
    sizes = {name: audio.get(key) for name, key in (
        ("D_aud", "hidden_size"), ("L_aud", "num_hidden_layers"), ("H_aud", "num_attention_heads"),
        ("K_aud", "conv_kernel_size"), ("D_ao", "output_proj_dims"))}
    if sizes["D_aud"] % sizes["H_aud"]:
        raise audio.error("num_attention_heads", f"{sizes['H_aud']} heads do not divide the width {sizes['D_aud']}: "
                                                 "no audio runs through the attention (transformers builds it)")
    sizes["C_a1"], sizes["C_a2"] = channels[0], channels[1]
    return sizes


def _rms(name: str, dim, group: str, weight: bool = True):
    from ..components import Norm

    return Norm(name, dim, kind="rms", weight=weight, group=group)


def _vision_tower() -> tuple[Module, Module]:
    import sympy

    from ..components import Block, Composite, Linear, Parameter, Repeat
    from ..components.tower import Tower
    from ..symbols import D, D_vis, F_vis, H_kv_vis, H_vis, L_vis, P_vis, d_vis, p_img

    g = "vision"
    attention = Composite("self_attn", (
        Linear("q_proj", D_vis, H_vis * d_vis, group=g), Linear("k_proj", D_vis, H_kv_vis * d_vis, group=g),
        Linear("v_proj", D_vis, H_kv_vis * d_vis, group=g), Linear("o_proj", H_vis * d_vis, D_vis, group=g),
        _rms("q_norm", d_vis, g), _rms("k_norm", d_vis, g), _rms("v_norm", d_vis, g, weight=False),
    ), group=g, label="bias-free attention, an RMSNorm on each query, key and value head")
    mlp = Composite("mlp", (Linear("gate_proj", D_vis, F_vis, group=g), Linear("up_proj", D_vis, F_vis, group=g),
                            Linear("down_proj", F_vis, D_vis, group=g)), group=g, label="gated MLP")
    layer = Block("layer", (_rms("input_layernorm", D_vis, g), attention, _rms("post_attention_layernorm", D_vis, g),
                            _rms("pre_feedforward_layernorm", D_vis, g), mlp,
                            _rms("post_feedforward_layernorm", D_vis, g)), group=g,
                  label="encoder layer, RMSNorms before and after each half")
    embedder = Composite("patch_embedder", (
        Linear("input_proj", 3 * p_img ** 2, D_vis, group=g),
        Parameter("position_embedding_table", (sympy.Integer(2), P_vis, D_vis), group=g),
    ), group=g, label="patch projection and learned positions per image axis")
    tower = Tower("vision_tower", (embedder, Repeat("layers", L_vis, layer, group=g)), group=g,
                  label="Gemma 4 vision tower")
    embed = Tower("embed_vision", (_rms("embedding_pre_projection_norm", D_vis, g, weight=False),
                                   Linear("embedding_projection", D_vis, D, group=g)), group=g,
                  label="projector from the vision tower's width to the decoder's")
    return tower, embed


def _audio_tower() -> tuple[Module, Module]:
    import sympy

    from ..components import Block, Composite, Linear, Norm, Parameter, Repeat
    from ..components.conv import Conv1d
    from ..components.tower import Tower
    from ..symbols import C_a1, C_a2, D, D_ao, D_aud, H_aud, K_aud, L_aud

    g = "audio"
    one, three = sympy.Integer(1), sympy.Integer(3)

    def subsample(name: str, into, out) -> Composite:
        return Composite(name, (Parameter("conv", (out, into, three, three), group=g),
                                Norm("norm", out, kind="layer", weight=True, group=g)),
                         group=g, label="3x3 convolution of stride 2, bias-free, and a LayerNorm")

    def feed_forward(name: str) -> Composite:
        return Composite(name, (_rms("pre_layer_norm", D_aud, g), Linear("ffw_layer_1", D_aud, 4 * D_aud, group=g),
                                Linear("ffw_layer_2", 4 * D_aud, D_aud, group=g), _rms("post_layer_norm", D_aud, g)),
                         group=g, label="feed-forward half")

    attention = Composite("self_attn", (
        *(Linear(n, D_aud, D_aud, group=g) for n in ("q_proj", "k_proj", "v_proj", "post")),
        Linear("relative_k_proj", D_aud, D_aud, group=g),
        Parameter("per_dim_scale", (D_aud / H_aud,), group=g),
    ), group=g, label="chunked attention with relative positions, a scale per head dimension")
    light = Composite("lconv1d", (
        _rms("pre_layer_norm", D_aud, g), Linear("linear_start", D_aud, 2 * D_aud, group=g),
        Conv1d("depthwise_conv1d", D_aud, K_aud, bias=False, group=g), _rms("conv_norm", D_aud, g),
        Linear("linear_end", D_aud, D_aud, group=g),
    ), group=g, label="light convolution: a GLU, a depthwise causal convolution, a projection")
    layer = Block("layer", (feed_forward("feed_forward1"), _rms("norm_pre_attn", D_aud, g), attention,
                            _rms("norm_post_attn", D_aud, g), light, feed_forward("feed_forward2"),
                            _rms("norm_out", D_aud, g)), group=g, label="Conformer layer")
    convolutions = Composite("subsample_conv_projection", (
        subsample("layer0", one, C_a1), subsample("layer1", C_a1, C_a2),
        Linear("input_proj_linear", sympy.floor(C_a1 / 4) * C_a2, D_aud, group=g),
    ), group=g, label="two subsampling convolutions and a projection to the tower's width")
    tower = Tower("audio_tower", (convolutions, Repeat("layers", L_aud, layer, group=g),
                                  Linear("output_proj", D_aud, D_ao, bias=True, group=g)), group=g,
                  label="Gemma 4 audio tower (Conformer)")
    embed = Tower("embed_audio", (_rms("embedding_pre_projection_norm", D_ao, g, weight=False),
                                  Linear("embedding_projection", D_ao, D, group=g)), group=g,
                  label="projector from the audio tower's output to the decoder's width")
    return tower, embed


def read(cfg: Config, plain: bool = True) -> Reading:
    """The decoder read to plain data (``plain`` false: a learned decoder is built) and the sizes of the towers its
    config names, every check made."""
    text, notes = decoder_reading(cfg, "gemma4_text", cfg.get("tie_word_embeddings"), plain=plain)
    sizes: dict[str, int] = {}
    vision, audio = isinstance(cfg.get("vision_config"), dict), isinstance(cfg.get("audio_config"), dict)
    if vision:
        sizes.update(_vision(cfg))
    if audio:
        sizes.update(_audio(cfg))
    parts = "vision and audio parts run once per image or clip" if vision else "audio parts run once per clip"
    note = None if not (vision or audio) else NOTE.replace("vision parts run once per image", parts) if audio else NOTE
    return with_sizes(text, (("vision", vision), ("audio", audio)), sizes, notes, note)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with the towers its config names beside it, their symbols and rules added."""
    from dataclasses import replace

    import sympy

    from ..spec import Divides
    from ..symbols import D_aud, H_aud, H_kv_vis, H_vis, d_vis

    shape = dict(reading.shape)
    towers: list[Module] = []
    constraints: list[Constraint] = []
    if shape["vision"]:
        towers.extend(_vision_tower())
        constraints += [Divides(H_kv_vis, H_vis, "the vision key/value heads divide its query heads"),
                        Divides(sympy.Integer(4), d_vis, "the vision heads are turned in four quarters")]
    if shape["audio"]:
        towers.extend(_audio_tower())
        constraints.append(Divides(H_aud, D_aud, "the audio heads divide the audio width"))
    if not towers:
        return replace(built_text(reading), notes=reading.notes)
    return built_with_towers(reading, "gemma4", "Gemma 4 multimodal model", tuple(towers), (), tuple(constraints))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "gemma4",
    "Gemma 4 as released: the Gemma 4 decoder with its vision tower, its audio tower, or both",
    from_config, FIELDS, "Gemma4ForConditionalGeneration",
    refused="audio heads that do not divide the audio width, vision heads not a multiple of 4 wide (transformers "
            "builds them; nothing runs through them)",
    counted_as_class=False, read=read,
)
