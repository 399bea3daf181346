"""nanochat as of 2026 (karpathy/nanochat ``nanochat/gpt.py``): the current model, beside the guide's.

What changed since the October 2025 release the guide sizes, as the source builds it:

* sizes from depth: D = 128*ceil(depth/2) (``depth*64`` rounded up to whole
  128-wide heads), H = D/128 so d_h = 128, H_kv = H, V = 32,768 (already a
  multiple of 64, nanochat's vocabulary padding), F = 4*D;
* value embeddings (ResFormer): an ``Embedding(V, H_kv*d_h)`` on ceil(L/2) layers,
  alternating and always including the last (``has_ve``: layer i has one when
  i % 2 == (L - 1) % 2), each with a gate ``Linear(12, H_kv)`` in that layer's
  attention;
* per-layer scalars ``resid_lambdas`` and ``x0_lambdas`` (L each);
* the smear gate ``Linear(24, 1)`` with its ``smear_lambda``, and the
  ``backout_lambda`` that subtracts the mid-depth residual: 24 weights + 2 scalars.

Unchanged: parameter-free RMSNorms, no biases, ReLU^2 MLP, untied LM head.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from ..config import MAX_LAYERS
from ..errors import SymparamsError
from .nanochat import _depth, heads_follow_width
from .registry import Family

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Model
    from ..spec import Spec

__all__ = ["FAMILY", "nanochat2026", "tree", "DEFAULT_DEPTH", "value_layers"]

DEFAULT_DEPTH = 24
VOCAB = 32_768
EXPANSION = 4
HEAD_DIM = 128
VE_GATE_CHANNELS = 12
SMEAR_CHANNELS = 24


def value_layers(layers: Expr | None = None) -> Expr:
    """How many layers carry a value embedding: ceil(L/2) (alternating, the last always); L when none is given."""
    import sympy

    from ..symbols import L

    return sympy.ceiling((L if layers is None else layers) / 2)


def tree(depth: int | None = None) -> Model:
    """The module tree, in symbols; at a ``depth`` its Repeats carry their layer indices.

    The value embeddings are parts of the layers that have one (``layer_inputs`` false):
    pipeline stages count the L blocks as the layers and give each stage its own layers'
    value embeddings.
    """
    from ..components import MLP, Attention, Block, Composite, Embedding, Linear, Model, Norm, Parameter, Repeat
    from ..symbols import D, F, H, H_kv, L, V, d_h
    from ._nanochat_value_embeds import ValueEmbeds

    blocks = tuple(range(depth)) if depth else ()
    valued = tuple(i for i in blocks if depth and i % 2 == (depth - 1) % 2)
    block = Block(
        "block",
        (
            Norm("norm_attn", D),
            Attention("attn", D, H, H_kv, d_h, names=("c_q", "c_k", "c_v", "c_proj")),
            Norm("norm_mlp", D),
            MLP("mlp", D, F, gated=False, activation="relu2", names=("c_fc", "c_proj")),
        ),
    )
    value_layer = Composite(
        "value_layer",
        (Embedding("value_embed", V, H_kv * d_h), Linear("ve_gate", VE_GATE_CHANNELS, H_kv, group="attention")),
        label="value embedding + gate",
    )
    smear = Composite(
        "smear",
        (Linear("smear_gate", SMEAR_CHANNELS, 1), Parameter("smear_lambda", ()), Parameter("backout_lambda", ())),
        label="smear gate and backout",
    )
    return Model(
        "nanochat-2026",
        (
            Embedding("wte", V, D),
            smear,
            Parameter("resid_lambdas", (L,)),
            Parameter("x0_lambdas", (L,)),
            ValueEmbeds("value_embeds", value_layers(), value_layer, layer_inputs=False, layers=valued),
            Repeat("blocks", L, block, layers=blocks),
            Norm("norm_f", D),
            Linear("lm_head", D, V, group="head"),
        ),
        label="nanochat (2026)",
    )


def nanochat2026(depth: int = DEFAULT_DEPTH, *, overrides: Mapping[str, Expr] | None = None) -> Spec:
    """nanochat-2026 at ``depth`` (d24 by default), with optional symbol overrides.

    >>> spec = nanochat2026(24)
    >>> spec.int_values()["D"], spec.int_values()["H"]
    (1536, 12)
    """
    from sympy import Integer

    from ..spec import Divides, Spec, apply_overrides, exact_overrides
    from ..symbols import D, F, H, H_kv, L, V, d_h, e

    overrides = exact_overrides(overrides)
    depth = _depth(depth)
    if depth > MAX_LAYERS:
        shown = f"{depth:,}" if depth.bit_length() < 200 else "of more than 60 digits"
        raise SymparamsError(f"depth {shown} is too many layers: nanochat-2026 is laid out layer by layer (its value "
                             f"embeddings sit on every other layer), at most {MAX_LAYERS:,}")
    width = Integer(HEAD_DIM * -(-depth // 2))
    values = {V: Integer(VOCAB), D: width, L: Integer(depth), e: Integer(EXPANSION), H: width / HEAD_DIM}
    spec = Spec(
        name=f"nanochat-2026 d{depth}",
        family="nanochat-2026",
        tree=tree(depth),
        values=tuple(values.items()),
        relations=((H_kv, H), (d_h, D / H), (F, e * D)),
        constraints=(
            Divides(H, D, "the head dimension d_h = D/H must be whole"),
            Divides(H_kv, H, "each key/value head serves H/H_kv query heads"),
        ),
    )
    return heads_follow_width(apply_overrides(spec, overrides), overrides, HEAD_DIM) if overrides else spec


FAMILY = Family(
    name="nanochat-2026",
    summary="nanochat as trained in 2026: value embeddings, gates and scalars, sized by depth",
    context=None,
    default_context=2048,
    ladder=nanochat2026,
    default_depth=DEFAULT_DEPTH,
)
