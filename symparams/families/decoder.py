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

from dataclasses import dataclass
from typing import Any

from sympy import Integer

from ..components import MLP, Attention, Block, Embedding, Linear, Model, Module, MoE, Norm, Repeat
from ..components.routing import MIXTRAL, Routing
from ..config import DERIVED, Config, Field, Fields
from ..spec import AtMost, Constraint, Divides, Spec
from ..symbols import D, E, F, H, H_kv, L, V, d_h, k
from .activations import activation
from .rope import check_rope_head_dim, partial_rotary_factor

__all__ = [
    "decoder_fields", "LLAMA_GROUPS", "Sizes", "read_sizes", "partial_rotary_factor", "check_rope_head_dim",
    "expert_fields", "read_experts", "rms_norm", "attention", "gated_mlp", "moe",
    "pre_norm_decoder", "decoder_spec", "LLAMA_ATTENTION", "LLAMA_MLP",
]

LLAMA_ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
LLAMA_MLP = ("gate_proj", "up_proj", "down_proj")


def decoder_fields(
    *, vocab_size: int, hidden_size: int, intermediate_size: int, num_hidden_layers: int,
    num_attention_heads: int, num_key_value_heads: Any = DERIVED, kv_null: Any = DERIVED,
    head_dim: Any = DERIVED, head_dim_null: Any = DERIVED, tie_word_embeddings: bool = False,
    hidden_act: str = "silu", max_position_embeddings: int = 2048, extra: tuple[Field, ...] = (),
    groups: dict[str, str] | None = None, attention_bias: bool | None = False, mlp_bias: bool | None = False,
) -> Fields:
    """The field table of an RMSNorm decoder, from transformers' defaults for one model_type.

    ``num_key_value_heads`` and ``head_dim`` are where families differ most: a missing
    one is the family's default or DERIVED (H, and D // H, as transformers'
    ``__post_init__`` works them out), and a null one is DERIVED or refused (``kv_null``,
    ``head_dim_null``), as transformers accepts it or not. ``attention_bias`` and
    ``mlp_bias`` are the defaults of the two bias switches, or None for a family whose
    config has no such switch (Mistral's linears never have biases, whatever a
    config says), so the table lists only fields the family reads.
    """
    switches = tuple(Field(name, default, kind="bool") for name, default in
                     (("attention_bias", attention_bias), ("mlp_bias", mlp_bias)) if default is not None)
    return Fields(
        Field("vocab_size", vocab_size),
        Field("hidden_size", hidden_size),
        Field("intermediate_size", intermediate_size),
        Field("num_hidden_layers", num_hidden_layers),
        Field("num_attention_heads", num_attention_heads),
        Field("num_key_value_heads", num_key_value_heads, null=kv_null),
        Field("head_dim", head_dim, null=head_dim_null),
        Field("tie_word_embeddings", tie_word_embeddings, kind="bool"),
        Field("hidden_act", hidden_act, kind="str"),
        Field("max_position_embeddings", max_position_embeddings),
        *switches,
        *extra,
        groups=groups or LLAMA_GROUPS,
    )


LLAMA_GROUPS = {
    "embed_tokens": "embedding", "self_attn": "attention", "mlp": "mlp", "block_sparse_moe": "mlp",
    "lm_head": "head", "norm": "norm", "input_layernorm": "norm", "post_attention_layernorm": "norm",
}


@dataclass(frozen=True)
class Sizes:
    """The sizes one config gives, after transformers' defaults: the symbols' values."""

    vocab: int
    width: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    hidden: int
    tied: bool
    activation: str
    head_dim_derived: bool
    notes: tuple[str, ...] = ()


def read_sizes(cfg: Config, *, floor_head_dim: bool = False, rope: str | None = None) -> Sizes:
    """Read the shape fields every RMSNorm decoder has, through the family's field table.

    Two behaviours of transformers' config classes differ by family and are switched here:

    * ``floor_head_dim``: with no head_dim, heads that do not divide the width are refused
      (Llama's ``validate_architecture``), or the head size is ``D // H``, rounded down, as
      Mistral, Mixtral, Qwen2 and NanoChat build it. A floored head size is a value, noted.
    * ``rope``: transformers refuses a fully rotary head of odd size above 4 wherever the
      config object carries a ``head_dim`` ("given": only when the config gives one;
      "always": also the one Llama and Mistral derive in ``__post_init__``).
    """
    notes = []
    width = cfg.get("hidden_size")
    heads = cfg.get("num_attention_heads")
    kv_heads = cfg.get("num_key_value_heads")
    if kv_heads is DERIVED:
        kv_heads = heads
    elif not cfg.given("num_key_value_heads"):
        notes.append(f"num_key_value_heads not given: {kv_heads} ({cfg.model_type}'s default)")
    head_dim = cfg.get("head_dim")
    derived = head_dim is DERIVED
    if derived:
        if width % heads and not floor_head_dim:
            raise cfg.error(
                "num_attention_heads",
                f"{heads} does not divide hidden_size {width}, and no head_dim is given to say the head size",
            )
        if width % heads:
            notes.append(f"head_dim not given: hidden_size // num_attention_heads = {width // heads}, "
                         f"rounded down as transformers does")
            derived = False
        head_dim = width // heads
        if not head_dim:
            raise cfg.error("num_attention_heads", f"{heads} heads leave no dimension of hidden_size {width} to "
                                                   "each, and no head_dim is given to say the head size")
    elif not cfg.given("head_dim"):
        notes.append(f"head_dim not given: {head_dim} ({cfg.model_type}'s default)")
    if rope == "always" or (rope == "given" and cfg.has("head_dim")):
        check_rope_head_dim(cfg, head_dim, "head_dim" if cfg.has("head_dim") else "num_attention_heads")
    if heads % kv_heads:
        raise cfg.error("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
    act = cfg.get("hidden_act")
    return Sizes(
        vocab=cfg.get("vocab_size"),
        width=width,
        layers=cfg.get("num_hidden_layers"),
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        hidden=cfg.get("intermediate_size"),
        tied=cfg.get("tie_word_embeddings"),
        activation=activation(cfg, "hidden_act", act),
        head_dim_derived=derived,
        notes=tuple(notes),
    )


# Other names transformers' config classes accept for a field (their ``attribute_map``).
EXPERTS_ALIASES = ("num_local_experts", "num_experts")


def expert_fields(experts: int, top_k: int) -> tuple[Field, Field]:
    """A Mixtral-style MoE's two fields: E (``num_local_experts``, alias ``num_experts``) and k.

    transformers refuses both null, under either name.
    """
    return (Field(EXPERTS_ALIASES[0], experts, aliases=EXPERTS_ALIASES[1:]), Field("num_experts_per_tok", top_k))


def read_experts(cfg: Config, experts_default: int, top_k_default: int) -> tuple[int, int]:
    """(E, k) of a Mixtral-style MoE; k > E is refused (no token can pick more experts than exist).

    ``num_experts`` is MixtralConfig's other name for ``num_local_experts``; both are
    read, and two different values are refused rather than one silently winning.
    The family's table is used where it lists the two fields, else the defaults given.
    """
    table = dict(zip(("E", "k"), expert_fields(experts_default, top_k_default)))
    experts, top_k = (cfg.get(f.name) if f.name in cfg.fields else cfg.field(f) for f in table.values())
    if top_k > experts:
        given = next((n for n in EXPERTS_ALIASES if cfg.has(n)), EXPERTS_ALIASES[0])
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds {given} {experts}")
    return experts, top_k


def rms_norm(name: str, weight: bool = True) -> Norm:
    """``RMSNorm(D)``: a learned weight of D (none for nanochat's functional norm)."""
    return Norm(name, D, kind="rms", weight=weight)


def attention(qkv_bias: bool = False, out_bias: bool = False, names=LLAMA_ATTENTION) -> Attention:
    return Attention("self_attn", D, H, H_kv, d_h, qkv_bias=qkv_bias, out_bias=out_bias, names=names)


def gated_mlp(activation: str, bias: bool = False, name: str = "mlp", names=LLAMA_MLP) -> MLP:
    return MLP(name, D, F, gated=True, bias=bias, activation=activation, names=names)


def norm_topk_field(default: bool, null_ok: bool = False) -> Field:
    """``norm_topk_prob``: whether a router renormalises its top-k weights; ``null_ok`` where transformers
    takes a null (falsy to its ``if``), else a null is refused as transformers' typed config refuses it."""
    return Field("norm_topk_prob", default, null=DERIVED, kind="any") if null_ok else Field(
        "norm_topk_prob", default, kind="bool")


def renorm(cfg: Config) -> bool:
    """The config's ``norm_topk_prob`` as transformers' ``if self.norm_topk_prob:`` reads it."""
    value = cfg.get("norm_topk_prob")
    return value is not DERIVED and bool(value)


def moe(activation: str, routing: Routing = MIXTRAL) -> MoE:
    """Mixtral's sparse block: router ``gate`` D -> E, and E gated experts (w1, w3, w2); ``routing``: its router."""
    expert = gated_mlp(activation, name="expert", names=("w1", "w3", "w2"))
    return MoE("mlp", Linear("gate", D, E, group="mlp"), expert, E, k, routing=routing)


def pre_norm_decoder(name: str, label: str, mlp: Module, tied: bool, attn: Attention | None = None,
                     norm_weight: bool = True) -> Model:
    """embed_tokens; L x (input_layernorm, self_attn, post_attention_layernorm, mlp); norm; lm_head."""
    block = Block(
        "layer",
        (rms_norm("input_layernorm", norm_weight), attn or attention(),
         rms_norm("post_attention_layernorm", norm_weight), mlp),
        label="pre-norm decoder block",
    )
    return Model(
        name,
        (
            Embedding("embed_tokens", V, D),
            Repeat("layers", L, block),
            rms_norm("norm", norm_weight),
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
    values = {V: sizes.vocab, D: sizes.width, L: sizes.layers, H: sizes.heads, H_kv: sizes.kv_heads,
              d_h: sizes.head_dim, F: sizes.hidden}
    relations = {}
    constraints: list[Constraint] = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")]
    if sizes.head_dim_derived:
        del values[d_h]
        relations[d_h] = D / H
        constraints.append(Divides(H, D, "head_dim is hidden_size / num_attention_heads"))
    if experts is not None:
        values[E], values[k] = experts
        constraints.append(AtMost(k, E, "a token picks k of the E experts"))
    return Spec(
        name=f"{family} (D={sizes.width}, L={sizes.layers})",
        family=family,
        tree=tree,
        values=tuple((s, Integer(v)) for s, v in values.items()),
        relations=tuple(relations.items()),
        constraints=tuple(constraints),
        notes=sizes.notes + tuple(notes),
        kept=(d_h,),
    )
