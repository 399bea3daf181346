"""The Chinchilla form of the loss, L(N, D_tok) = E + A/N^alpha + B/D_tok^beta, and its optimum.

The loss is minimised on the budget line C = 6*N*D_tok by SymPy, once, in symbols;
the result is the familiar N* = G (C/6)^a, D_tok* = G^-1 (C/6)^b with
a = beta/(alpha+beta), b = alpha/(alpha+beta), G = (alpha*A / (beta*B))^(1/(alpha+beta)).

Fitted constants are exact Rationals read from their published decimal text, so a and
b are exact fractions; N* and D_tok* are exact algebraic numbers, and only their printed
approximations are floats. They are kept unevaluated: SymPy would otherwise try to
factor the large integers inside each rational power, which can take minutes for a
budget such as 5.76e23. The ``tokens-per-param`` rule (D_tok = R*N, R = 20 by default)
has no loss, only the same budget line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy
from sympy import Expr, Rational, Symbol

from ..errors import SymparamsError
from .numbers import DIGITS

__all__ = ["Law", "LAWS", "RULE", "DEFAULT_RATIO", "optimum_forms", "rule_forms",
           "N_", "D_tok", "C_", "E_", "A_", "B_", "alpha_", "beta_", "R_"]

DEFAULT_RATIO = 20
RULE = "tokens-per-param"

N_, D_tok, C_ = sympy.symbols("N D_tok C", positive=True)
E_, A_, B_, alpha_, beta_ = sympy.symbols("E A B alpha beta", positive=True)
R_ = sympy.Symbol("R", positive=True)


@dataclass(frozen=True)
class Law:
    """A fitted parametric loss L(N, D_tok) = E + A/N^alpha + B/D_tok^beta, its source and citation."""

    name: str
    source: str
    E: Rational
    A: Rational
    B: Rational
    alpha: Rational
    beta: Rational
    citation: str = ""

    @property
    def constants(self) -> dict[Symbol, Rational]:
        return {E_: self.E, A_: self.A, B_: self.B, alpha_: self.alpha, beta_: self.beta}

    @property
    def a(self) -> Rational:
        """The exponent of compute in N*: beta/(alpha+beta) (Chinchilla's a)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> Rational:
        """The exponent of compute in D_tok*: alpha/(alpha+beta)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> Expr:
        with sympy.evaluate(False):
            return (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))

    def loss(self, params: Expr, tokens: Expr) -> Expr:
        with sympy.evaluate(False):
            return self.E + self.A / params**self.alpha + self.B / tokens**self.beta

    def optimum(self, compute: Rational) -> tuple[Expr, Expr]:
        """(N*, D_tok*) at ``compute``, exact and unevaluated."""
        n_form, d_form = optimum_forms()
        point = {**self.constants, C_: compute}
        with sympy.evaluate(False):
            return n_form.xreplace(point), d_form.xreplace(point)

    def forms(self) -> tuple[str, str]:
        """N* and D_tok* as 'G * (C/6)^a' with the law's numbers."""
        g = float(sympy.N(self.G, DIGITS))
        return f"{g:.6g} * (C/6)^({self.a})", f"{1 / g:.6g} * (C/6)^({self.b})"


def _law(name: str, source: str, citation: str, **consts: str) -> Law:
    return Law(name, source, citation=citation, **{k: Rational(v) for k, v in consts.items()})


LAWS: dict[str, Law] = {
    law.name: law
    for law in (
        _law("hoffmann", "Hoffmann et al. 2022, Approach 3",
             "Hoffmann et al., Training Compute-Optimal Large Language Models, NeurIPS 2022, eq. (10)",
             E="1.69", A="406.4", B="410.7", alpha="0.34", beta="0.28"),
        _law("epoch", "Besiroglu et al. 2024 (Chinchilla scaling: a replication attempt)",
             "Besiroglu, Erdil, Barnett and You, Chinchilla Scaling: A replication attempt, 2024, eq. (3)",
             E="1.8172", A="482.01", B="2085.43", alpha="0.3478", beta="0.3658"),
    )
}


@lru_cache(maxsize=None)
def optimum_forms() -> tuple[Expr, Expr]:
    """(N*, D_tok*) in the symbols C, A, B, alpha, beta: SymPy's solution of dL/dN = 0 on C = 6 N D_tok.

    SymPy's own check of each root (substituting it back) took most of a ``symparams
    optimal`` run, 1.6 s of 3; N is positive, so the roots kept are those SymPy can tell
    are positive (N = 0, where the loss is undefined, is not), and the tests compare the
    one left with a numeric minimum of the loss along the budget.
    """
    on_budget = (E_ + A_ / N_**alpha_ + B_ / D_tok**beta_).subs(D_tok, C_ / (6 * N_))
    roots = [r for r in sympy.solve(sympy.diff(on_budget, N_), N_, check=False) if r.is_positive]
    if len(roots) != 1:
        raise SymparamsError(f"expected one stationary point of the loss, SymPy found {len(roots)}")
    return roots[0], C_ / (6 * roots[0])


@lru_cache(maxsize=None)
def rule_forms() -> tuple[Expr, Expr]:
    """(N, D_tok) in C and R on C = 6 N D_tok with D_tok = R N."""
    roots = sympy.solve(sympy.Eq(6 * N_ * (R_ * N_), C_), N_)
    return roots[0], R_ * roots[0]
