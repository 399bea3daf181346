"""The scaling laws researchers use beyond Chinchilla's form, each with its published constants.

Every constant is an exact Rational of the decimal text its paper (or the authors'
repository) prints; where a law has a closed-form optimum it is kept exact, and where
it has none it is solved with mpmath to :data:`PRECISION` significant digits, stated
in the answer.

* ``kaplan``: Kaplan et al. 2020, L(N, D_tok) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D_tok]^alpha_D
  with N the non-embedding parameters (eq. (1.5), constants of Table 2), minimised on
  C = 6 N D_tok in closed form.
* ``deepseek``: DeepSeek LLM 2024, C = M D_tok with M the non-embedding FLOPs per token;
  M_opt = 0.1715 C^0.5243, D_opt = 5.8316 C^0.4757 (eq. (4)), and the batch-size and
  learning-rate laws B_opt = 0.2920 C^0.3271, eta_opt = 0.3118 C^-0.1250 (eq. (1)).
* ``muennighoff``: Muennighoff et al. 2023, data-constrained scaling: repeated tokens
  and excess parameters decay in value, D' = U_D + U_D R_D* (1 - e^(-R_D/R_D*)), with the
  fit the authors publish in their repository (datablations, "Parametric Fit").
* ``sardana``: Sardana et al. 2024 (Beyond Chinchilla-Optimal): the N and D_tok that
  reach the loss a Chinchilla-optimal model reaches at C while minimising training plus
  inference compute, 6 N D_tok + 2 N D_inf, for a lifetime demand of D_inf tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import sympy
from sympy import Expr, Rational

from ..errors import SymparamsError
from .chinchilla import LAWS, Law
from .numbers import DIGITS, positive
from .result import Extra, Optimum

__all__ = ["OTHER_LAWS", "Kaplan", "DeepSeek", "Muennighoff", "Sardana", "chinchilla_optimum", "PRECISION"]

# Significant digits of the laws solved numerically (golden-section search in ln N,
# with mpmath working at twice this).
PRECISION = 30

# Above this many tokens per parameter (about twice the familiar 20) the answer of
# Approach 3's published constants is far from the paper's headline, and says so.
HEADLINE_RATIO = 40


def _q(text: str) -> Rational:
    return Rational(text)


def chinchilla_optimum(law: Law, c: Rational) -> Optimum:
    """The optimum of a Chinchilla-form law, exact; with a note where it strays from the headline."""
    n, d = law.optimum(c)
    result = Optimum(law.name, c, n, d, law.loss(n, d), source=law.source, citation=law.citation,
                     forms=law.forms(), exponents=(("a", law.a), ("b", law.b)), G=law.G)
    notes = []
    if law.name == LAWS["hoffmann"].name and result.tokens_per_param > HEADLINE_RATIO:
        notes.append(
            f"Approach 3's published constants give {result.tokens_per_param:.0f} tokens per parameter here, "
            "against the ~20 of the paper's headline (Approaches 1 and 2; Chinchilla itself: 70B on 1.4T). "
            "Besiroglu et al. 2024 trace the gap to the fit (rounded constants, an optimiser stopped early); "
            "--law epoch is their refit")
    return _with(result, notes=tuple(notes))


def _with(result: Optimum, **changes: Any) -> Optimum:
    from dataclasses import replace

    return replace(result, **changes)


@dataclass(frozen=True)
class Kaplan:
    """Kaplan et al. 2020: L(N, D_tok) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D_tok]^alpha_D, N non-embedding."""

    name: str = "kaplan"
    source: str = "Kaplan et al. 2020, L(N, D), N non-embedding"
    citation: str = "Kaplan et al., Scaling Laws for Neural Language Models, 2020, eq. (1.5) and Table 2"
    alpha_N: Rational = _q("0.076")
    alpha_D: Rational = _q("0.103")
    N_c: Rational = _q("6.4e13")
    D_c: Rational = _q("1.8e13")

    def loss(self, params: Expr, tokens: Expr) -> Expr:
        with sympy.evaluate(False):
            return ((self.N_c / params) ** (self.alpha_N / self.alpha_D) + self.D_c / tokens) ** self.alpha_D

    def optimum(self, c: Rational, **_: object) -> Optimum:
        """On C = 6 N D_tok: d/dN [(N_c/N)^p + 6 D_c N / C] = 0 gives N^(1+p) = p N_c^p C / (6 D_c)."""
        p = self.alpha_N / self.alpha_D
        with sympy.evaluate(False):
            n = (p * self.N_c**p * c / (6 * self.D_c)) ** (1 / (1 + p))
            d = c / (6 * n)
        g = (p * self.N_c**p / self.D_c) ** (1 / (1 + p))
        exponent = 1 / (1 + p)
        notes = (f"N counts non-embedding parameters. On C = 6 N D_tok this law gives N* ~ C^({exponent}) "
                 f"(= {float(exponent):.3f}); Kaplan's headline N_opt ~ C^0.73 comes from its early-stopping "
                 "analysis (L(N, S) at the critical batch, Section 6), which this L(N, D) does not model",)
        return Optimum(self.name, c, n, d, self.loss(n, d), source=self.source, citation=self.citation,
                       forms=(f"{float(sympy.N(g, DIGITS)):.6g} * (C/6)^({exponent})",
                              "(C/6) / N*"),
                       exponents=(("a", exponent), ("b", 1 - exponent)), notes=notes,
                       measure="non-embedding parameters")


@dataclass(frozen=True)
class DeepSeek:
    """DeepSeek LLM 2024: C = M D_tok, M the non-embedding FLOPs per token; optimal M, D_tok, batch and rate."""

    name: str = "deepseek"
    source: str = "DeepSeek-AI 2024 (DeepSeek LLM), C = M D_tok"
    citation: str = "DeepSeek-AI, DeepSeek LLM: Scaling Open-Source Language Models with Longtermism, 2024, eqs. (1) and (4)"
    M_base: Rational = _q("0.1715")
    a: Rational = _q("0.5243")
    D_base: Rational = _q("5.8316")
    b: Rational = _q("0.4757")
    B_base: Rational = _q("0.2920")
    B_exp: Rational = _q("0.3271")
    lr_base: Rational = _q("0.3118")
    lr_exp: Rational = _q("-0.1250")

    def optimum(self, c: Rational, **_: object) -> Optimum:
        with sympy.evaluate(False):
            m = self.M_base * c**self.a
            d = self.D_base * c**self.b
            n = m / 6
            batch = self.B_base * c**self.B_exp
            rate = self.lr_base * c**self.lr_exp
        notes = ("DeepSeek sizes by M, the non-embedding FLOPs per token (72 L D^2 + 12 L D T for its models); "
                 "N* here is M/6, the non-embedding parameters a model of that M has without its attention term, "
                 "and sizing a model meets it with non-embedding parameters",
                 f"M_opt * D_opt = {float(self.M_base * self.D_base):.5f} C: the published constants are rounded")
        return Optimum(self.name, c, n, d, None, source=self.source, citation=self.citation,
                       forms=(f"{_decimal(self.M_base)} * C^{_decimal(self.a)} / 6",
                              f"{_decimal(self.D_base)} * C^{_decimal(self.b)}"),
                       exponents=(("a", self.a), ("b", self.b)),
                       extras=(Extra("M", "non-embedding FLOPs per token M", m),
                               Extra("batch_tokens", "batch size B_opt", batch, "tokens"),
                               Extra("learning_rate", "learning rate eta_opt", rate)),
                       notes=notes, measure="non-embedding parameters", budget_line="C = M D_tok")


def _golden(f: Callable, lo, hi, mp, steps: int | None = None):
    """The minimum of a unimodal ``f`` on [lo, hi]: golden-section search, to mp's precision."""
    g = (mp.sqrt(5) - 1) / 2
    a, b = mp.mpf(lo), mp.mpf(hi)
    steps = steps or int(mp.prec * 1.5)
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(steps):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return (a + b) / 2


def _bracket(f: Callable, lo, hi, mp, points: int = 400):
    """The grid cell around the smallest of ``points`` samples of f on [lo, hi] (so a kink cannot mislead)."""
    xs = [lo + (hi - lo) * i / points for i in range(points + 1)]
    best = min(range(len(xs)), key=lambda i: f(xs[i]))
    return xs[max(best - 1, 0)], xs[min(best + 1, points)]


def _context():
    import mpmath

    mp = mpmath.MPContext()
    mp.dps = 2 * PRECISION
    return mp


def _float(x) -> Expr:
    """An mpmath number as a SymPy Float of PRECISION digits."""
    return sympy.Float(x, PRECISION)


@dataclass(frozen=True)
class Muennighoff:
    """Muennighoff et al. 2023: the Chinchilla form in the effective parameters N' and data D'.

    The authors' repository publishes the fit in log space: A = e^a, B = e^b, E = e^e.
    """

    name: str = "muennighoff"
    source: str = "Muennighoff et al. 2023 (data-constrained scaling)"
    citation: str = ("Muennighoff et al., Scaling Data-Constrained Language Models, NeurIPS 2023, eq. (5); "
                     "constants from github.com/huggingface/datablations (Parametric Fit)")
    log_A: Rational = _q("6.255414")
    log_B: Rational = _q("7.3049974")
    log_E: Rational = _q("0.6254804")
    alpha: Rational = _q("0.3526596")
    beta: Rational = _q("0.3526596")
    R_D: Rational = _q("15.387756")
    R_N: Rational = _q("5.309743")

    def _loss(self, mp, unique: Rational):
        A, B, E = mp.exp(_mp(mp, self.log_A)), mp.exp(_mp(mp, self.log_B)), mp.exp(_mp(mp, self.log_E))
        alpha, beta, rd, rn = (_mp(mp, x) for x in (self.alpha, self.beta, self.R_D, self.R_N))
        G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
        u_total = _mp(mp, unique)

        def parts(n, d):
            u = min(u_total, d)
            r_d = max(d / u - 1, 0)
            u_n = min(n, (u * G) ** (beta / alpha) * G)
            r_n = max(n / u_n - 1, 0)
            n_eff = u_n + u_n * rn * (1 - mp.exp(-r_n / rn))
            d_eff = u + u * rd * (1 - mp.exp(-r_d / rd))
            return E + A / n_eff**alpha + B / d_eff**beta, n_eff, d_eff

        return parts

    def optimum(self, c: Rational, unique_tokens: object = None, **_: object) -> Optimum:
        if unique_tokens is None:
            raise SymparamsError("the muennighoff law needs the unique tokens available: --unique-tokens U")
        unique = positive(unique_tokens, "unique tokens")
        mp = _context()
        parts = self._loss(mp, unique)
        budget = _mp(mp, c) / 6

        def on_budget(x):
            n = mp.exp(x)
            return parts(n, budget / n)[0]

        top = mp.log(budget)
        lo, hi = _bracket(on_budget, mp.mpf(0), top, mp)
        x = _golden(on_budget, lo, hi, mp)
        n = mp.exp(x)
        d = budget / n
        loss, n_eff, d_eff = parts(n, d)
        epochs = d / _mp(mp, unique)
        notes = (f"{float(epochs):.3g} epochs of the {float(unique):.4g} unique tokens; repeated tokens are worth "
                 f"less (R_D* = {float(self.R_D)}), and so are parameters beyond the data's optimum "
                 f"(R_N* = {float(self.R_N)})",
                 f"solved numerically: golden-section search in ln N, {PRECISION} significant digits")
        return Optimum(self.name, c, _float(n), _float(d), _float(loss), source=self.source, citation=self.citation,
                       forms=("argmin over N of L(N', D') on C = 6 N D_tok", "C / (6 N*)"),
                       extras=(Extra("unique_tokens", "unique tokens U_D", unique, "tokens"),
                               Extra("epochs", "epochs D_tok/U_D", _float(epochs)),
                               Extra("effective_tokens", "effective data D'", _float(d_eff), "tokens"),
                               Extra("effective_params", "effective parameters N'", _float(n_eff))),
                       notes=notes, digits=PRECISION)


@dataclass(frozen=True)
class Sardana:
    """Sardana et al. 2024: the Chinchilla loss reached with the least training plus inference compute."""

    name: str = "sardana"
    source: str = "Sardana et al. 2024 (Beyond Chinchilla-Optimal), training + inference compute"
    citation: str = ("Sardana, Portes, Doubov and Frankle, Beyond Chinchilla-Optimal: Accounting for Inference "
                     "in Language Model Scaling Laws, ICML 2024, eq. (2), with Hoffmann et al.'s Approach 3 fit")
    base: str = "hoffmann"

    def optimum(self, c: Rational, inference_tokens: object = None, **_: object) -> Optimum:
        if inference_tokens is None:
            raise SymparamsError("the sardana law needs the lifetime inference demand: --inference-tokens D_inf")
        demand = positive(inference_tokens, "inference tokens")
        law = LAWS[self.base]
        n_chin, d_chin = law.optimum(c)
        mp = _context()
        E, A, B, alpha, beta = (_mp(mp, x) for x in (law.E, law.A, law.B, law.alpha, law.beta))
        target = _mp(mp, sympy.N(law.loss(n_chin, d_chin), 2 * PRECISION))
        d_inf = _mp(mp, demand)
        n_star = _mp(mp, sympy.N(n_chin, 2 * PRECISION))
        floor = (A / (target - E)) ** (1 / alpha)

        def tokens(n):
            return (B / (target - E - A / n**alpha)) ** (1 / beta)

        def total(x):
            n = mp.exp(x)
            return n * (6 * tokens(n) + 2 * d_inf)

        lo = mp.log(floor) + mp.mpf(10) ** (-PRECISION // 2)
        hi = mp.log(n_star)
        a, b = _bracket(total, lo, hi, mp)
        n = mp.exp(_golden(total, a, b, mp))
        d = tokens(n)
        train, infer = 6 * n * d, 2 * n * d_inf
        chin_total = _mp(mp, c) + 2 * n_star * d_inf
        saving = 1 - (train + infer) / chin_total
        if abs(saving) < mp.mpf(10) ** -PRECISION:
            saving = mp.mpf(0)
        notes = (f"reaches the loss {float(target):.4f} of the Chinchilla-optimal model at C "
                 f"({float(n_star):.4g} parameters) {_saved(saving)}",
                 f"solved numerically: golden-section search in ln N, {PRECISION} significant digits")
        return Optimum(self.name, c, _float(n), _float(d), _float(target), source=self.source, citation=self.citation,
                       forms=("argmin over N of N (6 D_tok(N) + 2 D_inf) at L(N, D_tok) = L*", "D_tok(N*)"),
                       extras=(Extra("inference_tokens", "lifetime inference tokens D_inf", demand, "tokens"),
                               Extra("training_compute", "training compute 6 N D_tok", _float(train), "FLOPs"),
                               Extra("inference_compute", "inference compute 2 N D_inf", _float(infer), "FLOPs"),
                               Extra("chinchilla_params", "Chinchilla-optimal N at C", _float(n_star)),
                               Extra("saving", "saving against Chinchilla-optimal", _float(saving))),
                       notes=notes, digits=PRECISION, budget_line="C = 6 N D_tok + 2 N D_inf")


def _saved(saving) -> str:
    """The share of compute Sardana's answer saves, as its note says it.

    The saving is a difference of two totals solved to :data:`PRECISION` digits, so one
    smaller than 10^-PRECISION is noise of the solve (it came out as -2e-53): it reads as
    none at that precision. A real saving is shown to two significant digits at least,
    never as "0.00%".
    """
    if saving == 0:
        return (f"with the same training plus inference compute to {PRECISION} digits "
                f"(a saving below 10^-{PRECISION})")
    share = float(100 * saving)
    shown = f"{share:.2f}" if share >= 0.1 else f"{share:#.2g}"
    return f"with {shown}% less training plus inference compute"


def _decimal(x: Rational) -> str:
    """A published constant as the decimal text it was read from (exact: its denominator is a power of 10)."""
    from decimal import Decimal

    return format(Decimal(int(x.p)) / Decimal(int(x.q)), "f")


def _mp(mp, x):
    """An exact Rational (or SymPy number) as an mpf of the context's precision."""
    x = sympy.nsimplify(x) if not isinstance(x, sympy.Basic) else x
    if x.is_Rational:
        return mp.mpf(int(x.p)) / int(x.q)
    return mp.mpf(str(sympy.N(x, mp.dps)))


OTHER_LAWS: dict[str, Any] = {law.name: law for law in (Kaplan(), DeepSeek(), Muennighoff(), Sardana())}
