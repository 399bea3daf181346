"""``python -m symparams.families.field_types_source`` writes ``field_types.json`` from the installed transformers.

For each model type symparams reads, the fields its config class checks when a file loads:
each field's annotation as :mod:`symparams.families.field_types` keeps it, and its range
where transformers' ``interval`` guards it. A field is kept only if transformers really
refuses a value of the wrong type when a file sets it (the fields of the base class, such
as ``dtype``, are not checked on that path), so the table holds what transformers does.
A key of the class's ``attribute_map`` (``num_local_experts`` for ``n_routed_experts``) is
not checked there either: transformers sets the field it names without checking its type.

Some values load but build no model: a dropout probability of 8 passes GPT-2's config and
fails in ``torch.nn.Dropout`` when its model is made. Those are found by building the model
on the meta device with each dropout field moved (``built``), so the table holds them too.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import types
import typing
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..silence import silenced

__all__ = ["encode", "written", "model_types"]

_JSON_TYPES = (("none", type(None)), ("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list),
               ("dict", dict))
_WRONG = {"none": 12345, "int": "x", "float": "x", "bool": "x", "str": 12345, "list": 12345, "dict": 12345}


def encode(t: Any, as_tuple: bool = False) -> Any:
    """An annotation as field_types.json keeps it.

    A JSON list is never a tuple, so a tuple in the annotation takes no value of a file, unless
    the class turns the list it is given into a tuple before it checks it (``as_tuple``:
    Bamba's ``time_step_limit``); then only the tuple takes it, at its length.
    """
    origin, args = typing.get_origin(t), typing.get_args(t)
    if t is Any or isinstance(t, (str, typing.ForwardRef)):
        return "any"
    if t is None or t is type(None):
        return "none"
    if origin in (typing.Union, types.UnionType):
        return {"union": [encode(a, as_tuple) for a in args]}
    if origin is typing.Literal:
        return {"literal": list(args)}
    if origin is list or t is list:
        return "never" if as_tuple else {"list": encode(args[0])} if args else "list"
    if origin is dict:
        return {"dict": [encode(args[0]), encode(args[1])]} if args else "dict"
    if as_tuple and (origin is tuple or t is tuple):
        if not args:
            return "list"
        if len(args) == 2 and args[1] is Ellipsis:
            return {"list": encode(args[0])}
        return {"items": [encode(a) for a in args]}
    if origin in (tuple, set) or t in (tuple, set):
        return "never"
    if origin is collections.abc.Sequence:
        return {"seq": encode(args[0]) if args else "any"}
    if isinstance(t, type):
        if typing.is_typeddict(t):
            return "never"
        names = [name for name, py in _JSON_TYPES if issubclass(py, t) and not (t is int and py is bool)]
        if t is object:
            return "any"
        if not names:
            return "never"
        return names[0] if len(names) == 1 else {"union": names}
    raise TypeError(f"annotation not understood: {t!r}")


def _range(field: dataclasses.Field) -> list | None:
    validators = field.metadata.get("validator")
    if validators is None:
        return None
    found = None
    for v in validators if isinstance(validators, list) else [validators]:
        cells = dict(zip(v.__code__.co_freevars, (c.cell_contents for c in v.__closure__ or ())))
        if not {"min", "max", "exclude_min", "exclude_max"} <= set(cells):
            raise TypeError(f"validator of {field.name!r} not understood: {v!r}")
        found = [cells["min"], cells["max"], not cells["exclude_min"], not cells["exclude_max"]]
    return found


def _even(cls: Any, field: dataclasses.Field, kind: Any, model_type: str) -> dict:
    """``{"even": True}`` where the class refuses odd values of a head size (MiniCPM3's ``qk_rope_head_dim``: a
    rotary size its rope validation halves) above 4 (smaller ones transformers lets through): two odd values past
    an even default and 4 refused, the two even ones loaded, and no witness transformers built with an odd one above
    4; with ``"unless": "head_dim"`` where every witness built with one stated a head_dim, which the class's rope
    validation then reads instead (YoutuLLM's). Only learned families take it; a hand-written family checks its
    rotary size with its rotary share (``rope.check_head``)."""
    from .field_types import fits
    from .learned import learned

    d = field.default
    if not field.name.endswith("head_dim") or type(d) is not int or d < 2 or d % 2 or not fits(d, kind):
        return {}
    family = learned(model_type)
    witnesses = [w for f in ([family, *family.variants.values()] if family is not None else []) for w in f.witnesses]
    odd = [w["fields"] for w in witnesses if type(v := w["fields"].get(field.name)) is int and v % 2 and v > 4]
    if odd and (field.name == "head_dim" or not all(type(w.get("head_dim")) is int for w in odd)):
        return {}  # transformers built a witness (a variant's too) with an odd one: the rule holds beside the defaults
    start = max(d, 4) + 1
    if not (_refused(cls, {field.name: start}) and _refused(cls, {field.name: start + 2})
            and not _refused(cls, {field.name: start + 1}) and not _refused(cls, {field.name: start + 3})):
        return {}
    return {"even": True, **({"unless": "head_dim"} if odd else {})}


def _as_tuple(cls: Any, field: dataclasses.Field) -> bool:
    """Whether the class turns the list a file gives for a field its annotation lets be a tuple into one, before it
    checks it: its default, given as a list, is held as a tuple."""

    default = field.default
    if "tuple" not in str(field.type) or not isinstance(default, (tuple, list)) or not default:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            made = cls(**{field.name: list(default)})
        except Exception:  # noqa: BLE001 - a class that refuses its own default as a list keeps no tuple
            return False
    return isinstance(getattr(made, field.name, None), tuple)


def _wrong(kind: Any) -> Any:
    """A JSON value the kind refuses, or None where it takes anything."""
    from .field_types import fits

    candidates: tuple[Any, ...] = (12345, "x", [], {}, None, True, 1.5)
    for value in candidates:
        if not fits(value, kind):
            return value
    return None


# Values a type of a union is tried with: a member none of them loads with is one the class does not take.
_PROBES: dict[str, tuple[Any, ...]] = {"float": (0.0, 0.5, 1.0, 2.5), "int": (0, 1, 2, 8), "bool": (True, False)}


def _taken(cls: Any, field: dataclasses.Field, kind: Any) -> Any:
    """``kind`` without the members of a union the class fails on with a TypeError whatever their value: Gemma 3n's
    ``activation_sparsity_pattern`` is annotated ``float | list[float] | None``, and its ``__post_init__`` takes
    ``len()`` of it, so a file giving one float fails to load. A value refused by a check of values (AXK2's
    ``n_group`` needs ``topk_group`` beside it) keeps its type: the check is of the file's other fields too."""
    if not isinstance(kind, dict) or "union" not in kind:
        return kind
    default = field.default if field.default is not dataclasses.MISSING else None
    kept = []
    for member in kind["union"]:
        probes = _PROBES.get(member) if isinstance(member, str) else None
        if probes is not None:
            own = (default,) if type(default).__name__ == member else ()
            if all(_type_error(cls, {field.name: v}) for v in (*own, *probes)):
                continue
        kept.append(member)
    if not kept or len(kept) == len(kind["union"]):
        return kind
    return kept[0] if len(kept) == 1 else {"union": kept}


def _checked(cls: Any, name: str, kind: Any) -> bool:
    """Whether transformers refuses a file that sets ``name`` to a value of the wrong type."""
    wrong = _wrong(kind)
    return wrong is not None and _refused(cls, {name: wrong})


def _lists(cls: Any) -> dict:
    """{"lists": {list: "depth" or "refused"}, "layers": the depth's field}: the per-layer lists the class
    refuses at any length but the depth, or refuses whatever they hold (a list the class sets itself).

    transformers' ``validate_layer_type`` checks ``layer_types``, and ``mlp_layer_types`` only where
    ``layer_types`` is set once the config is made; a class may replace it. Each list is tried one entry too
    long, at the depth and empty, so what is kept is what the class does."""
    with silenced():
        default = cls()
        depth = getattr(default, "num_hidden_layers", None)
        if type(depth) is not int:
            return {}
        lists = {}
        for key, entry in (("layer_types", "full_attention"), ("mlp_layer_types", "dense")):
            stated = getattr(default, key, None)
            entry = stated[0] if isinstance(stated, list) and stated else entry
            if _refused(cls, {key: [entry] * (depth + 1)}):
                refused = all(_refused(cls, {key: value}) for value in ([entry] * depth, [], stated or []))
                lists[key] = "refused" if refused else "depth"
    if not lists:
        return {}
    return {"lists": lists, "layers": getattr(cls, "attribute_map", {}).get("num_hidden_layers", "num_hidden_layers")}


# (divisor, multiple) pairs a class may require to divide, by their names in transformers' common configs.
_PAIRS = (("num_attention_heads", "hidden_size"), ("num_key_value_heads", "num_attention_heads"),
          ("linear_num_key_heads", "linear_num_value_heads"))


def _divides(cls: Any) -> dict:
    """{"divides": [[divisor's keys, multiple's keys, divisor's default, multiple's default], ...]} (each field's
    name, then the keys the class reads as it; a default the class works out from other fields is null): the
    pairs the class's own validation requires to divide (``hidden_size % num_attention_heads``), found by moving
    the multiple off a multiple of the divisor (refused) and onto the next one (loaded), and the divisor past the
    multiple (refused)."""

    names = getattr(cls, "attribute_map", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = cls()
    found = []
    for divisor, multiple in _PAIRS:
        a, b = names.get(divisor, divisor), names.get(multiple, multiple)
        try:
            da, db = getattr(default, a, None), getattr(default, b, None)
        except Exception:  # noqa: BLE001 - a per-layer attribute (heterogeneous configs) has no one value
            continue
        if type(da) is not int or type(db) is not int or da < 2 or db % da:
            continue
        if a not in {f.name for f in dataclasses.fields(cls)} or b not in {f.name for f in dataclasses.fields(cls)}:
            continue
        if _refused(cls, {b: db + 1}) and not _refused(cls, {b: db + da}) and _refused(cls, {a: db + 1}):
            keys = [[n, *sorted(k for k, v in names.items() if v == n)] for n in (a, b)]
            declared = {f.name: f.default for f in dataclasses.fields(cls)}
            found.append([*keys, *(declared[n] if type(declared[n]) is int else None for n in (a, b))])
    return {"divides": found} if found else {}


# Values a dropout field is built at; what builds of them shows its accepted interval (``_interval``).
_BUILD_PROBES = (-0.5, 0.0, 0.5, 1.0, 1.5)
# The same for a dropout field typed a whole number (MPT's attn_config.attn_pdrop): below, at and above the interval.
_WHOLE_PROBES = (-1, 0, 1, 2)


def _built(model_type: str, cls: Any, within: tuple[str, Any] | None = None) -> dict:
    """{"built": {field: [low, high, null]}}: the dropout fields (a name holding "drop") whose values the built
    model refuses, each with the interval it builds at (a bound of null: none) and whether null builds (false
    where the field's type refuses null already).

    Each field is moved, alone, on a config transformers builds (:func:`_buildable`), and the model is built on
    the meta device at each of ``_BUILD_PROBES`` (and null, where the field's type takes it). A field that builds at
    every probe has no entry. The interval is the one the builds show: its bounds are 0, 1 or none. ``within``
    (a field and the class it makes a config of) moves the fields of that object instead."""
    from .field_types import fits

    base = _buildable(model_type, cls)
    if base is None:
        return {}

    def moved(name: str, value: Any) -> dict:
        if within is None:
            return {**base, name: value}
        inner = base.get(within[0])
        return {**base, within[0]: {**(inner if isinstance(inner, dict) else {}), name: value}}

    found = {}
    for f in dataclasses.fields(cls if within is None else within[1]):
        kind = encode(f.type)
        probes = _BUILD_PROBES if fits(Decimal("0.5"), kind) else _WHOLE_PROBES if fits(2, kind) else ()
        if "drop" not in f.name.lower() or not probes:
            continue
        builds = {v: _builds(cls, moved(f.name, v)) for v in probes}
        takes_null = fits(None, kind)
        null = takes_null and _builds(cls, moved(f.name, None))
        if all(builds.values()) and (null or not takes_null):
            continue
        low = None if builds[probes[0]] else 0
        high = None if builds[probes[-1]] else 1 if builds[1] else 0
        if {v: (low is None or v >= low) and (high is None or v <= high) for v in probes} != builds:
            raise TypeError(f"{model_type}: the builds of {f.name} at {builds} are no interval")
        found[f.name] = [low, high, null]
    return {"built": found} if found else {}


def _buildable(model_type: str, cls: Any) -> dict | None:
    """A config transformers builds a model of ``model_type`` from: the class's defaults, else a preset's, else
    the smallest witness of its learned family; None where none builds."""
    from .learned import learned

    candidates: list[dict] = [{}]
    for path in sorted(Path(__file__).resolve().parent.parent.joinpath("presets").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))  # as transformers reads it
        if data.get("model_type") == model_type:
            candidates.append({k: v for k, v in data.items() if k != "model_type"})
    family = learned(model_type)
    if family is not None:
        candidates += [dict(w["fields"]) for w in sorted(family.witnesses, key=lambda w: w["total"])[:1]]
    return next((c for c in candidates if _builds(cls, c)), None)


def _builds(cls: Any, data: dict) -> bool:
    """Whether transformers loads ``data`` and builds its causal LM on the meta device (a plain ``from_config``), or
    the class its family counts where that is another (a vision-language model's, whose towers are built too)."""
    import torch
    import transformers

    from . import FAMILIES

    family = FAMILIES.by_type.get(cls.model_type)
    name = family.model_class if family is not None else None
    try:
        with silenced(), torch.device("meta"):
            config = cls.from_dict(data)
            if name is not None:
                getattr(transformers, name)._from_config(config)
            else:
                transformers.AutoModelForCausalLM.from_config(config)
    except Exception:  # noqa: BLE001 - any failure to load or build is a refusal
        return False
    return True


def _type_error(cls: Any, data: dict) -> bool:
    """Whether loading ``data`` fails inside the class with a TypeError (an operation the value's type lacks)."""
    try:
        cls.from_dict(data)
    except TypeError:
        return True
    except Exception:  # noqa: BLE001 - any other failure is a check of values, not of the type
        return False
    return False


def _refused(cls: Any, data: dict) -> bool:
    try:
        cls.from_dict(data)
    except Exception:  # noqa: BLE001 - any failure to load is a refusal
        return True
    return False


def model_types() -> list[str]:
    """Every model type symparams reads: the hand-written families' and the learned ones'."""
    from . import FAMILIES
    from ._pixtral import MODEL_TYPE as PIXTRAL
    from ._siglip import CLIP_TYPE as CLIP
    from ._siglip import MODEL_TYPE as SIGLIP
    from .gemma4_vlm import AUDIO_TYPE, VISION_TYPE
    from .idefics2 import PERCEIVER_TYPE
    from .idefics2 import VISION_TYPE as IDEFICS2_VISION
    from .learned import shipped

    towers = {SIGLIP, CLIP, PIXTRAL, VISION_TYPE, AUDIO_TYPE, IDEFICS2_VISION, PERCEIVER_TYPE}  # read as sub-configs
    return sorted(set(FAMILIES.model_types()) | set(shipped()) | towers)


def written(only: list[str] | None = None) -> dict[str, dict]:
    """The table, from the installed transformers (``only``: of these model types alone)."""

    from transformers import CONFIG_MAPPING

    from . import FAMILIES

    learned = set(model_types()) - set(FAMILIES.model_types())
    out: dict[str, dict] = {}
    for model_type in model_types() if only is None else only:
        if model_type not in CONFIG_MAPPING:
            continue
        cls = CONFIG_MAPPING[model_type]
        fields: dict[str, dict] = {}
        for f in dataclasses.fields(cls):
            kind = encode(f.type, _as_tuple(cls, f))
            bounds = _range(f)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if not _checked(cls, f.name, kind):
                    continue
                kind = _taken(cls, f, kind)
            fields[f.name] = {"type": kind, **({"range": bounds} if bounds is not None else {}),
                              **(_even(cls, f, kind, model_type) if model_type in learned else {})}
        out[model_type] = {"class": cls.__name__, "fields": fields, **_lists(cls), **_divides(cls),
                           **_built(model_type, cls), **_nested(model_type, cls), **_replaced(cls), **_read_only(cls),
                           **_heterogeneous(cls)}
    return out


def _heterogeneous(cls: Any) -> dict:
    """{"heterogeneous": true} where the class's own default config has layers that differ (``per_layer_config``:
    Dots 3's, Gemma 4's), which it writes into every file it saves; {} elsewhere."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return {"heterogeneous": True} if cls().is_heterogeneous else {}
        except Exception:  # noqa: BLE001 - a class without a default config holds no default table
            return {}


def _read_only(cls: Any) -> dict:
    """{"read_only": [...]}: the properties of the class (its base's included) a file cannot set, whatever it
    holds: loading one that states it fails (``use_return_dict``; Jamba's ``layers_num_experts``); {} where none."""
    import inspect

    def settable(name: str) -> bool:
        found = inspect.getattr_static(cls, name, None)
        return type(found).__name__ != "classproperty" and not (isinstance(found, property) and found.fset is None)

    skipped = {*getattr(cls, "attribute_map", {}), *(f.name for f in dataclasses.fields(cls)), "model_type"}
    names = sorted(n for n in dir(cls) if not n.startswith("_") and n not in skipped and not settable(n))
    kept = []
    values: tuple[Any, ...] = (None, 0, "x", [], {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            if all(_refused(cls, {name: value}) for value in values):
                kept.append(name)
    return {"read_only": kept} if kept else {}


def _replaced(cls: Any) -> dict:
    """{"replaced": ["head_dim"]} where the class sets a head_dim a file states to another value as it loads
    (GLM-5's sets it to qk_rope_head_dim), so that its rope validation never reads the file's; {} elsewhere."""

    if "head_dim" not in {f.name for f in dataclasses.fields(cls)}:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            kept = cls.from_dict({"head_dim": 997}).to_dict().get("head_dim", 997)
        except Exception:  # noqa: BLE001 - a class that refuses it keeps what it reads
            return {}
    return {"replaced": ["head_dim"]} if kept != 997 else {}


def _nested(model_type: str, cls: Any) -> dict:
    """{"nested": {field: {"class", "fields", "built"}}}: the fields of each object the class makes a config of its
    own from (MPT's and DBRX's ``attn_config``), kept as the top level's are, where transformers refuses a value of
    the wrong type set in that object, and its dropout fields the built model refuses (as :func:`_built` finds
    them, each moved in that object); {} where there are none."""

    out = {}
    for name, sub in (getattr(cls, "sub_configs", None) or {}).items():
        if not (isinstance(sub, type) and dataclasses.is_dataclass(sub)):
            continue
        fields: dict[str, dict] = {}
        for f in dataclasses.fields(sub):
            kind = encode(f.type)
            wrong = _wrong(kind)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if wrong is None or not _refused(cls, {name: {f.name: wrong}}):
                    continue
            bounds = _range(f)
            fields[f.name] = {"type": kind, **({"range": bounds} if bounds is not None else {})}
        built = _built(model_type, cls, (name, sub)).get("built", {})
        if fields or built:
            out[name] = {"class": sub.__name__, "fields": fields, **({"built": built} if built else {})}
    return {"nested": out} if out else {}


def dtypes() -> list[str]:
    """The names of torch's floating dtypes a model can be made in (``torch.set_default_dtype`` takes them):
    the ``dtype`` values transformers builds a model from (``"float8_e4m3fn"`` and ``"int8"`` fail)."""
    import torch

    kept = []
    before = torch.get_default_dtype()
    try:
        for name in sorted(dir(torch)):
            dtype = getattr(torch, name)
            if isinstance(dtype, torch.dtype) and dtype.is_floating_point:
                try:
                    torch.set_default_dtype(dtype)
                except (TypeError, RuntimeError):
                    continue
                kept.append(name)
    finally:
        torch.set_default_dtype(before)
    return kept


def generation() -> dict[str, list[str]]:
    """What transformers' generation config accepts of the generation fields a causal LM's config hands it as the
    model is built (``GenerationConfig.validate``): its cache implementations, and the keys a watermarking
    config's class takes."""
    import inspect

    from transformers import GenerationConfig
    from transformers.generation.configuration_utils import ALL_CACHE_IMPLEMENTATIONS, WatermarkingConfig

    caches = []
    for name in (*ALL_CACHE_IMPLEMENTATIONS, "paged"):  # validate accepts "paged" (continuous batching) besides
        try:
            GenerationConfig(cache_implementation=name)
        except ValueError:
            continue
        caches.append(name)
    keys = [p for p in inspect.signature(WatermarkingConfig.__init__).parameters if p != "self"]
    return {"cache_implementations": caches, "watermarking_keys": keys}


def text() -> str:
    """field_types.json's text, one model type per line; ``"*"`` holds what every model type checks."""
    every = {"*": {"dtypes": dtypes(), "generation": generation()}}
    body = ",\n".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}"
                       for k, v in {**every, **written()}.items())
    return "{\n" + body + "\n}\n"


if __name__ == "__main__":
    (Path(__file__).with_name("field_types.json")).write_text(text(), encoding="utf-8")
