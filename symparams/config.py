"""Typed, exact access to the fields of a Hugging Face ``config.json``; no family knowledge.

Reading is pure data handling: the file is parsed as JSON (never executed, no
``trust_remote_code``, no network) with every number kept exact (a decimal such as
``4096.0`` is read as the decimal it is, never rounded through a float), and checked
field by field. A family declares its fields once, as a :class:`Fields` table of
transformers' defaults, aliases and what ``null`` means; :class:`Config` reads through
it, so "missing" and "null" stay the different things they are to transformers.

Every problem is a :class:`~symparams.errors.SymparamsError` naming the file and field.
"""

from __future__ import annotations

import builtins
import json
import os
import stat
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable

from .errors import SymparamsError
from .limits import MAX_VALUE

__all__ = [
    "Config", "Field", "Fields", "MISSING", "DERIVED", "REFUSE", "DEFAULT",
    "MAX_BYTES", "MAX_LAYERS", "LAYER_FIELDS", "read_json", "parse_json", "printable", "short",
    "check_architectures", "as_loaded",
]

MAX_BYTES = 4 * 1024 * 1024
MAX_NESTING = 32
MAX_INT_DIGITS = 60
# Families lay a model out layer by layer (sliding windows, expert placement, pipeline stages),
# so a config's layer count bounds their work; no trained transformer comes near it.
MAX_LAYERS = 100_000
LAYER_FIELDS = frozenset({"num_hidden_layers", "n_layer", "n_layers", "num_layers"})
CAUSAL_LM = ("ForCausalLM", "LMHeadModel")
# transformers' causal-LM classes that are named otherwise (its MODEL_FOR_CAUSAL_LM_MAPPING_NAMES).
CAUSAL_LM_CLASSES = ("BertGenerationDecoder", "ReformerModelWithLMHead")

_MISSING = object()


class _Sentinel:
    def __init__(self, name: str, doc: str):
        self.name, self.__doc__ = name, doc

    def __repr__(self) -> str:
        return self.name


MISSING = _Sentinel("MISSING", "A field with no default: a config must give it.")
REFUSE = _Sentinel("REFUSE", "null is refused, as transformers refuses it.")
DEFAULT = _Sentinel("DEFAULT", "null means the same as a missing field: the default.")
DERIVED = _Sentinel("DERIVED", "null (or a default of DERIVED) means the family derives the value (H for H_kv, D/H for d_h).")

_KINDS = ("int", "bool", "str", "number", "any")
# The JSON types a field of kind "any" may be limited to (Field.types), as an error names them. A whole
# number is never a boolean, as transformers' typed configs tell them apart; an integral float is one.
JSON_TYPES = {"int": "a whole number", "float": "a number with a decimal point", "str": "text", "list": "a list",
              "object": "an object"}


@dataclass(frozen=True)
class Field:
    """One config field as transformers reads it: its default, other names, and what null means.

    ``default`` is what a *missing* field becomes (``MISSING``: required; ``DERIVED``:
    the family works it out); ``null`` is what an explicit JSON ``null`` becomes
    (``REFUSE``, ``DEFAULT`` or ``DERIVED``). The two differ in real families: Qwen2's
    missing ``num_key_value_heads`` is 32, its null is H.

    ``aliases`` are the other names of transformers' ``attribute_map``: a null under
    any of them means what ``null`` says, as transformers stores it under the field.
    ``legacy`` names are older keywords a config class pops before it builds
    (BLOOM's and Falcon's ``n_embed``): a value there counts like an alias, but a null
    there means "not given", as it does to transformers.

    ``sized`` marks a size transformers passes to torch as the file writes it, its class declaring
    no type that would refuse a decimal point first (Qwen3-MoE's or GLM-4.5's ``head_dim``,
    Mamba's ``intermediate_size``): torch sizes no tensor with 128.0, so such a value is
    refused, where other whole numbers written with a decimal point are read as the number.

    ``types`` are, for a field of kind "any" or "number", the JSON types transformers'
    typed config accepts there (:data:`JSON_TYPES`: "int", "float", "str", "list",
    "object"); a value of another type is refused, as transformers refuses it (its
    ``float`` fields refuse ``8``, which JSON reads as a whole number). Empty: any value
    of the kind.
    """

    name: str
    default: Any = MISSING
    aliases: tuple[str, ...] = ()
    null: _Sentinel = REFUSE
    kind: str = "int"
    minimum: int = 1
    choices: tuple[str, ...] | None = None
    legacy: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    sized: bool = False

    def __post_init__(self) -> None:
        assert self.kind in _KINDS, self.kind
        assert not self.types or (self.kind in ("any", "number") and set(self.types) <= set(JSON_TYPES)), self.types

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.legacy)


class Fields:
    """A family's field table: every field it reads, by name, plus its parameter groups.

    ``groups`` maps a transformers module name (``self_attn``, ``ln_f``) to the tree
    group its parameters belong to; verification compares group by group with it.
    """

    def __init__(self, *fields: Field, groups: dict[str, str] | None = None):
        self.fields = {f.name: f for f in fields}
        self.groups = dict(groups or {})

    def __getitem__(self, name: str) -> Field:
        return self.fields[name]

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def __iter__(self):
        return iter(self.fields.values())

    def nullable(self) -> tuple[str, ...]:
        """Fields whose null transformers accepts."""
        return tuple(f.name for f in self if f.null is not REFUSE)

    def names(self) -> tuple[str, ...]:
        """Every name the table reads, aliases and legacy names included."""
        return tuple(n for f in self for n in f.names)

    def group(self, param_name: str) -> str:
        """The tree group of a transformers parameter, from its innermost module name in ``groups``."""
        for part in reversed(param_name.split(".")):
            if part in self.groups:
                return self.groups[part]
        return "other"


@dataclass
class Checked:
    """What a family's reading checked that binds the model's own sizes, so that a value set later keeps it too
    (:mod:`symparams.families.later`).

    ``rotary``: each head size checked as rotated whole (the field it was read from, or
    "rope" for a rope table's checks; the size; whether the layers use it).
    ``heads_divide_width``: the class refuses heads that do not divide the width even where
    ``head_dim`` is stated.
    """

    rotary: list[tuple[str, int, bool]] = field(default_factory=list)
    heads_divide_width: bool = False


class Config:
    """Typed, validated access to the fields of one config.json.

    With a family's :class:`Fields` table, :meth:`get` reads a field by its table entry
    (default, aliases, null). The plain accessors (:meth:`int`, :meth:`bool`, ...) name
    their default at the call. Every accessor names the file and field in its errors,
    accepts a decimal only when it is exactly whole (4096.0), and refuses booleans where
    numbers belong.
    """

    def __init__(self, data: dict, source: str = "config", fields: Fields | None = None):
        if not isinstance(data, dict):
            raise SymparamsError(f"{source}: expected a JSON object, got {_kind(data)}")
        self.data = data
        self.source = source
        self.fields = fields or Fields()
        self.read: set[str] = set()
        self.checked = Checked()

    @property
    def model_type(self) -> str:
        return self.str("model_type")

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def given(self, name: str) -> bool:
        """Whether the file names the field at all (null included)."""
        return name in self.data

    def is_null(self, name: str) -> bool:
        return name in self.data and self.data[name] is None

    def strict(self, name: str, used: bool) -> Any:
        """Field ``name`` where transformers' typed field refuses its own null but not an alias's.

        A config class's ``attribute_map`` sets the field from an alias after the type
        check, so a null there is stored as it is, and the model builds unless a layer
        reads it (``used``). Returns the value, or None for such a null that nothing
        reads; ``name`` null under its own name, or read, is refused. The table's field
        must take a null as DERIVED, so that it reaches here.
        """
        value = self.get(name)
        if value is not DERIVED:
            return value
        null = next(n for n in self.fields[name].names if self.is_null(n))
        if null == name:
            raise self.error(name, f"is null; {self._type()} needs a value here (leave the field out for the default)")
        if used:
            raise self.error(null, "is null; transformers cannot build the mixture-of-experts layers without it")
        return None

    def shown(self, name: str) -> str:
        """The raw value of field ``name`` as a message quotes it: a whole number in full, else cut to 40 characters."""
        value = self.data.get(name)
        return str(value) if type(value) is int else short(value)

    # ---- reading through the family's table ---------------------------------
    def get(self, name: str) -> Any:
        """Field ``name`` by the table: its value, the default when missing, per ``null`` when null.

        Returns :data:`DERIVED` where the family must work the value out. Two aliases
        given different values are refused, rather than one winning by a rule the user
        cannot see.
        """
        return self.field(self.fields[name])

    def field(self, f: Field) -> Any:
        """Read by a :class:`Field` given at the call, as :meth:`get` reads by the table's."""
        if not f.aliases and not f.legacy:  # the usual field, of one name, given a value: what the rest comes to
            value = self.data.get(f.name)
            if value is not None:
                self.read.add(f.name)
                return self._typed(f, f.name, value)
        self.read.update(f.names)
        present = [n for n in f.names if n in self.data and not (n in f.legacy and self.data[n] is None)]
        values = [(n, self.data[n]) for n in present if self.data[n] is not None]
        nulls = [n for n in present if self.data[n] is None]
        if nulls and f.null is REFUSE:
            raise self.error(nulls[0], f"is null; {self._type()} needs a value here "
                                       "(leave the field out for the default)")
        if nulls and values:
            shown = ", ".join(f"{n}={short(self.data[n])}" for n in present)
            raise self.error(nulls[0], f"null and a value for the same field ({shown})")
        if len(values) > 1 and len({json.dumps(_plain(v), sort_keys=True) for _, v in values}) > 1:
            shown = ", ".join(f"{n}={short(v)}" for n, v in values)
            raise self.error(present[0], f"conflicting values for the same field ({shown})")
        if values:
            key, value = values[0]
            return self._typed(f, key, value)
        if nulls and f.null is DERIVED:
            return DERIVED
        if f.default is MISSING:
            state = "is missing" if not nulls else "is null" if nulls[0] == f.name else f"is null (as {nulls[0]!r})"
            raise SymparamsError(f"{self.source}: required field {f.name!r} {state}")
        return f.default

    def _type(self) -> str:
        value = self.data.get("model_type")
        return value if isinstance(value, str) else "this model"

    def _typed(self, f: Field, key: str, value: Any) -> Any:
        if f.kind == "int":
            if f.sized and isinstance(value, (float, Decimal)):
                raise self.error(key, f"is {short(value)}, written with a decimal point; transformers sizes tensors "
                                      "with it as written, and torch takes only whole numbers")
            number = self._int(key, value, f.minimum)
            if f.name in LAYER_FIELDS and number > MAX_LAYERS:
                raise self.error(key, f"{short(value)} layers is too many: symparams lays models out layer by "
                                      f"layer and reads at most {MAX_LAYERS:,}")
            return number
        if f.kind == "bool":
            if not isinstance(value, bool):
                raise self.error(key, f"expected true or false, got {_kind(value)} {short(value)}")
            return value
        if f.kind == "str":
            if not isinstance(value, str):
                raise self.error(key, f"expected text, got {_kind(value)} {short(value)}")
            if f.choices is not None and value not in f.choices:
                raise self.error(key, f"{short(value)} is not understood (known: {', '.join(sorted(f.choices))})")
            return value
        if f.types and not any(_is_json(value, t) for t in f.types):
            wanted = [JSON_TYPES[t] for t in f.types] + ([] if f.null is REFUSE else ["null"])
            listed = ", ".join(wanted[:-1]) + " or " + wanted[-1] if len(wanted) > 1 else wanted[0]
            hint = (f" (write {short(value)}.0: transformers' typed config refuses a whole number here)"
                    if type(value) is int and f.types == ("float",) else "")
            raise self.error(key, f"expected {listed}, got {_kind(value)} {short(value)}{hint}")
        if f.kind == "number":
            return self._number(key, value)
        if f.types and isinstance(value, Decimal) and "int" in f.types:
            return int(value)
        return value

    # ---- plain accessors ---------------------------------------------------
    def _get(self, names: Iterable[str] | str, default: Any):
        names = (names,) if isinstance(names, str) else tuple(names)
        for name in names:
            self.read.add(name)
            if name in self.data and self.data[name] is not None:
                return name, self.data[name]
        if default is _MISSING:
            null = next((n for n in names if n in self.data), None)
            state = "is missing" if null is None else "is null" if null == names[0] else f"is null (as {null!r})"
            raise SymparamsError(f"{self.source}: required field {names[0]!r} {state}")
        return names[0], default

    def error(self, name: str, message: str) -> SymparamsError:
        return SymparamsError(f"{self.source}: field {name!r}: {message}")

    def int(self, names: Iterable[str] | str, default: Any = _MISSING, minimum: int = 1) -> int:
        """A whole number >= ``minimum`` (positive by default)."""
        name, value = self._get(names, default)
        if value is None:
            return None  # type: ignore[return-value]
        return self._int(name, value, minimum)

    def _int(self, name: builtins.str, value: Any, minimum: builtins.int) -> builtins.int:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
            raise self.error(name, f"expected a whole number, got {_kind(value)} {short(value)}")
        if isinstance(value, (Decimal, float)):
            exact = Decimal(value) if isinstance(value, float) else value
            if not exact.is_finite():
                raise self.error(name, f"expected a whole number, got {short(value)}")
            if isinstance(value, float) and abs(value) >= 2**53:
                raise self.error(name, f"{short(value)} is a binary float of 2^53 or more, which may already be "
                                       "rounded; give it as a whole number")
            if abs(exact) > MAX_VALUE:
                raise self.error(name, f"{short(value)} is too large (at most 10^50)")
            if exact != exact.to_integral_value():
                raise self.error(name, f"expected a whole number, got {short(value)}")
            value = int(exact)
        if value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        if value > MAX_VALUE:
            raise self.error(name, f"a number of {len(str(value))} digits is too large (at most 10^50)")
        return value

    def optional_int(self, names: Iterable[builtins.str] | builtins.str, minimum: builtins.int = 1) -> builtins.int | None:
        return self.int(names, None, minimum)

    def number(self, names: Iterable[str] | str, default: Any = _MISSING) -> Fraction:
        """An exact number: a decimal is read as the decimal written, never through a float."""
        name, value = self._get(names, default)
        return self._number(name, value)

    def _number(self, name: str, value: Any) -> Fraction:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise self.error(name, f"expected a number, got {_kind(value)} {short(value)}")
        exact: Decimal | builtins.int = Decimal(repr(value)) if isinstance(value, float) else value
        if isinstance(exact, Decimal) and not exact.is_finite():
            raise self.error(name, f"expected a finite number, got {short(value)}")
        if abs(Decimal(exact)) > MAX_VALUE:
            raise self.error(name, f"{short(value)} is too large (at most 10^50)")
        if isinstance(exact, Decimal) and exact.adjusted() < -60:
            raise self.error(name, f"{short(value)} is too small to be a size")
        return Fraction(exact)

    def bool(self, names: Iterable[str] | str, default: Any = _MISSING) -> bool:
        name, value = self._get(names, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {_kind(value)} {short(value)}")
        return value

    def str(self, names: Iterable[str] | str, default: Any = _MISSING, choices: Iterable[str] | None = None) -> str:
        name, value = self._get(names, default)
        if not isinstance(value, str):
            raise self.error(name, f"expected text, got {_kind(value)} {short(value)}")
        if choices is not None and value not in set(choices):
            raise self.error(name, f"{value!r} is not understood (known: {', '.join(sorted(choices))})")
        return value

    def refuse(self, name: builtins.str, allowed: Iterable[Any],
               why: builtins.str = "changes the weight shapes and is not supported") -> None:
        """Refuse a shape-changing field unless it holds one of the ``allowed`` values."""
        if name in self.data:
            self.read.add(name)
            value = self.data[name]
            if not any(value == a and type(value) is type(a) for a in allowed):
                raise self.error(name, f"{short(value)} {why}")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _Constant):
        return value.name
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def as_loaded(value: Any) -> Any:
    """``value`` as transformers holds it, having read the file with ``json.loads``: each decimal the binary float
    nearest it (2.667 as float('2.667')), NaN and Infinity as floats; what a family learned from transformers compares with."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, _Constant):
        return float(value.name)
    if isinstance(value, list):
        return [as_loaded(v) for v in value]
    if isinstance(value, dict):
        return {k: as_loaded(v) for k, v in value.items()}
    return value


def _is_json(value: Any, kind: str) -> bool:
    if kind == "int":
        return (type(value) is int or (isinstance(value, Decimal) and value.is_finite()
                                       and value == value.to_integral_value()))
    if kind == "float":
        return isinstance(value, (Decimal, float))
    return isinstance(value, {"str": str, "list": list, "object": dict}[kind])


def _kind(value: Any) -> str:
    if isinstance(value, _Constant):
        return "a non-finite number"
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number", Decimal: "a number"}.get(type(value), type(value).__name__)


def short(value: Any) -> str:
    """A JSON value as an error message quotes it: escaped, and cut to 40 characters."""
    text = json.dumps(_plain(value)) if not isinstance(value, (str, Decimal, _Constant)) else (
        repr(value) if isinstance(value, str) else str(_plain(value)))
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class _Huge:
    """A JSON integer too long to be any size, kept as a marker so that the field holding it can be named.

    (Python refuses to convert integers of more than 4,300 digits at all, and
    converting long ones costs quadratic time.)
    """

    digits: int
    decimal: bool = False


class _Refused(ValueError):
    """A JSON document refused while it is parsed, with the field it concerns."""

    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key, self.message = key, message


@dataclass(frozen=True)
class _Constant:
    """NaN or Infinity, which JSON does not have but transformers writes (Falcon-H1's ``time_step_limit``).

    Kept as a marker: a field that does not shape the model may hold one; reading one as a
    size or number is refused with the field named.
    """

    name: str


def _parse_float(text: str) -> Decimal | _Huge:
    """A JSON decimal exactly as written (``json`` would round it through a binary float)."""
    if len(text) > 4 * MAX_INT_DIGITS:
        return _Huge(len(text), True)
    return Decimal(text)


def _parse_int(text: str) -> int | _Huge:
    digits = len(text.lstrip("-"))
    return _Huge(digits) if digits > MAX_INT_DIGITS else int(text)


_TAGGED = ("Infinity", "-Infinity", "NaN")


def _object(pairs: list[tuple[str, Any]]) -> dict | _Constant:
    """A JSON object whose keys all differ (with two values for one field, which one counts is a guess).

    ``{"__float__": "Infinity"}`` is how transformers saves a non-finite float (Mamba-2's ``time_step_limit``)
    and reads it back as that float, so it is read as the bare constant would be.
    An object among the values was built here already, so only lists are searched for a number too long."""
    if len(pairs) == 1 and pairs[0][0] == "__float__" and isinstance(pairs[0][1], str) and pairs[0][1] in _TAGGED:
        return _Constant(pairs[0][1])
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(key, "appears more than once")
        if type(value) is _Huge:
            raise _Refused(key, _refusal(value))
        if type(value) is list:
            stack = [value]
            while stack:
                item = stack.pop()
                if type(item) is list:
                    stack.extend(item)
                elif type(item) is _Huge:
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
        if isinstance(item, _Huge):
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
    source = printable(path)
    try:
        info = os.stat(os.fspath(path))
        if stat.S_ISDIR(info.st_mode):
            raise SymparamsError(f"{source}: is a directory, not a config file")
        if not stat.S_ISREG(info.st_mode):
            raise SymparamsError(f"{source}: is not a regular file")
        if info.st_size > MAX_BYTES:
            raise SymparamsError(f"{source}: file is {info.st_size:,} bytes; a config.json is at most {MAX_BYTES:,}")
        with open(os.fspath(path), "rb") as fh:
            raw = fh.read(info.st_size + 1)  # not MAX_BYTES at once: a buffer that size costs more than the file
            if len(raw) > info.st_size:  # grown since: read on, to the most a config may be
                raw += fh.read(MAX_BYTES + 1 - len(raw))
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
    return parse_json(text, source)


def parse_json(text: str, source: str = "config") -> dict:
    """Parse config.json text as :func:`read_json` reads a file: exact decimals, NaN and Infinity kept
    as markers, duplicate keys, absurd numbers and deep nesting refused, an object required."""
    try:
        data = json.loads(text, parse_constant=_Constant, parse_int=_parse_int, parse_float=_parse_float,
                          object_pairs_hook=_object)
        # no deeper than its brackets, counted in C: most configs need no walk (a bracket in a string only adds)
        opened = text.count("{") + text.count("[")
        deepest = opened if type(data) is dict and opened <= MAX_NESTING else _depth(data)
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


def printable(path: Any) -> str:
    """A file name fit for one line of output, whatever bytes it holds."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    text = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= 200 else text[:197] + "..."


def check_architectures(cfg: "Config", same: tuple[str, ...] = ()) -> None:
    """Refuse a config whose model is not a causal LM: its head is not the D -> V one counted here.

    ``same`` names the family's other classes that build its causal LM's parameters (a masked LM's), which count.
    """
    if not cfg.has("architectures"):
        return
    cfg.read.add("architectures")
    value = cfg.data["architectures"]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise cfg.error("architectures", f"expected a list of class names, got {_kind(value)} {short(value)}")
    for arch in value:
        if not arch.endswith(CAUSAL_LM) and arch not in CAUSAL_LM_CLASSES and arch not in same:
            alike = f" ({', '.join(same)}, which builds the causal LM's parameters, is counted)" if same else ""
            raise cfg.error(
                "architectures",
                f"{short(arch)} is not a causal language model (a *ForCausalLM or *LMHeadModel); "
                f"its head is not the one counted here{alike}",
            )


