"""OLMo 2 (model_type ``olmo2``): post-norms after attention and MLP, q/k RMSNorm over the full width.

transformers' ``Olmo2ForCausalLM`` (5.x) drops the pre-norms of Llama: each block is
``self_attn`` -> ``post_attention_layernorm`` (added back to the residual) and ``mlp`` ->
``post_feedforward_layernorm``, all RMSNorms with a weight of D. Attention normalises the
whole query projection (``q_norm``, H*d_h weights) and key projection (``k_norm``,
H_kv*d_h), not each head. ``attention_bias`` puts a bias on q, k, v and o; the SwiGLU MLP
has none. ``head_dim`` is not an Olmo2Config field but transformers honours one a
config.json carries (``getattr(config, "head_dim", D // H)``); a null one cannot build.
OLMo 3 is this block with sliding-window layers (:mod:`.olmo3`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import REFUSE, Config
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding, pad_field
from .decoder_sizes import LLAMA_GROUPS, decoder_fields, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block, Model, Module
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "GROUPS", "olmo2_block", "olmo2_model"]

GROUPS = {**LLAMA_GROUPS, "q_norm": "norm", "k_norm": "norm", "post_feedforward_layernorm": "norm"}

# transformers 5.x Olmo2Config
FIELDS = decoder_fields(
    vocab_size=50304, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, head_dim_null=REFUSE, max_position_embeddings=2048, mlp_bias=None, groups=GROUPS,
    extra=(pad_field(1),),
)


def olmo2_block(activation: str, bias: bool, window: Expr | None = None) -> Block:
    """self_attn (q/k RMSNorm over H*d_h and H_kv*d_h), post-attention RMSNorm, SwiGLU MLP, post-MLP RMSNorm."""
    from ..components import Block, Norm
    from ..components.normed_attention import NormedAttention
    from ..symbols import D, H, H_kv, d_h
    from . import decoder

    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, names=decoder.LLAMA_ATTENTION,
                           q_norm=H * d_h, k_norm=H_kv * d_h, window=window, olmo=True)
    return Block("layer", (attn, Norm("post_attention_layernorm", D, "rms", weight=True, weight_fp32=True),
                           decoder.gated_mlp(activation),
                           Norm("post_feedforward_layernorm", D, "rms", weight=True, weight_fp32=True)),
                 label="post-norm decoder block" + (" (sliding window)" if window is not None else ""))


def olmo2_model(name: str, label: str, layers: tuple[Module, ...], tied: bool) -> Model:
    from ..components import Embedding, Linear, Model, Norm
    from ..symbols import D, V

    return Model(name, (Embedding("embed_tokens", V, D), *layers, Norm("norm", D, "rms", weight=True, weight_fp32=True),
                        Linear("lm_head", D, V, tied=tied, group="head")), label=label)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    return heads.floored_reading(reading("olmo2", sizes, attention_bias=cfg.get("attention_bias")), floor)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Repeat
    from ..symbols import L
    from . import decoder

    shape, sizes = dict(r.shape), sizes_of(r)
    block = olmo2_block(sizes.activation, shape["attention_bias"])
    tree = olmo2_model("olmo2", "OLMo 2 decoder", (Repeat("layers", L, block),), sizes.tied)
    spec = decoder.decoder_spec("olmo2", tree, sizes)
    return heads.floored(spec) if shape["floored"] else spec


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="olmo2",
    summary="OLMo 2: post-norm blocks, RMSNorm over the whole query and key projections",
    model_types=("olmo2",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim (transformers cannot build it)",
)
