"""IBM Granite MoE (model_types ``granitemoe`` and ``granitemoeshared``): Granite's attention, a mixture of experts.

transformers' ``GraniteMoeForCausalLM`` (5.x): Granite's attention (q/k/v/o biases per
``attention_bias``) and, in place of the MLP, ``block_sparse_moe``: a ``router`` (an E x D
weight, no bias) and E gated experts of ``intermediate_size`` F stored fused
(``gate_up_proj`` E x 2F x D, ``down_proj`` E x D x F), k per token. Neither config class
has an ``attribute_map``: ``num_experts`` is no other name for ``num_local_experts`` here.

``GraniteMoeSharedForCausalLM`` adds, when ``shared_intermediate_size`` F_s is not 0, a
``shared_mlp`` every token passes through: ``input_linear`` D -> 2F_s (gate and up in one
matrix) and ``output_linear`` F_s -> D, no biases.

A null ``num_experts_per_tok`` builds in transformers but its router cannot pick experts
(``topk(None)``), so it is refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field, Fields
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding, pad_field
from .decoder_sizes import LLAMA_GROUPS, decoder_fields, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import Module
    from ..spec import Spec

__all__ = ["FAMILY", "SHARED_FAMILY", "FIELDS", "SHARED_FIELDS", "from_config", "read", "build"]

GROUPS = {**LLAMA_GROUPS, "shared_mlp": "mlp"}
_EXPERTS = (Field("num_local_experts", 8), Field("num_experts_per_tok", 2, null=DERIVED), pad_field(None))


def _fields(*extra: Field) -> Fields:
    """GraniteMoeConfig's table (GraniteMoeSharedConfig's with the shared width)."""
    return decoder_fields(
        vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
        num_attention_heads=32, head_dim_null=REFUSE, max_position_embeddings=2048, mlp_bias=None, groups=GROUPS,
        extra=(*_EXPERTS, *extra),
    )


# transformers 5.x GraniteMoeConfig and GraniteMoeSharedConfig
FIELDS = _fields()
SHARED_FIELDS = _fields(Field("shared_intermediate_size", 0, minimum=0))


def _shared_mlp(activation: str) -> Module:
    """Gate and up in one ``input_linear``, chunked: the activation and the product keep views of its whole output
    (2F_s per token), as a gated MLP's gate and up outputs are kept; its input is the router's."""
    from ..components.fused_mlp import FusedMLP
    from ..symbols import D, F_s

    return FusedMLP("shared_mlp", D, F_s, activation=activation, names=("input_linear", "output_linear"))


def read(cfg: Config) -> Reading:
    """The config's sizes, experts and shared width, checked, with no tree built."""
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    experts, top_k = cfg.get("num_local_experts"), cfg.get("num_experts_per_tok")
    if top_k is DERIVED:
        raise cfg.error("num_experts_per_tok", "is null; transformers then builds a router that cannot pick experts, "
                                               "so the experts per token must be stated")
    if top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds num_local_experts {experts}")
    shared = cfg.get("shared_intermediate_size") if "shared_intermediate_size" in cfg.fields else 0
    name = cfg.model_type
    r = heads.floored_reading(reading(name, sizes, experts=(experts, top_k), attention_bias=cfg.get("attention_bias"),
                                      name=name, shared=bool(shared)), floor)
    return replace(r, values=r.values + ((("F_s", shared),) if shared else ()))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Linear, MoE
    from ..components.routing import Routing
    from ..symbols import D, E, F, k
    from . import decoder

    shape, values, sizes = dict(r.shape), dict(r.values), sizes_of(r)
    shared, name, bias = shape["shared"], shape["name"], shape["attention_bias"]
    # GraniteMoE's router, with or without the shared MLP: top-k of the logits cast to fp32, then a softmax over k.
    routing = Routing(kind="topk_softmax", renorm=False, cast=True, softmax_fp32=True)
    expert = MLP("expert", D, F, gated=True, activation=sizes.activation, names=("gate", "up", "down"))
    moe = MoE("block_sparse_moe", Linear("router", D, E, group="mlp"), expert, E, k,
              shared=_shared_mlp(sizes.activation) if shared else None, routing=routing)
    label = "Granite MoE decoder" + (" (shared expert)" if shared else "")
    tree = decoder.pre_norm_decoder(name, label, moe, tied=sizes.tied,
                                    attn=decoder.attention(qkv_bias=bias, out_bias=bias))
    spec = decoder.decoder_spec(name, tree, sizes, experts=(values["E"], values["k"]))
    spec = heads.floored(spec) if shape["floored"] else spec
    if shared:
        from sympy import Integer

        from ..symbols import F_s

        spec = replace(spec, values=spec.values + ((F_s, Integer(values["F_s"])),))
    return spec


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


_REFUSED = "a null head_dim, expert count or top-k (transformers cannot build or route them)"
FAMILY = Family(
    name="granitemoe",
    summary="IBM Granite MoE: Granite's attention with a sparse mixture of E gated experts, k per token",
    model_types=("granitemoe",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused=_REFUSED,
)
SHARED_FAMILY = Family(
    name="granitemoeshared",
    summary="IBM Granite MoE with a shared expert beside the routed ones",
    model_types=("granitemoeshared",),
    rope_head="given",
    fields=SHARED_FIELDS,
    build=from_config,
    read=read,
    refused=_REFUSED,
)
