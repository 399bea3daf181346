"""Hugging Face ``config.json`` in, a :class:`~symparams.spec.Spec` out.

Reading is pure data handling: the file is parsed as JSON (never executed, no
``trust_remote_code``, no network), checked field by field, and handed to the
family module registered for its ``model_type``. Each family module turns the
fields into symbol values and options; the *tables* of field names and
transformers' defaults live there, beside the tree they shape.

Every problem is a :class:`~symparams.errors.SymparamsError` naming the file and
the field.
"""

from __future__ import annotations

import importlib
import json
import math
import os
from typing import Any, Iterable

from sympy import Integer, Rational

from .errors import SymparamsError
from .spec import Spec

__all__ = ["Config", "FAMILIES", "MAX_BYTES", "from_file", "from_dict", "from_preset", "read_json"]

MAX_BYTES = 4 * 1024 * 1024

# model_type -> module under symparams.families exposing ``from_config(cfg) -> Spec``.
FAMILIES: dict[str, str] = {
    "llama": "symparams.families.llama",
    "mistral": "symparams.families.mistral",
    "mixtral": "symparams.families.mixtral",
    "qwen2": "symparams.families.qwen2",
    "gemma": "symparams.families.gemma",
    "gpt2": "symparams.families.gpt2",
    "opt": "symparams.families.opt",
    "gpt_neox": "symparams.families.gpt_neox",
    "gptj": "symparams.families.gptj",
    "bloom": "symparams.families.bloom",
    "falcon": "symparams.families.falcon",
    "phi": "symparams.families.phi",
    "nanochat": "symparams.families.nanochat_hf",
}

_MISSING = object()


class Config:
    """Typed, validated access to the fields of one config.json.

    Every accessor names the file and field in its errors, accepts integral floats
    (4096.0) for whole numbers, and refuses booleans where numbers belong.
    """

    def __init__(self, data: dict, source: str = "config"):
        if not isinstance(data, dict):
            raise SymparamsError(f"{source}: expected a JSON object, got {_kind(data)}")
        self.data = data
        self.source = source
        self.read: set[str] = set()

    @property
    def model_type(self) -> str:
        return self.str("model_type")

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def _get(self, names: Iterable[str] | str, default: Any):
        names = (names,) if isinstance(names, str) else tuple(names)
        for name in names:
            self.read.add(name)
            if name in self.data and self.data[name] is not None:
                return name, self.data[name]
        if default is _MISSING:
            raise SymparamsError(f"{self.source}: required field {names[0]!r} is missing")
        return names[0], default

    def error(self, name: str, message: str) -> SymparamsError:
        return SymparamsError(f"{self.source}: field {name!r}: {message}")

    def int(self, names: Iterable[str] | str, default: Any = _MISSING, minimum: int = 1) -> int:
        """A whole number >= ``minimum`` (positive by default)."""
        name, value = self._get(names, default)
        if value is None:
            return None  # type: ignore[return-value]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"expected a whole number, got {_kind(value)} {_short(value)}")
        if isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                raise self.error(name, f"expected a whole number, got {value!r}")
            value = int(value)
        if value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        return value

    def optional_int(self, names: Iterable[str] | str, minimum: int = 1) -> int | None:
        return self.int(names, None, minimum)

    def number(self, names: Iterable[str] | str, default: Any = _MISSING) -> Rational:
        """An exact number (floats are read through their decimal text)."""
        name, value = self._get(names, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"expected a number, got {_kind(value)} {_short(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(name, f"expected a finite number, got {value!r}")
        return Rational(repr(value)) if isinstance(value, float) else Integer(value)

    def bool(self, names: Iterable[str] | str, default: Any = _MISSING) -> bool:
        name, value = self._get(names, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {_kind(value)} {_short(value)}")
        return value

    def str(self, names: Iterable[str] | str, default: Any = _MISSING, choices: Iterable[str] | None = None) -> str:
        name, value = self._get(names, default)
        if not isinstance(value, str):
            raise self.error(name, f"expected text, got {_kind(value)} {_short(value)}")
        if choices is not None and value not in set(choices):
            raise self.error(name, f"{value!r} is not understood (known: {', '.join(sorted(choices))})")
        return value

    def refuse(self, name: str, allowed: Iterable[Any], why: str = "changes the weight shapes and is not supported") -> None:
        """Refuse a shape-changing field unless it holds one of the ``allowed`` values."""
        if name in self.data:
            self.read.add(name)
            value = self.data[name]
            if not any(value == a and type(value) is type(a) for a in allowed):
                raise self.error(name, f"{_short(value)} {why}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def read_json(path: str | os.PathLike) -> dict:
    """Parse a config file safely: bounded size, UTF-8, plain JSON, an object."""
    source = os.fspath(path)
    try:
        size = os.path.getsize(source)
        if size > MAX_BYTES:
            raise SymparamsError(f"{source}: file is {size:,} bytes; a config.json is at most {MAX_BYTES:,}")
        with open(source, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except SymparamsError:
        raise
    except IsADirectoryError:
        raise SymparamsError(f"{source}: is a directory, not a config file") from None
    except OSError as err:
        raise SymparamsError(f"{source}: cannot read ({err.strerror or err})") from None
    if not raw.strip():
        raise SymparamsError(f"{source}: file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SymparamsError(f"{source}: not UTF-8 text (byte {err.start})") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise SymparamsError(f"{source}: JSON nested too deeply") from None
    except ValueError as err:
        msg = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
        where = f" (line {err.lineno}, column {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        raise SymparamsError(f"{source}: not valid JSON: {msg}{where}") from None
    if not isinstance(data, dict):
        raise SymparamsError(f"{source}: expected a JSON object, got {_kind(data)}")
    return data


def from_dict(data: dict, source: str = "config", name: str | None = None) -> Spec:
    """The Spec for a config given as a dict (as ``json.load`` returns it)."""
    cfg = Config(data, source)
    model_type = cfg.model_type
    if model_type not in FAMILIES:
        known = ", ".join(sorted(FAMILIES))
        raise cfg.error("model_type", f"{model_type!r} is not supported (supported: {known})")
    module = importlib.import_module(FAMILIES[model_type])
    spec = module.from_config(cfg)
    if name:
        from dataclasses import replace

        spec = replace(spec, name=name)
    return spec


def from_file(path: str | os.PathLike) -> Spec:
    source = os.fspath(path)
    return from_dict(read_json(source), source, name=os.path.basename(os.path.dirname(os.path.abspath(source))) + "/" + os.path.basename(source))


def from_preset(name: str) -> Spec:
    from .presets import PRESETS

    return from_dict(read_json(PRESETS[name]), f"preset {name}", name=name)
