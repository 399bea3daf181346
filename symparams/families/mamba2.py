"""Mamba-2 (model_type ``mamba2``): a stack of Mamba-2 (SSD) mixers, no attention and no MLP.

transformers' ``Mamba2ForCausalLM``: ``backbone.embeddings`` (V x D); L blocks of an
RMSNorm (D) and a ``Mamba2Mixer`` (see :class:`~symparams.components.mamba.Mamba2`);
``norm_f``; an LM head, untied by default.

The mixer's inner width is always ``expand`` x D (a given ``intermediate_size`` is
ignored by the mixer), kept as the relation d_in = expand*D; ``Mamba2Config`` insists
that it equals ``num_heads`` x ``head_dim``, and so does symparams. ``time_step_rank``
shapes nothing in Mamba-2 (there is no dt_proj: Δ comes straight out of in_proj, one
per head) but transformers still runs ``int()`` on it, so it is checked the same way.
``time_step_limit`` may hold Infinity (transformers writes ``[0.0, Infinity]``); it
shapes nothing and is not read. ``chunk_size`` (Q) shapes no weight but sets the
scan's FLOPs (see :mod:`symparams.components.mamba`). Every field is a strict dataclass field: transformers
refuses a null in any of them, and so does symparams. ``residual_in_fp32`` (the default)
makes the residual stream fp32, as in Mamba: ``norm_f`` multiplies its weight in fp32,
and under full recomputation each block's input after the first is kept in fp32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from ._ssm_config import read_dt_rank
from .activations import activation
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {"embeddings": "embedding", "mixer": "ssm", "norm": "norm", "norm_f": "norm", "lm_head": "head"}

# transformers 5.x Mamba2Config
FIELDS = Fields(
    Field("vocab_size", 32768),
    Field("hidden_size", 4096),
    Field("num_hidden_layers", 64),
    Field("num_heads", 128),
    Field("head_dim", 64),
    Field("state_size", 128),
    Field("expand", 2),
    Field("conv_kernel", 4),
    Field("n_groups", 8),
    Field("chunk_size", 256),
    Field("time_step_rank", "auto", kind="any", types=("str", "int")),
    Field("use_bias", False, kind="bool"),
    Field("use_conv_bias", True, kind="bool"),
    Field("hidden_act", "silu", kind="str"),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("residual_in_fp32", True, kind="bool"),
    groups=GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built (``expand`` in the shape: d_in = expand*D)."""
    width = cfg.get("hidden_size")
    activation(cfg, "hidden_act", cfg.get("hidden_act"))
    read_dt_rank(cfg, "time_step_rank", width)
    expand, heads, head_dim = cfg.get("expand"), cfg.get("num_heads"), cfg.get("head_dim")
    if expand * width != heads * head_dim:
        raise cfg.error("num_heads", f"num_heads x head_dim = {heads} x {head_dim} = {heads * head_dim} must equal "
                                     f"expand x hidden_size = {expand} x {width} = {expand * width}")
    shape = (("bias", cfg.get("use_bias")), ("conv_bias", cfg.get("use_conv_bias")),
             ("activation", cfg.get("hidden_act")), ("fp32", cfg.get("residual_in_fp32")),
             ("tied", cfg.get("tie_word_embeddings")), ("expand", expand))
    values = {"V": cfg.get("vocab_size"), "D": width, "L": cfg.get("num_hidden_layers"), "H_m": heads,
              "G": cfg.get("n_groups"), "N_s": cfg.get("state_size"), "K_c": cfg.get("conv_kernel"),
              "Q": cfg.get("chunk_size")}
    return Reading(shape, tuple(values.items()), f"mamba2 (D={width}, L={values['L']})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Block, Embedding, Linear, Model, Norm, Repeat
    from ..components.mamba import Mamba2
    from ..spec import Divides
    from ..symbols import D, G, H_m, K_c, L, N_s, Q, V, d_in
    from ._ssm import by_symbol, ssm_spec

    shape = dict(r.shape)
    bias = shape["bias"]
    mixer = Mamba2("mixer", D, d_in, H_m, G, N_s, K_c, Q, bias=bias, out_bias=bias, conv_bias=shape["conv_bias"],
                   activation=shape["activation"])
    tree = Model(
        "mamba2",
        (
            Embedding("embeddings", V, D),
            Repeat("layers", L, Block("layer", (Norm("norm", D, weight=True), mixer), label="Mamba-2 block"),
                   fp32_stream=shape["fp32"]),
            Norm("norm_f", D, weight=True, weight_fp32=shape["fp32"]),
            Linear("lm_head", D, V, tied=shape["tied"], group="head"),
        ),
        label="Mamba-2 (state-space duality) language model",
    )
    return ssm_spec("mamba2", tree, by_symbol(r.values), {d_in: shape["expand"] * D}, kept=(d_in,),
                    constraints=(Divides(H_m, d_in, "d_in = expand x D is num_heads x head_dim"),))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="mamba2",
    lacks=("max_position_embeddings", "num_attention_heads"),
    rotary="none",
    rope_head="given",
    layer_lists="read-only",
    summary="Mamba-2: L state-space-duality (Mamba-2) blocks, no attention; a constant state per sequence",
    model_types=("mamba2",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context=None,
)
