"""Qwen2-VL's and Qwen2.5-VL's vision towers, as their ``*ForConditionalGeneration`` classes store them.

Both embed patches over t_img frames of p_img x p_img pixels with a bias-free
``Conv3d(C_img, D_vis)``, keep no learned positions (the rotary embedding is axial), run L_vis
pre-norm blocks (a fused qkv projection D_vis -> 3*D_vis and an output projection, both with
biases) and end in a merger: a norm of D_vis, then an MLP over the m_img x m_img patches merged
into one token, D_vis*m_img^2 wide, out to the decoder's width.

- Qwen2-VL (``qwen2_vl_vision``, ``Qwen2VisionTransformerPretrainedModel``): the width is
  ``embed_dim``; LayerNorms of weight and bias; an MLP ``fc1``/``fc2`` of F_vis = D_vis x
  ``mlp_ratio`` with biases (a relation the closed form keeps); the merger's output width is
  the config's ``hidden_size``.
- Qwen2.5-VL (``qwen2_5_vl_vision``): the width is ``hidden_size``; RMSNorms of weight alone;
  a gated MLP (``gate_proj``, ``up_proj``, ``down_proj`` of D_vis x F_vis) with biases; the
  merger's output width is ``out_hidden_size``.

Sizes are whole numbers of at least 1; the heads divide the width (the fused qkv splits by
them), and the merger's output is the decoder's width, since image features of another width
cannot take the place of token embeddings. transformers builds each of those otherwise, but no
image runs through it, so it is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import Config, Field, Fields, short
from ._vision_language import check_rope
from .activations import activation

if TYPE_CHECKING:
    from sympy import Expr, Symbol

    from ..components.tower import Tower
    from ..spec import Constraint

__all__ = ["QWEN2_FIELDS", "QWEN2_5_FIELDS", "read", "tower"]

_COMMON = (
    Field("depth", 32, aliases=("num_hidden_layers",)),
    Field("num_heads", 16, aliases=("num_attention_heads",)),
    Field("in_channels", 3),
    Field("patch_size", 14),
    Field("spatial_merge_size", 2),
    Field("temporal_patch_size", 2),
)

# transformers 5.x Qwen2VLVisionConfig
QWEN2_FIELDS = Fields(
    *_COMMON,
    Field("embed_dim", 1280),
    Field("hidden_size", 3584),
    Field("hidden_act", "quick_gelu", kind="str"),
    Field("mlp_ratio", 4),
)

# transformers 5.x Qwen2_5_VLVisionConfig
QWEN2_5_FIELDS = Fields(
    *_COMMON,
    Field("hidden_size", 3584),
    Field("hidden_act", "silu", kind="str"),
    Field("intermediate_size", 3420),
    Field("out_hidden_size", 3584),
)

_SIZES = (("L_vis", "depth"), ("H_vis", "num_heads"), ("C_img", "in_channels"), ("p_img", "patch_size"),
          ("t_img", "temporal_patch_size"), ("m_img", "spatial_merge_size"))
# per tower: (the width's field, the merger output's field, the MLP's hidden size field or None: D_vis x mlp_ratio)
_READ = {"qwen2_vl": ("embed_dim", "hidden_size", None), "qwen2_5_vl": ("hidden_size", "out_hidden_size",
                                                                      "intermediate_size")}


def read(cfg: Config, kind: str, width: int, whence: str = "") -> tuple[dict[str, int], int]:
    """The tower's sizes by symbol name (``kind``: ``qwen2_vl`` or ``qwen2_5_vl``) for a decoder of ``width``
    (``whence``: where that width came from, as an error says it), and Qwen2-VL's ``mlp_ratio`` (0 for Qwen2.5-VL);
    every check that lets an image run through it."""
    own, out_field, hidden = _READ[kind]
    sizes = {name: cfg.get(key) for name, key in _SIZES}
    sizes["D_vis"] = cfg.get(own)
    ratio = 0
    if hidden is None:
        ratio = cfg.get("mlp_ratio")
    else:
        sizes["F_vis"] = cfg.get(hidden)
    activation(cfg, "hidden_act")
    if sizes["D_vis"] % sizes["H_vis"]:
        raise cfg.error("num_heads", f"{sizes['H_vis']} heads do not divide the width {sizes['D_vis']}: the fused "
                                     "qkv projection cannot be split into them")
    out = cfg.get(out_field)
    if out != width:
        raise cfg.error(out_field, f"is {out}, but the decoder is {width} wide{whence}: image features of another "
                                   "width cannot take the place of token embeddings")
    if "head_dim" in cfg.data and (own == "embed_dim" or "embed_dim" in cfg.data):
        _check_stated_head(cfg, sizes["H_vis"], cfg.get("embed_dim") if own == "embed_dim" else cfg.data["embed_dim"])
    check_rope(cfg, ("default", "axial"))
    return sizes, ratio


def _check_stated_head(cfg: Config, heads: int, embed: Any) -> None:
    """transformers' base config check (``validate_architecture``): a config holding head_dim, num_heads and
    embed_dim refuses a head_dim that, times num_heads, is not embed_dim. Qwen2-VL's vision config declares no
    head_dim, so only a file that states one (a stray one, or null) meets it; the tower's heads are D_vis/H_vis."""
    from decimal import Decimal

    head = cfg.data["head_dim"]
    numbers = all(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in (head, embed))
    if not numbers or Decimal(head) * heads != Decimal(embed):
        raise cfg.error("head_dim", f"is {cfg.shown('head_dim')}, and transformers refuses a head_dim that, times "
                                    f"num_heads ({heads}), is not embed_dim ({short(embed)})")


def tower(kind: str, ratio: int = 0) -> tuple[Tower, tuple[tuple[Symbol, Expr], ...], tuple[Constraint, ...]]:
    """The tower's tree in the vision symbols (its merger ending at the decoder's width D), its relations (Qwen2-VL's
    F_vis = ``ratio`` x D_vis) and its constraints."""
    import sympy

    from ..components import Block, Composite, Linear, Norm, Repeat
    from ..components.tower import Patches, Tower
    from ..spec import Divides
    from ..symbols import C_img, D, D_vis, F_vis, H_vis, L_vis, m_img, p_img, t_img

    rms = kind == "qwen2_5_vl"

    def norm(name: str) -> Norm:
        return Norm(name, D_vis, kind="rms" if rms else "layer", weight=True, bias=not rms, group="vision")

    def linear(name: str, d_in: Expr, d_out: Expr) -> Linear:
        return Linear(name, d_in, d_out, bias=True, group="vision")

    merged = D_vis * m_img**2
    attention = Composite("attn", (linear("qkv", D_vis, 3 * D_vis), linear("proj", D_vis, D_vis)), group="vision",
                          label="self-attention, fused qkv")
    if rms:
        mlp = Composite("mlp", (linear("gate_proj", D_vis, F_vis), linear("up_proj", D_vis, F_vis),
                                linear("down_proj", F_vis, D_vis)), group="vision", label="gated MLP")
    else:
        mlp = Composite("mlp", (linear("fc1", D_vis, F_vis), linear("fc2", F_vis, D_vis)), group="vision", label="MLP")
    block = Block("block", (norm("norm1"), attention, norm("norm2"), mlp), group="vision",
                  label=f"pre-{'RMSNorm' if rms else 'LayerNorm'} vision block")
    parts = (
        Patches("patch_embed", C_img, p_img, D_vis, frames=t_img, bias=False),
        Repeat("blocks", L_vis, block, group="vision"),
        Composite("merger", (norm("ln_q"), Composite("mlp", (linear("0", merged, merged), linear("2", merged, D)),
                                                      group="vision", label="MLP over the merged patches")),
                  group="vision", label="patch merger: m_img x m_img patches to one token of the decoder's width"),
    )
    relations = () if rms else ((F_vis, sympy.Integer(ratio) * D_vis),)
    constraints = (Divides(H_vis, D_vis, "the vision heads divide the vision width"),)
    label = "Qwen2.5-VL vision tower" if rms else "Qwen2-VL vision tower"
    return Tower("visual", parts, group="vision", label=label), relations, constraints
