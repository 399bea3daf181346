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

from dataclasses import dataclass, field

from sympy import Integer

from ..components import MLP, Attention, Block, Embedding, Linear, Model, Module, MoE, Norm, Repeat
from ..hf import Config
from ..spec import AtMost, Constraint, Divides, Spec
from ..symbols import D, E, F, H, H_kv, L, V, d_h, k
from .activations import activation
from .layernorm import alias_int

__all__ = [
    "Defaults", "Sizes", "read_sizes", "read_experts", "rms_norm", "attention", "gated_mlp", "moe",
    "pre_norm_decoder", "decoder_spec", "hf_group", "LLAMA_ATTENTION", "LLAMA_MLP",
]

SAME_AS_HEADS = None
LLAMA_ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
LLAMA_MLP = ("gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class Defaults:
    """transformers' defaults for one model_type: what a field left out of config.json becomes.

    ``num_key_value_heads`` / ``head_dim`` of ``None`` mean "derived" (H, and D // H),
    as transformers' ``__post_init__`` does. ``nullable`` names the fields whose JSON
    ``null`` transformers accepts and then derives; ``null`` in any other shape field
    is refused, because transformers refuses it too.
    """

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int | None
    head_dim: int | None
    tie_word_embeddings: bool
    hidden_act: str
    nullable: frozenset[str] = field(default_factory=frozenset)


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


_SHAPE_FIELDS = (
    "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "head_dim", "tie_word_embeddings", "hidden_act",
)


def _refuse_nulls(cfg: Config, names, nullable: frozenset[str]) -> None:
    for name in names:
        if name in cfg.data and cfg.data[name] is None and name not in nullable:
            raise cfg.error(name, f"is null; {cfg.model_type} needs a value here (leave the field out for the default)")


def read_sizes(cfg: Config, d: Defaults) -> Sizes:
    """Read the shape fields every RMSNorm decoder has, applying the family's defaults."""
    _refuse_nulls(cfg, _SHAPE_FIELDS, d.nullable)
    notes = []
    width = cfg.int("hidden_size", d.hidden_size)
    heads = cfg.int("num_attention_heads", d.num_attention_heads)
    kv_heads = cfg.optional_int("num_key_value_heads")
    if kv_heads is None:
        kv_heads = heads if d.num_key_value_heads is SAME_AS_HEADS else d.num_key_value_heads
        if "num_key_value_heads" not in cfg.data:
            notes.append(f"num_key_value_heads not given: {kv_heads} ({cfg.model_type}'s default)")
    head_dim = cfg.optional_int("head_dim")
    derived = head_dim is None and d.head_dim is None
    if head_dim is None:
        if derived:
            if width % heads:
                raise cfg.error(
                    "num_attention_heads",
                    f"{heads} does not divide hidden_size {width}, and no head_dim is given to say the head size",
                )
            head_dim = width // heads
        else:
            head_dim = d.head_dim
            notes.append(f"head_dim not given: {head_dim} ({cfg.model_type}'s default)")
    if heads % kv_heads:
        raise cfg.error("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
    return Sizes(
        vocab=cfg.int("vocab_size", d.vocab_size),
        width=width,
        layers=cfg.int("num_hidden_layers", d.num_hidden_layers),
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        hidden=cfg.int("intermediate_size", d.intermediate_size),
        tied=cfg.bool("tie_word_embeddings", d.tie_word_embeddings),
        activation=activation(cfg, "hidden_act", d.hidden_act),
        head_dim_derived=derived,
        notes=tuple(notes),
    )


# Other names transformers' config classes accept for a field (their ``attribute_map``).
EXPERTS_ALIASES = ("num_local_experts", "num_experts")


def read_experts(cfg: Config, experts_default: int, top_k_default: int) -> tuple[int, int]:
    """(E, k) of a Mixtral-style MoE; k > E is refused (no token can pick more experts than exist).

    ``num_experts`` is MixtralConfig's other name for ``num_local_experts``; both are
    read, and two different values are refused rather than one silently winning.
    """
    _refuse_nulls(cfg, (*EXPERTS_ALIASES, "num_experts_per_tok"), frozenset())
    experts = alias_int(cfg, EXPERTS_ALIASES, experts_default)
    top_k = cfg.int("num_experts_per_tok", top_k_default)
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


def moe(activation: str) -> MoE:
    """Mixtral's sparse block: router ``gate`` D -> E, and E gated experts (w1, w3, w2)."""
    expert = gated_mlp(activation, name="expert", names=("w1", "w3", "w2"))
    return MoE("mlp", Linear("gate", D, E, group="mlp"), expert, E, k)


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


def hf_group(param_name: str) -> str:
    """The tree group of a transformers parameter of a Llama-style model (``model.layers.3.mlp.up_proj.weight``)."""
    parts = param_name.split(".")
    if "embed_tokens" in parts:
        return "embedding"
    if "self_attn" in parts:
        return "attention"
    if "mlp" in parts or "block_sparse_moe" in parts:
        return "mlp"
    if parts[0] == "lm_head":
        return "head"
    if any(p == "norm" or p.endswith("layernorm") for p in parts):
        return "norm"
    return "other"

