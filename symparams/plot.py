"""Charts of the readings: where the parameters sit as depth grows, and the compute-optimal frontier.

Series are computed exactly first (``*_series`` functions, no matplotlib), then
drawn; the only floats are the coordinates handed to matplotlib. matplotlib is an
optional extra (``symparams[plot]``), imported inside :func:`draw` alone, and
drawn through ``matplotlib.figure.Figure`` so no pyplot global state or GUI
backend is involved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

from sympy import Expr, Rational

from .errors import SymparamsError

__all__ = ["KINDS", "DepthSeries", "depth_series", "Frontier", "frontier_series", "compute_grid", "plot"]

KINDS = ("breakdown", "embedding-share", "frontier")
FORMATS = ("png", "svg")
GROUP_ORDER = ("embedding", "attention", "mlp", "norm", "head", "other")


@dataclass(frozen=True)
class DepthSeries:
    """Exact parameters per group for each depth of a family."""

    family: str
    depths: tuple[int, ...]
    groups: Mapping[str, tuple[int, ...]]
    totals: tuple[int, ...]

    def embedding_share(self) -> tuple[Fraction, ...]:
        """Share of the embedding tables and LM head in the total, per depth."""
        emb = [sum(self.groups.get(g, (0,) * len(self.depths))[i] for g in ("embedding", "head")) for i in range(len(self.depths))]
        return tuple(Fraction(e, t) for e, t in zip(emb, self.totals))


def depth_series(family: str, depths: Sequence[int], overrides: Mapping[str, Expr] | None = None) -> DepthSeries:
    """Per-group counts of ``family`` at each depth, from each model's breakdown."""
    from .catalog import model

    if not depths:
        raise SymparamsError("need at least one depth to plot")
    specs = [model(family, depth=d, **dict(overrides or {})) for d in depths]
    per = [s.breakdown().groups() for s in specs]
    names = [g for g in GROUP_ORDER if any(p.get(g, 0) for p in per)]
    names += sorted({g for p in per for g in p if p[g] and g not in names})
    groups = {g: tuple(p.get(g, 0) for p in per) for g in names}
    return DepthSeries(family, tuple(depths), groups, tuple(s.total for s in specs))


def compute_grid(low: object, high: object) -> tuple[Rational, ...]:
    """Budgets 1, 2 and 5 x 10^k from ``low`` to ``high`` (exact), the ends included."""
    from .scaling import _positive

    lo, hi = _positive(low, "lowest compute"), _positive(high, "highest compute")
    if hi <= lo:
        raise SymparamsError(f"compute range must rise: {lo} to {hi}")
    k = len(str(int(lo))) - 2
    out = [lo]
    while True:
        for m in (1, 2, 5):
            c = m * Rational(10) ** k
            if lo < c < hi:
                out.append(c)
        if Rational(10) ** k > hi:
            break
        k += 1
    out.append(hi)
    if len(out) > 200:
        raise SymparamsError("compute range spans too many decades to plot (at most about 60)")
    return tuple(out)


@dataclass(frozen=True)
class Frontier:
    """Compute-optimal N* and D_tok* along a range of budgets, per law."""

    computes: tuple[Rational, ...]
    params: Mapping[str, tuple[float, ...]]
    tokens: Mapping[str, tuple[float, ...]]


def frontier_series(laws: Sequence[str], computes: Sequence[Rational], ratio: object = None) -> Frontier:
    from .scaling import RULE, optimal

    params, tokens = {}, {}
    for law in laws:
        opts = [optimal(c, law, ratio if law == RULE else None) for c in computes]
        params[law] = tuple(o.params for o in opts)
        tokens[law] = tuple(o.tokens for o in opts)
    return Frontier(tuple(computes), params, tokens)


def _figure(**kw):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SymparamsError("plotting needs matplotlib: pip install 'symparams[plot]'") from None
    return Figure(**kw)


def _format(path: str) -> str:
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise SymparamsError(f"output {os.fspath(path)!r} must end in .png or .svg")
    return ext


def _draw_breakdown(series: DepthSeries, fig) -> None:
    ax = fig.add_subplot()
    bottom = [0.0] * len(series.depths)
    x = list(range(len(series.depths)))
    for group, counts in series.groups.items():
        heights = [c / 1e6 for c in counts]
        ax.bar(x, heights, bottom=bottom, label=group)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks(x, [str(d) for d in series.depths])
    ax.set_xlabel("depth (layers)")
    ax.set_ylabel("parameters (millions)")
    ax.set_title(f"{series.family}: parameters by component")
    ax.legend()


def _draw_share(series: DepthSeries, fig) -> None:
    ax = fig.add_subplot()
    ax.plot(series.depths, [float(s) * 100 for s in series.embedding_share()], marker="o")
    ax.set_xlabel("depth (layers)")
    ax.set_ylabel("embedding + LM head share of parameters (%)")
    ax.set_title(f"{series.family}: embedding share")
    ax.set_ylim(0, 100)
    ax.grid(True, alpha=0.3)


def _draw_frontier(front: Frontier, fig) -> None:
    left, right = fig.subplots(1, 2)
    xs = [float(c) for c in front.computes]
    for law in front.params:
        left.loglog(xs, front.params[law], label=law)
        right.loglog(xs, front.tokens[law], label=law)
    left.set_ylabel("compute-optimal parameters N*")
    right.set_ylabel("compute-optimal training tokens D*")
    for ax in (left, right):
        ax.set_xlabel("training compute C (FLOPs)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("compute-optimal frontier (C = 6 N D)")


def plot(
    kind: str,
    output: str | os.PathLike,
    *,
    family: str = "nanochat",
    depths: Sequence[int] = (4, 8, 12, 16, 20, 26, 32),
    overrides: Mapping[str, Expr] | None = None,
    laws: Sequence[str] = ("hoffmann", "epoch", "tokens-per-param"),
    compute: tuple[object, object] = ("1e18", "1e26"),
    ratio: object = None,
) -> str:
    """Write the chart ``kind`` (breakdown, embedding-share, frontier) to ``output`` (.png or .svg)."""
    if kind not in KINDS:
        raise SymparamsError(f"unknown plot {kind!r} (known: {', '.join(KINDS)})")
    fmt = _format(output)
    if kind == "frontier":
        data = frontier_series(laws, compute_grid(*compute), ratio)
        fig = _figure(figsize=(11, 4.5), layout="constrained")
        _draw_frontier(data, fig)
    else:
        data = depth_series(family, depths, overrides)
        fig = _figure(figsize=(7, 4.5), layout="constrained")
        (_draw_breakdown if kind == "breakdown" else _draw_share)(data, fig)
    try:
        fig.savefig(output, format=fmt, dpi=120)
    except OSError as err:
        raise SymparamsError(f"cannot write {os.fspath(output)!r}: {err.strerror or err}") from None
    return os.fspath(output)
