"""Fit the parametric scaling law to your own training runs, with bootstrap confidence intervals.

RUNS is a CSV with one row per run and the columns N (parameters), tokens (training
tokens, D_tok) and loss, in any order. The fit is Chinchilla's and the Epoch replication's:
Huber loss (delta = 1e-3) on the log-loss residuals, L-BFGS started from a grid of
points, and bootstrap resamples of the runs for a 95% interval on every constant. The
output gives the constants, their intervals and the compute-optimal allocation they
imply in closed form (N* ~ C^a, D_tok* ~ C^b); --plot draws the fit against the runs.

Needs scipy: pip install 'symparams[fit]' (and matplotlib for --plot).
"""

from __future__ import annotations

import argparse

from .common import emit_json


def _count(text: str) -> int:
    from .common import positive_int

    if text.strip() == "0":
        return 0
    return positive_int(text)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..scaling.fit import FORMS

    p.add_argument("runs", metavar="RUNS", help="a CSV with columns N, tokens, loss")
    p.add_argument("--form", choices=FORMS, default="hoffmann",
                   help="hoffmann: E + A/N^alpha + B/D_tok^beta (default); "
                        "kaplan: [(N_c/N)^(alpha_N/alpha_D) + D_c/D_tok]^alpha_D")
    p.add_argument("--bootstrap", type=_count, default=100, metavar="B", help="bootstrap resamples (default 100; 0 for none)")
    p.add_argument("--seed", type=_count, default=0, help="seed of the bootstrap's resampling (default 0)")
    p.add_argument("--plot", metavar="FILE", help="also draw the fitted law against the runs (FILE.png, .svg or .pdf)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..scaling.fit import PARAMETERS, fit_law, read_runs

    runs = read_runs(args.runs)
    fit = fit_law(runs, args.form, resamples=args.bootstrap, seed=args.seed)
    if args.plot:
        _plot(fit, runs, args.plot)
    if args.json:
        emit_json(fit.to_json())
        return 0
    from ..format import table

    print(f"{fit.form} law fitted to {fit.runs:,} runs: Huber (delta = 1e-3) on log residuals, "
          f"L-BFGS from the best {fit.starts:,} of {fit.grid:,} grid points, {fit.resamples:,} bootstrap resamples")
    rows = [(name, f"{fit.constants[name]:.6g}", f"{fit.intervals[name][0]:.6g}", f"{fit.intervals[name][1]:.6g}")
            for name in PARAMETERS[fit.form]]
    print(table(rows, ("constant", "fit", "2.5%", "97.5%"), "lrrr"))
    a, b = fit.allocation["a"], fit.allocation["b"]
    if fit.form == "hoffmann":
        print(f"compute-optimal: N* = G (C/6)^a, D_tok* = (C/6)^b / G with a = beta/(alpha+beta) = {a:#.4g}, "
              f"b = alpha/(alpha+beta) = {b:#.4g}, G = (alpha A/(beta B))^(1/(alpha+beta)) = {fit.allocation['G']:.6g}")
    else:
        print(f"compute-optimal on C = 6 N D_tok: N* ~ C^a, D_tok* ~ C^b with a = 1/(1+alpha_N/alpha_D) = {a:#.4g}, "
              f"b = {b:#.4g}")
    for note in fit.notes:
        print(f"note: {note}")
    if args.plot:
        print(f"wrote {args.plot}")
    return 0


def _plot(fit, runs, path: str) -> None:
    """Observed loss against the fitted law's, one point per run, in the charts' one style."""
    from ..plot import plot_fit

    plot_fit(fit, runs, path)
