"""gpt-oss (model_type ``gpt_oss``): a sparse MoE with attention sinks and alternating windows.

transformers' ``GptOssForCausalLM``, layer by layer:

* ``self_attn``: GQA with biases on q, k, v and o (``attention_bias``, true by
  default), an explicit ``head_dim`` (64), and ``sinks``: one learned logit per query
  head (:class:`~symparams.components.sinks.Sinks`, H values, no cache);
* layers alternate a sliding window of ``sliding_window`` (128) tokens and full
  attention by ``layer_types`` (even layers windowed when it is absent, L_s = L - floor(L/2));
* ``mlp``: a router D -> E with a bias, and E experts stored fused
  (``gate_up_proj`` E x D x 2F with a bias of 2F, ``down_proj`` E x F x D with a bias of
  D): the weights of E gated MLPs with biases. A token runs through k of them
  (``num_experts_per_tok``, 4); the clamped SwiGLU (``swiglu_alpha``, ``swiglu_limit``)
  has no weights (``hidden_act`` is not read by the model);
* two RMSNorms of D per block, a final one, and an untied LM head.

gpt-oss-20b (24 layers, 32 experts) has 20,914,757,184 parameters; gpt-oss-120b (36
layers, 128 experts) 116,829,156,672.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layered_config import check_padding, read_sizes
from .decoder_sizes import LLAMA_GROUPS, reading, sizes_of
from .layer_kinds import every_pth_full, layers_of, read_layers, read_window
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block, Norm
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x GptOssConfig: every size is a strict ``int`` (null refused), sliding_window ``int | None``.
FIELDS = Fields(
    Field("vocab_size", 201088),
    Field("hidden_size", 2880),
    Field("intermediate_size", 2880),
    Field("num_hidden_layers", 36),
    Field("num_attention_heads", 64),
    Field("num_key_value_heads", 8),
    Field("head_dim", 64),
    Field("num_local_experts", 128, aliases=("num_experts",)),
    Field("num_experts_per_tok", 4),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("max_position_embeddings", 131072),
    Field("attention_bias", True, kind="bool"),
    Field("sliding_window", 128, null=DERIVED),
    groups={**LLAMA_GROUPS, "router": "mlp", "experts": "mlp"},
)


def norm(name: str) -> Norm:
    """gpt-oss's RMSNorm, which multiplies by its weight in fp32 before casting back."""
    from .decoder import rms_norm

    return replace(rms_norm(name), weight_fp32=True)


def read(cfg: Config) -> Reading:
    """The config's sizes, experts and windowed layers, checked, with no tree built."""
    sizes = read_sizes(cfg, None, activation="swiglu (clamped)")
    check_padding(cfg, None, sizes.vocab)
    experts, top_k = cfg.get("num_local_experts"), cfg.get("num_experts_per_tok")
    if top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds num_local_experts {experts}")
    window, notes = read_window(cfg, needed=True)
    kinds = read_layers(cfg, sizes.layers, window, every_pth_full(2) if window is not None else None)
    return reading("gpt_oss", sizes, kinds, notes, experts=(experts, top_k), attention_bias=cfg.get("attention_bias"))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Block, Linear, MoE
    from ..components.routing import Routing
    from ..components.sinks import Sinks
    from ..symbols import D, E, H, k
    from . import _gemma_layers as layers
    from .decoder import LLAMA_MLP, gated_mlp

    shape, values, sizes = dict(r.shape), dict(r.values), sizes_of(r)
    bias, kinds = shape["attention_bias"], layers_of(shape["layers"], values)
    expert = gated_mlp(sizes.activation, bias=True, name="expert", names=LLAMA_MLP)
    moe = MoE("mlp", Linear("router", D, E, bias=True, group="mlp"), expert, E, k,
              routing=Routing(kind="topk_softmax", renorm=False, cast=True))

    def block(w: Expr | None) -> Block:
        attn = replace(layers.attention(w, qkv_bias=bias, out_bias=bias), sinks=True)
        parts = (norm("input_layernorm"), attn, Sinks("sinks", (H,)), norm("post_attention_layernorm"), moe)
        return Block("layer", parts, label=f"MoE decoder block with attention sinks{', sliding window' if w else ''}")

    tree = layers.decoder_model("gpt_oss", "gpt-oss decoder (sparse MoE, attention sinks)",
                                layers.layer_stack(block, kinds), norm("norm"), sizes.tied)
    return layers.layered_spec("gpt_oss", tree, sizes, kinds, experts=(values["E"], values["k"]))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="gpt_oss",
    rope_default=(("rope_type", "yarn"), ("factor", 32.0), ("beta_fast", 32.0), ("beta_slow", 1.0), ("truncate", False),
                  ("original_max_position_embeddings", 4096)),
    layer_lists="filled",
    summary="gpt-oss: MoE with biased experts and router, attention sinks, sliding and full attention alternating",
    model_types=("gpt_oss",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
)
