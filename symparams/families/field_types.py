"""The types transformers' config classes check, so that a file transformers refuses is refused here too.

transformers' config classes are strict dataclasses: setting ``rms_norm_eps`` to null, a
``use_cache`` of 1 or a ``num_hidden_layers`` of 2.0 fails when the file loads, even
where no shape reads the field. A count of such a file would be the count of a model no
one can build, so each field's type, as the class annotates it, is kept in
``field_types.json`` beside this file (one entry per model type symparams reads) and a
config is checked against it once its family has read it.

The table is written by ``python -m symparams.families.field_types_source`` from the installed
transformers; tests/test_field_types.py checks it is current and that symparams refuses
a value of any checked field exactly when transformers does.

A type is kept as plain JSON: ``"any"``, ``"none"``, ``"int"``, ``"float"``, ``"bool"``,
``"str"``, ``"list"``, ``"dict"``, ``"never"`` (a class no JSON value is, such as
``torch.dtype``), or an object: ``{"union": [...]}``, ``{"list": T}``, ``{"dict": [K, V]}``,
``{"seq": T}`` (a list or text), ``{"items": [T1, T2]}`` (a list of just these, where the class
turns it into a tuple), ``{"literal": [...]}``; a field with a range check
also has ``{"range": [low, high, low_included, high_included]}``, and a learned family's head
size its class refuses at odd values above 4 (a rotary size it halves) ``"even": true`` (with ``"unless":
"head_dim"`` where a stated head_dim is the one its rope validation reads instead). A model type's
``"built"`` entry holds the dropout fields its built model refuses outside an interval, which
its config class loads: ``{field: [low, high, null]}`` (a bound of null is none); ``"read_only"`` the
properties it works out and a file cannot set; ``"heterogeneous": true`` a class whose own default has
layers that differ (``per_layer_config``, which it saves in every file).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..config import Config, _Constant, _Huge, _kind, short

__all__ = ["check_types", "table", "of_type", "even_fields", "replaced"]

_FILE = Path(__file__).with_name("field_types.json")
_SIMPLE = {"bool": bool, "str": str, "list": list, "dict": dict}


@lru_cache(maxsize=1)
def table() -> dict[str, dict]:
    """model_type -> {"class": name, "fields": {field: {"type": type, "range": bounds}}, "lists": ..., "layers": ...};
    and "*" -> {"dtypes": [...], "generation": {...}}, what every model type checks."""
    return json.loads(_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=512)
def of_type(model_type: str) -> dict | None:
    """``table().get(model_type)``, parsed alone: the table holds a hundred model types, and a count reads one or two.
    The file is what ``field_types_source`` writes, one model type a line: its key, as ``json.dumps`` writes it, starts
    the line (a test checks every entry against the whole table)."""
    head = f"\n{json.dumps(model_type)}: ".encode()
    text = _bytes()
    at = text.find(head)
    if at < 0:
        return None
    start = at + len(head)
    return json.loads(text[start:text.index(b"\n", start)].rstrip(b","))


@lru_cache(maxsize=1)
def _bytes() -> bytes:
    return _FILE.read_bytes()


def _every() -> dict:
    """What every model type checks: the table's ``"*"``."""
    return of_type("*") or {}


def _python(value: Any) -> Any:
    """A number as transformers sees it after ``json.loads``: decimals and NaN are floats, long digits ints."""
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else math.nan
    if isinstance(value, _Constant):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value.name, math.nan)
    if isinstance(value, _Huge):
        return math.inf if value.decimal else 10 ** 400
    return value


_FLOATS = (float, Decimal, _Constant)


def _simple(value: Any, kind: str) -> bool:
    t = type(value)
    if kind == "int":
        return t is int or (t is _Huge and not value.decimal)
    if kind == "float":
        return t in _FLOATS or (t is _Huge and value.decimal)
    if kind == "any":
        return True
    if kind == "none":
        return value is None
    if kind == "never":
        return False
    return isinstance(value, _SIMPLE[kind])


def fits(value: Any, kind: Any) -> bool:
    """Whether transformers' type check passes ``value`` (as read from JSON) for ``kind``."""
    if isinstance(kind, str):
        return _simple(value, kind)
    if "union" in kind:
        return any(fits(value, k) for k in kind["union"])
    if "literal" in kind:
        value = _python(value)
        if isinstance(value, bool):
            return any(isinstance(a, bool) and a == value for a in kind["literal"])
        if isinstance(value, int):
            return any(isinstance(a, int) and not isinstance(a, bool) and a == value for a in kind["literal"])
        return value in kind["literal"]
    if "list" in kind:
        return isinstance(value, list) and all(fits(v, kind["list"]) for v in value)
    if "items" in kind:
        return isinstance(value, list) and len(value) == len(kind["items"]) and all(
            fits(v, k) for v, k in zip(value, kind["items"]))
    if "seq" in kind:
        return isinstance(value, (list, str)) and all(fits(v, kind["seq"]) for v in value)
    if "dict" in kind:
        k, v = kind["dict"]
        return isinstance(value, dict) and all(fits(a, k) and fits(b, v) for a, b in value.items())
    raise ValueError(f"unknown type in field_types.json: {kind!r}")


def in_range(value: Any, bounds: list) -> bool:
    """transformers' ``interval`` check: ``low <= value <= high`` (or strict where a bound is excluded); a value
    that cannot be compared (null, where the type allows it) fails, as it does there."""
    low, high, low_in, high_in = bounds
    try:
        above = value >= low if low_in else value > low
        below = value <= high if high_in else value < high
    except TypeError:
        return False
    return bool(above and below)


_NAMES = {"none": ("null", "nulls"), "never": ("nothing a JSON file holds", "nothing"), "str": ("text", "texts"),
          "dict": ("an object", "objects"), "list": ("a list", "lists"), "bool": ("true or false", "booleans"),
          "int": ("a whole number", "whole numbers"), "float": ("a number with a decimal point", "decimals"),
          "any": ("anything", "anything")}


def _described(kind: Any, plural: bool = False) -> str:
    if isinstance(kind, str):
        return _NAMES[kind][plural]
    if "union" in kind:
        return " or ".join(_described(k, plural) for k in kind["union"] if k != "never")
    if "literal" in kind:
        return "one of " + ", ".join(json.dumps(v) for v in kind["literal"])
    if "list" in kind or "seq" in kind:
        return ("lists" if plural else "a list") + f" of {_described(kind.get('list', kind.get('seq')), True)}"
    if "items" in kind:
        items = kind["items"]
        if all(k == items[0] for k in items):
            return ("lists" if plural else "a list") + f" of {len(items)} {_described(items[0], True)}"
        return ("lists" if plural else "a list") + " of " + ", then ".join(_described(k) for k in items)
    return "objects" if plural else "an object"


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return f"the whole number {value}"
    return f"{_kind(value)} {short(value)}"


def even_fields(cfg: Config) -> list[str]:
    """The head sizes the config gives that its class's rope validation refuses odd and above 4 (``"even"``)."""
    entry = of_type(cfg.model_type) if isinstance(cfg.data.get("model_type"), str) else None
    fields = entry["fields"] if entry is not None else {}
    return [key for key, value in cfg.data.items() if type(value) is int and fields.get(key, {}).get("even")
            and type(cfg.data.get(fields[key].get("unless", ""))) is not int]


def replaced(cfg: Config, name: str) -> bool:
    """Whether the config's class sets field ``name`` to another value as it loads (``"replaced"``), whatever the
    file states: its own validation then never reads the file's value."""
    entry = of_type(cfg.model_type) if isinstance(cfg.data.get("model_type"), str) else None
    return entry is not None and name in entry.get("replaced", ())


# The fields transformers' ``get_text_config`` takes for a causal LM's text config wherever one is not null.
TEXT_CONFIG_NAMES = ("decoder", "generator", "text_config")


def check_types(cfg: Config) -> None:
    """Refuse a field whose value transformers' config class refuses (its type, or its range), and a ``dtype``
    or ``id2label`` transformers cannot make a model from, in any model type."""
    _check_every(cfg)
    entry = of_type(cfg.model_type) if isinstance(cfg.data.get("model_type"), str) else None
    if entry is None or cfg.model_type == "*":
        return
    _check_divides(cfg, entry)
    for name in TEXT_CONFIG_NAMES:
        if cfg.data.get(name) is not None and name not in entry["fields"] and name not in entry.get("nested", {}):
            raise cfg.error(name, f"transformers builds a model from the text config a field of this name holds, but "
                                  f"{entry['class']} makes none of it; no model is built (leave it out)")
    layers = cfg.data.get("per_layer_config")
    if layers is not None and layers != {} and not entry.get("heterogeneous"):
        raise cfg.error("per_layer_config", "makes layers differ from one another (transformers' heterogeneous "
                                            "layers); symparams counts every layer alike and cannot follow it (leave "
                                            "it out)")
    for key in entry.get("read_only", ()):
        if key in cfg.data:
            raise cfg.error(key, f"transformers' {entry['class']} works it out from other fields and takes no value "
                                 "for it from a file (leave it out)")
    _check_fields(cfg, cfg.data, entry)
    _check_built(cfg, cfg.data, entry)
    for name, inner in entry.get("nested", {}).items():  # an object the class makes a config of its own from
        if isinstance(cfg.data.get(name), dict):
            _check_fields(cfg, cfg.data[name], inner, f"{name}.")
            _check_built(cfg, cfg.data[name], inner, f"{name}.")


def _check_fields(cfg: Config, data: dict, entry: dict, within: str = "") -> None:
    """Refuse a value of ``data`` whose type, or range, ``entry``'s class refuses (``within``: the object holding it)."""
    fields = entry["fields"]
    for key, value in data.items():
        kind = fields.get(key)
        if kind is None:
            continue
        if not fits(value, kind["type"]):
            raise cfg.error(within + key, f"transformers' {entry['class']} takes {_described(kind['type'])} here, "
                                          f"not {_shown(value)}")
        if "range" in kind and not in_range(_python(value), kind["range"]):
            low, high, low_in, high_in = kind["range"]
            raise cfg.error(within + key, f"transformers' {entry['class']} takes a value from {low} "
                                          f"({'' if low_in else 'not '}included) to {high} "
                                          f"({'' if high_in else 'not '}included), not {short(value)}")


def _check_built(cfg: Config, data: dict, entry: dict, within: str = "") -> None:
    """The values a config loads with but its model is not built with (a dropout probability of 8, which
    ``torch.nn.Dropout`` refuses), as torch compares them: NaN passes, as it does there."""
    for key, (low, high, null) in entry.get("built", {}).items():
        if key not in data:
            continue
        value = _python(data[key])
        if value is None and null:
            continue
        try:
            outside = value is None or (low is not None and value < low) or (high is not None and value > high)
        except TypeError:
            continue  # a value the type check passed that is no number: the type check speaks for it
        if outside:
            span = f"from {low} to {high}" if low is not None and high is not None else \
                f"of at least {low}" if low is not None else f"of at most {high}"
            raise cfg.error(within + key, f"transformers loads {short(data[key])} here but builds no model with it: "
                                          f"its modules take a value {span}{'' if null else ' (not null)'}")


def _check_every(cfg: Config) -> None:
    """The base class's fields no strict check covers, which fail when the model is made: ``dtype`` (or
    ``torch_dtype``) names a floating dtype torch makes models in, ``id2label`` maps whole numbers written as text."""
    for key in ("dtype", "torch_dtype"):
        value = cfg.data.get(key)
        if value is not None and value not in _every()["dtypes"]:
            raise cfg.error(key, f"transformers makes a model in one of {', '.join(_every()['dtypes'])} (or null), "
                                 f"not {_shown(value)}")
    labels = cfg.data.get("id2label")
    if labels is not None and not (isinstance(labels, dict) and all(_whole_text(k) for k in labels)):
        raise cfg.error("id2label", f"transformers reads an object keyed by whole numbers (\"0\"), not {_shown(labels)}")
    for key in ("layer_types", "mtp_layer_types"):  # every class renames legacy kinds in them as it loads
        value = cfg.data.get(key)
        if value is not None and (not isinstance(value, (list, str, dict)) or (
                isinstance(value, list) and any(isinstance(kind, (list, dict)) for kind in value))):
            raise cfg.error(key, f"transformers looks up each layer's kind in a table as it loads the config, and "
                                 f"cannot look up {_shown(value)}")
    _check_base(cfg)
    _check_generation(cfg)


def _check_base(cfg: Config) -> None:
    """The base class's keys a file may state that transformers refuses as it loads or builds the model, and
    ``attribute_map``, which would change the names every other field is read by."""
    data = cfg.data
    if "attribute_map" in data and data["attribute_map"] != {}:
        raise cfg.error("attribute_map", "changes the names transformers reads this config's fields by; symparams "
                                         "reads each field by its own name and cannot follow it (leave it out)")
    quantization = data.get("quantization_config")
    if quantization is not None and not isinstance(quantization, dict):
        raise cfg.error("quantization_config", f"transformers reads an object here (or null), not {_shown(quantization)}")
    if "num_labels" in data and not isinstance(data["num_labels"], int):
        raise cfg.error("num_labels", f"transformers makes that many labels: a whole number, not {_shown(data['num_labels'])}")
    for key in ("base_model_tp_plan", "base_model_pp_plan"):
        plan = data.get(key)
        if plan is not None and not isinstance(plan, dict) and _python(plan):
            raise cfg.error(key, f"transformers reads an object here (or nothing), not {_shown(plan)}")


_SEEDING_SCHEMES = ("selfhash", "lefthash")


def _check_generation(cfg: Config) -> None:
    """The generation fields a causal LM's config hands its generation config as the model is built, where
    ``GenerationConfig.validate`` refuses them (a null is dropped before): a model no one can build is not counted,
    though none of them shapes a parameter. Each test is transformers' own, on the value as it sees it."""
    gen = _every()["generation"]
    data = cfg.data
    cache = data.get("cache_implementation")
    if cache is not None and not (type(cache) is str and cache in gen["cache_implementations"]):
        raise cfg.error("cache_implementation", f"transformers' generation config takes one of "
                                                f"{', '.join(gen['cache_implementations'])} (or null), not {_shown(cache)}")
    if _fails(lambda v: v <= 0, data.get("max_new_tokens")):
        raise cfg.error("max_new_tokens", f"transformers' generation config takes a number above 0 (or null), "
                                          f"not {_shown(data['max_new_tokens'])}")
    if _fails(lambda v: not 0.0 < v < 1.0, data.get("assistant_ensemble_weight")):
        raise cfg.error("assistant_ensemble_weight", "transformers' generation config takes a number between 0 and 1, "
                                                     f"both excluded (or null), not {_shown(data['assistant_ensemble_weight'])}")
    if data.get("compile_config") is not None:
        raise cfg.error("compile_config", "transformers' generation config takes a CompileConfig set in Python (or null), "
                                          f"never one from a file: not {_shown(data['compile_config'])}")
    marks = data.get("watermarking_config")
    if marks is None:
        return
    if not isinstance(marks, dict) or not set(marks) <= set(gen["watermarking_keys"]):
        raise cfg.error("watermarking_config", "transformers' generation config takes an object with keys among "
                                               f"{', '.join(gen['watermarking_keys'])} (or null), not {_shown(marks)}")
    tests = {"seeding_scheme": lambda v: v not in _SEEDING_SCHEMES, "greenlist_ratio": lambda v: not 0.0 <= v <= 1.0,
             "context_width": lambda v: not v >= 1}
    for key, test in tests.items():
        if key in marks and (marks[key] is None or _fails(test, marks[key])):
            raise cfg.error("watermarking_config", f"{key}: transformers' watermarking config refuses "
                                                   f"{_shown(marks[key])}")


def _fails(test: Any, value: Any) -> bool:
    """Whether transformers' ``test`` refuses a given ``value`` (a comparison Python cannot make refuses it too)."""
    if value is None:
        return False
    try:
        return bool(test(_python(value)))
    except TypeError:
        return True


def _whole_text(key: str) -> bool:
    """Whether Python's ``int()`` reads the text, as transformers reads each id2label key."""
    try:
        int(key)
    except ValueError:
        return False
    return True


def _check_divides(cfg: Config, entry: dict) -> None:
    """The pairs the class's own validation requires to divide (``hidden_size % num_attention_heads``), each
    field as the file gives it under any of its keys, else its default; a null, or a default the class works
    out from other fields, is left to the class."""
    for divisor, multiple, first, second in entry.get("divides", ()):
        a, b = _given(cfg, divisor, first), _given(cfg, multiple, second)
        if type(a) is int and type(b) is int and (a == 0 or (a > 0 and b % a)):
            raise cfg.error(_key(cfg, divisor, multiple), f"{divisor[0]} ({a}) does not divide {multiple[0]} ({b}); "
                                                          f"transformers' {entry['class']} refuses it")


def _given(cfg: Config, keys: list[str], default: int | None) -> Any:
    found = [cfg.data[k] for k in keys if k in cfg.data]
    return found[0] if found else default


def _key(cfg: Config, divisor: list[str], multiple: list[str]) -> str:
    """The key to name: the divisor's where the file gives it, else the multiple's."""
    return next((k for k in (*divisor, *multiple) if k in cfg.data), multiple[0])
