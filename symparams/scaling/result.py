"""One compute-optimal answer, whichever law gave it.

Every law answers with an :class:`Optimum`: the parameters N* and training tokens
D_tok* (exact closed forms where the law has one, else numbers solved to a stated
precision), the law's loss there, the law's own extra figures (DeepSeek's batch size
and learning rate, Muennighoff's effective data, Sardana's inference compute), and
notes where the published constants give a result far from the paper's headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy
from sympy import Expr, Rational

from .numbers import DIGITS, as_number, nearest_integer

__all__ = ["Optimum", "Extra"]


@dataclass(frozen=True)
class Extra:
    """A further figure a law gives (batch size, learning rate, effective data...), with its label."""

    key: str
    label: str
    value: Expr
    unit: str = ""


@dataclass(frozen=True)
class Optimum:
    """The compute-optimal N and D_tok for one budget under one law.

    ``params_exact`` and ``tokens_exact`` are exact closed forms where the law has one;
    for laws solved numerically they are SymPy Floats of ``digits`` significant digits.
    ``measure`` says what N counts (all parameters, or Kaplan's non-embedding ones).
    """

    law: str
    compute: Rational
    params_exact: Expr
    tokens_exact: Expr
    loss_exact: Expr | None
    ratio: Rational | None = None
    source: str = ""
    citation: str = ""
    forms: tuple[str, str] = ("", "")
    exponents: tuple[tuple[str, Rational], ...] = ()
    extras: tuple[Extra, ...] = ()
    notes: tuple[str, ...] = ()
    measure: str = "parameters"
    budget_line: str = "C = 6 N D_tok"
    digits: int | None = None
    G: Expr | None = field(default=None, compare=False)

    @staticmethod
    def _float(x: Expr) -> float:
        return float(sympy.N(x, DIGITS))

    @property
    def params(self) -> float:
        return self._float(self.params_exact)

    @property
    def tokens(self) -> float:
        return self._float(self.tokens_exact)

    @property
    def tokens_per_param(self) -> float:
        return self._float(self.tokens_exact / self.params_exact)

    @property
    def loss(self) -> float | None:
        return None if self.loss_exact is None else self._float(self.loss_exact)

    @property
    def params_budget(self) -> int:
        """N* rounded to the nearest whole parameter, decided exactly (for sizing a real model)."""
        return nearest_integer(self.params_exact)

    def formula(self) -> tuple[str, str]:
        """N* and D_tok* as formulas in C (or a description, for laws solved numerically)."""
        return self.forms

    def to_json(self) -> dict:
        n_form, d_form = self.formula()
        out: dict = {
            "law": self.law,
            "compute": as_number(self.compute),
            "params": self.params,
            "tokens": self.tokens,
            "tokens_per_param": self.tokens_per_param,
            "params_formula": n_form,
            "tokens_formula": d_form,
            "params_measure": self.measure,
            "budget_line": self.budget_line,
        }
        if self.ratio is not None:
            out["ratio"] = as_number(self.ratio)
        if self.loss_exact is not None:
            out["loss"] = self.loss
        for name, value in self.exponents:
            out[name] = float(value)
            out[f"{name}_exact"] = str(value)
        if self.G is not None:
            out["G"] = self._float(self.G)
        for extra in self.extras:
            out[extra.key] = as_number(extra.value)
        if self.source:
            out["source"] = self.source
        if self.citation:
            out["citation"] = self.citation
        if self.digits is not None:
            out["precision_digits"] = self.digits
        if self.notes:
            out["notes"] = list(self.notes)
        return out
