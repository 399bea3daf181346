"""Charts of the readings: where the parameters sit as a model grows, which size moves the count,
where the memory goes as context or batch grows, and the compute-optimal frontier with real models on it.

Series are computed exactly first (``*_series`` functions, no matplotlib), then
drawn; the only floats are the coordinates handed to matplotlib. matplotlib is an
optional extra (``symparams[plot]``), imported inside the drawing functions alone,
and drawn through ``matplotlib.figure.Figure`` so no pyplot global state or GUI
backend is involved. One style (:data:`STYLE`) is set for every chart.

The charts take models, never names: a size series is built from a *builder*, a
function from one size to a Spec (a family's depth ladder, or :func:`vary` on one
model), so any model can be drawn growing in depth or in width.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

from sympy import Integer, Rational

from .errors import SymparamsError
from .spec import Spec, apply_overrides

__all__ = ["KINDS", "FORMATS", "KNOBS", "STYLE", "SizeSeries", "size_series", "vary", "default_sizes", "Frontier",
           "frontier_series", "compute_grid", "output_format", "plot", "Elasticities", "elasticities", "Trained",
           "trained", "MemorySeries", "memory_series", "AGAINST", "default_memory_values", "chart", "fit_chart", "plot_fit"]

KINDS = ("breakdown", "embedding-share", "sensitivity", "memory", "frontier")
FORMATS = ("png", "svg", "pdf")
GROUP_ORDER = ("embedding", "attention", "mlp", "norm", "head", "other")
# The sizes a chart can vary: depth (L: for a depth-sized family, its ladder) and width (D).
KNOBS = {"L": "depth (layers)", "D": "width D"}

# The one style of every chart: readable at a column's width in a paper, no chart junk.
STYLE: dict[str, object] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "savefig.dpi": 200,
    "pdf.fonttype": 42,
    "svg.hashsalt": "symparams",
}
# Colours in the order groups are drawn: the Okabe-Ito palette, safe for colour-blind readers and in grey.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class SizeSeries:
    """Exact parameters per group of one model at each of several sizes of one knob.

    ``knob`` is ``L`` (depth) or ``D`` (width); ``title`` names the model and every
    value it was given, so a chart says what it shows.
    """

    title: str
    knob: str
    sizes: tuple[int, ...]
    groups: Mapping[str, tuple[int, ...]]
    totals: tuple[int, ...]

    def embedding_share(self) -> tuple[Fraction, ...]:
        """Share of the embedding tables and LM head in the total, per size."""
        none = (0,) * len(self.sizes)
        emb = [sum(self.groups.get(g, none)[i] for g in ("embedding", "head")) for i in range(len(self.sizes))]
        return tuple(Fraction(e, t) for e, t in zip(emb, self.totals))


def size_series(build: Callable[[int], Spec], sizes: Sequence[int], knob: str = "L", title: str = "") -> SizeSeries:
    """Per-group counts of the model ``build(size)`` makes at each size, from each model's breakdown."""
    if not sizes:
        raise SymparamsError("need at least one size to plot")
    if knob not in KNOBS:
        raise SymparamsError(f"can vary only {' or '.join(KNOBS)}, not {knob!r}")
    specs = [build(s) for s in sizes]
    per = [s.breakdown().groups() for s in specs]
    names = [g for g in GROUP_ORDER if any(p.get(g, 0) for p in per)]
    names += sorted({g for p in per for g in p if p[g] and g not in names})
    groups = {g: tuple(p.get(g, 0) for p in per) for g in names}
    return SizeSeries(title or specs[0].name, knob, tuple(sizes), groups, tuple(s.total for s in specs))


def vary(spec: Spec, knob: str) -> Callable[[int], Spec]:
    """The builder of ``spec`` with the size ``knob`` (L or D) set, everything else held."""
    if knob not in KNOBS:
        raise SymparamsError(f"can vary only {' or '.join(KNOBS)}, not {knob!r}")
    if not any(s.name == knob for s in spec.symbols):
        raise SymparamsError(f"{spec.name} has no free size {knob} to vary")

    def build(size: int) -> Spec:
        other = apply_overrides(spec, {knob: Integer(size)})
        other.total  # noqa: B018 - refuse a size the model's constraints refuse, now
        return other

    return build


# Multiples of a model's own size that a chart of it shows when no sizes are given.
DEFAULT_MULTIPLES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(1), Fraction(3, 2), Fraction(2))


def default_sizes(build: Callable[[int], Spec], own: int) -> tuple[int, ...]:
    """Sizes around ``own`` (a quarter to twice it) that the model can be built at; others are left out."""
    out = []
    for m in DEFAULT_MULTIPLES:
        size = own * m
        if size.denominator != 1 or size < 1 or int(size) in out:
            continue
        try:
            build(int(size))
        except SymparamsError:
            continue
        out.append(int(size))
    if len(out) < 2:
        raise SymparamsError(f"no sizes around {own:,} build this model; give them with --values")
    return tuple(out)


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
class Elasticities:
    """The elasticity (x/N) dN/dx of one model's total in each of its sizes, exactly, largest first."""

    title: str
    symbols: tuple[str, ...]
    values: tuple[Fraction, ...]


def elasticities(spec: Spec, title: str = "") -> Elasticities:
    """Each size's elasticity at ``spec``: the percent change of N per percent of the size (a tornado chart)."""
    from .analysis import sensitivity

    rows = [(s.symbol.name, Fraction(int(s.elasticity_value.p), int(s.elasticity_value.q)))
            for s in sensitivity(spec) if s.elasticity_value.is_Rational]
    rows.sort(key=lambda r: -abs(r[1]))
    return Elasticities(title or spec.name, tuple(r[0] for r in rows), tuple(r[1] for r in rows))


# ---- memory by part -------------------------------------------------------------------

# What a memory chart grows: the context T (tokens per sequence) or the batch B (sequences).
AGAINST = {"context": "context T (tokens per sequence)", "batch": "batch B (sequences)"}
# The parts of a Memory in the order they stack: (label, field).
MEMORY_PARTS = (("weights", "weights_bytes"), ("gradients", "gradients_bytes"), ("optimizer state", "optimizer_bytes"),
                ("activations", "activation_bytes"), ("KV cache", "kv_cache_bytes"))
GIB = 2**30


@dataclass(frozen=True)
class MemorySeries:
    """Exact bytes per part of one model's memory at each context or batch size (the memory reading's figures).

    ``title`` names the model and its overrides and ``setting`` the precision, optimizer
    and the size held, so a chart says what it shows.
    """

    title: str
    setting: str
    against: str
    values: tuple[int, ...]
    parts: Mapping[str, tuple[int, ...]]
    totals: tuple[int, ...]


def default_memory_values(spec: Spec, against: str) -> tuple[int, ...]:
    """Batches 1 to 64; or contexts from 1/64 of the model's own context (2,048 when unknown) up to it."""
    if against == "batch":
        return tuple(2**k for k in range(7))
    top = spec.context or 2048
    return tuple(v for v in (top // 2**k for k in range(6, -1, -1)) if v >= 1)


def memory_series(spec: Spec, against: str = "context", values: Sequence[int] = (), title: str = "", *,
                  training: bool = True, seq: int | None = None, batch: int = 1, dtype: str = "bf16",
                  optimizer: str | None = None) -> MemorySeries:
    """Bytes by part (weights, gradients, optimizer state, activations, KV cache) as ``against`` grows.

    Each point is :func:`symparams.memory.memory` at that context or batch, the other held
    (``batch``; ``seq``, by default the model's own context).
    """
    from .memory import memory

    if against not in AGAINST:
        raise SymparamsError(f"memory grows against {' or '.join(AGAINST)}, not {against!r}")
    values = tuple(values) or default_memory_values(spec, against)
    if against == "batch":
        seq = seq or spec.context or 2048
    elif seq is not None:
        raise SymparamsError("the context is what the chart varies; give the contexts as values, not a held seq")
    readings = [memory(spec, dtype, optimizer, training=training, seq=v if against == "context" else seq,
                       batch=v if against == "batch" else batch) for v in values]
    parts = {label: tuple(getattr(m, name) or 0 for m in readings) for label, name in MEMORY_PARTS}
    parts = {k: v for k, v in parts.items() if any(v)}
    first = readings[0]
    held = f"B = {batch:,}" if against == "context" else f"T = {seq:,}"
    what = f"training in {dtype}, {first.optimizer}" if training else f"inference in {dtype}, KV cache in {first.kv_dtype}"
    return MemorySeries(title or spec.name, f"{what}, {held}", against, values, parts,
                        tuple(m.total_bytes for m in readings))


# ---- the compute-optimal frontier -------------------------------------------------------

@dataclass(frozen=True)
class Trained:
    """A real model at its parameter count (symparams' own) and its published training tokens."""

    name: str
    params: int
    tokens: int
    source: str = ""

    @property
    def compute(self) -> int:
        """Its training compute on the frontier's own accounting, C = 6 N D_tok."""
        return 6 * self.params * self.tokens


def trained(spec: Spec, tokens: int, name: str = "", source: str = "") -> Trained:
    """``spec`` marked on the frontier: N is its exact count (active parameters for a mixture of experts)."""
    return Trained(name or spec.name, spec.active_total, int(tokens), source)


@dataclass(frozen=True)
class Frontier:
    """Compute-optimal N* and D_tok* along a range of budgets, per law, and the real models within the range."""

    computes: tuple[Rational, ...]
    params: Mapping[str, tuple[float, ...]]
    tokens: Mapping[str, tuple[float, ...]]
    models: tuple[Trained, ...] = ()
    labels: Mapping[str, str] | None = None


def frontier_series(laws: Sequence[str], computes: Sequence[Rational], ratio: object = None,
                    models: Sequence[Trained] = ()) -> Frontier:
    """Each law's optimum at each budget; ``models`` whose compute 6 N D_tok lies in the range are kept."""
    from .scaling import DEFAULT_RATIO, RULE, optimal

    params, tokens, labels = {}, {}, {}
    for law in laws:
        opts = [optimal(c, law, ratio if law == RULE else None) for c in computes]
        params[law] = tuple(o.params for o in opts)
        tokens[law] = tuple(o.tokens for o in opts)
        labels[law] = f"{law} (D_tok = {ratio if ratio is not None else DEFAULT_RATIO} N)" if law == RULE else law
    lo, hi = min(computes), max(computes)
    kept = tuple(m for m in models if lo <= m.compute <= hi)
    return Frontier(tuple(computes), params, tokens, kept, labels)


def _style() -> dict[str, object]:
    from cycler import cycler

    return {**STYLE, "axes.prop_cycle": cycler(color=PALETTE)}


def _figure(**kw):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SymparamsError("plotting needs matplotlib: pip install 'symparams[plot]'") from None
    return Figure(**kw)


def output_format(path: str | os.PathLike) -> str:
    """The file format ``path`` asks for by its extension; an error for one no chart is written in."""
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise SymparamsError(f"output {os.fspath(path)!r} must end in .png, .svg or .pdf")
    return ext


def _title(text: str, width: int = 70) -> str:
    """A title wrapped to the chart, with ``$`` escaped (matplotlib would read a model's name as math)."""
    return "\n".join(line for part in text.replace("$", r"\$").split("\n")
                     for line in textwrap.wrap(part, width, break_on_hyphens=False))


def _scale(values: Sequence[int]) -> tuple[float, str]:
    """A unit for parameter counts that keeps the axis figures short."""
    top = max(values, default=0)
    return (1e9, "billions") if top >= 10**10 else (1e6, "millions")


def _stacked(ax, sizes, stacks, unit) -> None:
    """Bars stacked part on part, one per size, in ``unit``s, with room above the tallest."""
    bottom = [0.0] * len(sizes)
    x = list(range(len(sizes)))
    for label, counts in stacks.items():
        heights = [c / unit for c in counts]
        ax.bar(x, heights, bottom=bottom, label=label, width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks(x, [f"{v:,}" for v in sizes])
    ax.set_ylim(0, max(bottom) * 1.08)
    ax.grid(False, axis="x")


def _draw_breakdown(series: SizeSeries, fig) -> None:
    ax = fig.add_subplot()
    unit, name = _scale(series.totals)
    _stacked(ax, series.sizes, series.groups, unit)
    ax.set_xlabel(KNOBS[series.knob])
    ax.set_ylabel(f"parameters ({name})")
    ax.set_title(_title(f"{series.title}: parameters by component"))
    handles, labels = ax.get_legend_handles_labels()  # top of the stack first, as the bars read
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), title="component")


def _draw_share(series: SizeSeries, fig) -> None:
    ax = fig.add_subplot()
    ax.plot(series.sizes, [float(s) * 100 for s in series.embedding_share()], marker="o",
            label="embeddings + LM head")
    ax.set_xlabel(KNOBS[series.knob])
    ax.set_ylabel("embedding + LM head share of parameters (%)")
    ax.set_title(_title(f"{series.title}: embedding share"))
    ax.set_ylim(0, 100)
    ax.legend(loc="upper right")


def _draw_tornado(data: Elasticities, fig) -> None:
    ax = fig.add_subplot()
    y = list(range(len(data.symbols)))[::-1]
    values = [float(v) for v in data.values]
    ax.barh(y, values, height=0.6, color=[PALETTE[0] if v >= 0 else PALETTE[5] for v in values])
    ax.set_yticks(y, data.symbols)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("elasticity of the parameter count: % change of N per 1% change of the size")
    ax.grid(False, axis="y")
    span = max((abs(v) for v in values), default=1.0)
    low, high = min(0.0, min(values, default=0.0)), max(0.0, max(values, default=0.0))
    ax.set_xlim(low - (0.25 if low < 0 else 0.1) * span, high + (0.25 if high > 0 else 0.1) * span)  # room for labels
    for yi, v in zip(y, values):
        ax.annotate(f"{v:.3f}".replace("-", "\u2212"), (v, yi), xytext=(4 if v >= 0 else -4, 0), textcoords="offset points",
                    ha="left" if v >= 0 else "right", va="center", fontsize=8)
    ax.set_title(_title(f"{data.title}: which size moves the count"))


def _draw_memory(series: MemorySeries, fig) -> None:
    ax = fig.add_subplot()
    _stacked(ax, series.values, series.parts, GIB)
    ax.set_xlabel(AGAINST[series.against])
    ax.set_ylabel("memory (GiB)")
    ax.set_title(_title(f"{series.title}: memory by part\n{series.setting}"))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), title="part")


# Markers of the trained models on the frontier: a shape and a colour each, told apart in grey too.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "p", "h", "*")


def _draw_frontier(front: Frontier, fig) -> None:
    left, right = fig.subplots(1, 2)
    xs = [float(c) for c in front.computes]
    labels = front.labels or {}
    for law in front.params:
        left.loglog(xs, front.params[law], label=labels.get(law, law))
        right.loglog(xs, front.tokens[law], label=labels.get(law, law))
    for i, m in enumerate(front.models):
        style = {"marker": MARKERS[i % len(MARKERS)], "color": PALETTE[(i + 3) % 7], "markeredgecolor": "black",
                 "markeredgewidth": 0.6, "markersize": 6, "linestyle": "none", "zorder": 3}
        left.plot([float(m.compute)], [float(m.params)], label=m.name, **style)
        right.plot([float(m.compute)], [float(m.tokens)], label=m.name, **style)
    left.set_ylabel("parameters N (the laws' N*)")
    right.set_ylabel("training tokens D_tok (the laws' D*)")
    for ax in (left, right):
        ax.set_xlabel("training compute C (FLOPs)")
        ax.grid(True, which="major", alpha=0.3)
    handles, names = left.get_legend_handles_labels()
    laws = len(front.params)
    left.legend(handles[:laws], names[:laws], title="compute-optimal law", loc="upper left")
    if front.models:
        fig.legend(handles[laws:], names[laws:], title="trained models (N from symparams, published tokens)",
                   loc="outside lower center", ncol=min(5, len(front.models)))
    title = "compute-optimal frontier (C = 6 N D_tok)"
    if front.models:
        title += "; trained models at their N and published tokens"
    fig.suptitle(_title(title, 110))


def chart(
    kind: str,
    *,
    series: SizeSeries | MemorySeries | None = None,
    model: Spec | None = None,
    title: str = "",
    laws: Sequence[str] = ("hoffmann", "epoch", "tokens-per-param"),
    compute: tuple[object, object] = ("1e18", "1e26"),
    ratio: object = None,
    models: Sequence[Trained] = (),
):
    """The chart ``kind`` drawn in :data:`STYLE` as a ``matplotlib.figure.Figure`` (arguments as :func:`plot`)."""
    if kind not in KINDS:
        raise SymparamsError(f"unknown plot {kind!r} (known: {', '.join(KINDS)})")
    # Each kind draws different data; bind it here so the drawing step only needs the figure.
    size: tuple[float, float]
    draw: Callable[[Any], None]
    if kind == "frontier":
        front = frontier_series(laws, compute_grid(*compute), ratio, models)
        size = (10, 4.2 + 0.25 * -(-len(front.models) // 5) + (0.45 if front.models else 0))
        draw = lambda fig: _draw_frontier(front, fig)  # noqa: E731
    elif kind == "sensitivity":
        if model is None:
            raise SymparamsError("the sensitivity chart needs a model")
        tornado = elasticities(model, title)
        size, draw = (7.5, 4.0), lambda fig: _draw_tornado(tornado, fig)
    elif kind == "memory":
        if not isinstance(series, MemorySeries):
            raise SymparamsError("the memory chart needs a memory series (memory_series)")
        grown = series
        size, draw = (7.5, 4.5), lambda fig: _draw_memory(grown, fig)
    else:
        if not isinstance(series, SizeSeries):
            raise SymparamsError(f"the {kind} chart needs a series of models (size_series)")
        sized, draw_series = series, _draw_breakdown if kind == "breakdown" else _draw_share
        size, draw = (7.5, 4.5), lambda fig: draw_series(sized, fig)
    fig = _figure(figsize=size, layout="constrained")
    with _styled():
        draw(fig)
    return fig


def _styled():
    import matplotlib

    # matplotlib's stubs type rc keys as a Literal of every rc name; STYLE's keys are plain str.
    return matplotlib.rc_context(_style())  # type: ignore[arg-type]


def plot(
    kind: str,
    output: str | os.PathLike,
    *,
    series: SizeSeries | MemorySeries | None = None,
    model: Spec | None = None,
    title: str = "",
    laws: Sequence[str] = ("hoffmann", "epoch", "tokens-per-param"),
    compute: tuple[object, object] = ("1e18", "1e26"),
    ratio: object = None,
    models: Sequence[Trained] = (),
) -> str:
    """Write the chart ``kind`` to ``output`` (.png, .svg or .pdf).

    ``series`` feeds breakdown and embedding-share (a :class:`SizeSeries`) and memory
    (a :class:`MemorySeries`); ``model`` (titled ``title``) the sensitivity tornado;
    ``laws``, ``compute``, ``ratio`` and ``models`` (real models to mark) the frontier.

    >>> import symparams
    >>> from symparams.plot import size_series
    >>> s = size_series(lambda d: symparams.model("nanochat", depth=d), (4, 8), title="nanochat")
    >>> s.totals
    (36700160, 92274688)
    """
    if kind not in KINDS:
        raise SymparamsError(f"unknown plot {kind!r} (known: {', '.join(KINDS)})")
    fmt = output_format(output)
    fig = chart(kind, series=series, model=model, title=title, laws=laws, compute=compute, ratio=ratio, models=models)
    return _save(fig, output, fmt)


def _save(fig, output: str | os.PathLike, fmt: str) -> str:
    """Write ``fig`` reproducibly (no dates in PDF or SVG), a write error as one line."""
    with _styled():
        metadata = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "png": {}}[fmt]
        try:
            fig.savefig(output, format=fmt, metadata=metadata)
        except OSError as err:
            raise SymparamsError(f"cannot write {os.fspath(output)!r}: {err.strerror or err}") from None
    return os.fspath(output)


def fit_chart(fit: Any, runs: Sequence[Any]):
    """Observed loss against a fitted law's prediction, one point per run coloured by N, with the line of agreement."""
    fig = _figure(figsize=(6.5, 4.5), layout="constrained")
    with _styled():
        ax = fig.add_subplot()
        observed = [r.loss for r in runs]
        predicted = [fit.predict(r.params, r.tokens) for r in runs]
        points = ax.scatter(predicted, observed, c=[r.params for r in runs], cmap="viridis", norm="log", s=18,
                            label="runs")
        low, high = min(observed + predicted), max(observed + predicted)
        ax.plot([low, high], [low, high], color="0.4", lw=1, ls="--", label="fit = observed")
        ax.set_xlabel(f"loss predicted by the fitted {fit.form} law")
        ax.set_ylabel("observed loss")
        ax.set_title(_title(f"{fit.form} law fitted to {fit.runs:,} runs"))
        fig.colorbar(points, ax=ax, label="parameters N")
        ax.legend(loc="upper left")
    return fig


def plot_fit(fit: Any, runs: Sequence[Any], output: str | os.PathLike) -> str:
    """Write :func:`fit_chart` of a fitted law (:func:`symparams.scaling.fit.fit_law`) to ``output``."""
    fmt = output_format(output)
    return _save(fit_chart(fit, runs), output, fmt)

