"""Llama 4's vision tower (``llama4_vision_model``) and projector, as ``Llama4ForConditionalGeneration`` stores them.

transformers' ``Llama4VisionModel``: a patch embedding that unfolds p_img x p_img patches of
C_img channels and maps them with one bias-free linear layer, a class embedding, a learned
position for each of the N_img = floor(S_img/p_img)^2 patches and the class token, a
LayerNorm before and after L_vis encoder layers (q, k, v and o projections of D_vis x D_vis
with biases, ``fc1``/``fc2`` of D_vis x F_vis with biases, two LayerNorms of weight and
bias), and the vision adapter: a pixel shuffle, then ``fc1`` F_vis -> D_proj and ``fc2``
D_proj -> D_proj without biases. ``Llama4MultiModalProjector`` maps D_proj to the decoder's
width D. The tower's ``hidden_act`` and ``multi_modal_projector_bias`` build nothing (its
MLPs use GELU, its projector no bias).

transformers builds towers no image runs through; they are refused: heads that do not divide
the width, a patch larger than the image, a pixel shuffle whose ratio does not regroup the
patches and channels into F_vis, and an adapter whose widths (``projector_input_dim``,
``projector_output_dim``, ``vision_output_dim``) are not one width D_proj. The class's own
defaults are such a tower (768 wide, which a ratio of 1/2 shuffles to 3,072, not 5,632).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields, short
from .rope import FILLS_CONTEXT, is_number, refuse_missing, rope_type

if TYPE_CHECKING:
    from sympy import Expr, Symbol

    from ..components.tower import Tower
    from ..spec import Constraint

__all__ = ["FIELDS", "read", "tower", "projector"]

# transformers 5.x Llama4VisionConfig
FIELDS = Fields(
    Field("hidden_size", 768),
    Field("num_hidden_layers", 34),
    Field("num_attention_heads", 16),
    Field("num_channels", 3),
    Field("intermediate_size", 5632),
    Field("vision_output_dim", 7680),
    Field("image_size", 448),
    Field("patch_size", 14),
    Field("pixel_shuffle_ratio", 0.5, kind="number", types=("float",)),
    Field("projector_input_dim", 4096),
    Field("projector_output_dim", 4096),
)

_SIZES = (("D_vis", "hidden_size"), ("L_vis", "num_hidden_layers"), ("H_vis", "num_attention_heads"),
          ("F_vis", "intermediate_size"), ("C_img", "num_channels"), ("S_img", "image_size"), ("p_img", "patch_size"),
          ("D_proj", "projector_output_dim"))


def read(cfg: Config) -> dict[str, int]:
    """The tower's sizes by symbol name; every check that lets an image run through it."""
    sizes = {name: cfg.get(key) for name, key in _SIZES}
    width, heads, side = sizes["D_vis"], sizes["H_vis"], sizes["S_img"] // sizes["p_img"]
    if width % heads:
        raise cfg.error("num_attention_heads", f"{heads} heads do not divide the width {width}: symparams models "
                                               "vision heads of D_vis/H_vis")
    if side == 0:
        raise cfg.error("patch_size", f"{sizes['p_img']} is larger than the image ({sizes['S_img']} pixels): the "
                                      "tower has no patch to embed")
    for key in ("projector_input_dim", "vision_output_dim"):
        if cfg.get(key) != sizes["D_proj"]:
            raise cfg.error(key, f"is {cfg.get(key)}, not projector_output_dim ({sizes['D_proj']}): the vision "
                                 "adapter's and projector's widths do not chain")
    ratio = float(cfg.get("pixel_shuffle_ratio"))
    if not _shuffles(side, width, ratio, sizes["F_vis"]):
        raise cfg.error("pixel_shuffle_ratio", f"{short(cfg.data.get('pixel_shuffle_ratio', 0.5))} does not regroup "
                                               f"{side} x {side} patches of {width} channels into the "
                                               f"{sizes['F_vis']} inputs of the adapter (intermediate_size)")
    _check_rope(cfg)
    return sizes


def _check_rope(cfg: Config) -> None:
    """The tower's rotary embedding computes with ``rope_theta`` alone, whatever the rope type, so a base that is no
    number is refused; its class validates the table as every config class does, so a key the type requires (but
    the base, which it fills in) missing is refused, and so are the types whose validation reads the context
    (YaRN, Llama 3, LongRoPE: a vision config has none). Any other type builds, one transformers does not know too.
    A top-level ``rope_theta`` is the base where the table states none."""
    rope = cfg.data.get("rope_parameters")
    table = rope if isinstance(rope, dict) else {}
    if "rope_theta" not in table and "rope_theta" in cfg.data:  # the class fills the table's base in from it
        theta = cfg.data["rope_theta"]
        if not is_number(theta) and not isinstance(theta, bool):
            raise cfg.error("rope_theta", f"is {short(theta)}, not a number: the tower's rotary embedding takes it "
                                          "as its base, and transformers builds no model")
    if not isinstance(rope, dict):
        return
    kind = rope_type(rope)
    if kind in FILLS_CONTEXT:
        raise cfg.error("rope_parameters", f"rope_type {short(kind)} reads max_position_embeddings, which "
                                           "transformers' Llama 4 vision config lacks: it builds no model")
    refuse_missing(cfg, "rope_parameters", rope, ("rope_theta",))
    if "rope_theta" in rope and not is_number(rope["rope_theta"]):
        raise cfg.error("rope_parameters", f"rope_theta {short(rope['rope_theta'])} is not a number")


def _shuffles(side: int, channels: int, ratio: float, inputs: int) -> bool:
    """Whether transformers' ``pixel_shuffle`` at ``ratio`` regroups side x side patches of ``channels`` (its two
    views keep every element, as it computes their sizes in floats) into vectors of ``inputs``."""
    if not ratio > 0:
        return False
    whole = side * side * channels
    first = side * int(side * ratio) * int(channels / ratio)
    second = int(side * ratio) ** 2 * int(channels / ratio**2)
    return first == whole and second == whole and int(channels / ratio**2) == inputs


def tower() -> tuple[Tower, tuple[tuple[Symbol, Expr], ...], tuple[Constraint, ...]]:
    """The tower's tree in the vision symbols, the relation its patch count follows, and its constraints."""
    import sympy

    from ..components import Block, Composite, Linear, Norm, Parameter, Repeat
    from ..components.tower import Tower
    from ..spec import AtMost, Divides
    from ..symbols import C_img, D_proj, D_vis, F_vis, H_vis, L_vis, N_img, S_img, p_img

    def norm(name: str) -> Norm:
        return Norm(name, D_vis, kind="layer", weight=True, bias=True, group="vision")

    def linear(name: str, d_in: Expr, d_out: Expr, bias: bool = True) -> Linear:
        return Linear(name, d_in, d_out, bias=bias, group="vision")

    attention = Composite("self_attn", tuple(linear(n, D_vis, D_vis) for n in ("q_proj", "k_proj", "v_proj", "o_proj")),
                          group="vision", label="self-attention")
    mlp = Composite("mlp", (linear("fc1", D_vis, F_vis), linear("fc2", F_vis, D_vis)), group="vision", label="MLP")
    layer = Block("layer", (norm("input_layernorm"), attention, norm("post_attention_layernorm"), mlp),
                  group="vision", label="pre-LayerNorm encoder layer")
    parts = (
        linear("patch_embedding", C_img * p_img**2, D_vis, bias=False),
        Parameter("class_embedding", (D_vis,), group="vision"),
        Parameter("positional_embedding_vlm", (N_img + 1, D_vis), group="vision"),
        norm("layernorm_pre"),
        Repeat("layers", L_vis, layer, group="vision"),
        norm("layernorm_post"),
        Composite("vision_adapter", (linear("fc1", F_vis, D_proj, bias=False), linear("fc2", D_proj, D_proj, bias=False)),
                  group="vision", label="pixel-shuffle adapter"),
    )
    relations = ((N_img, sympy.floor(S_img / p_img) ** 2),)
    constraints = (Divides(H_vis, D_vis, "the vision heads divide the vision width"),
                   AtMost(p_img, S_img, "a patch fits the image"))
    return Tower("vision_model", parts, group="vision", label="Llama 4 vision tower"), relations, constraints


def projector() -> Tower:
    """``Llama4MultiModalProjector``: D_proj to the decoder's width, no bias."""
    from ..components import Linear
    from ..components.tower import Tower
    from ..symbols import D, D_proj

    return Tower("multi_modal_projector", (Linear("linear_1", D_proj, D, group="vision"),), group="vision",
                 label="projector from the adapter's width to the decoder's")
