"""Compute-optimal sizing: how big a model, and how many tokens, a compute budget buys.

Modules, one idea each:

* :mod:`.numbers`: exact budgets in, exact rounding of irrational optima out;
* :mod:`.chinchilla`: the Chinchilla form L = E + A/N^alpha + B/D_tok^beta (hoffmann, epoch),
  solved by SymPy on C = 6 N D_tok, and the tokens-per-param rule;
* :mod:`.laws`: kaplan, deepseek, muennighoff (data-constrained) and sardana (inference-aware);
* :mod:`.result`: the common answer, :class:`Optimum`; :mod:`.optimum`: :func:`optimal`;
* :mod:`.sizing`: inverse sizing, the depth or width of a family nearest a parameter target;
* :mod:`.fit`: fitting the parametric law to a user's own training runs.

Tokens are D_tok throughout, never D (which is the width).
"""

from __future__ import annotations

from .chinchilla import (
    A_,
    B_,
    C_,
    DEFAULT_RATIO,
    E_,
    LAWS,
    N_,
    R_,
    RULE,
    D_tok,
    Law,
    alpha_,
    beta_,
    optimum_forms,
)
from .numbers import DIGITS, nearest_integer, positive
from .numbers import positive as _positive  # noqa: F401  (kept for callers of the old name)
from .optimum import law_names, optimal
from .result import Extra, Optimum
from .sizing import MAX_TARGET, Fit, WidthRule, fit_depth, fit_width, width_rule

__all__ = [
    "Law", "LAWS", "RULE", "Optimum", "Extra", "optimal", "law_names", "optimum_forms", "Fit", "fit_depth",
    "fit_width", "WidthRule", "width_rule", "DEFAULT_RATIO", "MAX_TARGET", "DIGITS", "nearest_integer", "positive",
    "N_", "D_tok", "C_", "E_", "A_", "B_", "alpha_", "beta_", "R_",
]
