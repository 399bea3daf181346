"""What transformers refuses in any config's per-layer lists, ``layer_types`` and ``mlp_layer_types``.

Every config class validates them when it is made, whether or not its model reads them:
each entry must be a layer kind transformers knows (older names such as ``"attention"``
are renamed first), and the list must have one entry per layer. A family that never
reads the lists would otherwise count a file transformers cannot load.

How a class holds ``layer_types`` decides what is checked (``Family.layer_lists``):

* ``"given"``: only a list the file states; ``mlp_layer_types`` is checked only beside
  a stated ``layer_types`` (transformers stops at a missing one);
* ``"filled"``: the class works ``layer_types`` out when it is missing or null, so a
  stated ``mlp_layer_types`` is always checked;
* ``"read-only"``: ``layer_types`` is a property the class cannot set, so the key is
  refused whatever it holds (and ``mlp_layer_types`` checked, as with ``"filled"``);
* ``"own"``: the class fills ``layer_types`` from lists under other names, which the family
  reads and checks itself; ``mlp_layer_types`` is checked as with ``"filled"``;
* ``"unchecked"``: the class replaces the validation with its own (Nemotron-H's layers
  include kinds no other class allows), which the family reads as it does, or has no layers
  of its own (a vision-language wrapper: its text_config's lists are its decoder's).

A learned family has no field table: field_types.json says which lists its class refuses at
a length other than the depth, or refuses whatever they hold (tried when the table is written),
and the depth's field.
"""

from __future__ import annotations

from typing import Any

from ..config import LAYER_FIELDS, Config, Fields, short

__all__ = ["ATTENTION_KINDS", "MLP_KINDS", "LEGACY_NAMES", "HOLDINGS", "check_layer_lists", "check_list"]

# transformers 5.x configuration_utils: ALLOWED_ATTN_LAYER_TYPES, ALLOWED_MLP_LAYER_TYPES, _LEGACY_LAYER_TYPE_REMAP
ATTENTION_KINDS = (
    "full_attention", "sliding_attention", "chunked_attention", "window_attention", "indexed_attention",
    "compressed_sparse_attention", "heavily_compressed_attention", "minimax_m3_sparse", "conv", "moe", "hybrid",
    "hybrid_sliding", "reference_sliding_attention", "linear_attention",
)
MLP_KINDS = ("sparse", "dense")
LEGACY_NAMES = {
    "mamba": "linear_attention", "attention": "full_attention",
    "deepseek_sparse_attention": "indexed_attention", "qwen_sparse_attention": "indexed_attention",
}
HOLDINGS = ("given", "filled", "read-only", "own", "unchecked")


def check_layer_lists(cfg: Config, fields: Fields, holding: str) -> None:
    """Refuse a config whose layer lists transformers' validation refuses (see the module's text)."""
    if holding not in HOLDINGS:
        raise ValueError(f"Family.layer_lists is one of {HOLDINGS}, not {holding!r}")
    if holding == "unchecked":
        return
    learned = getattr(fields, "family", None)
    if learned is not None:
        _check_learned(cfg, learned)
        return
    if holding == "read-only" and "layer_types" in cfg.data:
        raise cfg.error("layer_types", f"is read-only in transformers' {cfg.model_type} config, which cannot "
                                       "load this file; leave it out")
    stated = cfg.data.get("layer_types")
    if stated is None and holding == "given":
        return
    layers = _layers(cfg, fields)
    if stated is not None and holding in ("given", "filled"):
        check_list(cfg, "layer_types", stated, ATTENTION_KINDS, layers, legacy=True)
    mlp = cfg.data.get("mlp_layer_types")
    if mlp is not None:
        check_list(cfg, "mlp_layer_types", mlp, MLP_KINDS, layers, legacy=False)


def _check_learned(cfg: Config, learned: Any) -> None:
    """A learned family's lists, as its class checks them (field_types.json: which lists, and the depth's field)."""
    from .field_types import of_type

    entry = of_type(cfg.model_type) or {}
    if not entry.get("lists"):
        return
    layers = learned.values(cfg.data, cfg.source).get(entry["layers"])
    for key, held in entry["lists"].items():
        if cfg.data.get(key) is None:
            continue
        if held == "refused":
            raise cfg.error(key, f"transformers' {entry['class']} sets it itself and refuses a file that states it; "
                                 "leave it out")
        check_list(cfg, key, cfg.data[key], ATTENTION_KINDS if key == "layer_types" else MLP_KINDS, layers,
                   legacy=key == "layer_types")


def _layers(cfg: Config, fields: Fields) -> int | None:
    """The number of layers the family reads, or None where it has no plain layer count."""
    for f in fields:
        if set(f.names) & LAYER_FIELDS and f.kind == "int":
            value = cfg.field(f)
            return value if type(value) is int else None
    return None


def check_list(cfg: Config, name: str, value: Any, kinds: tuple[str, ...], layers: int | None, legacy: bool) -> None:
    if not isinstance(value, list):
        raise cfg.error(name, f"expected a list of layer kinds, one per layer, got {short(value)}")
    for entry in value:
        kind = LEGACY_NAMES.get(entry, entry) if legacy and isinstance(entry, str) else entry
        if not isinstance(kind, str) or kind not in kinds:
            raise cfg.error(name, f"{short(entry)} is not a layer kind transformers knows "
                                  f"(known: {', '.join(kinds)})")
    if layers is not None and len(value) != layers:
        raise cfg.error(name, f"lists {len(value)} layers for {layers} (num_hidden_layers); transformers refuses "
                              "a list that is not one entry per layer")
