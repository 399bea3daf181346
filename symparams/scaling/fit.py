"""Fitting a parametric loss to your own training runs, as Chinchilla and its Epoch replication do.

Each run is (N, D_tok, loss). The law is fitted in log space, where the loss is a
log-sum-exp of its terms; the objective is the Huber loss (delta = 1e-3) of the log-loss
residuals, minimised by L-BFGS from every point of a grid of starts (the fit has many
local minima; Hoffmann et al. 2022, Appendix D.2; Besiroglu et al. 2024, Section 2).
Bootstrap resamples of the runs, refitted, give each constant's confidence interval.

* ``hoffmann``: L = E + A/N^alpha + B/D_tok^beta, log L = LSE(a - alpha log N, b - beta log D_tok, e)
  with A = e^a, B = e^b, E = e^e; then the compute-optimal allocation in closed form,
  N* = G (C/6)^a', D_tok* = (C/6)^b' / G with a' = beta/(alpha+beta), b' = alpha/(alpha+beta).
* ``kaplan``: L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D_tok]^alpha_D, log L = alpha_D LSE(p (n_c - log N), d_c - log D_tok)
  with p = alpha_N/alpha_D, N_c = e^n_c, D_c = e^d_c; on C = 6 N D_tok, N* ~ C^(1/(1+p)).

Needs scipy (``pip install 'symparams[fit]'``); NumPy and SciPy are imported on use.
Fitting is numerical by nature: the constants are floats, and say so.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Sequence

from ..errors import SymparamsError

__all__ = ["Run", "LawFit", "FORMS", "read_runs", "fit_law", "HUBER_DELTA"]

HUBER_DELTA = 1e-3
FORMS = ("hoffmann", "kaplan")
PARAMETERS = {"hoffmann": ("E", "A", "B", "alpha", "beta"), "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D")}
COLUMNS = {"N": ("n", "params", "parameters"), "tokens": ("tokens", "d_tok", "data"), "loss": ("loss",)}
MAX_RUNS = 100_000


@dataclass(frozen=True)
class Run:
    """One training run: parameters, training tokens and final loss."""

    params: float
    tokens: float
    loss: float


def _require():
    try:
        import numpy  # noqa: F401
        import scipy.optimize  # noqa: F401
    except ImportError as err:
        raise SymparamsError(f"fit-law needs scipy ({err.name} is not installed): pip install 'symparams[fit]'") from None


def read_runs(path: str) -> list[Run]:
    """The runs of a CSV with columns N, tokens and loss (any order, names in any case; params and D_tok accepted)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: spreadsheets write a byte-order mark
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as err:
        raise SymparamsError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    except csv.Error as err:
        raise SymparamsError(f"{path}: not a CSV file ({err})") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise SymparamsError(f"{path} is empty: expected a header N,tokens,loss and one row per run")
    header = [h.strip().lower() for h in rows[0]]
    where = {}
    for name, aliases in COLUMNS.items():
        found = [i for i, h in enumerate(header) if h in aliases]
        if not found:
            raise SymparamsError(f"{path}: no column {name} (the header has {', '.join(rows[0]) or 'nothing'}; "
                                 "expected N, tokens and loss)")
        if len(found) > 1:
            raise SymparamsError(f"{path}: {len(found)} columns give {name} ({', '.join(rows[0][i] for i in found)}); "
                                 "keep one")
        where[name] = found[0]
    if len(rows) - 1 > MAX_RUNS:
        raise SymparamsError(f"{path} has {len(rows) - 1:,} runs; at most {MAX_RUNS:,}")
    runs = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) > len(header) and not any(c.strip() for c in row[len(header):]):
            row = row[:len(header)]  # a trailing comma leaves empty cells: nothing is misplaced
        if len(row) != len(header):
            raise SymparamsError(f"{path}, line {line}: {len(row)} cell{'' if len(row) == 1 else 's'} under a header "
                                 f"of {len(header)}; a value is missing, or a comma splits one")
        values = {}
        for name, i in where.items():
            text = row[i].strip() if i < len(row) else ""
            try:
                values[name] = _cell(text)
            except SymparamsError as err:
                raise SymparamsError(f"{path}, line {line}: {name} = {text[:40]!r} {err}") from None
        runs.append(Run(values["N"], values["tokens"], values["loss"]))
    return runs


def _cell(text: str) -> float:
    """A positive number of a run file, read as every number typed for symparams is (:func:`symparams.parse.parse_number`).

    ``float`` would also take ``1_000_000``, digits of other scripts (``١٠٠`` as 100) and
    magnitudes to 10^308, which nothing else here accepts and which overflow the fit;
    the value read exactly is then rounded once to the float the fit works in.
    """
    from fractions import Fraction

    from ..parse import parse_number

    if text.lstrip("+-").lower() in ("nan", "inf", "infinity", "oo"):
        raise SymparamsError("must be a positive finite number")
    try:
        value = parse_number(text)
    except SymparamsError as err:
        plain = re.fullmatch(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", text)
        raise SymparamsError(f"is {'out of range' if plain else 'not a number'} ({err})") from None
    if value <= 0:
        raise SymparamsError("must be a positive finite number")
    return float(Fraction(int(value.p), int(value.q)))


@dataclass(frozen=True)
class LawFit:
    """The fitted constants, their bootstrap intervals and the implied compute-optimal allocation."""

    form: str
    constants: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    allocation: dict[str, float]
    objective: float
    runs: int
    resamples: int
    starts: int
    grid: int
    notes: tuple[str, ...] = field(default=())

    def predict(self, params: float, tokens: float) -> float:
        """The law's loss at (N, D_tok), summed in log space as it was fitted (N^alpha alone can overflow a float)."""
        c, n, d = self.constants, math.log(params), math.log(tokens)
        if self.form == "hoffmann":
            return _exp(_log_sum(math.log(c["E"]), math.log(c["A"]) - c["alpha"] * n, math.log(c["B"]) - c["beta"] * d))
        p = c["alpha_N"] / c["alpha_D"]
        return _exp(c["alpha_D"] * _log_sum(p * (math.log(c["N_c"]) - n), math.log(c["D_c"]) - d))

    def to_json(self) -> dict[str, Any]:
        return {"form": self.form, "constants": self.constants,
                "intervals": {k: list(v) for k, v in self.intervals.items()}, "allocation": self.allocation,
                "objective": self.objective, "runs": self.runs, "bootstrap_resamples": self.resamples,
                "starts": self.starts, "grid": self.grid, "huber_delta": HUBER_DELTA, "notes": list(self.notes)}


def _grid(form: str, shift: float = 0.0) -> list[tuple[float, ...]]:
    """Starting points: Hoffmann et al.'s grid (coarsened), in the fitted (log-space) parameters, made for losses
    of about e nats, and moved to losses ``e^(1 + shift)`` as the law moves when every loss is multiplied by
    ``e^shift``: E, A and B are multiplied too (their logarithms shifted), and the Kaplan form's N_c and D_c by
    ``e^(shift/alpha_N)`` and ``e^(shift/alpha_D)``. So a Chinchilla fit does not depend on the losses' unit (nats,
    bits, a scaled loss): it is the same search, shifted, and the same fit, its constants scaled. The Kaplan form's
    starts move alike, but its search is not a shift of itself there, so its fit can differ with the scale."""
    if form == "hoffmann":
        return [(a + shift, b + shift, e + shift, al, be) for a, b, e, al, be in
                product((0.0, 5.0, 10.0, 15.0, 20.0, 25.0), (0.0, 5.0, 10.0, 15.0, 20.0, 25.0), (-1.0, 0.0, 1.0),
                        (0.1, 0.5, 1.0), (0.1, 0.5, 1.0))]
    return [(nc + shift / an, dc + shift / ad, an, ad) for nc, dc, an, ad in
            product((10.0, 20.0, 30.0, 40.0), (10.0, 20.0, 30.0, 40.0), (0.05, 0.2, 0.5), (0.05, 0.2, 0.5))]


def _objective(form: str, logn, logd, logl):
    """The Huber objective over log residuals and its gradient, for scipy."""
    import numpy as np
    from scipy.special import logsumexp

    delta = HUBER_DELTA

    def huber(r):
        """Huber's loss over delta (the minimiser is the same; the scale suits L-BFGS's tolerances)."""
        small = np.abs(r) <= delta
        value = np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta)) / delta
        return value, np.clip(r, -delta, delta) / delta

    if form == "hoffmann":
        def f(theta):
            a, b, e, alpha, beta = theta
            terms = np.stack([a - alpha * logn, b - beta * logd, np.full_like(logn, e)])
            lse = logsumexp(terms, axis=0)
            value, slope = huber(lse - logl)
            w = np.exp(terms - lse)
            grad = np.array([np.sum(slope * w[0]), np.sum(slope * w[1]), np.sum(slope * w[2]),
                             np.sum(slope * w[0] * -logn), np.sum(slope * w[1] * -logd)])
            return float(np.sum(value)), grad
        return f

    def g(theta):
        nc, dc, alpha_n, alpha_d = theta
        p = alpha_n / alpha_d
        terms = np.stack([p * (nc - logn), dc - logd])
        lse = logsumexp(terms, axis=0)
        value, slope = huber(alpha_d * lse - logl)
        w = np.exp(terms - lse)
        d_p = np.sum(slope * alpha_d * w[0] * (nc - logn))
        grad = np.array([np.sum(slope * alpha_d * w[0] * p), np.sum(slope * alpha_d * w[1]),
                         d_p / alpha_d, np.sum(slope * lse) - d_p * alpha_n / alpha_d**2])
        return float(np.sum(value)), grad
    return g


BOUNDS = {"hoffmann": [(None, None), (None, None), (None, None), (1e-4, 5.0), (1e-4, 5.0)],
          "kaplan": [(None, None), (None, None), (1e-4, 5.0), (1e-4, 5.0)]}


OPTIONS = {"gtol": 1e-10, "ftol": 1e-14, "maxiter": 2000}
# L-BFGS runs from this many of the grid's points, those where the objective starts lowest.
REFINED = 24


def _fit_once(form: str, logn, logd, logl, starts: Sequence[tuple[float, ...]]) -> list:
    """L-BFGS from each start; the results, best first."""
    import numpy as np
    from scipy.optimize import minimize

    f = _objective(form, logn, logd, logl)
    done = []
    for start in starts:
        res = minimize(f, np.array(start), jac=True, method="L-BFGS-B", bounds=BOUNDS[form], options=OPTIONS)
        if np.isfinite(res.fun):
            done.append(res)
    if not done:
        raise SymparamsError("the fit did not converge from any starting point")
    return sorted(done, key=lambda r: r.fun)


def _exp(x: float) -> float:
    """e^x, infinite past a float's range (the fit's log-space constants are not bounded)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log_sum(*terms: float) -> float:
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def _held(value: float) -> bool:
    """Whether a float holds ``value`` to its full precision: finite, and not lost to zero or a subnormal."""
    return math.isfinite(value) and value >= sys.float_info.min


# The constants fitted as logarithms (the rest are exponents, bounded by the search).
LOGGED = {"hoffmann": {"E": 2, "A": 0, "B": 1}, "kaplan": {"N_c": 0, "D_c": 1}}


def _constants(form: str, theta) -> dict[str, float]:
    if form == "hoffmann":
        a, b, e, alpha, beta = (float(x) for x in theta)
        return {"E": _exp(e), "A": _exp(a), "B": _exp(b), "alpha": alpha, "beta": beta}
    nc, dc, alpha_n, alpha_d = (float(x) for x in theta)
    return {"N_c": _exp(nc), "D_c": _exp(dc), "alpha_N": alpha_n, "alpha_D": alpha_d}


def _reported(form: str, theta, losses: Sequence[float]) -> dict[str, float]:
    """The best fit's constants, each one a float holds, or a refusal naming the one it cannot.

    A constant fitted as its logarithm can leave a float's range either way (losses so far
    from 1 that the constants scaled with them are, or a term the runs leave free to vanish);
    printed, it would read as infinite or as exactly zero, and G, built on it, with it
    (a zero A made every N* zero).
    """
    constants = _constants(form, theta)
    for name, i in LOGGED[form].items():
        if not _held(constants[name]):
            raise SymparamsError(f"the best fit has {name} = e^{float(theta[i]):.6g}, beyond what a float holds "
                                 f"(about {sys.float_info.min:.2g} to {sys.float_info.max:.2g}), so the fit cannot "
                                 f"be reported: the runs leave {name} undetermined, or their losses "
                                 f"({min(losses):.4g} to {max(losses):.4g}) put it there")
    return constants


# A term of the law under this share of every run's loss moves no residual past the Huber delta's scale.
VANISHING = 1e-6


def _term_share(coefficient: float, exponent: float, size: float, loss: float) -> float:
    """coefficient / size^exponent as a share of ``loss``, in logarithms (the term can be far below a float's range)."""
    log = math.log(coefficient) - exponent * math.log(size) - math.log(loss)
    return math.exp(log) if log > -700 else 0.0


def _allocation(form: str, c: dict[str, float]) -> dict[str, float]:
    """The compute-optimal exponents in closed form (and G for the Chinchilla form)."""
    if form == "hoffmann":
        s = c["alpha"] + c["beta"]
        ratio = c["alpha"] * c["A"] / (c["beta"] * c["B"])
        try:
            g = ratio ** (1 / s)
        except OverflowError:
            g = math.inf
        if not _held(g):
            power = (math.log10(c["alpha"]) + math.log10(c["A"]) - math.log10(c["beta"]) - math.log10(c["B"])) / s
            raise SymparamsError(f"the fit's allocation constant G = (alpha A/(beta B))^(1/(alpha+beta)) is about "
                                 f"10^{power:.6g}, beyond the range of a float: N* = G (C/6)^a says nothing at any "
                                 "budget")
        return {"a": c["beta"] / s, "b": c["alpha"] / s, "G": g}
    p = c["alpha_N"] / c["alpha_D"]
    return {"a": 1 / (1 + p), "b": p / (1 + p)}


def fit_law(runs: Sequence[Run], form: str = "hoffmann", resamples: int = 100, seed: int = 0,
            refined: int = REFINED) -> LawFit:
    """Fit ``form`` to ``runs``: Huber (delta 1e-3) on log residuals, L-BFGS from a grid, bootstrap intervals.

    Every point of the grid is scored, and L-BFGS runs from the ``refined`` best.
    The bootstrap refits ``resamples`` resamples of the runs (drawn with replacement by a
    generator seeded with ``seed``, so a fit is reproducible), each started from the
    three best fits; intervals are the 2.5 and 97.5 percentiles.
    """
    if form not in FORMS:
        raise SymparamsError(f"unknown form {form!r} (known: {', '.join(FORMS)})")
    need = len(PARAMETERS[form])
    if len(runs) <= need:
        raise SymparamsError(f"{len(runs)} run{'' if len(runs) == 1 else 's'} cannot fit the {need} constants of the "
                             f"{form} form; give more than {need}")
    for what, seen in (("N", {r.params for r in runs}), ("tokens", {r.tokens for r in runs})):
        if len(seen) < 2:
            raise SymparamsError(f"every run has the same {what}, so its exponent cannot be fitted; "
                                 f"give runs at two {what} values at least")
    if len({r.loss for r in runs}) < 2:
        raise SymparamsError("every run has the same loss, so no term of the law but its constant can be fitted "
                             "and the allocation is not determined; give runs whose losses differ")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or not 0 <= resamples <= 10_000:
        raise SymparamsError(f"bootstrap resamples must be a whole number from 0 to 10,000, got {resamples!r}")
    _require()
    import numpy as np

    logn = np.log([r.params for r in runs])
    logd = np.log([r.tokens for r in runs])
    logl = np.log([r.loss for r in runs])
    grid = _grid(form, float(np.mean(logl)) - 1.0)
    f = _objective(form, logn, logd, logl)

    def score(start: tuple[float, ...]) -> float:
        with np.errstate(all="ignore"):
            value = f(np.array(start))[0]
        return value if np.isfinite(value) else np.inf

    tried = _fit_once(form, logn, logd, logl, sorted(grid, key=score)[:max(refined, 1)])
    best = tried[0]
    constants = _reported(form, best.x, [r.loss for r in runs])
    allocation = _allocation(form, constants)
    rng = np.random.default_rng(seed)
    starts = [tuple(r.x) for r in tried[:3]]
    samples = []
    for _ in range(resamples):
        pick = rng.integers(0, len(runs), len(runs))
        samples.append(_constants(form, _fit_once(form, logn[pick], logd[pick], logl[pick], starts)[0].x))
    intervals = {}
    for name in PARAMETERS[form]:
        values = [s[name] for s in samples] or [constants[name]]
        with np.errstate(invalid="ignore"):
            ends = (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)))
        if not all(_held(end) for end in ends):
            off = sum(not _held(v) for v in values)
            raise SymparamsError(f"{off} of {resamples} bootstrap refits put {name} beyond the range of a float "
                                 f"(about {sys.float_info.min:.2g} to {sys.float_info.max:.2g}), and so does its "
                                 f"95% interval: the runs do not determine {name}")
        intervals[name] = ends
    notes = []
    for name, (low, high) in zip(PARAMETERS[form][-2:], BOUNDS[form][-2:]):
        if constants[name] in (low, high):
            notes.append(f"{name} ended at {constants[name]:g}, the bound of its search: the runs do not determine "
                         "it, and the allocation follows from the bound")
    if form == "hoffmann":
        for term, size, exponent, values in (("A", "N", "alpha", [r.params for r in runs]),
                                             ("B", "D_tok", "beta", [r.tokens for r in runs])):
            share = max(_term_share(constants[term], constants[exponent], v, r.loss) for v, r in zip(values, runs))
            if share < VANISHING and not any(n.startswith(f"{exponent} ended") for n in notes):
                notes.append(f"{term}/{size}^{exponent} is below {VANISHING:g} of every run's loss: the runs do not "
                             f"determine {term} or {exponent}, and the allocation follows from where the search "
                             "stopped")
    if len(runs) < 3 * need:
        notes.append(f"only {len(runs)} runs for {need} constants: intervals are wide and the fit fragile")
    if len(set(np.round(logn, 6))) < 3 or len(set(np.round(logd, 6))) < 3:
        notes.append("the runs span fewer than three sizes or token counts: the exponents are barely determined")
    return LawFit(form, constants, intervals, allocation, float(best.fun), len(runs), resamples,
                  min(max(refined, 1), len(grid)), len(grid), tuple(notes))
