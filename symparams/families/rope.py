"""Rotary embedding parameters as transformers reads them: what it refuses, and what it cannot compute with.

Every config class with rotary embeddings validates them when it is made: a head whose
rotary part is its whole odd size cannot be rotated in pairs, so the config is refused
(tiny test models of at most 4 dimensions pass). The head size it reads is the config
object's ``head_dim`` attribute, which a family's class may always hold (its default, or
D // H worked out in ``__post_init__``), or hold only when a config.json states it.
A family says which (``Family.rope_head``), and the registry checks every model it reads.

Gemma 3 and OLMo 3 keep rope parameters per layer kind instead: each kind their layers
use is validated with its own ``partial_rotary_factor`` (:func:`check_layer_kinds`).

The same validation refuses rope parameters missing a key their type requires, in
every config class, rotary or not, and values it compares that are not numbers; a
rotary embedding cannot compute with an unknown type, or a theta, factor or share that
is not a number (:func:`check_rope`). The share of each head that rotates is read where
transformers' class keeps it (:func:`partial_rotary_factor`).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol

from ..config import Config, _Constant, short
from ..errors import SymparamsError
from .layer_lists import ATTENTION_KINDS

if TYPE_CHECKING:
    from sympy import Expr

__all__ = ["partial_rotary_factor", "class_share", "check_rope_head_dim", "refuse_negative_width", "rotary_width",
           "check_head", "whole_rotary", "check_layer_kinds", "check_table", "refuse_unmerged_scaling", "check_rope",
           "RopeHolding", "rope_table", "rope_type", "is_number", "malformed", "refuse_missing",
           "NUMBER", "NUMBERS", "REQUIRED_KEYS", "VALIDATED", "COMPUTED", "ROTARY", "plain_share",
           "rotary_table_width"]


def partial_rotary_factor(cfg: Config, default: Any = 1, strict: bool = True) -> Any:
    """The share of each head that rotates, where transformers' class keeps it: the rope table's, else the top
    level's, else the class's own ``default``.

    A top-level null replaces the class's share with none, so the whole head rotates
    (the rotary embedding's fallback, 1). A stated share that is not a number is refused
    (``strict``: our callers compute rotary tables with it, as transformers' rotary
    embedding does), or else read as that fallback.
    """
    name, table = rope_table(cfg)
    if isinstance(table, dict) and "partial_rotary_factor" in table:
        value = table["partial_rotary_factor"]
    elif "partial_rotary_factor" in cfg.data:
        value, name = cfg.data["partial_rotary_factor"], ""
        if value is None:
            return 1
    else:
        return default
    if not is_number(value):
        if strict:
            raise malformed(cfg, name, "partial_rotary_factor", value, "a number")
        return 1
    return value


def rope_table(cfg: Config) -> tuple[str, Any]:
    """The rope parameters a config class keeps, and their field: ``rope_scaling`` when it states any, else
    ``rope_parameters`` (transformers takes one or the other whole, never a merge)."""
    return ("rope_scaling", cfg.data["rope_scaling"]) if cfg.data.get("rope_scaling") else (
        "rope_parameters", cfg.data.get("rope_parameters"))


def rope_type(params: Any) -> Any:
    """The type a rope table states, as transformers reads it: ``rope_type``, else the older ``type``, else
    "default" (anything but an object of parameters is "default" too)."""
    return params.get("rope_type", params.get("type", "default")) if isinstance(params, dict) else "default"


def is_number(value: Any) -> bool:
    """A JSON number as read exactly (an int, a finite decimal or float), not a bool."""
    return not isinstance(value, bool) and (isinstance(value, int) or (
        isinstance(value, (Decimal, float)) and math.isfinite(value)))


def _first_factor(holders: Iterable[Any], default: Any) -> Any:
    for holder in holders:
        if isinstance(holder, dict):
            value = holder.get("partial_rotary_factor")
            if is_number(value):
                return value
    return default


def check_rope_head_dim(cfg: Config, head_dim: int, field: str = "head_dim", partial_default: Any = 1,
                        held: bool = True) -> None:
    """Refuse what transformers' RoPE validation refuses: a fully rotary head of odd size above 4.

    (A partly rotary head rounds its odd rotary part up and fits; tiny test models of at
    most 4 dimensions are let through by transformers, so they are here.) ``held`` says
    whether ``head_dim`` is the size the model's layers use, not only one its config states.
    """
    _refuse_odd(cfg, head_dim, partial_rotary_factor(cfg, partial_default, strict=False), field, held=held)


def whole_rotary(cfg: Config, field: str, head_dim: int, held: bool = True) -> None:
    """Note that ``cfg``'s reading checked ``head_dim`` (the field it is read from; "rope" where a rope table's
    checks read the rotary size) as a head transformers rotates whole, so that a size set later is checked too
    (:mod:`.later`)."""
    cfg.checked.rotary.append((field, head_dim, held))


def _refuse_odd(cfg: Config, head_dim: int, partial: Any, field: str, where: str = "", held: bool = True) -> None:
    if partial == 1:
        whole_rotary(cfg, field, head_dim, held)
    if head_dim > 4 and head_dim % 2 and _whole_head(head_dim, partial):
        raise cfg.error(field, f"makes heads of odd size {head_dim} (head_dim); transformers' rotary embedding "
                               f"needs an even rotary dimension and refuses it{where}")


def _whole_head(head_dim: int, partial: Any) -> bool:
    """Whether int(head_dim * partial), as transformers computes it, is the whole head."""
    return (is_number(partial) or isinstance(partial, Fraction)) and rotary_width(head_dim, partial) == head_dim


def check_head(cfg: Config, how: str | None, head_dim: int | None, share: Any = 1) -> None:
    """Refuse a model of head size ``head_dim`` (None: not one whole number) where transformers' RoPE
    validation refuses its config.

    ``how`` is Family.rope_head: "always" (the class holds the head size the family reads),
    "given" (only a head_dim the config.json states, as written), or None (no rotary
    embedding, or the family checks it itself). ``share`` is the share of each head its class
    rotates where the file states none (:func:`class_share`): GLM's half head, odd or not, passes.
    """
    if how is None:
        return
    if how not in ("always", "given"):
        raise ValueError(f"Family.rope_head is 'always', 'given' or None, not {how!r}")
    if how == "given":
        size = cfg.data.get("head_dim")
        if isinstance(size, (str, list, dict)):
            raise cfg.error("head_dim", f"is {short(size)}, not a number: transformers' RoPE validation compares it "
                                        "with 4 and refuses it")
        if type(size) is not int:
            return
        if size < 0 or -(-size // 2) > _MOST_PAIRS:
            raise cfg.error("head_dim", f"is {size:,}: transformers' rotary embedding takes arange(0, head_dim, 2), "
                                        "which torch cannot make of it")
    else:
        if head_dim is None:
            return
        size = head_dim
    held = next((f for f in cfg.fields if "head_dim" in f.names), None)
    stated = next((n for n in (held.names if held is not None else ("head_dim",)) if cfg.has(n)), None)
    check_rope_head_dim(cfg, size, stated or "num_attention_heads", share, held=how == "always")


def check_layer_kinds(cfg: Config, kinds: Iterable[str], thetas: Mapping[str, str] | None = None,
                      head_dim: int | None = None, shares: Iterable[str] = ()) -> None:
    """Refuse a stated odd head_dim where a layer kind the model uses rotates all of it (Gemma 3, OLMo 3), and
    rope parameters of a kind it uses that lack a key their rope_type requires or that it cannot compute with.

    Their config classes always nest ``rope_parameters`` by layer kind, filling in a missing
    kind with defaults and merging a legacy ``rope_scaling`` into the full-attention one, and
    validate each kind the layers use with that kind's own ``partial_rotary_factor``. A
    top-level factor, or one in un-nested parameters, reaches none of them. ``thetas``
    names the top-level field a kind takes its ``rope_theta`` from when its own table
    states none (Gemma 3's sliding layers: ``rope_local_base_freq``). With the model's
    ``head_dim`` (a stated one wins, as the rope functions read it), a scaled kind's share
    (its own, else the top level's, which transformers' scaled rope functions compute with
    though validation does not see it; the classes' own default embeddings read none) that
    makes its rotary width negative, or odd under YaRN, is refused. ``shares`` names the kinds whose
    default embedding reads its own table's share too (learned classes that take one).
    """
    shares = frozenset(shares)
    size = cfg.data.get("head_dim")
    nested = cfg.data.get("rope_parameters")
    legacy = cfg.data.get("rope_scaling")
    for kind in sorted(set(kinds)):
        own = nested.get(kind) if isinstance(nested, dict) else None
        holders = (legacy, own) if kind == "full_attention" else (own,)
        entry, name = (own if isinstance(own, dict) else {}), "rope_parameters"
        if kind == "full_attention" and isinstance(legacy, dict) and legacy:
            # merged into the class's own entry where the file has none, whose rope_type outranks a legacy "type"
            entry, name = {**(entry or {"rope_type": "default"}), **legacy}, "rope_scaling"
        if entry:
            check_table(cfg, name, entry, where=f" for its {kind} layers")
        top = (thetas or {}).get(kind)
        if top is not None and top in cfg.data and "rope_theta" not in entry and not is_number(cfg.data[top]):
            raise malformed(cfg, "", top, cfg.data[top], NUMBER, f" for its {kind} layers")
        if type(size) is int:
            _refuse_odd(cfg, size, _first_factor(holders, 1), "head_dim", f" for its {kind} layers")
        head = size if type(size) is int else head_dim
        if entry and head is not None and rope_type(entry) != "default":  # scaled: reads the top level's share too
            top = cfg.data.get("partial_rotary_factor")
            if top is not None and not isinstance(top, bool) and not is_number(top) and _first_factor(holders, None) is None:
                raise malformed(cfg, "", "partial_rotary_factor", top, NUMBER, f" for its {kind} layers")
            share = _first_factor(holders, top if is_number(top) else 1)
            refuse_negative_width(cfg, name, head, share, where=f" for its {kind} layers", kind=rope_type(entry))
            if rope_type(entry) == "yarn":
                refuse_odd_yarn(cfg, name, head, share, where=f" for its {kind} layers", held=type(size) is not int)
            if rope_type(entry) == "dynamic":
                refuse_dynamic_two(cfg, name, head, share, where=f" for its {kind} layers")
            if rope_type(entry) == "longrope" and isinstance(entry.get("short_factor"), list):
                refuse_unpaired_factors(cfg, name, head, share, entry["short_factor"])
        elif head is not None and kind in shares:
            refuse_negative_width(cfg, name, head, _first_factor(holders, 1), where=f" for its {kind} layers")
        if entry and rope_type(entry) == "yarn":
            base = (thetas or {}).get(kind, "rope_theta")
            refuse_yarn_base(cfg, *((name, entry["rope_theta"]) if "rope_theta" in entry else (base, cfg.data.get(base))),
                             where=f" for its {kind} layers")


def refuse_unmerged_scaling(cfg: Config) -> None:
    """Refuse a ``rope_scaling`` a class keeping rope parameters by layer kind cannot merge (Gemma 3's, OLMo 3's): it
    updates the full-attention table of the file's ``rope_parameters`` with it, so where the file states both, that
    table must be there, an object."""
    scaling, nested = cfg.data.get("rope_scaling"), cfg.data.get("rope_parameters")
    if scaling is None or nested is None:
        return
    full = nested.get("full_attention") if isinstance(nested, dict) else None
    if not isinstance(full, dict):
        raise cfg.error("rope_scaling", "is merged into the full_attention table of rope_parameters, which "
                                        f"{'holds none' if full is None else 'is not an object'} in this file; "
                                        "transformers cannot make the config")
    if not isinstance(scaling, dict):
        raise cfg.error("rope_scaling", f"is {short(scaling)}, not an object of rope parameters; transformers "
                                        "refuses it")


def check_table(cfg: Config, name: str, table: dict, where: str = "") -> None:
    """Refuse one rope table a rotary embedding computes with (a layer kind's, or one a class keeping them by
    kind takes for every kind): a key its type requires missing (beyond the base and original context, which
    the class fills in), a type transformers does not know, or a value it cannot compute with."""
    refuse_missing(cfg, name, table, FILLED_KEYS, where=where)
    _refuse_values(cfg, name, table, COMPUTED, where=where)


# transformers 5.x RotaryEmbeddingConfigMixin._validate_<type>_rope_parameters: the keys each type requires
# beyond rope_type (always set before validation).
REQUIRED_KEYS = {
    "linear": ("factor",), "dynamic": ("factor",),
    "yarn": ("factor", "original_max_position_embeddings"),
    "longrope": ("short_factor", "long_factor", "original_max_position_embeddings"),
    "llama3": ("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor", "rope_theta"),
    "proportional": ("rope_theta",),
}
# What a class that keeps rope parameters fills in before it validates them; the original context only for
# the types that read it.
FILLED_KEYS = ("rope_theta", "original_max_position_embeddings")
FILLS_CONTEXT = ("llama3", "yarn", "longrope")
# The attribute of the config each rope type reads as transformers makes the config (Family.lacks).
READS = {"llama3": "max_position_embeddings", "yarn": "max_position_embeddings", "longrope": "num_attention_heads"}
# The rope types whose functions read the config's head_dim as it is, null or not, as the model is built
# (LongRoPE's validation reads it as the config is made, whatever the model).
HEAD_READ = ("dynamic", "yarn")
# How a config class keeps rope parameters (Family.rotary).
ROTARY = ("flat", "by-layer-kind", "none")


class RopeHolding(Protocol):
    """What a family says about how its config class keeps rope parameters (the fields of Family)."""

    @property
    def rotary(self) -> str: ...
    @property
    def rope_default(self) -> tuple[tuple[str, Any], ...]: ...
    @property
    def rope_share(self) -> bool: ...
    @property
    def rope_share_default(self) -> Any: ...
    @property
    def rope_share_field(self) -> str | None: ...
    @property
    def rope_theta_field(self) -> str: ...
    @property
    def rope_head_unset(self) -> bool: ...
    @property
    def lacks(self) -> tuple[str, ...]: ...
    @property
    def rope_renames(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def rope_used(self) -> Callable[[Config], bool] | None: ...
    @property
    def rope_top(self) -> Callable[[Config], bool] | None: ...


def rotary_share(cfg: Config, family: RopeHolding) -> tuple[str, Any]:
    """(where it is said, the share of each head) a flat rope table is computed with: the table's own
    ``partial_rotary_factor``, else the top level's (``rope_share_field``; a null there is the whole head),
    else the class's default. transformers moves the top level's into the table when it fills it in."""
    name, table = rope_table(cfg)
    if isinstance(table, dict) and "partial_rotary_factor" in table:
        return name, table["partial_rotary_factor"]
    top = family.rope_share_field
    if top is not None and top in cfg.data:
        return top, 1 if cfg.data[top] is None else cfg.data[top]
    return name, class_share(family)


def class_share(family: RopeHolding) -> Any:
    """The share a family's class rotates where a file states none: ``rope_share_default``, else the share
    its own rope table holds (``rope_default``: Bamba's, GPT-NeoX's), else the whole head."""
    default = family.rope_share_default
    if default is None:
        default = dict(family.rope_default).get("partial_rotary_factor")
    return 1 if default is None else default


def check_rope(cfg: Config, family: RopeHolding, head_dim: int | None = None, in_layers: bool = True) -> None:
    """Refuse rope parameters that transformers refuses or cannot compute with, as it does.

    Every config class validates ``rope_scaling`` (which wins) or ``rope_parameters``
    when it is made, even one without rotary embeddings: they must be an object, hold
    every key their ``rope_type`` requires (a missing one is an error there, not a
    default), and the values its validation compares must be numbers. A family with
    rotary embeddings also computes frequencies from them, so its rope type must be
    one transformers knows and the values that type reads must be numbers.

    How the family's class keeps them is ``family.rotary``: a flat table ("flat") is the
    file's or else the class's own (``rope_default``), filled in with ``rope_theta``, a
    top-level ``partial_rotary_factor`` and (for the types that need it) the original
    context, so only the other keys can be missing; the class may then rename older
    types (``rope_renames``), and its default rotary embedding reads the share where
    ``rope_share``. A class without them ("none") validates what the file states.
    Parameters kept by layer kind ("by-layer-kind") are checked per kind by
    :func:`check_layer_kinds`. ``rope_used`` says whether this config's model builds a
    rotary embedding at all, where its class keeps rope parameters either way. With the
    model's ``head_dim``, a share it computes with that makes the rotary width
    int(head_dim * share) negative is refused: the embedding's arange cannot be built.
    ``in_layers`` says whether ``head_dim`` is a size the model's layers use, not only one
    its config states (:func:`whole_rotary`).
    """
    rotary = family.rotary
    if rotary not in ROTARY:
        raise ValueError(f"Family.rotary is one of {ROTARY}, not {rotary!r}")
    for name in ("rope_scaling", "rope_parameters"):
        value = cfg.data.get(name)
        if value is not None and not isinstance(value, dict):
            raise cfg.error(name, f"is {short(value)}, not an object of rope parameters; transformers refuses it")
    if rotary == "by-layer-kind" or (family.rope_top is not None and not family.rope_top(cfg)):
        return
    name, params = rope_table(cfg)
    params = params or {}
    # A class that keeps no rope parameters converts a legacy rope_scaling only beside a rope_theta (any value Python
    # calls true), and before it sets the file's other fields: a field the class lacks is missing then, stated or not.
    converted_early = name == "rope_scaling" and bool(cfg.data.get("rope_theta"))
    for kind in [params, *params.values()]:
        needs = READS.get(rope_type(kind)) if isinstance(kind, dict) else None
        if needs is not None and needs in family.lacks and (needs not in cfg.data or converted_early):
            when = " while it converts a rope_scaling beside rope_theta" if converted_early else ""
            raise cfg.error(name, f"rope_type {short(rope_type(kind))} reads {needs}, which {cfg.model_type}'s "
                                  f"config class does not have{when}; transformers cannot make the config")
        if isinstance(kind, dict) and rope_type(kind) == "longrope" and _null_head(cfg, family):
            _refuse_null_head(cfg, name, "longrope")
    if any(isinstance(v, dict) or (v is None and k in ATTENTION_KINDS) for k, v in params.items()):
        return
    computes = rotary != "none" and (family.rope_used is None or family.rope_used(cfg))
    computed = dict(COMPUTED)
    if family.rope_share:
        computed["default"] = {**computed["default"], "partial_rotary_factor": NUMBER}
    if params:
        stated = rope_type(params)
        renamed = dict(family.rope_renames).get(stated, stated) if isinstance(stated, str) else stated
        filled = ("rope_theta", *(("original_max_position_embeddings",) if stated in FILLS_CONTEXT else ()))
        params = {**params, "rope_type": renamed}
        refuse_missing(cfg, name, params, filled if rotary == "flat" else ())
        _refuse_values(cfg, name, params, computed if computes else None, head_dim=head_dim if computes else None)
    if rotary == "flat" and computes:
        held = params or dict(family.rope_default)
        top = {k: cfg.data[k] for k in ("rope_theta", "partial_rotary_factor") if k in cfg.data and k not in held}
        if top.get("partial_rotary_factor", 0) is None:
            del top["partial_rotary_factor"]
        theta = family.rope_theta_field  # a base the class fills the table's rope_theta from (GPT-NeoX's)
        if theta != "rope_theta" and theta in cfg.data and "rope_theta" not in params and not is_number(cfg.data[theta]):
            raise malformed(cfg, "", theta, cfg.data[theta], NUMBER)
        _refuse_values(cfg, "", {**top, "rope_type": rope_type(held)}, computed, head_dim=head_dim)
        if rope_type(held) in HEAD_READ and _null_head(cfg, family):
            _refuse_null_head(cfg, name if params else "head_dim", rope_type(held))
        if rope_type(held) == "yarn":  # (the table's own theta, else the top level's, which transformers fills in)
            top_theta = family.rope_theta_field
            refuse_yarn_base(cfg, *((name, held["rope_theta"]) if "rope_theta" in held else
                                    (top_theta, cfg.data.get(top_theta))))
        if head_dim is not None and rope_type(held) == "yarn":
            field, share = rotary_share(cfg, family)
            refuse_odd_yarn(cfg, field, head_dim, share, held=in_layers)
        if head_dim is not None and rope_type(held) == "dynamic":
            field, share = rotary_share(cfg, family)
            refuse_dynamic_two(cfg, field, head_dim, share)
        if head_dim is not None and rope_type(held) == "longrope" and isinstance(held.get("short_factor"), list):
            refuse_unpaired_factors(cfg, name, head_dim, rotary_share(cfg, family)[1], held["short_factor"])


def _null_head(cfg: Config, family: RopeHolding) -> bool:
    """Whether the config's head_dim is null as transformers' rope functions read it: stated null where the
    class keeps what the file says (it has no such field, or leaves it unset), or unstated where it leaves it unset."""
    if "head_dim" in cfg.data:
        return cfg.data["head_dim"] is None and (family.rope_head_unset or "head_dim" not in cfg.fields)
    return family.rope_head_unset


def _refuse_null_head(cfg: Config, name: str, kind: str) -> None:
    said = "is null" if cfg.data.get("head_dim", 0) is None else "is not given, which its config class leaves null"
    raise cfg.error(name, f"rope_type {short(kind)} computes with the config's head_dim, which {said}; "
                          "transformers cannot build it")


def refuse_missing(cfg: Config, name: str, params: dict, filled: Iterable[str], where: str = "") -> None:
    """Refuse a rope table missing a key its type requires (``REQUIRED_KEYS``) that the class does not fill in:
    transformers' validation raises there, in every config class."""
    stated = rope_type(params)
    if not isinstance(stated, str):
        return
    required = REQUIRED_KEYS.get(stated, ())
    missing = [k for k in required if k not in params and k not in filled]
    if missing:
        raise cfg.error(name, f"rope_type {stated!r} needs {', '.join(missing)}{where}, which transformers "
                              "requires and refuses the file without")


# What a rope value must be where transformers computes with it.
NUMBER, NUMBER_OR_NULL, SIZED, NUMBERS = "a number", "a number or null", "a list", "a list of numbers"
# Values transformers' validation compares or measures, in every config class, by rope_type.
VALIDATED = {
    "yarn": {"beta_fast": NUMBER_OR_NULL, "beta_slow": NUMBER_OR_NULL, "original_max_position_embeddings": NUMBER},
    "llama3": {"low_freq_factor": NUMBER, "high_freq_factor": NUMBER, "original_max_position_embeddings": NUMBER},
    "longrope": {"short_factor": SIZED, "long_factor": SIZED, "partial_rotary_factor": NUMBER},
}
# Values a rotary embedding computes its frequencies from, by rope_type (transformers'
# ROPE_INIT_FUNCTIONS; a "default" embedding is each family's own and reads rope_theta).
_SCALED = {"rope_theta": NUMBER, "partial_rotary_factor": NUMBER, "factor": NUMBER}
COMPUTED = {
    "default": {"rope_theta": NUMBER},
    "linear": _SCALED, "dynamic": _SCALED, "llama3": _SCALED, "proportional": _SCALED,
    "yarn": {**_SCALED, "factor": NUMBER_OR_NULL},
    "longrope": {**_SCALED, "factor": NUMBER_OR_NULL, "short_factor": NUMBERS, "original_max_position_embeddings": NUMBER},
}


def _refuse_values(cfg: Config, name: str, params: dict, computed: Mapping[str, Mapping[str, str]] | None,
                   where: str = "", head_dim: int | None = None) -> None:
    """Refuse values of ``params`` that transformers' validation, or (``computed``, for a family with rotary
    embeddings) its rotary embedding, cannot compute with; with ``head_dim``, a share it computes with that
    makes the rotary width negative."""
    stated = rope_type(params)
    if computed is not None and (not isinstance(stated, str) or stated not in computed):
        raise cfg.error(name, f"rope_type {short(stated)}{where} is not one transformers' rotary embeddings "
                              f"compute ({', '.join(computed)})")
    if not isinstance(stated, str):
        return
    wanted = {**VALIDATED.get(stated, {}), **(computed[stated] if computed is not None else {})}
    for key, kind in wanted.items():
        if key in params and not _is_kind(params[key], kind):
            raise malformed(cfg, name, key, params[key], kind, where)
    if head_dim is not None and "partial_rotary_factor" in wanted:
        refuse_negative_width(cfg, name or "partial_rotary_factor", head_dim, params.get("partial_rotary_factor"),
                              where=where, kind=stated)
    if name:
        _refuse_singular(cfg, name, stated, params, where, computed is not None)


def _refuse_singular(cfg: Config, name: str, stated: str, params: dict, where: str, computes: bool) -> None:
    """Refuse a table transformers divides by zero with, or takes the logarithm of a number not above zero: as it
    validates YaRN, the context over an original context of 0; where it ``computes`` the rotary embedding as it
    builds the model, YaRN's log(original context / (beta x 2 pi)) for either beta (a zero beta is its default, 32
    or 1) and its attention factor from mscale and mscale_all_dim (where both are given and the factor is above 1,
    they must be numbers), Llama 3's original context over a frequency factor of 0, and LongRoPE's
    log(factor) / log(original context) where factor (else the context over the original one; every class's
    default context is above 1) is above 1 and no attention_factor is given."""
    context: Any = params.get("original_max_position_embeddings", cfg.data.get("max_position_embeddings"))
    if not is_number(context):
        return
    bad: str | None = None
    if stated == "yarn" and context == 0:
        bad = "the context over an original context of 0 divides by zero"
    elif not computes:
        return
    elif stated == "yarn":
        for key, default in (("beta_fast", 32), ("beta_slow", 1)):
            beta = params.get(key) or default
            if is_number(beta) and Fraction(context) / Fraction(beta) <= 0:
                bad = f"{key} {short(beta)} over an original context of {short(context)} has no logarithm"
        scale: Any = params.get("factor")
        scales = (params.get("mscale"), params.get("mscale_all_dim"))
        if params.get("attention_factor") is None and all(scales) and is_number(scale) and scale > 1:
            for key, value in zip(("mscale", "mscale_all_dim"), scales):  # 0.1 * mscale * log(factor) + 1
                if not is_number(value):
                    raise malformed(cfg, name, key, value, NUMBER, where)
    elif stated == "llama3":
        bad = next((f"{key} 0 divides the original context by zero" for key in ("low_freq_factor", "high_freq_factor")
                    if is_number(params.get(key)) and params[key] == 0), None)
    elif stated == "longrope":
        factor: Any = params.get("factor")
        top: Any = cfg.data.get("max_position_embeddings")
        if factor is None and context == 0:
            bad = "no factor is given, and the context over an original context of 0 divides by zero"
        else:
            if factor is None:
                factor = Fraction(top) / Fraction(context) if is_number(top) else 2
            scaled = is_number(factor) or isinstance(factor, Fraction)
            if params.get("attention_factor") is None and scaled and factor > 1 and context <= 1:
                bad = f"an original context of {short(context)} makes log(factor) / log(context) undefined"
    if bad:
        raise cfg.error(name, f"rope_type '{stated}'{where}: {bad}; transformers cannot build the model")


# The most frequencies torch makes: arange(0, width, 2) holds 8-byte integers, and their bytes must fit in an int64.
_MOST_PAIRS = (2**63 - 1) // 8


def plain_share(value: Any) -> tuple[str, str]:
    """``partial_rotary_factor`` as plain data that gives back the very number read (an int, a decimal or a float)."""
    kind = "int" if isinstance(value, int) else "decimal" if isinstance(value, Decimal) else "float"
    return kind, repr(value) if kind == "float" else str(value)


def rotary_table_width(share: tuple[str, str]) -> Expr:
    """Width of the cos and sin tables of a share (as :func:`plain_share` keeps it): int(d_h * share), rounded up
    to even (transformers' RoPE)."""
    import sympy

    from ..symbols import d_h

    kind, text = share
    value = {"int": int, "decimal": Decimal, "float": float}[kind](text)
    return 2 * sympy.ceiling(sympy.floor(d_h * sympy.nsimplify(value)) / 2)


def rotary_width(head_dim: int, share: Any) -> int | None:
    """int(head_dim * share) as transformers computes it: with the share as ``json.loads`` reads it, a binary float,
    so that 100 x 0.58 is 57 there (a class's own share, kept here as a Fraction such as 1/4, is its float too).
    None where the product is not finite, which transformers cannot make a whole number of."""
    if type(share) is int:
        return head_dim * share
    product = head_dim * float(share)
    return int(product) if math.isfinite(product) else None


def refuse_negative_width(cfg: Config, field: str, head_dim: int, share: Any, key: str = "partial_rotary_factor",
                          where: str = "", kind: Any = None) -> None:
    """Refuse a share (``key``, in ``field``) that makes the rotary width int(head_dim * share) negative, or too
    large for torch: transformers' rotary embedding takes arange(0, width, 2) and cannot be built with it.
    Proportional RoPE (``kind``) rotates int(share * head_dim // 2) pairs instead, refused the same way."""
    if not is_number(share):
        return
    if kind == "proportional":
        pairs = float(share) * head_dim // 2
        if not math.isfinite(pairs) or not 0 <= pairs <= _MOST_PAIRS:
            made = f"{int(pairs):,}" if math.isfinite(pairs) else short(pairs)
            raise cfg.error(field, f"{key} {short(share)}{where} makes {made} rotated pairs (share x {head_dim} "
                                   "// 2); transformers' proportional RoPE cannot be built with it")
        return
    width = rotary_width(head_dim, share)
    if width is None or width < 0 or -(-width // 2) > _MOST_PAIRS:
        named = "" if key == field else f"{key} "
        made = "not a finite number" if width is None else f"{width:,}" if width > 0 else f"{width}"
        raise cfg.error(field, f"{named}{short(share)}{where} makes a rotary width of int({head_dim} x {short(share)}) "
                               f"= {made}, which transformers' rotary embedding cannot be built with")


def _rotary_width(head_dim: int, share: Any) -> tuple[int, str] | None:
    """(int(head_dim * share) as transformers computes it, how it is written) for a share that is a number (a
    class's own may be 1/4)."""
    if not (is_number(share) or isinstance(share, Fraction)):
        return None
    width = rotary_width(head_dim, share)
    if width is None:
        return None
    shown = f"{float(share):g}" if isinstance(share, Fraction) else short(share)
    return width, f"int({head_dim} x {shown})"


def refuse_odd_yarn(cfg: Config, field: str, head_dim: int, share: Any, where: str = "", held: bool = True) -> None:
    """Refuse YaRN over an odd rotary width int(head_dim * share) of 5 or more: transformers' YaRN takes
    ceil(width/2) frequencies and a ramp of width // 2, which then cannot be combined."""
    found = _rotary_width(head_dim, share)
    if share == 1:
        whole_rotary(cfg, "rope", head_dim, held)
    if found is not None and found[0] >= 5 and found[0] % 2:
        raise cfg.error(field, f"rope_type 'yarn'{where} over a rotary width of {found[1]} = {found[0]}, which is "
                               "odd: transformers' YaRN cannot be built with it")


def refuse_yarn_base(cfg: Config, field: str, theta: Any, where: str = "") -> None:
    """Refuse YaRN over a rope_theta of 1 or of 0 and below: transformers' YaRN divides by log(rope_theta) as it
    builds the model, which is zero at 1 and undefined below."""
    if is_number(theta) and (theta <= 0 or theta == 1):
        named = "" if field.startswith("rope_theta") or field.endswith("_base") else "rope_theta "
        raise cfg.error(field, f"{named}{short(theta)}{where} under rope_type 'yarn': transformers' YaRN divides by "
                               "log(rope_theta), and builds no model with a base of 1, 0 or below")


def refuse_dynamic_two(cfg: Config, field: str, head_dim: int, share: Any, where: str = "") -> None:
    """Refuse dynamic NTK scaling over a rotary width int(head_dim * share) of 2: transformers raises its base
    to the power width / (width - 2) as it builds the model (Hunyuan's NTK-alpha rope too)."""
    found = _rotary_width(head_dim, share)
    if found is not None and found[0] == 2:
        raise cfg.error(field, f"rope_type 'dynamic'{where} over a rotary width of {found[1]} = 2: transformers "
                               "raises its base to the power width / (width - 2), and builds no model")


def refuse_unpaired_factors(cfg: Config, field: str, head_dim: int, share: Any, factors: list) -> None:
    """Refuse LongRoPE short factors that are neither one per rotary frequency nor one for all: transformers'
    LongRoPE multiplies them into the ceil(w/2) frequencies of the rotary width w = int(head_dim * share) as it
    builds the model (the long factors, used only past the original context, it only warns about)."""
    found = _rotary_width(head_dim, share)
    if found is None or found[0] < 1:
        return
    pairs = len(range(0, found[0], 2))
    if len(factors) not in (1, pairs) and pairs != 1:
        raise cfg.error(field, f"short_factor has {len(factors)} entries, but the rotary width {found[1]} = "
                               f"{found[0]} has {pairs} frequencies; transformers' LongRoPE cannot be built with them")


def _is_kind(value: Any, kind: str) -> bool:
    if kind == SIZED:
        return isinstance(value, (list, str, dict))
    if kind == NUMBERS:
        return isinstance(value, list) and all(is_number(v) for v in value)
    return is_number(value) or (kind == NUMBER_OR_NULL and value is None)


def malformed(cfg: Config, name: str, key: str, value: Any, kind: str, where: str = "") -> SymparamsError:
    """The one-line error for rope value ``key`` of table ``name`` (the top level where ``name`` is empty)."""
    if isinstance(value, _Constant) or (isinstance(value, (float, Decimal)) and not math.isfinite(value)):
        said = (f"{key} is {short(value)}{where}, not a finite number: the rotary angles computed with it are NaN or "
                "degenerate, so symparams refuses it (transformers may still build the model)")
    else:
        said = f"{key} is {short(value)}{where}, not {kind}; transformers cannot compute with it"
    return cfg.error(name, said) if name else cfg.error(key, said.removeprefix(f"{key} "))
