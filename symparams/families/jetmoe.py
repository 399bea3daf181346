"""JetMoE (model_type ``jetmoe``): a mixture of attention heads and a mixture of MLP experts in every block.

transformers' ``JetMoeForCausalLM`` (5.x): ``embed_tokens``; per block an RMSNorm, the
attention mixture :class:`~symparams.components.moa.MixtureOfAttention` (E query/output
experts of H_kv*d_h, k per token, shared ``kv_proj`` and an output bias of D), an RMSNorm
and the MLP mixture (a ``router`` D -> E, E experts with ``input_linear`` D -> 2F, gate and
up in one, and ``output_linear`` F -> D, k per token, plus an output bias of D); a final
RMSNorm; the head, tied to the embedding by default. Both mixtures share E
(``num_local_experts``) and k (``num_experts_per_tok``); H_kv is ``num_key_value_heads``
and d_h ``kv_channels`` (also read as ``head_dim``). ``num_attention_heads`` is H_kv*k
whatever a config says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config, Field, Fields
from ._deepseek_vocab import check_padding, pad_field
from .activations import activation
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x JetMoeConfig
FIELDS = Fields(
    Field("vocab_size", 32000),
    Field("hidden_size", 2048),
    Field("num_hidden_layers", 12),
    Field("num_key_value_heads", 16),
    Field("kv_channels", 128, aliases=("head_dim",)),
    Field("intermediate_size", 5632),
    Field("max_position_embeddings", 4096),
    Field("activation_function", "silu", kind="str"),
    Field("num_local_experts", 8),
    Field("num_experts_per_tok", 2),
    Field("tie_word_embeddings", True, kind="bool"),
    pad_field(None),
    groups={"embed_tokens": "embedding", "self_attention": "attention", "mlp": "mlp", "input_layernorm": "norm",
            "post_attention_layernorm": "norm", "norm": "norm", "lm_head": "head"},
)


def read(cfg: Config) -> Reading:
    """The config's sizes, experts and activation, checked, with no tree built."""
    vocab, width, layers = cfg.get("vocab_size"), cfg.get("hidden_size"), cfg.get("num_hidden_layers")
    check_padding(cfg, vocab)
    experts, top_k = cfg.get("num_local_experts"), cfg.get("num_experts_per_tok")
    if top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds num_local_experts {experts}, which JetMoeConfig refuses")
    act = activation(cfg, "activation_function", cfg.get("activation_function"))
    shape = (("activation", act), ("tied", cfg.get("tie_word_embeddings")))
    values = {"V": vocab, "D": width, "L": layers, "H_kv": cfg.get("num_key_value_heads"), "d_h": cfg.get("kv_channels"),
              "F": cfg.get("intermediate_size"), "E": experts, "k": top_k}
    return Reading(shape, tuple(values.items()), f"jetmoe (D={width}, L={layers})")


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from sympy import Integer

    from ..components import Block, Composite, Embedding, Linear, Model, Norm, Parameter, Repeat
    from ..spec import AtMost, Spec
    from ..symbols import SYMBOLS, D, E, F, H_kv, L, V, d_h, k
    from ._jetmoe_mixtures import ROUTING, JetMoeAttention, JetMoeMLP

    shape = dict(r.shape)
    act = shape["activation"]
    kv = H_kv * d_h
    attn_expert = Composite("expert", (Linear("input_linear", D, kv, group="attention"),
                                       Linear("output_linear", kv, D, group="attention")),
                            group="attention", label="query and output projection")
    attn = JetMoeAttention(
        "self_attention", Linear("router", D, E, group="attention"), attn_expert, E, k,
        extras=(Linear("kv_proj", D, 2 * kv, group="attention"), Parameter("bias", (D,), group="attention")),
        kv_heads=H_kv, head_dim=d_h, routing=ROUTING,
    )
    mlp_expert = Composite("expert", (Linear("input_linear", D, 2 * F, group="mlp"),
                                      Linear("output_linear", F, D, group="mlp")),
                           group="mlp", label=f"gated MLP ({act}, gate and up fused)")
    mlp = JetMoeMLP("mlp", Linear("router", D, E, group="mlp"), mlp_expert, E, k,
                    extras=(Parameter("bias", (D,), group="mlp"),), routing=ROUTING, activation=act)
    rms = lambda name: Norm(name, D, kind="rms", weight=True)  # noqa: E731
    block = Block("layer", (rms("input_layernorm"), attn, rms("post_attention_layernorm"), mlp),
                  label="pre-norm block (mixture of attention heads, mixture of experts)")
    tree = Model("jetmoe", (Embedding("embed_tokens", V, D), Repeat("layers", L, block), rms("norm"),
                            Linear("lm_head", D, V, tied=shape["tied"], group="head")),
                 label="JetMoE decoder")
    return Spec(
        name=r.name,
        family="jetmoe",
        tree=tree,
        values=tuple((SYMBOLS[n], Integer(v)) for n, v in r.values),
        constraints=(AtMost(k, E, "a token picks k of the E experts"),),
    )


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="jetmoe",
    summary="JetMoE: a mixture of attention heads and a mixture of MLP experts per block",
    model_types=("jetmoe",),
    rope_head="always",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="null sizes (transformers cannot build them); num_experts_per_tok above num_local_experts",
)
