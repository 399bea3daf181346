"""nanochat as first released (October 2025): the model the hand-worked guide sizes.

Structure (nanochat ``gpt.py``): token embedding ``wte``; L blocks of
parameter-free RMSNorm -> attention (Q: D -> H*d_h, K, V: D -> H_kv*d_h,
O: H*d_h -> D, no biases) and RMSNorm -> MLP (D -> e*D -> D, ReLU^2, no biases);
a final parameter-free norm; an untied LM head D -> V.

Sizes from depth: D = 64*depth, H = ceil(D/128), d_h = D/H, V = 65,536, e = 4,
H_kv = H. Depths whose H does not divide D (5 -> D = 320, H = 3) are refused, as
nanochat refuses them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Mapping

from ..errors import SymparamsError
from ..limits import MAX_VALUE
from . import nanochat_hf
from .registry import Family

if TYPE_CHECKING:
    import sympy
    from sympy import Expr

    from ..components import Model
    from ..spec import Spec

__all__ = ["FAMILY", "nanochat", "tree", "DEFAULT_DEPTH", "heads_follow_width"]

DEFAULT_DEPTH = 20
VOCAB = 65_536
EXPANSION = 4
WIDTH_PER_LAYER = 64
HEAD_DIM_TARGET = 128
SEQUENCE_LEN = 2048


def tree(bias: bool = False) -> Model:
    """The module tree, in symbols. ``bias`` adds a bias to every linear layer in the blocks.

    Beside the weights, the parts that shape what training keeps: the embedding is normalised before the first
    block, q and k are normalised (no weights) after the rotary embedding, and the logits are soft-capped at 15."""
    from ..components import MLP, Block, Embedding, Linear, Model, Norm, Repeat
    from ..components.decoder_attention import DecoderAttention
    from ..symbols import D, F, H, H_kv, L, V, d_h

    block = Block(
        "block",
        (
            Norm("norm_attn", D),
            DecoderAttention("attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, qk_norm=True,
                             qk_norm_weight=False),
            Norm("norm_mlp", D),
            MLP("mlp", D, F, gated=False, bias=bias, activation="relu2"),
        ),
    )
    return Model(
        "nanochat",
        (
            Embedding("wte", V, D),
            Norm("norm_embed", D),
            Repeat("blocks", L, block),
            Norm("norm_f", D),
            Linear("lm_head", D, V, group="head"),
        ),
        logit_softcap=True,
    )


def nanochat(depth: int = DEFAULT_DEPTH, *, bias: bool = False, overrides: Mapping[str, Expr] | None = None) -> Spec:
    """nanochat at ``depth`` (d20 by default), with optional symbol overrides.

    >>> nanochat(20).total
    560988160
    >>> nanochat(20, overrides={"H_kv": 1}).total
    502005760
    """
    import sympy
    from sympy import Integer

    from ..spec import Divides, Spec, apply_overrides, exact_overrides
    from ..symbols import D, F, H, H_kv, L, V, d_h, e

    overrides = exact_overrides(overrides)
    depth = _depth(depth)
    values = {V: Integer(VOCAB), D: Integer(WIDTH_PER_LAYER * depth), L: Integer(depth), e: Integer(EXPANSION)}
    values[H] = sympy.ceiling(sympy.Rational(values[D], HEAD_DIM_TARGET))
    spec = Spec(
        name=f"nanochat d{depth}" + (" (biased)" if bias else ""),
        family="nanochat",
        tree=tree(bias),
        values=tuple(values.items()),
        relations=((H_kv, H), (d_h, D / H), (F, e * D)),
        constraints=(
            Divides(H, D, "the head dimension d_h = D/H must be whole"),
            Divides(H_kv, H, "each key/value head serves H/H_kv query heads"),
        ),
    )
    return heads_follow_width(apply_overrides(spec, overrides), overrides, HEAD_DIM_TARGET) if overrides else spec


def heads_follow_width(spec: Spec, overrides: Mapping[str, Expr], head_dim: int) -> Spec:
    """``spec`` with H = ceil(D/head_dim) at D's value, however the override wrote D.

    The depth ladder's head count follows its width, so a D set by hand moves H too. It
    must move H the same way whether D is written as a number (``D=1280``) or as an
    expression of the other sizes (``D=320*L`` at depth 4): one width, one total. H set
    by hand, or a D written through H itself (``D=128*H``), leaves H as it is.
    """
    import sympy

    from ..symbols import D, H

    if "D" not in overrides or "H" in overrides:
        return spec
    form = spec.substitute(D)
    if H in form.free_symbols:
        return spec
    width = form.xreplace(dict(spec.values))
    if not (width.is_Integer and width > 0):
        return spec  # refused later, naming D, when the model is counted
    values = {**dict(spec.values), H: sympy.ceiling(sympy.Rational(width, head_dim))}
    return replace(spec, values=tuple(values.items()))


def symbolic_ladder(n: sympy.Symbol) -> dict[sympy.Symbol, Expr]:
    """How the closed form's symbols follow the depth ``n``: L = n, D = 64n, H = n/2.

    H = ceil(D/128) is n/2 at the even depths; the count of a model whose H_kv
    follows H does not depend on H at all, so the form is exact at every depth
    nanochat builds. Sizing confirms each candidate with its exact count anyway.
    """
    from ..symbols import D, H, L

    return {L: n, D: WIDTH_PER_LAYER * n, H: WIDTH_PER_LAYER * n / HEAD_DIM_TARGET}


def _depth(depth: object) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or depth <= 0:
        raise SymparamsError(f"depth must be a positive whole number, got {depth!r}")
    if depth > MAX_VALUE:
        raise SymparamsError("depth is too large (at most 10^50)")
    return depth


FAMILY = Family(
    name="nanochat",
    summary="nanochat (October 2025): sized by depth, or read from transformers' NanoChat config",
    model_types=("nanochat",),
    fields=nanochat_hf.FIELDS,
    build=nanochat_hf.from_config,
    read=nanochat_hf.read,
    default_context=SEQUENCE_LEN,
    ladder=nanochat,
    default_depth=DEFAULT_DEPTH,
    guide=True,
    symbolic_ladder=symbolic_ladder,
)
