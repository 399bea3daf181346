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
by the package's digest, the family and the shape, and trusted only under their HMAC. A form is text that
is parsed, never executed: numbers, symbol names, ``+ - * /``, whole powers, floor and ceiling.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import math
import operator
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

    Kept per text: configs of one shape share their forms, so many counted in one process parse each once."""
    if not isinstance(text, str) or len(text) > MAX_FORM:
        raise _NotAForm(text)
    try:
        node = ast.parse(text, mode="eval").body
        return _walk(node)
    except (SyntaxError, ValueError, RecursionError) as err:
        raise _NotAForm(text) from err


def _divide(a: Number, b: Number) -> Number:
    """``a / b`` exactly: a whole number where it divides, else a Fraction (ZeroDivisionError on zero)."""
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        return q if r == 0 else Fraction(a, b)
    return Fraction(a) / b


_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: _divide,
}


def _walk(node: ast.AST) -> Callable[[Mapping[str, Number]], Number]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exp, sign = node.right, 1
        if isinstance(exp, ast.UnaryOp) and isinstance(exp.op, ast.USub):
            exp, sign = exp.operand, -1
        if not (isinstance(exp, ast.Constant) and type(exp.value) is int and exp.value <= MAX_POWER):
            raise _NotAForm(ast.dump(node))
        base, n = _walk(node.left), sign * exp.value
        if n < 0:
            return lambda env: Fraction(base(env)) ** n
        return lambda env: base(env) ** n
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        op, left, right = _OPS[type(node.op)], _walk(node.left), _walk(node.right)
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _walk(node.operand)
        return lambda env: -inner(env)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        value = node.value
        return lambda env: value
    if isinstance(node, ast.Name):
        name = node.id
        return lambda env: env[name]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _ROUNDING
            and len(node.args) == 1 and not node.keywords):
        rounding, inner = _ROUNDING[node.func.id], _walk(node.args[0])
        return lambda env: rounding(inner(env))
    raise _NotAForm(ast.dump(node))


def shape_id(family: str, shape: tuple) -> str | None:
    """A family's shape as a count reads it (:func:`~symparams.families.registry.counted_shape`), hashed; None where
    it is not plain constants."""
    from .families.registry import counted_shape

    if not _plain(shape):
        return None
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


@functools.lru_cache(maxsize=None)
def _shipped_text(family: str) -> str:
    try:
        return shipped_file(family).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return ""


@functools.lru_cache(maxsize=4096)
def _shipped(family: str, found: str) -> Any:
    """The shipped forms of one shape, parsed alone: a family's file holds hundreds of shapes, and a count
    needs one. The file is what ``python -m symparams.cli.known_shapes`` writes (a test checks it): one
    JSON object, keys sorted, indented by one space, so a shape's key starts a line with one space before it."""
    text = _shipped_text(family)
    head = f'\n "{found}": '
    at = text.find(head)
    if at < 0:
        return None
    try:
        value, _ = _DECODER.raw_decode(text, at + len(head))
    except ValueError:
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
    "at_most", "differs" or "even_above", small, big) forms, ``copies`` each row's copies as a form, ``leaves`` which
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
    except (_NotAForm, KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError,
            OverflowError, RecursionError):
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
        elif kind == "even_above":
            if a.denominator != 1 or (a > b and a % 2):
                return None
        elif kind != "at_most" or a > b:
            return None

    def count(form: str) -> int:
        value = _compile(form)(env)
        if value.denominator != 1:
            raise ValueError(form)
        return int(value)

    total = count(kept["formula"])
    if total <= 0:
        return None
    rows, groups = [], {g: 0 for g in kept["groups"]}
    for row in kept["rows"]:
        each, times = count(row["formula"]), count(row["copies"])
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
