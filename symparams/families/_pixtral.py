"""Pixtral's vision tower (``pixtral``) and Mistral 3's projector, as ``Mistral3ForConditionalGeneration`` stores them.

transformers' ``PixtralVisionModel``: a patch embedding (``Conv2d(C_img, D_vis, p_img,
stride=p_img)`` without a bias), an RMSNorm before L_vis layers (an RMSNorm before attention
of q, k, v and o projections of D_vis x D_vis, one before a gated MLP of D_vis x F_vis, no
biases) and rotary positions, so no learned position table. ``Mistral3MultiModalProjector``:
an RMSNorm of D_vis, a merging layer of the m_img x m_img patches (D_vis*m_img^2 -> D_vis), then
``linear_1`` from the tower's width times the layers whose features it takes
(``vision_feature_layer``: one, or a list) to the decoder's width D, the activation
``projector_hidden_act`` and ``linear_2`` D -> D, with biases where
``multimodal_projector_bias``.

A missing or null ``vision_config`` is what Mistral3Config makes of it (Pixtral 12B's tower,
patches of 14 pixels); an object is read by PixtralVisionConfig's own defaults. Heads whose
``head_dim`` does not make up the width, a merge of 0 and no feature layer build towers no
image runs through, and are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._vision_language import check_rope, check_tower
from .activations import activation

if TYPE_CHECKING:
    from sympy import Expr

    from ..components.tower import Tower

__all__ = ["MODEL_TYPE", "FIELDS", "ABSENT", "read", "tower", "projector"]

MODEL_TYPE = "pixtral"

# transformers 5.x PixtralVisionConfig
FIELDS = Fields(
    Field("hidden_size", 1024),
    Field("intermediate_size", 4096),
    Field("num_hidden_layers", 24),
    Field("num_attention_heads", 16),
    Field("num_channels", 3),
    Field("patch_size", 16),
    Field("head_dim", DERIVED, null=DERIVED),
    Field("hidden_act", "gelu", kind="str"),
)

# What Mistral3Config makes of a missing or null vision_config (its sub-config's init_kwargs).
ABSENT = {"intermediate_size": 4096, "hidden_size": 1024, "patch_size": 14, "image_size": 1540, "num_hidden_layers": 24,
          "num_attention_heads": 16, "vocab_size": 32000, "head_dim": 64, "hidden_act": "gelu"}

_SIZES = (("D_vis", "hidden_size"), ("L_vis", "num_hidden_layers"), ("H_vis", "num_attention_heads"),
          ("F_vis", "intermediate_size"), ("C_img", "num_channels"), ("p_img", "patch_size"))


def read(cfg: Config) -> dict[str, int]:
    """The tower's sizes by symbol name; every check that lets an image run through it."""
    check_tower(cfg, MODEL_TYPE, "Pixtral")
    sizes = {name: cfg.get(key) for name, key in _SIZES}
    activation(cfg, "hidden_act")
    head = cfg.get("head_dim")
    width, heads = sizes["D_vis"], sizes["H_vis"]
    field = "num_attention_heads" if head is DERIVED else "head_dim"
    if head is DERIVED:
        head = width // heads
    if heads * head != width:
        raise cfg.error(field, f"{heads} heads of {head} do not make up the width {width}: attention splits its "
                               "D_vis x D_vis projections into them")
    check_rope(cfg, ("default", "axial"))
    return sizes


def tower() -> Tower:
    """The tower's tree in the vision symbols."""
    from ..components import Block, Composite, Linear, Norm, Repeat
    from ..components.tower import Patches, Tower
    from ..symbols import C_img, D_vis, F_vis, L_vis, p_img

    def norm(name: str) -> Norm:
        return Norm(name, D_vis, weight=True, group="vision")

    def linear(name: str, d_in: Expr, d_out: Expr) -> Linear:
        return Linear(name, d_in, d_out, group="vision")

    attention = Composite("attention", tuple(linear(n, D_vis, D_vis) for n in ("q_proj", "k_proj", "v_proj", "o_proj")),
                          group="vision", label="self-attention")
    mlp = Composite("feed_forward", (linear("gate_proj", D_vis, F_vis), linear("up_proj", D_vis, F_vis),
                                     linear("down_proj", F_vis, D_vis)), group="vision", label="gated MLP")
    layer = Block("layer", (norm("attention_norm"), attention, norm("ffn_norm"), mlp), group="vision",
                  label="pre-RMSNorm vision layer")
    parts = (Patches("patch_conv", C_img, p_img, D_vis, bias=False), norm("ln_pre"),
             Repeat("layers", L_vis, layer, group="vision"))
    return Tower("vision_tower", parts, group="vision", label="Pixtral vision tower")


def projector(features: int, bias: bool) -> Tower:
    """``Mistral3MultiModalProjector`` over ``features`` layers' outputs, its two linear layers biased or not."""
    from ..components import Composite, Linear, Norm
    from ..components.tower import Tower
    from ..symbols import D, D_vis, m_img

    merger = Composite("patch_merger", (Linear("merging_layer", D_vis * m_img**2, D_vis, group="vision"),),
                       group="vision", label="merger of m_img x m_img patches")
    return Tower("multi_modal_projector", (
        Norm("norm", D_vis, weight=True, group="vision"), merger,
        Linear("linear_1", D_vis * features, D, bias=bias, group="vision"),
        Linear("linear_2", D, D, bias=bias, group="vision"),
    ), group="vision", label="projector from the tower's width to the decoder's")
