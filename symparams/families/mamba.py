"""Mamba (model_type ``mamba``): a stack of Mamba-1 mixers, no attention and no MLP.

transformers' ``MambaForCausalLM``: ``backbone.embeddings`` (V x D); L blocks of an
RMSNorm (D) and a ``MambaMixer`` (see :class:`~symparams.components.mamba.Mamba`);
``norm_f``; an LM head tied to the embedding unless ``tie_word_embeddings`` is false.

Sizes, as ``MambaConfig.__post_init__`` works them out: d_in = ``intermediate_size``
when the file gives one (it wins over ``expand``), else ``expand`` x D, kept as the
relation d_in = expand*D; R_Δ = ``time_step_rank``, or ceil(D/16) for ``"auto"``.
With ``residual_in_fp32`` (the default) the residual stream is fp32, which only
``norm_f`` sees as it is (each block casts its norm's input), so below fp32 it
multiplies its weight in fp32 (what a training step keeps; no weight changes), and
full recomputation, which keeps each block's input: fp32 after the first block.
Every field is a strict dataclass field, so transformers refuses a null in any of them;
so does symparams. A Mamba has no context length: its state is the same at every T.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._ssm_config import read_dt_rank
from .activations import activation
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {"embeddings": "embedding", "mixer": "ssm", "norm": "norm", "norm_f": "norm", "lm_head": "head"}

# transformers 5.x MambaConfig
FIELDS = Fields(
    Field("vocab_size", 50280),
    Field("hidden_size", 768),
    Field("state_size", 16),
    Field("num_hidden_layers", 32),
    Field("expand", 2),
    Field("conv_kernel", 4),
    Field("intermediate_size", DERIVED, sized=True),
    Field("time_step_rank", "auto", kind="any", types=("str", "int")),
    Field("use_bias", False, kind="bool"),
    Field("use_conv_bias", True, kind="bool"),
    Field("hidden_act", "silu", kind="str"),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("residual_in_fp32", True, kind="bool"),
    groups=GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built.

    The shape holds ``expand`` where it derives d_in (d_in = expand*D), and whether R_Δ is
    ``"auto"`` (ceil(D/16)); the values hold d_in and R_Δ only where the config gives them.
    """
    width = cfg.get("hidden_size")
    activation(cfg, "hidden_act", cfg.get("hidden_act"))
    expand = cfg.get("expand")
    inner = cfg.get("intermediate_size")
    rank, auto = read_dt_rank(cfg, "time_step_rank", width)
    shape = (("tied", cfg.get("tie_word_embeddings")), ("bias", cfg.get("use_bias")),
             ("conv_bias", cfg.get("use_conv_bias")), ("activation", cfg.get("hidden_act")),
             ("fp32", cfg.get("residual_in_fp32")), ("expand", expand if inner is DERIVED else None),
             ("rank_auto", auto))
    values = {"V": cfg.get("vocab_size"), "D": width, "L": cfg.get("num_hidden_layers"), "d_in": inner,
              "N_s": cfg.get("state_size"), "K_c": cfg.get("conv_kernel"), "R_dt": rank}
    if inner is DERIVED:
        del values["d_in"]
    if auto:
        del values["R_dt"]
    return Reading(shape, tuple(values.items()), f"mamba (D={width}, L={values['L']})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Block, Embedding, Linear, Model, Norm, Repeat
    from ..components.mamba import Mamba
    from ..symbols import D, K_c, L, N_s, R_dt, V, d_in
    from ._ssm import AUTO_RANK, by_symbol, ssm_spec

    shape = dict(r.shape)
    relations = {}
    if shape["expand"] is not None:
        relations[d_in] = shape["expand"] * D
    if shape["rank_auto"]:
        relations[R_dt] = AUTO_RANK
    mixer = Mamba("mixer", D, d_in, N_s, K_c, R_dt, bias=shape["bias"], conv_bias=shape["conv_bias"],
                  activation=shape["activation"])
    tree = Model(
        "mamba",
        (
            Embedding("embeddings", V, D),
            Repeat("layers", L, Block("layer", (Norm("norm", D, weight=True), mixer), label="Mamba block"),
                   fp32_stream=shape["fp32"]),
            Norm("norm_f", D, weight=True, weight_fp32=shape["fp32"]),
            Linear("lm_head", D, V, tied=shape["tied"], group="head"),
        ),
        label="Mamba (selective state-space) language model",
    )
    return ssm_spec("mamba", tree, by_symbol(r.values), relations, kept=(d_in, R_dt))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="mamba",
    lacks=("max_position_embeddings", "num_attention_heads"),
    rotary="none",
    layer_lists="read-only",
    summary="Mamba: L selective state-space (Mamba-1) blocks, no attention; a constant state per sequence",
    model_types=("mamba",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context=None,
)
