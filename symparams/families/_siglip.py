"""SigLIP's and CLIP's vision towers (``siglip_vision_model``, ``clip_vision_model``), as vision-language models store them.

transformers' ``SiglipVisionTransformer``: a patch embedding (``Conv2d(C, D_vis, p, stride=p)``
with a bias), a learned position for each of the N_img = floor(S_img/p_img)^2 patches, L_vis
pre-LayerNorm encoder layers (q, k, v and out projections of D_vis x D_vis with biases,
``fc1``/``fc2`` of D_vis x F_vis with biases, two LayerNorms of weight and bias), a final
LayerNorm, and, where ``vision_use_head`` (true by default; Gemma 3 sets it false), an
attention-pooling head: a probe vector, ``nn.MultiheadAttention`` (in-projection 3*D_vis x
D_vis and out-projection, with biases), a LayerNorm and one more MLP. The heads divide the
width (``SiglipAttention`` refuses others); the head count shapes no weight.

CLIP's (``CLIPVisionTransformer``, LLaVA's tower) has the same encoder layers, and embeds
differently: a learned class vector (D_vis), a bias-free patch convolution, N_img + 1 learned
positions (the class token's too) and a LayerNorm before the encoder (``pre_layrnorm``); no
pooling head.

Sizes are whole numbers of at least 1, and the patch must fit the image: transformers
builds a tower of no patches, which no image can run through, so it is refused here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from ._vision_language import check_tower, check_vit

if TYPE_CHECKING:
    from sympy import Expr, Symbol

    from ..components import Module
    from ..components.tower import Tower
    from ..spec import Constraint

__all__ = ["MODEL_TYPE", "CLIP_TYPE", "ENCODER", "FIELDS", "CLIP_FIELDS", "read", "tower"]

MODEL_TYPE = "siglip_vision_model"
CLIP_TYPE = "clip_vision_model"

# the defaults transformers 5.x SiglipVisionConfig and CLIPVisionConfig share
ENCODER = (
    Field("hidden_size", 768),
    Field("intermediate_size", 3072),
    Field("num_hidden_layers", 12),
    Field("num_attention_heads", 12),
    Field("num_channels", 3),
    Field("image_size", 224),
)

# transformers 5.x SiglipVisionConfig
FIELDS = Fields(*ENCODER, Field("patch_size", 16), Field("hidden_act", "gelu_pytorch_tanh", kind="str"),
                Field("vision_use_head", True, kind="bool"))

# transformers 5.x CLIPVisionConfig
CLIP_FIELDS = Fields(*ENCODER, Field("patch_size", 32), Field("hidden_act", "quick_gelu", kind="str"))

# symbol name -> field, in the order a Spec lists them.
_SIZES = (("D_vis", "hidden_size"), ("L_vis", "num_hidden_layers"), ("H_vis", "num_attention_heads"),
          ("F_vis", "intermediate_size"), ("C_img", "num_channels"), ("S_img", "image_size"), ("p_img", "patch_size"))


def read(cfg: Config, clip: bool = False, named: bool = True) -> tuple[dict[str, int], bool]:
    """The tower's sizes by symbol name (SigLIP's, or CLIP's where ``clip``), and whether it has SigLIP's pooling
    head; every check transformers makes. ``named``: the config's ``model_type`` chooses the tower (AutoConfig's
    sub-configs), so another is refused; else the wrapper's class decides it and the name is not read."""
    if named:
        check_tower(cfg, CLIP_TYPE, "CLIP") if clip else check_tower(cfg, MODEL_TYPE, "SigLIP")
    sizes = {name: cfg.get(key) for name, key in _SIZES}
    check_vit(cfg, sizes)
    return sizes, False if clip or "vision_use_head" not in cfg.fields else cfg.get("vision_use_head")


def tower(head: bool, clip: bool = False) -> tuple[Tower, tuple[tuple[Symbol, Expr], ...], tuple[Constraint, ...]]:
    """The tower's tree in the vision symbols (SigLIP's, or CLIP's where ``clip``), the relation its patch count
    follows, and its constraints."""
    import sympy

    from ..components import Block, Composite, Embedding, Linear, Norm, Parameter, Repeat
    from ..components.tower import Patches, Tower
    from ..spec import AtMost, Divides
    from ..symbols import C_img, D_vis, F_vis, H_vis, L_vis, N_img, S_img, p_img

    def norm(name: str) -> Norm:
        return Norm(name, D_vis, kind="layer", weight=True, bias=True, group="vision")

    def mlp() -> Composite:
        return Composite("mlp", (Linear("fc1", D_vis, F_vis, bias=True, group="vision"),
                                 Linear("fc2", F_vis, D_vis, bias=True, group="vision")), group="vision",
                         label="MLP")

    attention = Composite("self_attn", tuple(Linear(n, D_vis, D_vis, bias=True, group="vision")
                                             for n in ("q_proj", "k_proj", "v_proj", "out_proj")),
                          group="vision", label="self-attention")
    layer = Block("layer", (norm("layer_norm1"), attention, norm("layer_norm2"), mlp()), group="vision",
                  label="pre-LayerNorm encoder layer")
    if clip:
        embeddings = Composite("embeddings", (
            Parameter("class_embedding", (D_vis,), group="vision"),
            Patches("patch_embedding", C_img, p_img, D_vis, bias=False),
            Embedding("position_embedding", N_img + 1, D_vis, group="vision")),
            group="vision", label="class, patch and position embeddings")
    else:
        embeddings = Composite("embeddings", (Patches("patch_embedding", C_img, p_img, D_vis),
                                              Embedding("position_embedding", N_img, D_vis, group="vision")),
                               group="vision", label="patch and position embeddings")
    parts: list[Module] = [
        embeddings,
        *([norm("pre_layrnorm")] if clip else []),
        Repeat("layers", L_vis, layer, group="vision"),
        norm("post_layernorm"),
    ]
    if head:
        pooling = Composite("attention", (Linear("in_proj", D_vis, 3 * D_vis, bias=True, group="vision"),
                                          Linear("out_proj", D_vis, D_vis, bias=True, group="vision")),
                            group="vision", label="multi-head attention")
        parts.append(Composite("head", (Parameter("probe", (sympy.Integer(1), sympy.Integer(1), D_vis), group="vision"),
                                        pooling, norm("layernorm"), mlp()),
                               group="vision", label="attention-pooling head"))
    relations = ((N_img, sympy.floor(S_img / p_img) ** 2),)
    constraints = (Divides(H_vis, D_vis, "the vision heads divide the vision width"),
                   AtMost(p_img, S_img, "a patch fits the image"))
    label = "CLIP vision tower" if clip else "SigLIP vision tower"
    return Tower("vision_tower", tuple(parts), group="vision", label=label), relations, constraints
