"""OLMoE (model_type ``olmoe``): OLMo's pre-norm decoder with q/k RMSNorm and a mixture of experts.

transformers' ``OlmoeForCausalLM`` (5.x): RMSNorm (weight D) before attention and before
the MoE; attention with biases on q, k, v and o per ``attention_bias`` and two RMSNorms
sized from the width, not the heads: ``q_norm`` over D and ``k_norm`` over
(D // H) * H_kv (which is H_kv*d_h when head_dim is D/H); a router ``gate`` (E x D, no
bias) and E gated experts of ``intermediate_size`` stored fused (``gate_up_proj`` E x 2F x D,
``down_proj`` E x D x F), k per token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import REFUSE, Config
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding, pad_field
from ._moe_config import norm_topk_field, renorm
from .decoder_sizes import LLAMA_GROUPS, decoder_fields, expert_fields, read_experts, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

EXPERTS, TOP_K = 64, 8
# transformers 5.x OlmoeConfig
FIELDS = decoder_fields(
    vocab_size=50304, hidden_size=2048, intermediate_size=2048, num_hidden_layers=16,
    num_attention_heads=16, head_dim_null=REFUSE, max_position_embeddings=4096, mlp_bias=None,
    extra=(*expert_fields(EXPERTS, TOP_K), pad_field(1), norm_topk_field(False)),
    groups={**LLAMA_GROUPS, "q_norm": "norm", "k_norm": "norm"},
)


def _k_norm(derived: bool, floor: bool, width: int, heads_: int) -> str:
    """How k_norm's (D // H) * H_kv reads: H_kv*d_h where d_h is D // H ("heads"), else H_kv*D/H where H divides
    D ("width"), else H_kv*floor(D/H) ("floor")."""
    if derived or floor:
        return "heads"
    return "width" if width % heads_ == 0 else "floor"


def read(cfg: Config) -> Reading:
    """The config's sizes, experts and switches, checked, with no tree built."""
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    experts = read_experts(cfg, EXPERTS, TOP_K)
    r = reading("olmoe", sizes, experts=experts, attention_bias=cfg.get("attention_bias"),
                renorm=renorm(cfg),
                k_norm=_k_norm(sizes.head_dim_derived, floor, sizes.width, sizes.heads))
    return heads.floored_reading(r, floor)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    import sympy

    from ..components.normed_attention import NormedAttention
    from ..components.routing import Routing
    from ..symbols import D, H, H_kv, d_h
    from . import decoder

    shape, values, sizes = dict(r.shape), dict(r.values), sizes_of(r)
    bias = shape["attention_bias"]
    k_width = {"heads": H_kv * d_h, "width": H_kv * D / H, "floor": H_kv * sympy.floor(D / H)}[shape["k_norm"]]
    attn = NormedAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, names=decoder.LLAMA_ATTENTION,
                           q_norm=D, k_norm=k_width)
    # OLMoE's router (Qwen's code): softmax, top-k, renormalised if norm_topk_prob, cast to the activation dtype.
    mlp = decoder.moe(sizes.activation, Routing(renorm=shape["renorm"], cast=True))
    tree = decoder.pre_norm_decoder("olmoe", "OLMoE decoder (q/k RMSNorm, sparse MoE)", mlp,
                                    tied=sizes.tied, attn=attn)
    spec = decoder.decoder_spec("olmoe", tree, sizes, experts=(values["E"], values["k"]))
    return heads.floored(spec) if shape["floored"] else spec


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="olmoe",
    summary="OLMoE: OLMo with q/k RMSNorm and a sparse mixture of E experts, k per token",
    model_types=("olmoe",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim or expert count (transformers cannot build them)",
)
