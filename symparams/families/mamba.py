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

from ..components import Block, Embedding, Linear, Model, Norm, Repeat
from ..components.mamba import Mamba
from ..config import DERIVED, Config, Field, Fields
from ..spec import Spec
from ..symbols import D, K_c, L, N_s, R_dt, V, d_in
from ._ssm import dt_rank, ssm_spec
from .activations import activation
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

GROUPS = {"embeddings": "embedding", "mixer": "ssm", "norm": "norm", "norm_f": "norm", "lm_head": "head"}

# transformers 5.x MambaConfig
FIELDS = Fields(
    Field("vocab_size", 50280),
    Field("hidden_size", 768),
    Field("state_size", 16),
    Field("num_hidden_layers", 32),
    Field("expand", 2),
    Field("conv_kernel", 4),
    Field("intermediate_size", DERIVED),
    Field("time_step_rank", "auto", kind="any"),
    Field("use_bias", False, kind="bool"),
    Field("use_conv_bias", True, kind="bool"),
    Field("hidden_act", "silu", kind="str"),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("residual_in_fp32", True, kind="bool"),
    groups=GROUPS,
)


def from_config(cfg: Config) -> Spec:
    width = cfg.get("hidden_size")
    activation(cfg, "hidden_act", cfg.get("hidden_act"))
    expand = cfg.get("expand")
    inner = cfg.get("intermediate_size")
    relations = {}
    if inner is DERIVED:
        inner = expand * width
        relations[d_in] = expand * D
    rank, rank_rule = dt_rank(cfg, "time_step_rank", width, D)
    if rank_rule is not None:
        relations[R_dt] = rank_rule
    tied = cfg.get("tie_word_embeddings")
    mixer = Mamba("mixer", D, d_in, N_s, K_c, R_dt, bias=cfg.get("use_bias"), conv_bias=cfg.get("use_conv_bias"),
                  activation=cfg.get("hidden_act"))
    tree = Model(
        "mamba",
        (
            Embedding("embeddings", V, D),
            Repeat("layers", L, Block("layer", (Norm("norm", D, weight=True), mixer), label="Mamba block"),
                   fp32_stream=cfg.get("residual_in_fp32")),
            Norm("norm_f", D, weight=True, weight_fp32=cfg.get("residual_in_fp32")),
            Linear("lm_head", D, V, tied=tied, group="head"),
        ),
        label="Mamba (selective state-space) language model",
    )
    values = {V: cfg.get("vocab_size"), D: width, L: cfg.get("num_hidden_layers"), d_in: inner,
              N_s: cfg.get("state_size"), K_c: cfg.get("conv_kernel"), R_dt: rank}
    return ssm_spec("mamba", tree, values, relations, kept=(d_in, R_dt))


FAMILY = Family(
    name="mamba",
    rotary="none",
    layer_lists="read-only",
    summary="Mamba: L selective state-space (Mamba-1) blocks, no attention; a constant state per sequence",
    model_types=("mamba",),
    fields=FIELDS,
    build=from_config,
    context=None,
)
