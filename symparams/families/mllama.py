"""Mllama (model_type ``mllama``): Llama 3.2 Vision, a tiled vision tower and a Llama decoder that cross-attends to it.

transformers' ``MllamaForConditionalGeneration`` holds:
- ``vision_model``: a class token and a bias-free patch convolution over each of at most n_tile
  tiles, learned positions for the N_img + 1 of each tile (gated), and embeddings of each of
  the R_ar + 1 tile layouts (``supported_aspect_ratios``): per position of every tile, and per
  tile before and after the encoder (gated); LayerNorms before and after; L_vis encoder layers
  (bias-free q/k/v/o of D_vis, an MLP with biases, two LayerNorms) and L_g gated global layers
  (the same, and a gate for attention and one for the MLP). Its output joins the features of
  N_f intermediate layers (``intermediate_layers_indices``) to the last: (N_f + 1) D_vis wide;
- ``multi_modal_projector``: one linear layer with a bias from (N_f + 1) D_vis to D;
- the language model ``text_config`` describes (``MllamaTextConfig``): Llama's decoder with an
  embedding of V + 8 rows, where the L_x layers ``cross_attention_layers`` lists are
  cross-attention layers (q/k/v/o from the decoder's width, an RMSNorm on each query and key
  head, a tanh gate on the attention and one on the MLP), and an untied ``lm_head`` of V rows.

A text token with no image before it skips the cross-attention layers, so they count with the
towers: in the parameters, outside every per-token reading, which are the Llama decoder's with
L - L_x layers. transformers reads the text config through Llama's table here, with its own
defaults (Llama 3.2 11B's) and heads of D / H. A file that builds a model no image runs through
(an intermediate layer the tower lacks, or none, or a ``vision_output_dim`` other than
(N_f + 1) D_vis) is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import DEFAULT, Config, Field, Fields, short
from ._layered_config import check_padding
from ._vision_language import (
    TextClass,
    TowerFields,
    built_text,
    built_with_towers,
    check_rotary_head,
    check_unused_rope,
    decoder_reading,
    sub_config,
    with_sizes,
    wrapper,
)
from .decoder_sizes import LLAMA_GROUPS

if TYPE_CHECKING:
    from ..components import Module
    from ..spec import Spec
    from .registry import Reading

__all__ = ["FAMILY", "FIELDS", "TEXT", "TEXT_FIELDS", "VISION_FIELDS", "read", "build", "from_config"]

ASPECT_RATIOS = [[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [3, 1], [4, 1]]
CROSS_LAYERS = [3, 8, 13, 18, 23, 28, 33, 38]

# transformers 5.x MllamaConfig; its text and vision configs are read by the tables below
FIELDS = TowerFields(
    Field("text_config", {}, null=DEFAULT, kind="any", types=("object",)),
    Field("vision_config", {}, null=DEFAULT, kind="any", types=("object",)),
    towers=("vision_model", "multi_modal_projector"),
    groups={**LLAMA_GROUPS, "cross_attn": "attention"},
)

# MllamaTextConfig's fields that Llama's table does not read as it does
TEXT_FIELDS = Fields(
    Field("vocab_size", 128256),
    Field("hidden_size", 4096),
    Field("num_attention_heads", 32),
    Field("num_hidden_layers", 40),
    Field("cross_attention_layers", CROSS_LAYERS, null=DEFAULT, kind="any", types=("list",)),
)

# transformers 5.x MllamaVisionConfig (``attention_heads`` also read as num_attention_heads)
VISION_FIELDS = Fields(
    Field("hidden_size", 1280),
    Field("hidden_act", "gelu", kind="str"),
    Field("num_hidden_layers", 32),
    Field("num_global_layers", 8, minimum=0),
    Field("attention_heads", 16, aliases=("num_attention_heads",)),
    Field("num_channels", 3),
    Field("intermediate_size", 5120),
    Field("vision_output_dim", 7680),
    Field("image_size", 448),
    Field("patch_size", 14),
    Field("max_num_tiles", 4),
    Field("intermediate_layers_indices", [3, 7, 15, 23, 30], null=DEFAULT, kind="any", types=("list",)),
    Field("supported_aspect_ratios", ASPECT_RATIOS, null=DEFAULT, kind="any", types=("list",)),
)


TEXT = TextClass(
    "mllama_text_model", "llama",
    defaults={"vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 40,
              "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 131072,
              "rope_parameters": {"rope_theta": 500000.0, "rope_type": "default"}},
    ignored=("architectures", "cross_attention_layers", "pad_token_id"),
    unset=("head_dim",),
    fixed={"attention_bias": False, "mlp_bias": False},
    check=check_rotary_head,
)


def _whole_heads(cfg: Config, name: str, width: int, heads: int) -> None:
    """Refuse heads that do not divide the width: Mllama's attentions make heads of width // heads, which transformers
    builds, but symparams models whole heads that make up the width."""
    if width % heads:
        raise cfg.error(name, f"{heads} heads do not divide the width {width}: heads of {width // heads} do not make up "
                              "the width, which symparams does not model (transformers builds it)")


def _cross_layers(text: Config, layers: int) -> tuple[int, ...]:
    """The decoder layers that cross-attend: the indices ``cross_attention_layers`` lists among 0 .. L-1, in order
    (transformers asks each layer whether its index is listed, so others and repeats make none)."""
    listed = text.get("cross_attention_layers")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in listed):
        raise text.error("cross_attention_layers", f"expected a list of layer indices, got {short(listed)}")
    return tuple(sorted(set(listed) & set(range(layers))))


def _vision(cfg: Config) -> dict[str, int]:
    """The tower's sizes by symbol name; every check that lets an image run through it."""
    from .activations import activation

    vision = sub_config(cfg, "vision_config", VISION_FIELDS)
    sizes = {name: vision.get(key) for name, key in (
        ("D_vis", "hidden_size"), ("L_vis", "num_hidden_layers"), ("H_vis", "attention_heads"),
        ("F_vis", "intermediate_size"), ("C_img", "num_channels"), ("S_img", "image_size"), ("p_img", "patch_size"),
        ("n_tile", "max_num_tiles"), ("L_g", "num_global_layers"))}
    check_unused_rope(vision)
    activation(vision, "hidden_act")
    _whole_heads(vision, "attention_heads", sizes["D_vis"], sizes["H_vis"])
    if sizes["p_img"] > sizes["S_img"]:
        raise vision.error("patch_size", f"{sizes['p_img']} is larger than the image ({sizes['S_img']} pixels): "
                                         "the tower has no patch to embed")
    ratios = vision.get("supported_aspect_ratios")
    if ratios == ASPECT_RATIOS and sizes["n_tile"] != 4:
        raise vision.error("max_num_tiles", f"is {sizes['n_tile']}, but the default supported_aspect_ratios need 4 "
                                            "(MllamaVisionConfig refuses it)")
    if not ratios:
        raise vision.error("supported_aspect_ratios", "lists no tile layout: no image can be placed in tiles")
    sizes["R_ar"] = len(ratios)
    indices = vision.get("intermediate_layers_indices")
    if not indices or not all(isinstance(i, int) and not isinstance(i, bool) for i in indices):
        raise vision.error("intermediate_layers_indices", f"is {short(indices)}: the tower joins the features of "
                                                          "listed layers, and no image runs through it without one")
    states = sizes["L_vis"] + 1
    for i in indices:
        if not -states <= i < states:
            raise vision.error("intermediate_layers_indices", f"takes hidden state {i}, but a tower of "
                                                              f"{sizes['L_vis']} layers has {states}: no image "
                                                              "runs through it")
    sizes["N_f"] = len(indices)
    joined = sizes["D_vis"] * (sizes["N_f"] + 1)
    if vision.get("vision_output_dim") != joined:
        raise vision.error("vision_output_dim", f"is {vision.get('vision_output_dim')}, but the tower's output joins "
                                                f"{sizes['N_f']} + 1 layers of {sizes['D_vis']} = {joined}: the "
                                                "projector cannot take it, so no image runs through it")
    return sizes


def _tower(global_layers: bool) -> Module:
    import sympy

    from ..components import Block, Composite, Embedding, Linear, Norm, Parameter, Repeat
    from ..components.tower import Patches, Tower
    from ..symbols import C_img, D_vis, F_vis, L_g, L_vis, N_img, R_ar, n_tile, p_img

    one = (sympy.Integer(1),)

    def norm(name: str) -> Norm:
        return Norm(name, D_vis, kind="layer", weight=True, bias=True, group="vision")

    def layer(gated: bool) -> Block:
        attention = Composite("self_attn", tuple(Linear(n, D_vis, D_vis, group="vision")
                                                 for n in ("q_proj", "k_proj", "v_proj", "o_proj")),
                              group="vision", label="bias-free self-attention")
        mlp = Composite("mlp", (Linear("fc1", D_vis, F_vis, bias=True, group="vision"),
                                Linear("fc2", F_vis, D_vis, bias=True, group="vision")), group="vision", label="MLP")
        gates = (Parameter("gate_attn", one, group="vision"), Parameter("gate_ffn", one, group="vision")) if gated else ()
        return Block("layer", (*gates, norm("input_layernorm"), attention, norm("post_attention_layernorm"), mlp),
                     group="vision", label="gated encoder layer" if gated else "pre-LayerNorm encoder layer")

    def per_tile(name: str) -> Composite:
        return Composite(name, (Embedding("embedding", R_ar + 1, n_tile * D_vis, group="vision"),
                                Parameter("gate", one, group="vision")), group="vision",
                         label="gated embedding of each tile, per tile layout")

    positions = Composite("gated_positional_embedding", (
        Parameter("gate", one, group="vision"),
        Parameter("embedding", (N_img + 1, D_vis), group="vision"),
        Embedding("tile_embedding", R_ar + 1, n_tile * (N_img + 1) * D_vis, group="vision"),
    ), group="vision", label="gated positions of a tile's patches and class token, and per tile layout")
    parts = (
        Parameter("class_embedding", (D_vis,), group="vision"),
        Patches("patch_embedding", C_img, p_img, D_vis, bias=False),
        positions, per_tile("pre_tile_positional_embedding"), per_tile("post_tile_positional_embedding"),
        norm("layernorm_pre"), norm("layernorm_post"),
        Repeat("transformer", L_vis, layer(False), group="vision"),
        *((Repeat("global_transformer", L_g, layer(True), group="vision"),) if global_layers else ()),
    )
    return Tower("vision_model", parts, group="vision", label="tiled vision tower")


def _cross_attention_layers(at: tuple[int, ...]) -> Module:
    """The L_x cross-attention decoder layers, at indices ``at`` among the decoder's, which a text token without an
    image skips."""
    import sympy

    from ..components import Block, Composite, Linear, Norm, Parameter, Repeat
    from ..components.tower import Tower
    from ..symbols import D, H, H_kv, L_x, d_h
    from .decoder import gated_mlp, rms_norm

    attention = Composite("cross_attn", (
        Linear("q_proj", D, H * d_h, group="attention"), Linear("k_proj", D, H_kv * d_h, group="attention"),
        Linear("v_proj", D, H_kv * d_h, group="attention"), Linear("o_proj", H * d_h, D, group="attention"),
        Norm("q_norm", d_h, kind="rms", weight=True, group="attention"),
        Norm("k_norm", d_h, kind="rms", weight=True, group="attention"),
    ), group="attention", label="cross-attention to the image features, RMSNorm on each query and key head")
    one = (sympy.Integer(1),)
    layer = Block("layer", (
        rms_norm("input_layernorm"), attention, Parameter("cross_attn_attn_gate", one),
        rms_norm("post_attention_layernorm"), gated_mlp("silu"), Parameter("cross_attn_mlp_gate", one),
    ), label="tanh-gated cross-attention decoder layer")
    return Tower("cross_attention_layers", (Repeat("layers", L_x, layer, layers=at),), group="attention",
                 label="decoder layers that cross-attend to the image (skipped by a token without one)", in_stack=True)


def _with_cross_layers(text: Spec, cross: tuple[int, ...]) -> Spec:
    """The Llama decoder's Spec with an embedding of V + 8 rows and L - L_x self-attention layers, at the indices
    ``cross`` leaves."""
    from dataclasses import replace

    import sympy

    from ..components import Embedding, Repeat
    from ..symbols import L, L_x, V

    def part(module: Any) -> Any:
        if isinstance(module, Embedding) and module.name == "embed_tokens":
            return replace(module, rows=V + 8)
        if isinstance(module, Repeat) and module.name == "layers" and cross:
            depth = int(text.value(L))
            return replace(module, count=L - L_x, layers=tuple(i for i in range(depth) if i not in cross))
        return module

    parts = tuple(part(m) for m in text.tree.parts)
    values = text.values + (((L_x, sympy.Integer(len(cross))),) if cross else ())
    return replace(text, tree=replace(text.tree, parts=parts), values=values)


def read(cfg: Config, plain: bool = True) -> Reading:
    """The decoder read to plain data (``plain`` false: a learned decoder is built), its cross-attention layers and
    the tower's sizes, every check made."""
    texts = sub_config(cfg, "text_config", TEXT_FIELDS)
    vocab, layers = texts.get("vocab_size"), texts.get("num_hidden_layers")
    _whole_heads(texts, "num_attention_heads", texts.get("hidden_size"), texts.get("num_attention_heads"))
    cross = _cross_layers(texts, layers)
    check_padding(texts, 128004, vocab + 8)
    sizes = _vision(cfg)
    if not sizes["L_g"]:
        del sizes["L_g"]
    text, notes = decoder_reading(cfg, TEXT, False, plain=plain)
    values = dict(text.values)
    if values["V"] != vocab or values["L"] != layers:  # pragma: no cover - one table read twice
        raise cfg.error("text_config", "was read two ways")
    if cross:
        notes = [*notes, "the cross-attention layers (L_x) run only where an image precedes the text: they are in "
                         "the parameter count, and the per-token readings are those of text without an image"]
    return with_sizes(text, (("cross", cross), ("global", "L_g" in sizes)),
                      {**({"L_x": len(cross)} if cross else {}), **sizes}, notes)


def build(reading: Reading) -> Spec:
    """The decoder's Spec with its cross-attention layers, the tower and the projector beside it."""
    import sympy

    from ..components import Linear
    from ..components.tower import Tower
    from ..spec import AtMost
    from ..symbols import D, D_vis, L, L_x, N_f, N_img, S_img, p_img

    shape = dict(reading.shape)
    cross = shape["cross"]
    text = _with_cross_layers(built_text(reading), cross)
    projector = Tower("multi_modal_projector", (
        Linear("projector", (N_f + 1) * D_vis, D, bias=True, group="vision"),
    ), group="vision", label="projector from the joined vision features to the decoder's width")
    towers = (*((_cross_attention_layers(cross),) if cross else ()), _tower(shape["global"]), projector)
    rules = (AtMost(L_x, L, "the cross-attention layers are among the decoder's"),) if cross else ()
    return built_with_towers(reading, "mllama", "Mllama vision-language model", towers,
                             ((N_img, sympy.floor(S_img / p_img) ** 2),), rules, text=text)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg, plain=False))


FAMILY = wrapper(
    "mllama",
    "Mllama (Llama 3.2 Vision): a tiled vision tower, and a Llama decoder with gated cross-attention layers",
    from_config, FIELDS, "MllamaForConditionalGeneration",
    refused="heads that do not divide the width, in the decoder or the tower (transformers makes narrower heads); a "
            "vision tower no image runs through (an "
            "intermediate layer it lacks, or none; a vision_output_dim other than the joined features' width; no "
            "tile layout); the cross-attention layers in per-token readings (a token without an image skips them)",
    read=read,
)
