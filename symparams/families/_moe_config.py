"""The config side of the decoders with dense layers and mixture-of-experts layers, read with no SymPy.

DeepSeek-V2, V3 and V3.2, GLM-4.5 and ERNIE 4.5 MoE build L_d blocks with a dense MLP and
L - L_d with a mixture of experts (:func:`._deepseek_mla.dense_then_moe`). Whether a model
has layers of one kind or of both, and which of its layers are dense where that is not
simply the first L_d, chooses its tree, so a reading keeps it in its shape as plain data
(:func:`layout`); the sizes those layers use are its values (:func:`moe_values`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..config import DERIVED, REFUSE, Config, Field
from .decoder_sizes import Sizes, sizes_of
from .registry import Reading, by_layer, order

__all__ = ["norm_topk_field", "renorm", "layout", "dense_of", "moe_values", "decoder_sizes"]


def norm_topk_field(default: bool, null_ok: bool = False) -> Field:
    """``norm_topk_prob``: whether a router renormalises its top-k weights; ``null_ok`` where transformers
    takes a null (falsy to its ``if``), else a null is refused as transformers' typed config refuses it."""
    return Field("norm_topk_prob", default, null=DERIVED if null_ok else REFUSE, kind="bool")


def renorm(cfg: Config) -> bool:
    """The config's ``norm_topk_prob`` as transformers' ``if self.norm_topk_prob:`` reads it."""
    value = cfg.get("norm_topk_prob")
    return value is not DERIVED and bool(value)


def layout(dense: int, layers: int, dense_at: Sequence[bool] = ()) -> tuple:
    """The layers' kinds as a shape holds them: ("dense",) or ("moe",) where every layer is of one kind, else
    ("mixed", pattern), the pattern saying layer by layer which is dense, or empty where the dense ones are the
    first ``dense`` (``dense_at``: the config's own pattern, empty for that default)."""
    if dense == layers:
        return ("dense",)
    if not dense:
        return ("moe",)
    pattern = tuple(dense_at)
    return ("mixed", by_layer(() if pattern == tuple(i < dense for i in range(layers)) else pattern))


def dense_of(shape: tuple, values: dict[str, int]) -> tuple[int, tuple[bool, ...]]:
    """The number of dense layers a :func:`layout` gives at ``values``, and its pattern (empty: the first ones)."""
    if shape[0] == "mixed":
        return values["L_d"], order(shape[1])
    return (values["L"] if shape[0] == "dense" else 0), ()


def moe_values(shape: tuple, *, hidden: int, dense: int, expert_hidden: int, experts: int, top_k: int,
               shared: int) -> dict[str, int]:
    """The values of F, L_d, F_e, E, k and E_s, in that order, where a :func:`layout` uses them: F in dense layers,
    L_d where layers of both kinds are, E_s where a shared expert is."""
    if shape[0] == "dense":
        return {"F": hidden}
    out = {"F": hidden, "L_d": dense} if shape[0] == "mixed" else {}
    out.update(F_e=expert_hidden, E=experts, k=top_k)
    if shared:
        out["E_s"] = shared
    return out


def decoder_sizes(r: Reading) -> Sizes:
    """The decoder's :class:`Sizes` of a reading made by :func:`.decoder_sizes.reading` whose values then took
    :func:`moe_values`: F reads 0 where no layer is dense (the tree then has no F)."""
    return sizes_of(r if any(n == "F" for n, _ in r.values) else replace(r, values=(*r.values, ("F", 0))))
