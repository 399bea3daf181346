"""The pre-norm RMSNorm decoder that Llama, Mistral, Mixtral, Qwen2, Gemma (and nanochat) share.

All of them build the same tree: a token embedding; L blocks of RMSNorm -> attention
(q/k/v/o projections, GQA through H_kv, an explicit head_dim) and RMSNorm -> a
gated MLP (gate/up/down) or a mixture of such MLPs; a final RMSNorm; an LM head
that may be tied to the embedding. They differ only in which linears carry biases,
in transformers' defaults for missing fields, in the MoE (Mixtral), and in
nanochat's plain ReLU^2 MLP and parameter-free norms.

So a family module is a table of defaults plus a few switches, and this module
turns a config into the Spec. Sizes stay free symbols with values (V, D, L, H,
H_kv, F, E, k, and d_h when the config states head_dim) so that the closed form
reads like the paper's:
V*D*(2 or 1 if tied) + L*(2*D*H*d_h + 2*D*H_kv*d_h + 3*D*F + 2*D) + D.
A head_dim left to transformers is the relation d_h = D/H: its value follows D and
H (``--set D=2048`` changes the head size, as transformers would), while the closed
form keeps d_h as a symbol (``Spec.kept``) so it still reads as above.
"""

from __future__ import annotations

from sympy import Integer

from ..components import MLP, Attention, Block, Embedding, Linear, Model, Module, MoE, Norm, Repeat
from ..components.routing import MIXTRAL, Routing
from ..spec import AtMost, Constraint, Divides, Spec
from ..symbols import SYMBOLS, D, E, F, H, H_kv, L, V, d_h, k
from .decoder_sizes import EXPERTS_ALIASES, LLAMA_GROUPS, Sizes, decoder_fields, expert_fields, read_experts, read_sizes
from .rope import check_rope_head_dim, partial_rotary_factor

__all__ = [
    "decoder_fields", "LLAMA_GROUPS", "Sizes", "read_sizes", "partial_rotary_factor", "check_rope_head_dim",
    "expert_fields", "read_experts", "rms_norm", "gemma_norm", "attention", "gated_mlp", "moe",
    "pre_norm_decoder", "decoder_spec", "LLAMA_ATTENTION", "LLAMA_MLP", "EXPERTS_ALIASES",
]

LLAMA_ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
LLAMA_MLP = ("gate_proj", "up_proj", "down_proj")


def rms_norm(name: str, weight: bool = True) -> Norm:
    """``RMSNorm(D)``: a learned weight of D (none for nanochat's functional norm)."""
    return Norm(name, D, kind="rms", weight=weight)


def gemma_norm(name: str) -> Norm:
    """Gemma's ``RMSNorm(D)``: it scales by (1 + weight), computed in fp32 (:attr:`.Norm.offset`); still D weights."""
    return Norm(name, D, kind="rms", weight=True, offset=True)


def attention(qkv_bias: bool = False, out_bias: bool = False, names=LLAMA_ATTENTION) -> Attention:
    return Attention("self_attn", D, H, H_kv, d_h, qkv_bias=qkv_bias, out_bias=out_bias, names=names)


def gated_mlp(activation: str, bias: bool = False, name: str = "mlp", names=LLAMA_MLP) -> MLP:
    return MLP(name, D, F, gated=True, bias=bias, activation=activation, names=names)


def moe(activation: str, routing: Routing = MIXTRAL) -> MoE:
    """Mixtral's sparse block: router ``gate`` D -> E, and E gated experts (w1, w3, w2); ``routing``: its router."""
    expert = gated_mlp(activation, name="expert", names=("w1", "w3", "w2"))
    return MoE("mlp", Linear("gate", D, E, group="mlp"), expert, E, k, routing=routing)


def pre_norm_decoder(name: str, label: str, mlp: Module, tied: bool, attn: Attention | None = None,
                     norm_weight: bool = True, gemma: bool = False) -> Model:
    """embed_tokens; L x (input_layernorm, self_attn, post_attention_layernorm, mlp); norm; lm_head.

    ``gemma``: Gemma's embedding scaled by sqrt(D) and RMSNorms of (1 + weight) (:func:`gemma_norm`)."""
    norm = gemma_norm if gemma else lambda n: rms_norm(n, norm_weight)
    block = Block(
        "layer",
        (norm("input_layernorm"), attn or attention(), norm("post_attention_layernorm"), mlp),
        label="pre-norm decoder block",
    )
    return Model(
        name,
        (
            Embedding("embed_tokens", V, D, scaled=gemma),
            Repeat("layers", L, block),
            norm("norm"),
            Linear("lm_head", D, V, tied=tied, group="head"),
        ),
        label=label,
    )


def decoder_spec(family: str, tree: Model, sizes: Sizes, experts: tuple[int, int] | None = None,
                 notes: tuple[str, ...] = ()) -> Spec:
    """The Spec for a decoder tree: every size a free symbol with its value, plus the rules it must keep.

    A head_dim the config leaves to transformers is the relation d_h = D/H, not the
    number it comes to: transformers derives it from the other two, so a model with
    another width or head count (``--set D=2048``) has another head size. A head_dim
    the config states (or a family's fixed default, Gemma's 256) stays a value.
    """
    relations = {}
    constraints: list[Constraint] = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")]
    if sizes.head_dim_derived:
        relations[d_h] = D / H
        constraints.append(Divides(H, D, "head_dim is hidden_size / num_attention_heads"))
    if experts is not None:
        constraints.append(AtMost(k, E, "a token picks k of the E experts"))
    return Spec(
        name=sizes.name(family),
        family=family,
        tree=tree,
        values=tuple((SYMBOLS[n], Integer(v)) for n, v in sizes.values(experts).items()),
        relations=tuple(relations.items()),
        constraints=tuple(constraints),
        notes=sizes.notes + tuple(notes),
        kept=(d_h,),
    )
