"""The config side of the Qwen3 / Qwen2-MoE / Qwen3-Next / Llama 4 / Phi-3 decoders: fields and sizes read as plain data.

Kept apart from the trees (:mod:`._qwen_decoder`) so that a config can be read and checked
without SymPy: a count whose shape is already known (:mod:`symparams.shapes`) needs only
these numbers. The readers follow transformers 5's config classes: ``layer_types`` must hold
one known type per layer, and a head size left to the model is ``hidden_size //
num_attention_heads``, floor division as the attention classes do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

from ..config import DEFAULT, DERIVED, REFUSE, Config, Field
from ._moe_config import norm_topk_field, renorm
from .activations import activation
from .decoder_sizes import read_kv_heads
from .layer_lists import LEGACY_NAMES
from .registry import Reading, by_layer, order
from .rope import partial_rotary_factor, rotary_width, whole_rotary

__all__ = [
    "GROUPS", "Core", "core_fields", "read_core", "check_padding", "int_list", "read_window", "layer_types", "read_experts",
    "sparse_layers", "list_field", "core_of", "norm_topk_field", "renorm", "layout", "kinds_of", "decoder_reading",
    "ATTENTION_SIZES", "layer_counts", "expert_values",
]

# transformers module name -> tree group, for every family here.
GROUPS = {
    "embed_tokens": "embedding", "self_attn": "attention", "linear_attn": "attention", "mlp": "mlp",
    "feed_forward": "mlp", "lm_head": "head", "norm": "norm", "input_layernorm": "norm",
    "post_attention_layernorm": "norm",
}


def core_fields(*, vocab_size: int, hidden_size: int, num_hidden_layers: int, num_attention_heads: int,
                num_key_value_heads: Any, kv_null: Any = REFUSE, head_dim: Any = DERIVED,
                max_position_embeddings: int = 32768, tie_word_embeddings: bool = False,
                pad_token_id: int | None = None) -> tuple[Field, ...]:
    """The fields every decoder here reads, with one config class's defaults.

    ``head_dim`` DERIVED means the config class has no such field: a config.json that
    carries one is honoured (the attention reads ``getattr(config, "head_dim", ...)``),
    and a null one is refused, as transformers fails on it.
    """
    return (
        Field("vocab_size", vocab_size),
        Field("hidden_size", hidden_size),
        Field("num_hidden_layers", num_hidden_layers),
        Field("num_attention_heads", num_attention_heads),
        Field("num_key_value_heads", num_key_value_heads, null=kv_null),
        Field("head_dim", head_dim, sized=True),
        Field("tie_word_embeddings", tie_word_embeddings, kind="bool"),
        Field("hidden_act", "silu", kind="str"),
        Field("max_position_embeddings", max_position_embeddings),
        Field("pad_token_id", pad_token_id, null=DERIVED, kind="any", types=("int",)),
    )


def list_field(name: str) -> Field:
    """A list field (layer indices or layer types) whose null means what a missing one does: not given."""
    return Field(name, None, null=DEFAULT, kind="any", types=("list",))


@dataclass(frozen=True)
class Core:
    """The sizes every decoder here has: the values of V, D, L, H, H_kv and d_h."""

    vocab: int
    width: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    head_dim_derived: bool
    tied: bool
    activation: str
    notes: tuple[str, ...] = ()

    def values(self) -> dict[str, int]:
        """The symbols' values by name."""
        return {"V": self.vocab, "D": self.width, "L": self.layers, "H": self.heads, "H_kv": self.kv_heads,
                "d_h": self.head_dim}

    def shape(self) -> tuple[tuple[str, object], ...]:
        """What of the sizes shapes a tree: tying, the activation, whether d_h is D/H."""
        return (("tied", self.tied), ("activation", self.activation), ("head_dim_derived", self.head_dim_derived))

    def free(self) -> dict[str, int]:
        """The values of the free symbols: all but d_h where it is D/H."""
        return {k: v for k, v in self.values().items() if k != "d_h" or not self.head_dim_derived}

    def name(self, family: str) -> str:
        return f"{family} (D={self.width}, L={self.layers})"


# The sizes only attention layers use: a model of Gated DeltaNet layers alone lists none of them.
ATTENTION_SIZES = ("H", "H_kv", "d_h")


def core_of(r: Reading) -> Core:
    """The :class:`Core` a reading was made from: sizes from its values, the rest from its shape (notes: all of its).

    A reading with no attention sizes (no attention layer) gets 1 for each: no part of its tree reads them.
    """
    v, shape = dict(r.values), dict(r.shape)
    heads = v.get("H", 1)
    return Core(vocab=v["V"], width=v["D"], layers=v["L"], heads=heads, kv_heads=v.get("H_kv", 1),
                head_dim=v.get("d_h", v["D"] // heads), head_dim_derived=shape["head_dim_derived"],
                tied=shape["tied"], activation=shape["activation"], notes=r.notes)


def decoder_reading(family: str, core: Core, shape: Sequence[tuple[str, Any]], values: Mapping[str, int],
                    notes: Sequence[str] = (), attention: bool = True) -> Reading:
    """A decoder's reading: the core's shape and sizes, then the family's ``shape`` and ``values`` (those its tree
    uses, in the order its Spec lists them); the attention sizes only where some layer attends (``attention``)."""
    sizes = {n: v for n, v in core.free().items() if attention or n not in ATTENTION_SIZES}
    return Reading((*core.shape(), *shape), tuple({**sizes, **values}.items()), core.name(family),
                   core.notes + tuple(notes))


def layout(kinds: Sequence[str]) -> tuple:
    """Each layer's kind where the kinds mix (:func:`~symparams.families.registry.by_layer`), else the one kind: layers all
    alike make one tree at any depth."""
    return by_layer(tuple(kinds)) if len(set(kinds)) > 1 else tuple(kinds[:1])


def kinds_of(shape: tuple, layers: int) -> tuple[str, ...]:
    """Each layer's kind, from a :func:`layout`."""
    return shape * layers if len(shape) == 1 else order(shape)


def layer_counts(*axes: tuple[str, tuple[str, ...], str]) -> dict[str, int]:
    """The count symbols' values: for each (symbol, each layer's kind, the kind it counts), where the kinds mix."""
    return {name: kinds.count(counted) for name, kinds, counted in axes if len(set(kinds)) > 1}


def expert_values(kinds: tuple[str, ...], dense: int, experts: Mapping[str, int]) -> dict[str, int]:
    """F where some layer is dense, then the experts' sizes where some layer is sparse (a tree holds only the
    sizes its layers use)."""
    return {**({"F": dense} if "dense" in kinds else {}), **(experts if "moe" in kinds else {})}


def read_core(cfg: Config, rotary_fraction: Fraction = Fraction(1)) -> Core:
    """Read the shared fields through the family's table (defaults, nulls and all).

    A head size that is a config attribute (given, or the class's default) is checked as
    transformers' ``validate_rope`` checks it: an odd head_dim above 4 that RoPE rotates
    whole is refused. ``rotary_fraction`` is the family's default ``partial_rotary_factor``;
    where a config sets its own, the check is left to transformers.
    """
    for f in cfg.fields:  # every field is checked (and its null judged) as the config class does, used or not
        cfg.get(f.name)
    notes: list[str] = []
    width = cfg.get("hidden_size")
    heads = cfg.get("num_attention_heads")
    kv_heads = read_kv_heads(cfg, heads, notes)
    if heads % kv_heads:
        raise cfg.error("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
    head_dim = cfg.get("head_dim")
    derived = head_dim is DERIVED
    if derived:
        head_dim = width // heads
        if head_dim == 0:
            raise cfg.error("num_attention_heads", f"{heads} heads leave no head size in hidden_size {width}")
        if width % heads:
            derived = False
            notes.append(f"hidden_size {width} is not a multiple of num_attention_heads {heads}: "
                         f"transformers sizes heads by floor division, head_dim = {head_dim}")
    else:
        if not cfg.given("head_dim"):
            notes.append(f"head_dim not given: {head_dim} ({cfg.model_type}'s default)")
        share = partial_rotary_factor(cfg, rotary_fraction, strict=False)  # as transformers' validation reads it
        if share == 1:
            whole_rotary(cfg, "head_dim", head_dim)
        if head_dim > 4 and head_dim % 2 and rotary_width(head_dim, share) == head_dim:
            raise cfg.error("head_dim", f"{head_dim} is odd, and transformers' RoPE needs an even rotary dimension")
    vocab = cfg.get("vocab_size")
    check_padding(cfg, vocab)
    return Core(
        vocab=vocab, width=width, layers=cfg.get("num_hidden_layers"), heads=heads,
        kv_heads=kv_heads, head_dim=head_dim, head_dim_derived=derived, tied=cfg.get("tie_word_embeddings"),
        activation=activation(cfg, "hidden_act", cfg.get("hidden_act")), notes=tuple(notes),
    )


def check_padding(cfg: Config, vocab: int) -> None:
    """Refuse a ``pad_token_id`` outside the embedding, as ``nn.Embedding(V, D, padding_idx)`` does.

    The field must be declared in the family's table (its default is the config class's).
    """
    pad = cfg.get("pad_token_id")
    if pad is None or pad is DERIVED:  # null: no padding row
        return
    pad = _whole(pad)
    if isinstance(pad, bool) or not isinstance(pad, int):
        raise cfg.error("pad_token_id", "expected a token id (a whole number)")
    if not -vocab <= pad < vocab:
        raise cfg.error("pad_token_id", f"{pad} is not a row of the {vocab}-row embedding (transformers refuses it)")


def read_window(cfg: Config, name: str = "sliding_window") -> int | None:
    """A window (or chunk) size in tokens, or None where the field is null (no window)."""
    value = cfg.get(name)
    if value is None or value is DERIVED:
        return None
    if value == 0:
        raise cfg.error(name, "is 0: a window of no tokens attends to nothing")
    return value


def int_list(cfg: Config, name: str) -> list[int] | None:
    """A list of whole numbers (layer indices), or None where the field is null or missing."""
    value = cfg.get(name)
    if value is None or value is DERIVED:
        return None
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise cfg.error(name, "expected a list of layer indices (whole numbers)")
    return list(value)


def layer_types(cfg: Config, layers: int, allowed: Sequence[str], default: Callable[[], list[str]]) -> list[str]:
    """``layer_types`` as given (one known type per layer), else the family's default pattern.

    ``allowed`` are the types this family builds; other names transformers knows are
    refused with the reason, since the family's modeling code has no layer for them.
    """
    value = cfg.get("layer_types")
    if value is None or value is DERIVED:
        return default()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise cfg.error("layer_types", "expected a list of layer type names")
    types = [LEGACY_NAMES.get(v) or v for v in value]
    if len(types) != layers:
        raise cfg.error("layer_types", f"names {len(types)} layers, but num_hidden_layers is {layers}")
    for t in types:
        if t not in allowed:
            raise cfg.error("layer_types", f"{t!r} is not a layer {cfg.model_type} builds (it builds: {', '.join(allowed)})")
    return types


def read_experts(cfg: Config, name: str, used: bool = True) -> tuple[int, int]:
    """(E, k): the routed experts (field ``name``) and the experts each token picks.

    k > E is refused: no token can pick more experts than exist (transformers builds such a
    model, but its ``topk`` fails on the first token). A null alias that no layer reads
    (``used`` False; see :meth:`Config.strict`) is no experts.
    """
    experts, top_k = cfg.strict(name, used) or 0, cfg.get("num_experts_per_tok")
    if experts and top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds {name} {experts}")
    return experts, top_k


def sparse_layers(layers: int, experts: int, step: int, mlp_only: Sequence[int]) -> list[bool]:
    """Which layers are MoE, as Qwen's decoder layers decide it.

    ``(layer_idx not in mlp_only_layers) and (num_experts > 0 and (layer_idx + 1) % decoder_sparse_step == 0)``.
    """
    dense = set(mlp_only)
    return [i not in dense and experts > 0 and (i + 1) % step == 0 for i in range(layers)]


def _whole(value: Any) -> Any:
    """An integral JSON number written with a fraction or exponent (4.0, 4e0) as its int, as Python's int() reads it."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value
