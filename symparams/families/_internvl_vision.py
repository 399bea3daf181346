"""InternVL's vision tower (``InternVLVisionModel``, config class ``InternVLVisionConfig``): InternViT with layer scale.

Its embeddings hold a class token (D_vis), a mask token where ``use_mask_token``, the patch
convolution (``Conv2d(C, D_vis, p, stride=p)`` with a bias) and, where
``use_absolute_position_embeddings`` (true by default), N_img + 1 learned positions, the class
token's too (N_img = floor(S_img/p_img)^2). Each of its L_vis layers has:
- attention: q, k and v projections of D_vis x D_vis with biases where ``attention_bias``,
  ``projection_layer`` (D_vis x D_vis) always with one, and an RMSNorm weight over all of q's
  and all of k's heads together (D_vis each) where ``use_qk_norm``. Its heads divide the width,
  or it raises;
- ``fc1``/``fc2`` of D_vis x F_vis with biases;
- ``layernorm_before`` and ``layernorm_after``, LayerNorms (weight and bias) or, where
  ``norm_type`` is ``rms_norm``, RMSNorms (weight);
- ``lambda_1`` and ``lambda_2``, one learned scale per channel for each residual branch,
  whatever ``layer_scale_init_value`` starts them at.

A final LayerNorm follows where ``use_mean_pooling`` is false (true by default: none).

``image_size`` and ``patch_size`` are one size or a [height, width] pair. The wrapper squares
the patch grid into the side of its pixel shuffle: a grid that is not square runs no image and
is refused, and so are pairs that differ (symparams models square images and patches).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import Config, Field, Fields, short
from ._vision_language import check_vit

if TYPE_CHECKING:
    from sympy import Expr, Symbol

    from ..components.tower import Tower
    from ..spec import Constraint

__all__ = ["FIELDS", "read", "tower"]

# transformers 5.x InternVLVisionConfig
FIELDS = Fields(
    Field("hidden_size", 1024),
    Field("num_hidden_layers", 24),
    Field("num_attention_heads", 16),
    Field("intermediate_size", 4096),
    Field("num_channels", 3),
    Field("image_size", 448, kind="any", types=("int", "list")),
    Field("patch_size", 14, kind="any", types=("int", "list")),
    Field("hidden_act", "gelu", kind="str"),
    Field("norm_type", "layer_norm", kind="str", choices=("layer_norm", "rms_norm")),
    Field("attention_bias", False, kind="bool"),
    Field("use_qk_norm", False, kind="bool"),
    Field("use_mask_token", False, kind="bool"),
    Field("use_absolute_position_embeddings", True, kind="bool"),
    Field("use_mean_pooling", True, kind="bool"),
)

# symbol name -> field, in the order a Spec lists them.
_SIZES = (("D_vis", "hidden_size"), ("L_vis", "num_hidden_layers"), ("H_vis", "num_attention_heads"),
          ("F_vis", "intermediate_size"), ("C_img", "num_channels"))
# the switches that shape the tree, by field
_SWITCHES = ("attention_bias", "use_qk_norm", "use_mask_token", "use_absolute_position_embeddings",
             "use_mean_pooling")


def _side(cfg: Config, name: str) -> int:
    """One size, or a [height, width] pair of equal sizes, as a whole number of at least 1."""
    value = cfg.get(name)
    if isinstance(value, list):
        if len(value) != 2:
            raise cfg.error(name, f"expected a size or a [height, width] pair, got {short(value)}")
        if value[0] != value[1]:
            raise cfg.error(name, f"{short(value)} is not square: symparams models square images and patches "
                                  "(the wrapper's pixel shuffle squares the patch grid)")
        value = value[0]
    return cfg._int(name, value, 1)


def read(cfg: Config) -> tuple[dict[str, int], dict[str, Any]]:
    """The tower's sizes by symbol name and its switches (``rms``: RMSNorms in its layers; the rest by field), with
    every check transformers makes and that an image runs through it."""
    sizes = {name: cfg.get(key) for name, key in _SIZES}
    sizes["S_img"], sizes["p_img"] = _side(cfg, "image_size"), _side(cfg, "patch_size")
    check_vit(cfg, sizes)
    switches = {name: cfg.get(name) for name in _SWITCHES}
    switches["rms"] = cfg.get("norm_type") == "rms_norm"
    return sizes, switches


def tower(switches: dict[str, Any]) -> tuple[Tower, tuple[tuple[Symbol, Expr], ...], tuple[Constraint, ...]]:
    """The tower's tree in the vision symbols, the relation its patch count follows, and its constraints."""
    import sympy

    from ..components import Block, Composite, Linear, Norm, Parameter, Repeat
    from ..components.tower import Patches, Tower
    from ..spec import AtMost, Divides
    from ..symbols import C_img, D_vis, F_vis, H_vis, L_vis, N_img, S_img, p_img

    one = sympy.Integer(1)

    def norm(name: str, rms: bool) -> Norm:
        return Norm(name, D_vis, kind="rms" if rms else "layer", weight=True, bias=not rms, group="vision")

    bias = switches["attention_bias"]
    attention = Composite("attention", (
        *(Linear(n, D_vis, D_vis, bias=bias, group="vision") for n in ("q_proj", "k_proj", "v_proj")),
        Linear("projection_layer", D_vis, D_vis, bias=True, group="vision"),
        *((norm("q_norm", True), norm("k_norm", True)) if switches["use_qk_norm"] else ()),
    ), group="vision", label="self-attention")
    mlp = Composite("mlp", (Linear("fc1", D_vis, F_vis, bias=True, group="vision"),
                            Linear("fc2", F_vis, D_vis, bias=True, group="vision")), group="vision", label="MLP")
    layer = Block("layer", (norm("layernorm_before", switches["rms"]), attention, norm("layernorm_after", switches["rms"]),
                            mlp, Parameter("lambda_1", (D_vis,), group="vision"),
                            Parameter("lambda_2", (D_vis,), group="vision")),
                  group="vision", label="pre-norm encoder layer with layer scale")
    embeddings = Composite("embeddings", (
        Parameter("cls_token", (one, one, D_vis), group="vision"),
        *((Parameter("mask_token", (one, one, D_vis), group="vision"),) if switches["use_mask_token"] else ()),
        Patches("projection", C_img, p_img, D_vis),
        *((Parameter("position_embeddings", (one, N_img + 1, D_vis), group="vision"),)
          if switches["use_absolute_position_embeddings"] else ()),
    ), group="vision", label="class token, patch and position embeddings")
    parts = (embeddings, Repeat("layer", L_vis, layer, group="vision"),
             *(() if switches["use_mean_pooling"] else (norm("layernorm", False),)))
    relations = ((N_img, sympy.floor(S_img / p_img) ** 2),)
    constraints = (Divides(H_vis, D_vis, "the vision heads divide the vision width"),
                   AtMost(p_img, S_img, "a patch fits the image"))
    return Tower("vision_tower", parts, group="vision", label="InternViT vision tower"), relations, constraints
