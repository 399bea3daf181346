"""Counts kept by the shape of a model's tree, so another config of that shape is counted without SymPy.

A family that reads a config to a :class:`~symparams.families.registry.Reading` (plain
data: the choices that shape its tree, and its symbols' values) lets ``count`` work in
two steps. The first config of a shape is counted from its tree, as always, and what
that count prints is kept as forms: each row's formula and copies, the relations that
derive symbols (d_h = D/H) and the rules the values must keep (H_kv divides H). A later
config of the same family and shape is read and checked by the family's own reader,
then its count is those forms evaluated at its values, in Python's exact arithmetic
(whole numbers, and :class:`fractions.Fraction` past a division that leaves a remainder),
with no tree built and no SymPy imported.

A shape's layer-by-layer orders (:func:`~symparams.families.registry.by_layer`) count only as
the kinds they hold, in the order they first appear: how many layers each kind has are
values, so a Gemma 2 of 42 layers is counted from the forms of one of 26.

Forms are kept only when evaluating them at the config they came from gives, field by
field, what that config's tree gives; a value that breaks a rule, or a derived value
that is not a positive whole number, sends the count back to the tree, which reports it.
The package ships the forms of its presets' shapes (``known_shapes/``, one file per family,
checked current by a test); others live in the command cache (:mod:`symparams.cache`), keyed
by the package's digest, the family and the shape, and trusted only under their HMAC. A form is text read
by its grammar before anything runs: numbers, symbol names, ``+ - * /``, whole powers, floor and ceiling; only
that arithmetic, written back with exact division, is compiled, with no builtins in reach.
"""

from __future__ import annotations

import functools
import hashlib
import json
import keyword
import math
import mmap
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .limits import MAX_VALUE

if TYPE_CHECKING:
    from .families.registry import Reading

__all__ = ["Counted", "key", "shape_id", "kept_forms", "forms", "evaluate", "VERSION", "SHIPPED", "shipped_file"]

# Bumped when what is kept changes shape.
VERSION = 2
# Forms longer than this are not kept (a decoder's closed form is a few hundred characters).
MAX_FORM = 20_000
# Whole powers beyond this (either sign) are not forms: no tree has them, and they would be slow.
MAX_POWER = 64
# The forms of every preset's shape, one file per family, made by ``python -m symparams.cli.known_shapes``.
SHIPPED = Path(__file__).with_name("known_shapes")
_DECODER = json.JSONDecoder()
# Forms are evaluated in whole numbers while they stay whole, in Fractions past a division that leaves a remainder.
Number = int | Fraction
# The rounding SymPy prints in a layer count (Gemma 2's L - floor(L/2)); exact on fractions.
_ROUNDING: dict[str, Callable[[Number], int]] = {"floor": math.floor, "ceiling": math.ceil}


@dataclass(frozen=True)
class Counted:
    """What ``count`` prints of one model, as plain data.

    ``report`` is the object ``count --json`` prints; ``depths`` and ``labels`` each
    component's depth in the tree and its node's own name (its rows are in tree order),
    and ``tree`` the model's own description, which the text table shows on its total line.
    """

    report: dict
    depths: tuple[int, ...]
    labels: tuple[str, ...]
    tree: str


class _NotAForm(Exception):
    """Text that is not a sum, product, quotient, whole power, floor or ceiling of numbers and names."""


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> Callable[[Mapping[str, Number]], Number]:
    """A function of the symbols' values computing ``text`` exactly; _NotAForm if it is anything else.

    The text is read by :class:`_Reader`, which accepts only the arithmetic a form holds and writes
    it back as Python whose every division and negative power goes through an exact helper; only
    that checked text is compiled. Kept per text: configs of one shape share their forms, so many
    counted in one process read each once."""
    try:
        code = compile(_python(text), "<form>", "eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise _NotAForm(text) from err
    return functools.partial(_run, code)


@functools.lru_cache(maxsize=1024)
def _compile_all(texts: tuple[str, ...]) -> Callable[[Mapping[str, Number]], tuple[Number, ...]]:
    """One function computing every form of ``texts`` (each read as :func:`_compile` reads one), as a tuple: a shape's
    rows are counted in one step, not one call each. A text the shape repeats (copies of 1, of L) is computed once."""
    unique = list(dict.fromkeys(texts))
    try:
        code = compile(f"({''.join(_python(t) + ', ' for t in unique)})", "<forms>", "eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise _NotAForm(texts) from err
    at = {t: i for i, t in enumerate(unique)}
    return functools.partial(_run_all, code, tuple(at[t] for t in texts))


def _run_all(code: Any, at: tuple[int, ...], env: Mapping[str, Number]) -> tuple[Number, ...]:
    values = eval(code, _SCOPE, env)  # noqa: S307 - checked forms, as in _run
    return tuple([values[i] for i in at])


@functools.lru_cache(maxsize=4096)
def _python(text: str) -> str:
    """``text`` read by :class:`_Reader` and written back as Python; _NotAForm if it is not a form. Kept per text:
    a family's shapes share most of their forms (some 1,300 distinct among the presets' 61,000)."""
    if not isinstance(text, str) or len(text) > MAX_FORM:
        raise _NotAForm(text)
    try:
        return _Reader(text).python()
    except (ValueError, RecursionError, MemoryError) as err:
        raise _NotAForm(text) from err


def _run(code: Any, env: Mapping[str, Number]) -> Any:
    return eval(code, _SCOPE, env)  # noqa: S307 - a checked form: names, whole numbers and arithmetic only


def _divide(a: Number, b: Number) -> Number:
    """``a / b`` exactly: a whole number where it divides, else a Fraction (ZeroDivisionError on zero)."""
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        return q if r == 0 else Fraction(a, b)
    return Fraction(a) / b


def _inverse_power(base: Number, n: int) -> Number:
    return Fraction(base) ** n


# What a compiled form can reach besides the symbols' values: nothing of Python's builtins.
_SCOPE: dict[str, Any] = {"__builtins__": {}, "_divide": _divide, "_inverse_power": _inverse_power, **_ROUNDING}
_TOKEN = re.compile(r" *(?:(0|[1-9][0-9]*)(?![0-9])|([A-Za-z][A-Za-z0-9_]*)|(\*\*|[-+*/()]))")


class _Reader:
    """A form's text, read by its grammar and written back as Python of the same value.

    ``sum := product (("+" | "-") product)*``, ``product := signed (("*" | "/") signed)*``,
    ``signed := "-" signed | power``, ``power := atom ["**" exponent]``, ``exponent`` a whole
    number of at most MAX_POWER, optionally negated and in parentheses, ``atom`` a whole number,
    a name, ``floor(sum)``, ``ceiling(sum)`` or ``(sum)``: the sums, products, quotients, whole
    powers and roundings SymPy prints, read as Python reads them. Anything else is refused.
    """

    def __init__(self, text: str) -> None:
        found = _TOKEN.findall(text)
        if sum(len(a) + len(b) + len(c) for a, b, c in found) != len(text) - text.count(" "):
            raise _NotAForm(text)  # a character no token holds (or a number with a leading zero)
        self.tokens = [("int", number) if number else ("op", op) if op else
                       ("call", name) if name in _ROUNDING else ("bad", name) if keyword.iskeyword(name) else
                       ("name", name) for number, name, op in found]
        self.at = 0

    def python(self) -> str:
        out = self._sum()
        if self.at != len(self.tokens):
            raise _NotAForm(self.tokens[self.at][1])
        return out

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def _take(self, op: str) -> bool:
        if self._peek() == ("op", op):
            self.at += 1
            return True
        return False

    def _expect(self, op: str) -> None:
        if not self._take(op):
            raise _NotAForm(f"expected {op!r}")

    def _sum(self) -> str:
        out = self._product()
        while self._peek() in (("op", "+"), ("op", "-")):
            op = self.tokens[self.at][1]
            self.at += 1
            out = f"{out} {op} {self._product()}"
        return out

    def _product(self) -> str:
        out = self._signed()
        while self._peek() in (("op", "*"), ("op", "/")):
            op = self.tokens[self.at][1]
            self.at += 1
            right = self._signed()
            out = f"{out}*{right}" if op == "*" else f"_divide({out}, {right})"
        return out

    def _signed(self) -> str:
        if self._take("-"):
            return f"-{self._signed()}"
        return self._power()

    def _power(self) -> str:
        base = self._atom()
        if not self._take("**"):
            return base
        opened = self._take("(")
        sign = -1 if self._take("-") else 1
        kind, digits = self._peek()
        if kind != "int" or int(digits) > MAX_POWER:
            raise _NotAForm(digits)
        self.at += 1
        if opened:
            self._expect(")")
        n = sign * int(digits)
        return f"_inverse_power({base}, {n})" if n < 0 else f"{base}**{n}"

    def _atom(self) -> str:
        kind, value = self._peek()
        self.at += 1
        if kind == "int":
            return str(int(value))
        if kind == "name":
            return value
        if kind == "call":
            self._expect("(")
            inner = self._sum()
            self._expect(")")
            return f"{value}({inner})"
        if (kind, value) == ("op", "("):
            inner = self._sum()
            self._expect(")")
            return f"({inner})"
        raise _NotAForm(value)


def shape_id(family: str, shape: tuple) -> str | None:
    """A family's shape as a count reads it (:func:`~symparams.families.registry.counted_shape`), hashed; None where
    it is not plain constants."""
    if not _plain(shape):
        return None
    return _shape_id(family, repr(shape), shape)


@functools.lru_cache(maxsize=4096)
def _shape_id(family: str, written: str, shape: tuple) -> str:
    """:func:`shape_id` of a plain shape, kept by its text (``True`` and ``1`` are one key to a dict, not to repr)."""
    from .families.registry import counted_shape

    return hashlib.sha256(repr((VERSION, family, counted_shape(shape))).encode("utf-8", "surrogatepass")).hexdigest()


def key(family: str, shape: tuple) -> str | None:
    """The user cache's key for a family's shape, or None when caching is off or the shape is not plain constants."""
    from .cache import cache_dir, code_digest

    found = shape_id(family, shape)
    if cache_dir() is None or found is None:
        return None
    return hashlib.sha256(f"shape\0{code_digest()}\0{found}".encode()).hexdigest()


def kept_forms(family: str, shape: tuple) -> Any:
    """The forms kept for a family's shape: shipped with the package for the presets' shapes, else those the user's
    cache kept; None when there are none, or when the cache is off (``SYMPARAMS_NO_CACHE``: every count from its tree).
    """
    from .cache import cache_dir, lookup_data

    found = shape_id(family, shape)
    if cache_dir() is None or found is None:
        return None
    shipped = _shipped(family, found)
    return shipped if shipped is not None else lookup_data(key(family, shape))


def shipped_file(family: str) -> Path:
    """Where the package keeps the forms of a family's shipped shapes."""
    return SHIPPED / f"{family}.json"


@functools.lru_cache(maxsize=4096)
def _shipped(family: str, found: str) -> Any:
    """The shipped forms of one shape, parsed alone: a family's file holds hundreds of shapes, and a count
    needs one. The file is what ``python -m symparams.cli.known_shapes`` writes (a test checks it): one
    JSON object, keys sorted, indented by one space, so a shape's key starts a line with one space before it,
    and so does the next shape's. The file is mapped, not read: only the pages the search passes are touched."""
    head = f'\n "{found}": '.encode()
    try:
        with open(shipped_file(family), "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as whole:
            at = whole.find(head)
            if at < 0:
                return None
            start = at + len(head)
            end = whole.find(b'\n "', start)
            chunk = whole[start:end if end >= 0 else len(whole)]
        value, _ = _DECODER.raw_decode(chunk.decode("utf-8"))
    except (OSError, ValueError):
        return None
    return value


def _plain(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (bool, int, str)


def forms(counted: Counted, relations: list[tuple[str, str]], rules: list[tuple[str, str, str]],
          copies: list[str], leaves: list[bool], reading: Reading, active: tuple[str, str] | None = None) -> dict | None:
    """The forms to keep for ``counted``'s shape, or None when they do not give back ``counted`` exactly.

    ``relations`` are (symbol, form) pairs in the Spec's order, ``rules`` ("divides",
    "at_most" or "differs", small, big) forms, ``copies`` each row's copies as a form, ``leaves`` which
    rows are leaves; ``reading`` is the reading ``counted`` was built from. ``active`` holds
    the forms of the parameters a token uses, with and without the embedding tables, where
    they are not the total's (a mixture of experts); a count shows them where they differ.
    """
    rep = counted.report
    kept = {
        "version": VERSION,
        "values": [n for n, _ in reading.values],
        "relations": [list(r) for r in relations],
        "rules": [list(r) for r in rules],
        "formula": rep.get("formula"),
        "non_embedding_formula": rep.get("non_embedding_formula"),
        "tree": counted.tree,
        "groups": list(rep.get("groups", {})),
        "active": list(active) if active is not None else None,
        "rows": [{"name": c["name"], "module": c["module"], "formula": c["formula"], "copies": copies[i],
                  "group": c["group"], "leaf": leaves[i], "depth": counted.depths[i], "label": counted.labels[i]}
                 for i, c in enumerate(rep.get("components", []))],
    }
    again = evaluate(kept, reading, rep.get("model"))
    same = again == counted and json.dumps(again.report) == json.dumps(rep)  # in order: JSON prints in order
    return kept if same else None


def evaluate(kept: Any, reading: Reading, name: str | None) -> Counted | None:
    """The count of the config read to ``reading`` from a shape's ``kept`` forms, or None where they cannot say.

    None means the count must come from the tree: forms that are not whole-number
    arithmetic, values or derived values out of range or not whole, or a broken rule.
    """
    try:
        return _evaluate(kept, reading, name)
    except (_NotAForm, KeyError, NameError, TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError,
            OverflowError, RecursionError, MemoryError):
        return None


def _whole(value: Number) -> int | None:
    return int(value) if value.denominator == 1 and 0 < value <= MAX_VALUE else None


def _evaluate(kept: dict, reading: Reading, name: str | None) -> Counted | None:
    if kept["version"] != VERSION or [n for n, _ in reading.values] != kept["values"]:
        return None
    env: dict[str, Number] = {}
    for n, v in reading.values:
        if type(v) is not int or _whole(v) is None:
            return None
        env[n] = v
    derived: dict[str, int] = {}
    for sym, form in kept["relations"]:
        found = _whole(_compile(form)(env))
        if found is None:
            return None
        env[sym] = found
        derived[sym] = found
    for kind, small, big in kept["rules"]:
        a, b = _compile(small)(env), _compile(big)(env)
        if kind == "divides":
            if a.denominator != 1 or b.denominator != 1 or a == 0 or b % a:
                return None
        elif kind == "differs":
            if a == b:
                return None
        elif kind != "at_most" or a > b:
            return None

    def count(form: str) -> int:
        value = _compile(form)(env)
        if value.denominator != 1:
            raise ValueError(form)
        return int(value)

    kept_rows = kept["rows"]
    values = _compile_all((kept["formula"], *[t for row in kept_rows for t in (row["formula"], row["copies"])]))(env)
    if any(value.denominator != 1 for value in values):
        return None
    total = int(values[0])
    if total <= 0:
        return None
    rows, groups = [], {g: 0 for g in kept["groups"]}
    for i, row in enumerate(kept_rows):
        each, times = int(values[2 * i + 1]), int(values[2 * i + 2])
        rows.append({"name": row["name"], "module": row["module"], "formula": row["formula"], "count": each,
                     "copies": times, "total": each * times, "group": row["group"]})
        if row["leaf"]:
            groups[row["group"]] += each * times
    if sum(r["total"] for r, kept_row in zip(rows, kept["rows"]) if kept_row["depth"] == 1) != total:
        return None
    report = {
        "model": name or reading.name,
        "total": total,
        "formula": kept["formula"],
        "config": dict(reading.values),
        "derived": derived,
        "groups": groups,
        "non_embedding": total - groups.get("embedding", 0) - groups.get("head", 0),
        "non_embedding_formula": kept["non_embedding_formula"],
        "components": rows,
    }
    if kept["active"] is not None and count(kept["active"][0]) != total:
        report["active"] = count(kept["active"][0])
        report["active_formula"] = kept["active"][0]
        report["active_without_embeddings"] = count(kept["active"][1])
        report["active_without_embeddings_formula"] = kept["active"][1]
    if reading.notes:
        report["notes"] = list(reading.notes)
    return Counted(report, tuple(r["depth"] for r in kept["rows"]), tuple(r["label"] for r in kept["rows"]),
                   kept["tree"])
