"""The config side of the decoders that mix layer kinds (:mod:`._gemma_layers`): sizes, activation, padding row.

Reading is kept apart from building so that a config can be read and checked without
SymPy: a count whose shape is already known (:mod:`symparams.shapes`) needs only these
numbers.
"""

from __future__ import annotations

from typing import Any

from ..config import DERIVED, Config
from .activations import ACTIVATIONS
from .decoder_sizes import Sizes, read_kv_heads

__all__ = ["read_sizes", "read_activation", "check_padding"]


def read_sizes(cfg: Config, activation_field: str | None = "hidden_act", heads_divide_width: bool = False,
               activation: str = "silu") -> Sizes:
    """V, D, L, H, H_kv, d_h, F and the activation, through the family's field table.

    ``num_key_value_heads`` and ``head_dim`` read DERIVED become H and D / H. Where H does
    not divide D, the head size is ``D // H`` rounded down, as the attention classes size
    it (``getattr(config, "head_dim", D // H)``): a value, noted, no longer the relation.
    ``heads_divide_width`` is Gemma 2/3's and Arcee's ``validate_architecture`` instead:
    hidden_size must be a multiple of the heads, even when head_dim is given. With
    ``activation_field`` None the model names its activation itself (``activation``:
    gpt-oss's clamped SwiGLU), whatever the config says.
    """
    notes: list[str] = []
    width = cfg.get("hidden_size")
    heads = cfg.get("num_attention_heads")
    kv_heads = read_kv_heads(cfg, heads, notes)
    head_dim: Any = cfg.get("head_dim") if "head_dim" in cfg.fields else DERIVED
    derived = head_dim is DERIVED
    if heads_divide_width and width % heads:
        raise cfg.error("num_attention_heads", f"{heads} does not divide hidden_size {width} (transformers requires "
                        "hidden_size to be a multiple of num_attention_heads)")
    cfg.checked.heads_divide_width = heads_divide_width
    if derived:
        head_dim = width // heads
        if not head_dim:
            raise cfg.error("num_attention_heads", f"{heads} heads leave no head size in hidden_size {width}, "
                            "and no head_dim is given")
        if width % heads:
            derived = False
            notes.append(f"hidden_size {width} is not a multiple of num_attention_heads {heads}: transformers sizes "
                         f"heads by floor division, head_dim = {head_dim}")
    elif not cfg.given("head_dim"):
        notes.append(f"head_dim not given: {head_dim} ({cfg.model_type}'s default)")
    if heads % kv_heads:
        raise cfg.error("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
    return Sizes(
        vocab=cfg.get("vocab_size"), width=width, layers=cfg.get("num_hidden_layers"), heads=heads,
        kv_heads=kv_heads, head_dim=head_dim, hidden=cfg.get("intermediate_size"),
        tied=cfg.get("tie_word_embeddings"),
        activation=read_activation(cfg, activation_field) if activation_field else activation,
        head_dim_derived=derived, notes=tuple(notes),
    )


def read_activation(cfg: Config, field: str = "hidden_act") -> str:
    """The activation named by ``field``: one transformers' ``ACT2FN`` knows (it raises KeyError on others)."""
    value = cfg.get(field)
    if value not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS))
        raise cfg.error(field, f"{value!r} is not an activation transformers knows (known: {known})")
    return value


def check_padding(cfg: Config, default: int | None, vocab: int) -> None:
    """Refuse a ``pad_token_id`` outside the embedding: transformers' ``nn.Embedding`` refuses to build it.

    Only whole numbers are checked (a list or text is not a padding row transformers
    would take either, but it has nothing to do with the sizes).
    """
    value = cfg.data.get("pad_token_id", default) if "pad_token_id" in cfg.data else default
    cfg.read.add("pad_token_id")
    if isinstance(value, int) and not isinstance(value, bool) and not -vocab <= value < vocab:
        raise cfg.error("pad_token_id", f"{value} is not a row of the embedding (vocab_size {vocab}); "
                        "transformers cannot build it")
