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
import stat
from dataclasses import dataclass
from typing import Any, Iterable

from sympy import Integer, Rational

from .errors import SymparamsError
from .spec import MAX_VALUE, Spec

__all__ = ["Config", "FAMILIES", "MAX_BYTES", "from_file", "from_dict", "from_preset", "read_json"]

MAX_BYTES = 4 * 1024 * 1024
MAX_NESTING = 32
MAX_INT_DIGITS = 60
CAUSAL_LM = ("ForCausalLM", "LMHeadModel")

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
        if value > MAX_VALUE:
            raise self.error(name, f"a number of {len(str(value))} digits is too large (at most 10^50)")
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
        if abs(value) > MAX_VALUE:
            raise self.error(name, f"{value!r} is too large (at most 10^50)")
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


@dataclass(frozen=True)
class _Huge:
    """A JSON integer too long to be any size, kept as a marker so that the field holding it can be named.

    (Python refuses to convert integers of more than 4,300 digits at all, and
    converting long ones costs quadratic time.)
    """

    digits: int


class _Refused(ValueError):
    """A JSON document refused while it is parsed, with the field it concerns."""

    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key, self.message = key, message


@dataclass(frozen=True)
class _Constant:
    """NaN or Infinity, which JSON does not have (Python's reader accepts them): kept to name the field."""

    name: str


def _parse_int(text: str) -> int | _Huge:
    digits = len(text.lstrip("-"))
    return _Huge(digits) if digits > MAX_INT_DIGITS else int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object whose keys all differ (with two values for one field, which one counts is a guess)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(key, "appears more than once")
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, (_Huge, _Constant)):
                raise _Refused(key, _refusal(item))
        out[key] = value
    return out


def _refusal(item: _Huge | _Constant) -> str:
    if isinstance(item, _Huge):
        return f"holds a number of {item.digits} digits, too large for any size"
    return f"holds {item.name}, which is not valid JSON (nor a size)"


def _depth(data: Any) -> int:
    """How deeply ``data`` nests lists and objects (iteratively, so depth itself is safe)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (_Huge, _Constant)):
            raise _Refused(None, _refusal(item))
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_NESTING:
                stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_json(path: str | os.PathLike) -> dict:
    """Parse a config file safely: a regular file of bounded size, UTF-8, plain JSON, an object.

    Only regular files are opened: a FIFO would block forever and a device such as
    /dev/zero never ends. Numbers of absurd length, NaN and Infinity, duplicate keys
    and deep nesting are refused with the file named, as is anything but an object.
    """
    source = _printable(path)
    try:
        info = os.stat(os.fspath(path))
        if stat.S_ISDIR(info.st_mode):
            raise SymparamsError(f"{source}: is a directory, not a config file")
        if not stat.S_ISREG(info.st_mode):
            raise SymparamsError(f"{source}: is not a regular file")
        if info.st_size > MAX_BYTES:
            raise SymparamsError(f"{source}: file is {info.st_size:,} bytes; a config.json is at most {MAX_BYTES:,}")
        with open(os.fspath(path), "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except SymparamsError:
        raise
    except OSError as err:
        raise SymparamsError(f"{source}: cannot read ({err.strerror or err})") from None
    except (TypeError, ValueError) as err:
        raise SymparamsError(f"{source}: not a usable file name ({err})") from None
    if len(raw) > MAX_BYTES:
        raise SymparamsError(f"{source}: file is over {MAX_BYTES:,} bytes, the most a config.json may be")
    if not raw.strip():
        raise SymparamsError(f"{source}: file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SymparamsError(f"{source}: not UTF-8 text (byte {err.start})") from None
    try:
        data = json.loads(text, parse_constant=_Constant, parse_int=_parse_int, object_pairs_hook=_object)
        deepest = _depth(data)
    except RecursionError:
        raise SymparamsError(f"{source}: JSON nested too deeply") from None
    except _Refused as err:
        field = f"field {err.key!r} " if err.key is not None else "the document "
        raise SymparamsError(f"{source}: {field}{err.message}") from None
    except ValueError as err:
        msg = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
        where = f" (line {err.lineno}, column {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        raise SymparamsError(f"{source}: not valid JSON: {msg}{where}") from None
    if not isinstance(data, dict):
        raise SymparamsError(f"{source}: expected a JSON object, got {_kind(data)}")
    if deepest > MAX_NESTING:
        raise SymparamsError(f"{source}: JSON nested more than {MAX_NESTING} levels deep")
    return data


def _printable(path: Any) -> str:
    """A file name fit for one line of output, whatever bytes it holds."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    text = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= 200 else text[:197] + "..."


def _check_architectures(cfg: "Config") -> None:
    """Refuse a config whose model is not a causal LM: its head is not the D -> V one counted here."""
    if not cfg.has("architectures"):
        return
    cfg.read.add("architectures")
    value = cfg.data["architectures"]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise cfg.error("architectures", f"expected a list of class names, got {_kind(value)} {_short(value)}")
    for arch in value:
        if not arch.endswith(CAUSAL_LM):
            raise cfg.error(
                "architectures",
                f"{_short(arch)} is not a causal language model (a *ForCausalLM or *LMHeadModel); "
                "its head is not the one counted here",
            )


def from_dict(data: dict, source: str = "config", name: str | None = None) -> Spec:
    """The Spec for a config given as a dict (as ``json.load`` returns it)."""
    cfg = Config(data, source)
    model_type = cfg.model_type
    if model_type not in FAMILIES:
        known = ", ".join(sorted(FAMILIES))
        raise cfg.error("model_type", f"{_short(model_type)} is not supported (supported: {known})")
    _check_architectures(cfg)
    try:
        module = importlib.import_module(FAMILIES[model_type])
    except ModuleNotFoundError as err:
        if err.name != FAMILIES[model_type]:
            raise
        raise cfg.error("model_type", f"{model_type!r} has no reader installed ({FAMILIES[model_type]})") from None
    spec = module.from_config(cfg)
    try:
        spec.env
    except SymparamsError as err:
        raise SymparamsError(f"{cfg.source}: {err}") from None
    if name:
        from dataclasses import replace

        spec = replace(spec, name=name)
    return spec


def from_file(path: str | os.PathLike) -> Spec:
    data = read_json(path)
    source = os.fspath(path)
    shown = os.path.basename(os.path.dirname(os.path.abspath(source))) + "/" + os.path.basename(source)
    return from_dict(data, _printable(source), name=_printable(shown))


def from_preset(name: str) -> Spec:
    from .presets import PRESETS

    return from_dict(read_json(PRESETS[name]), f"preset {name}", name=name)
