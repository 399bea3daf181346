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

from sympy import Expr

from ..components import Block, Embedding, Linear, Model, Module, Norm, Repeat
from ..components.normed_attention import NormedAttention
from ..config import REFUSE, Config
from ..spec import Spec
from ..symbols import D, H, H_kv, L, V, d_h
from . import _deepseek_heads as heads
from . import decoder
from ._deepseek_vocab import check_padding, pad_field
from .decoder import LLAMA_ATTENTION, LLAMA_GROUPS, decoder_fields
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config", "GROUPS", "olmo2_block", "olmo2_model"]

GROUPS = {**LLAMA_GROUPS, "q_norm": "norm", "k_norm": "norm", "post_feedforward_layernorm": "norm"}

# transformers 5.x Olmo2Config
FIELDS = decoder_fields(
    vocab_size=50304, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, head_dim_null=REFUSE, max_position_embeddings=2048, mlp_bias=None, groups=GROUPS,
    extra=(pad_field(1),),
)


def olmo2_block(activation: str, bias: bool, window: Expr | None = None) -> Block:
    """self_attn (q/k RMSNorm over H*d_h and H_kv*d_h), post-attention RMSNorm, SwiGLU MLP, post-MLP RMSNorm."""
    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, names=LLAMA_ATTENTION,
                           q_norm=H * d_h, k_norm=H_kv * d_h, window=window)
    return Block("layer", (attn, Norm("post_attention_layernorm", D, "rms", weight=True),
                           decoder.gated_mlp(activation), Norm("post_feedforward_layernorm", D, "rms", weight=True)),
                 label="post-norm decoder block" + (" (sliding window)" if window is not None else ""))


def olmo2_model(name: str, label: str, layers: tuple[Module, ...], tied: bool) -> Model:
    return Model(name, (Embedding("embed_tokens", V, D), *layers, Norm("norm", D, "rms", weight=True),
                        Linear("lm_head", D, V, tied=tied, group="head")), label=label)


def from_config(cfg: Config) -> Spec:
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    block = olmo2_block(sizes.activation, cfg.get("attention_bias"))
    tree = olmo2_model("olmo2", "OLMo 2 decoder", (Repeat("layers", L, block),), sizes.tied)
    spec = decoder.decoder_spec("olmo2", tree, sizes)
    return heads.floored(spec) if floor else spec


FAMILY = Family(
    name="olmo2",
    summary="OLMo 2: post-norm blocks, RMSNorm over the whole query and key projections",
    model_types=("olmo2",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    refused="a null head_dim (transformers cannot build it)",
)
