"""The config side of the pre-norm RMSNorm decoder: its field table, and the sizes a config gives.

Reading is kept apart from building (:mod:`.decoder`) so that a config can be read,
checked and sized without SymPy: a count whose tree is already known by its shape
(:mod:`symparams.shapes`) needs only these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import DERIVED, Config, Field, Fields
from .activations import activation
from .layer_kinds import Layers
from .registry import Reading
from .rope import check_rope_head_dim

__all__ = [
    "decoder_fields", "LLAMA_GROUPS", "Sizes", "read_sizes", "read_kv_heads", "reading", "sizes_of", "EXPERTS_ALIASES",
    "expert_fields", "read_experts",
]


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
        Field("head_dim", head_dim, null=head_dim_null, sized=True),
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

    def name(self, family: str) -> str:
        """The Spec's name before a file or preset names it."""
        return f"{family} (D={self.width}, L={self.layers})"

    def values(self, experts: tuple[int, int] | None = None) -> dict[str, int]:
        """The symbols' values by name, in the order a decoder's Spec lists them; no d_h where it is D/H."""
        out = {"V": self.vocab, "D": self.width, "L": self.layers, "H": self.heads, "H_kv": self.kv_heads,
               "d_h": self.head_dim, "F": self.hidden}
        if self.head_dim_derived:
            del out["d_h"]
        if experts is not None:
            out["E"], out["k"] = experts
        return out


def read_kv_heads(cfg: Config, heads: int, notes: list[str]) -> int:
    """H_kv: the config's ``num_key_value_heads``; H where transformers derives it; the family's default, noted
    in ``notes``, where the config leaves it out."""
    kv_heads = cfg.get("num_key_value_heads")
    if kv_heads is DERIVED:
        return heads
    if not cfg.given("num_key_value_heads"):
        notes.append(f"num_key_value_heads not given: {kv_heads} ({cfg.model_type}'s default)")
    return kv_heads


def read_sizes(cfg: Config, *, floor_head_dim: bool = False, rope: str | None = None,
               heads_divide_width: bool = False) -> Sizes:
    """Read the shape fields every RMSNorm decoder has, through the family's field table.

    Three behaviours of transformers' config classes differ by family and are switched here:

    * ``floor_head_dim``: with no head_dim, heads that do not divide the width are refused,
      or the head size is ``D // H``, rounded down, as Mistral, Mixtral, Qwen2 and
      NanoChat build it. A floored head size is a value, noted.
    * ``heads_divide_width``: heads that do not divide the width are refused even where
      head_dim is given (Llama's ``validate_architecture``).
    * ``rope``: transformers refuses a fully rotary head of odd size above 4 wherever the
      config object carries a ``head_dim`` ("given": only when the config gives one;
      "always": also the one Llama and Mistral derive in ``__post_init__``).
    """
    notes: list[str] = []
    width = cfg.get("hidden_size")
    heads = cfg.get("num_attention_heads")
    kv_heads = read_kv_heads(cfg, heads, notes)
    head_dim = cfg.get("head_dim")
    derived = head_dim is DERIVED
    if heads_divide_width and width % heads:
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size {width} (transformers requires "
                        "hidden_size to be a multiple of num_attention_heads, even where head_dim is given)")
    cfg.checked.heads_divide_width = heads_divide_width
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


def reading(family: str, sizes: Sizes, layers: Layers | None = None, notes: tuple[str, ...] = (),
            experts: tuple[int, int] | None = None, **switches: Any) -> Reading:
    """The plain-data reading of a decoder whose tree follows its sizes' tying, activation and head size, which
    layers are windowed (``layers``), and the ``switches`` given (biases); ``notes`` beside the sizes' own;
    ``experts`` (E, k) where its MLP is a mixture of experts.

    Its values and notes are in the order the Spec of :func:`._gemma_layers.layered_spec` lists them.
    """
    shape = [("tied", sizes.tied), ("activation", sizes.activation), ("head_dim_derived", sizes.head_dim_derived),
             *switches.items()]
    values = sizes.values(experts)
    if experts is not None:
        shape.append(("experts", True))
    if layers is not None:
        shape.append(("layers", layers.shape()))
        values.update(layers.values())
        notes = notes + layers.notes
    return Reading(tuple(shape), tuple(values.items()), sizes.name(family),
                   sizes.notes + tuple(dict.fromkeys(notes)))


def sizes_of(r: Reading) -> Sizes:
    """The :class:`Sizes` a :func:`reading` was made from (its notes: all the reading's)."""
    v, shape = dict(r.values), dict(r.shape)
    return Sizes(vocab=v["V"], width=v["D"], layers=v["L"], heads=v["H"], kv_heads=v["H_kv"],
                 head_dim=v["d_h"] if "d_h" in v else v["D"] // v["H"], hidden=v["F"], tied=shape["tied"],
                 activation=shape["activation"], head_dim_derived=shape["head_dim_derived"], notes=r.notes)
