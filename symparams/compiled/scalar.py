"""Exact counts of single configurations at the speed of a hand-written function.

:func:`count_fn` returns a function whose common case (whole-number sizes, no
relation overridden) is one compiled Python function: a guard, the plan's
checks, the closed form. Anything else (a Fraction for ``e``, ``H_kv`` given, a
NumPy integer, an invalid model) takes the general path, which picks the plan
for that call, and for an invalid configuration asks the :class:`Spec` itself,
so the error is the one ``Spec.total`` raises, word for word.
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral
from typing import Any, Callable, Mapping

import sympy
from sympy import Integer

from ..errors import SymparamsError
from ..spec import Spec, apply_overrides
from .plan import FAIL, Compiled, compiled, scalar_lines
from .poly import make

__all__ = ["count_fn", "exact_scalar", "spec_at", "as_spec"]


def as_spec(model: object) -> Spec:
    """``model`` itself when it is a Spec; anything else is refused (names are the catalog's to resolve)."""
    if isinstance(model, Spec):
        return model
    raise SymparamsError(f"expected a model (a Spec, e.g. symparams.model('nanochat')), got {type(model).__name__}")


def exact_scalar(name: str, value: Any) -> int | Fraction:
    """A Python int, or a Fraction when not whole, from an int, Fraction, SymPy number or text."""
    if isinstance(value, bool):
        raise SymparamsError(f"{name} = {value!r} is not a number")
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, str):
        from ..parse import parse_number

        value = parse_number(value)
    if isinstance(value, sympy.Basic):
        if not value.is_Rational:
            raise SymparamsError(f"{name} = {value} is not an exact number")
        value = Fraction(int(value.p), int(value.q))
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    raise SymparamsError(f"{name} = {value!r} is not an exact number (give an int, a Fraction or text such as '8/3')")


def spec_at(spec: Spec, values: Mapping[str, int | Fraction]) -> Spec:
    """``spec`` with symbols set by name, to be validated the way Spec validates."""
    exact = {k: sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else Integer(v)
             for k, v in values.items()}
    return apply_overrides(spec, exact)


def _general(comp: Compiled, spec: Spec, reading: str, kw: Mapping[str, Any]) -> int:
    """Any inputs: rational ones, relation-defined symbols set, NumPy integers, invalid values."""
    unknown = [k for k in kw if k not in comp.names]
    if unknown:
        raise SymparamsError(f"{spec.name} has no symbol {unknown[0]!r} (it uses: {', '.join(comp.names)})")
    free = {s.name for s in comp.free}
    values: dict[str, int | Fraction] = {}
    for s, default in spec.values:
        raw = kw.get(s.name)
        values[s.name] = exact_scalar(s.name, default if raw is None else raw)
    given = frozenset(k for k, v in kw.items() if v is not None and k not in free)
    for name in given:
        values[name] = exact_scalar(name, kw[name])
    whole = lambda k, v: isinstance(v, int) or k in comp.rational_names  # noqa: E731
    if any(v <= 0 or not whole(k, v) for k, v in values.items()):
        return spec_at(spec, values).count(reading=reading)
    rational = frozenset(k for k, v in values.items() if isinstance(v, Fraction))
    plan = comp.plan(given, rational)
    args: list[int | Fraction] = []
    for name, parts in plan.inputs:
        v = values[name]
        args.extend((v.numerator, v.denominator) if len(parts) == 2 else (v,))
    assert plan.scalar is not None
    try:
        out = plan.scalar(*args)
    except ZeroDivisionError:
        out = FAIL
    if out is FAIL or plan.opaque:
        return spec_at(spec, values).count(reading=reading)
    return out[0]


def _refuse(spec: Spec, comp: Compiled, args: tuple, unknown: Mapping[str, Any]) -> int:
    """The one-line error for a call the counter cannot take: positional sizes, or names the model lacks."""
    if args:
        raise SymparamsError(f"the counter of {spec.name} takes sizes by name ({', '.join(comp.names)}), "
                             f"not {len(args)} positional value{'s' * (len(args) != 1)}")
    name = next(iter(unknown))
    raise SymparamsError(f"{spec.name} has no symbol {name!r} (it uses: {', '.join(comp.names)})")


def count_fn(model: Spec, reading: str = "params") -> Callable[..., int]:
    """See :func:`symparams.count_fn`: the counter for single configurations of ``model``."""
    spec = as_spec(model)
    comp = compiled(spec, reading)
    plan = comp.plan()
    free = [s.name for s in comp.free]
    related = [s.name for s, _ in comp.relations]
    params = [f"{n}=DEFAULT_{n}" for n in free] + [f"{n}=None" for n in related]
    guard = [f"{n} is None" for n in related] + [f"type({n}) is int" for n in free] + [f"{n} > 0" for n in free]
    general = f"return GENERAL(COMPILED, SPEC, READING, dict({', '.join(f'{n}={n}' for n in free + related)}))"
    lines = [f"def _f(*ARGS, {', '.join(params)}, **UNKNOWN):",
             "    if ARGS or UNKNOWN:",
             "        return REFUSE(SPEC, COMPILED, ARGS, UNKNOWN)"]
    if not plan.opaque:
        rename = {parts[0]: name for name, parts in plan.inputs}
        lines.append(f"    if {' and '.join(guard) or 'True'}:")
        lines.append("        try:")
        lines.extend(scalar_lines(plan, general, rename, outputs=1, indent="            "))
        lines.append("        except ZeroDivisionError:\n            pass")
    lines.append(f"    {general}")
    defaults = {f"DEFAULT_{s.name}": int(v) if v.is_Integer else Fraction(int(v.p), int(v.q)) for s, v in spec.values}
    scope = {"GENERAL": _general, "REFUSE": _refuse, "COMPILED": comp, "SPEC": spec, "READING": reading,
             "dict": dict, "type": type, "int": int, "ZeroDivisionError": ZeroDivisionError, **defaults}
    fn = make("\n".join(lines) + "\n", scope)
    fn.__name__ = fn.__qualname__ = "count"
    fn.__doc__ = f"Exact {reading} count of {spec.name}; keyword arguments set its symbols ({', '.join(comp.names)})."
    return fn
