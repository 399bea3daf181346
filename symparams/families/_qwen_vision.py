"""Qwen3.5's and Qwen3-VL's vision tower, as their ``*ForConditionalGeneration`` classes store it.

transformers' ``Qwen3_5VisionModel`` (``qwen3_5_vision``, ``qwen3_5_moe_vision``): a patch
embedding over t_img frames of p_img x p_img pixels (``Conv3d(C_img, D_vis)`` with a bias), a
table of N_img learned positions that each image's grid resamples, L_vis pre-LayerNorm blocks (a
fused qkv projection D_vis -> 3*D_vis and an output projection, ``linear_fc1``/``linear_fc2`` of
D_vis x F_vis, all with biases; two LayerNorms of weight and bias) and the merger: a LayerNorm,
then an MLP over the m_img x m_img patches merged into one token, D_vis*m_img^2 wide, out to the
decoder's width.

Qwen3-VL's (``Qwen3VLVisionModel``, ``qwen3_vl_vision``, ``qwen3_vl_moe_vision``) adds its
"deepstack": for each of the N_ds layers ``deepstack_visual_indexes`` lists, a merger of its
own (its LayerNorm over the D_vis*m_img^2 merged features, after the shuffle) whose output
the decoder adds to the hidden states of its first N_ds layers. A listed layer the tower
does not have, one listed twice, or more of them than the decoder has layers, builds a
merger whose features reach no layer, and is refused.

Sizes are whole numbers of at least 1. The heads divide the width (the fused qkv splits by
them); the merger's ``out_hidden_size`` is the decoder's width, since image features of
another width cannot take the place of token embeddings; the rotary embedding is axial.
transformers builds each of those otherwise, but no image runs through it, so it is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from ._vision_language import check_rope
from .activations import activation

if TYPE_CHECKING:
    from sympy import Expr, Symbol

    from ..components.tower import Tower
    from ..spec import Constraint

__all__ = ["FIELDS", "VL_FIELDS", "read", "tower"]

# transformers 5.x Qwen3_5VisionConfig (Qwen3_5MoeVisionConfig holds the same)
FIELDS = Fields(
    Field("depth", 27, aliases=("num_hidden_layers",)),
    Field("hidden_size", 1152),
    Field("hidden_act", "gelu_pytorch_tanh", kind="str"),
    Field("intermediate_size", 4304),
    Field("num_heads", 16, aliases=("num_attention_heads",)),
    Field("in_channels", 3),
    Field("patch_size", 16),
    Field("spatial_merge_size", 2),
    Field("temporal_patch_size", 2),
    Field("out_hidden_size", 3584),
    Field("num_position_embeddings", 2304),
)

# transformers 5.x Qwen3VLVisionConfig (Qwen3VLMoeVisionConfig holds the same)
VL_FIELDS = Fields(*FIELDS, Field("deepstack_visual_indexes", [8, 16, 24], kind="any", types=("list",)))

_SIZES = (("D_vis", "hidden_size"), ("L_vis", "depth"), ("H_vis", "num_heads"), ("F_vis", "intermediate_size"),
          ("C_img", "in_channels"), ("p_img", "patch_size"), ("t_img", "temporal_patch_size"),
          ("m_img", "spatial_merge_size"), ("N_img", "num_position_embeddings"))


def read(cfg: Config, width: int, whence: str = "", layers: int | None = None) -> dict[str, int]:
    """The tower's sizes by symbol name, for a decoder of ``width`` (``whence``: where that width came from, as an
    error says it) and, for a tower with a deepstack, of ``layers`` layers; every check that lets an image run
    through it."""
    sizes = {name: cfg.get(key) for name, key in _SIZES}
    if layers is not None:
        stacked = _deepstack(cfg, sizes["L_vis"], layers)
        if stacked:
            sizes["N_ds"] = stacked
    activation(cfg, "hidden_act")
    if sizes["D_vis"] % sizes["H_vis"]:
        raise cfg.error("num_heads", f"{sizes['H_vis']} heads do not divide the width {sizes['D_vis']}: the fused "
                                     "qkv projection cannot be split into them")
    out = cfg.get("out_hidden_size")
    if out != width:
        raise cfg.error("out_hidden_size", f"is {out}, but the decoder is {width} wide{whence}: image features of "
                                           "another width cannot take the place of token embeddings")
    check_rope(cfg, ("default", "axial"))
    return sizes


def _deepstack(cfg: Config, depth: int, layers: int) -> int:
    """How many deepstack mergers the tower has: one per layer listed, each listed once, a layer of the tower, and no
    more of them than the decoder has layers to take their features."""
    from ._qwen_config import int_list

    listed = int_list(cfg, "deepstack_visual_indexes")
    if listed is None:
        raise cfg.error("deepstack_visual_indexes", "expected a list of layer indices (whole numbers)")
    for i in listed:
        if not 0 <= i < depth:
            raise cfg.error("deepstack_visual_indexes", f"lists layer {i}, but the tower's layers are 0 to "
                                                        f"{depth - 1}: its merger's features would reach no layer")
    if len(set(listed)) < len(listed):
        raise cfg.error("deepstack_visual_indexes", "lists a layer twice: the second merger's features would reach "
                                                    "no layer")
    if len(listed) > layers:
        raise cfg.error("deepstack_visual_indexes", f"lists {len(listed)} layers, but the decoder has {layers} to "
                                                    "add their features to: the rest would reach no layer")
    return len(listed)


def tower(deepstack: bool = False, label: str = "Qwen3.5 vision tower"
          ) -> tuple[Tower, tuple[tuple[Symbol, Expr], ...], tuple[Constraint, ...]]:
    """The tower's tree in the vision symbols (its merger ending at the decoder's width D), with N_ds deepstack
    mergers where ``deepstack``, and its constraints."""
    from ..components import Block, Composite, Embedding, Linear, Norm, Repeat
    from ..components.tower import Patches, Tower
    from ..spec import Divides
    from ..symbols import C_img, D, D_vis, F_vis, H_vis, L_vis, N_ds, N_img, m_img, p_img, t_img

    def norm(name: str, width: Expr = D_vis) -> Norm:
        return Norm(name, width, kind="layer", weight=True, bias=True, group="vision")

    def linear(name: str, d_in: Expr, d_out: Expr) -> Linear:
        return Linear(name, d_in, d_out, bias=True, group="vision")

    merged = D_vis * m_img**2
    attention = Composite("attn", (linear("qkv", D_vis, 3 * D_vis), linear("proj", D_vis, D_vis)), group="vision",
                          label="self-attention, fused qkv")
    mlp = Composite("mlp", (linear("linear_fc1", D_vis, F_vis), linear("linear_fc2", F_vis, D_vis)), group="vision",
                    label="MLP")
    block = Block("block", (norm("norm1"), attention, norm("norm2"), mlp), group="vision",
                  label="pre-LayerNorm vision block")
    def merger(name: str, norm_width: Expr, label: str) -> Composite:
        return Composite(name, (norm("norm", norm_width), linear("linear_fc1", merged, merged),
                                linear("linear_fc2", merged, D)), group="vision", label=label)

    parts: tuple = (
        Patches("patch_embed", C_img, p_img, D_vis, frames=t_img),
        Embedding("pos_embed", N_img, D_vis, group="vision"),
        Repeat("blocks", L_vis, block, group="vision"),
        merger("merger", D_vis, "patch merger: m_img x m_img patches to one token of the decoder's width"),
    )
    if deepstack:
        parts += (Repeat("deepstack_merger_list", N_ds, merger("merger", merged, "deepstack merger: its norm after "
                                                               "the shuffle"), group="vision"),)
    constraints = (Divides(H_vis, D_vis, "the vision heads divide the vision width"),)
    return Tower("visual", parts, group="vision", label=label), (), constraints
