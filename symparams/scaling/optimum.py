"""The dispatcher: a compute budget and a law's name in, an :class:`~.result.Optimum` out."""

from __future__ import annotations

from sympy import Rational

from ..errors import SymparamsError
from .chinchilla import C_, DEFAULT_RATIO, LAWS, R_, RULE, rule_forms
from .laws import OTHER_LAWS, chinchilla_optimum
from .numbers import below, positive
from .result import Optimum

__all__ = ["optimal", "law_names", "MIN_PARAMS"]

# An optimum below one parameter describes no model: such budgets are refused.
MIN_PARAMS = 1


def law_names() -> list[str]:
    """Every law ``optimal`` knows, in the order the command lists them."""
    return [*LAWS, *OTHER_LAWS, RULE]


def optimal(compute: object, law: str = "hoffmann", ratio: object = None, *, unique_tokens: object = None,
            inference_tokens: object = None) -> Optimum:
    """The compute-optimal model size and token count for ``compute`` FLOPs under ``law``.

    ``compute`` is exact: an int, a SymPy Rational or text such as ``"5.76e23"``.
    ``unique_tokens`` belongs to ``muennighoff`` (data-constrained), ``inference_tokens``
    to ``sardana`` (lifetime inference demand), ``ratio`` to the tokens-per-param rule.

    >>> opt = optimal("5.76e23", "hoffmann")
    >>> round(opt.tokens_per_param, 1)
    92.6
    """
    c = positive(compute, "compute budget")
    known = law_names()
    if law not in known:
        raise SymparamsError(f"unknown scaling law {law!r} (known: {', '.join(known)})")
    given = {"ratio": ratio, "unique_tokens": unique_tokens, "inference_tokens": inference_tokens}
    wanted = {RULE: "ratio", "muennighoff": "unique_tokens", "sardana": "inference_tokens"}
    for name, value in given.items():
        if value is not None and wanted.get(law) != name:
            owner = next(k for k, v in wanted.items() if v == name)
            raise SymparamsError(f"{name.replace('_', ' ')} applies to the {owner} law only, not to {law}")
    if law == RULE:
        r = positive(DEFAULT_RATIO if ratio is None else ratio, "tokens-per-parameter ratio")
        n, d = (f.xreplace({C_: c, R_: r}) for f in rule_forms())
        text = str(r) if r.is_Integer else f"({r})"
        result = Optimum(RULE, c, n, d, None, r, source=f"D_tok = {r} N",
                         forms=(f"sqrt(C/(6*{text}))", f"{text}*sqrt(C/(6*{text}))"))
    elif law in LAWS:
        result = chinchilla_optimum(LAWS[law], c)
    else:
        result = OTHER_LAWS[law].optimum(c, unique_tokens=unique_tokens, inference_tokens=inference_tokens)
    if below(result.params_exact, MIN_PARAMS):
        raise SymparamsError(f"a compute budget of {_shown(c)} FLOPs gives N* = {result.params:.3g} parameters "
                             f"under {law}: less than one parameter, so no model")
    return result


def _shown(c: Rational) -> str:
    return f"{float(c):.4g}" if c.q != 1 or c > 10**6 else str(c)
