"""Plots: exact series underneath, files written with labelled axes, a clear error without matplotlib."""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest
import sympy

from symparams import SymparamsError, model
from symparams.cli import main
from symparams.plot import KINDS, compute_grid, frontier_series, memory_series, plot, size_series, vary
from symparams.scaling import optimal

DEPTHS = (4, 8, 12, 20)


def nanochat(depth: int):
    return model("nanochat", depth=depth)


def depth_series(depths=DEPTHS):
    return size_series(nanochat, depths, "L", "nanochat")


def inputs(kind: str) -> dict:
    """What each kind of chart draws: a size series, a memory series, a model, or a compute range."""
    if kind == "memory":
        return {"series": memory_series(nanochat(8), "context", (256, 512, 1024), "nanochat d8")}
    return {"series": depth_series(), "model": nanochat(20), "compute": ("1e19", "1e22")}


def test_depth_series_are_each_models_exact_breakdown():
    """Each depth's groups are its breakdown's groups and add up to its total."""
    series = depth_series()
    for i, d in enumerate(DEPTHS):
        spec = model("nanochat", depth=d)
        assert series.totals[i] == spec.total
        assert sum(counts[i] for counts in series.groups.values()) == spec.total
        groups = spec.breakdown().groups()
        assert series.embedding_share()[i] == Fraction(groups["embedding"] + groups["head"], spec.total)


def test_embedding_share_falls_with_depth():
    shares = depth_series().embedding_share()
    assert all(a > b for a, b in zip(shares, shares[1:]))


def test_compute_grid_rises_through_one_two_five_and_keeps_its_ends():
    grid = compute_grid("3e18", "1e21")
    assert grid[0] == sympy.Integer(3 * 10**18) and grid[-1] == sympy.Integer(10**21)
    assert all(a < b for a, b in zip(grid, grid[1:]))
    assert sympy.Integer(5 * 10**18) in grid and sympy.Integer(2 * 10**20) in grid
    with pytest.raises(SymparamsError):
        compute_grid("1e21", "1e18")


def test_frontier_points_are_the_optimum_of_each_law():
    grid = compute_grid("1e19", "1e21")
    front = frontier_series(["hoffmann", "epoch"], grid)
    for law in ("hoffmann", "epoch"):
        assert front.params[law] == tuple(optimal(c, law).params for c in grid)


def test_varying_one_size_of_any_model_rebuilds_it_with_that_size():
    llama = model("llama-2-7b")
    series = size_series(vary(llama, "D"), (2048, 4096), "D", "llama-2-7b")
    assert series.totals[1] == llama.total
    assert series.totals[0] == model("llama-2-7b", D=2048).total
    with pytest.raises(SymparamsError, match="can vary only L or D"):
        vary(llama, "T")


@pytest.mark.sampled
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_every_kind_writes_a_file_of_sane_size(kind, fmt, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"{kind}.{fmt}"
    plot(kind, out, **inputs(kind))
    data = out.read_bytes()
    assert 5_000 < len(data) < 2_000_000
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif fmt == "pdf":
        assert data.startswith(b"%PDF-")
    else:
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data


@pytest.mark.parametrize("name", ["x\x1b[31mR\x1b[0m\n.svg", "bell\a\u202e.svg", "tab\there.svg"])
def test_the_name_of_the_file_a_chart_went_to_is_printed_escaped_on_one_line(name, tmp_path, capsys):
    """A file name reaches the terminal as every other name does: escape sequences, bells and line breaks shown, not
    obeyed."""
    pytest.importorskip("matplotlib")
    assert main(["plot", "breakdown", "nanochat", "--depths", "4,8", "-o", str(tmp_path / name)]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n") and out[:-1].isprintable(), repr(out)
    assert (tmp_path / name).exists()


@pytest.mark.parametrize("kind, labels", [
    ("breakdown", ["depth (layers)", "parameters (millions)"]),
    ("embedding-share", ["depth (layers)", "share of parameters (%)"]),
    ("frontier", ["training compute C (FLOPs)", "parameters N (the laws' N*)", "training tokens D_tok (the laws' D*)"]),
    ("memory", ["context T (tokens per sequence)", "memory (GiB)", "nanochat d8: memory by part"]),
])
def test_axes_are_labelled_with_units(kind, labels, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    out = tmp_path / "chart.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        plot(kind, out, **inputs(kind))
    text = out.read_text()
    for label in labels:
        assert label in text


def _svg_text(argv: list[str], tmp_path) -> str:
    """The text of the chart the command draws (SVG with text kept as text)."""
    pytest.importorskip("matplotlib")
    import matplotlib

    out = tmp_path / "chart.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        assert main([*argv, "-o", str(out)]) == 0
    return out.read_text()


@pytest.mark.parametrize("argv, shown", [
    (["plot", "breakdown", "nanochat", "--set", "H_kv=1", "--depths", "4,8"], ["nanochat, H_kv=1", "depth (layers)"]),
    (["plot", "breakdown", "llama-2-7b"], ["llama-2-7b: parameters by component", "depth (layers)", "64"]),
    (["plot", "breakdown", "gpt2", "--vary", "D", "--set", "V=50304"], ["gpt2, V=50304", "width D", "1,536"]),
    (["plot", "embedding-share", "nanochat", "--vary", "D", "--depth", "8", "--values", "256:1024:256"],
     ["nanochat d8: embedding share", "width D"]),
])
def test_titles_and_axes_name_the_model_every_override_and_the_size_varied(argv, shown, tmp_path, capsys):
    text = _svg_text(argv, tmp_path)
    for s in shown:
        assert s in text, s


def test_the_tallest_bar_fits_below_the_top_of_the_axes(tmp_path):
    """Nothing is clipped: the y axis reaches above the tallest stack (nanochat-2026's d32 was cut off)."""
    pytest.importorskip("matplotlib")
    from symparams.plot import _draw_breakdown, _figure

    series = size_series(lambda d: model("nanochat-2026", depth=d), (4, 16, 32), "L", "nanochat-2026")
    fig = _figure(figsize=(7.5, 4.5), layout="constrained")
    _draw_breakdown(series, fig)
    ax = fig.axes[0]
    assert ax.get_ylim()[1] > max(series.totals) / 1e6
    fig.draw_without_rendering()  # lays the figure out as saving does
    legend = ax.get_legend().get_window_extent()
    assert legend.x1 <= fig.bbox.x1 and legend.y0 >= fig.bbox.y0


def test_only_png_svg_and_pdf_are_written(tmp_path):
    with pytest.raises(SymparamsError, match=r"\.png, \.svg or \.pdf"):
        plot("breakdown", tmp_path / "chart.gif", series=depth_series())


def test_missing_matplotlib_is_one_error_naming_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(SymparamsError, match=r"pip install 'symparams\[plot\]'"):
        plot("breakdown", tmp_path / "x.png", series=depth_series())
    assert main(["plot", "breakdown", "-o", str(tmp_path / "x.png"), "--depths", "4,8"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "symparams[plot]" in err


def test_cli_writes_the_file(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "f.png"
    assert main(["plot", "frontier", "--law", "hoffmann,tokens-per-param", "--compute", "1e19:1e21", "-o", str(out)]) == 0
    assert out.stat().st_size > 5_000


@pytest.mark.parametrize("argv", [
    ["plot", "pie", "-o", "x.png"],
    ["plot", "breakdown", "-o", "x.gif"],
    ["plot", "frontier", "--law", "kaplan", "-o", "x.png"],
    ["plot", "frontier", "--compute", "1e20", "-o", "x.png"],
    ["plot", "breakdown", "--depths", "0,4", "-o", "x.png"],
    ["plot", "breakdown", "llama-nope", "-o", "x.png"],
    ["plot", "breakdown", "nanochat", "--depths", "4,8", "--vary", "D", "-o", "x.png"],
    ["plot", "breakdown", "nanochat", "--depth", "8", "-o", "x.png"],
    ["plot", "breakdown", "gpt2", "--set", "L=3", "-o", "x.png"],
    ["plot", "breakdown", "gpt2", "--values", "1:100000:1", "-o", "x.png"],
    ["plot", "breakdown", "gpt2", "--vary", "D", "--values", "7", "-o", "x.png"],
])
def test_cli_refuses_bad_arguments_with_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error" in err
    assert not list(tmp_path.iterdir())


def test_the_tornado_shows_each_sizes_exact_elasticity_largest_first():
    from symparams.analysis import sensitivity
    from symparams.plot import elasticities

    spec = model("llama-2-7b")
    data = elasticities(spec)
    exact = {s.symbol.name: Fraction(int(s.elasticity_value.p), int(s.elasticity_value.q)) for s in sensitivity(spec)}
    assert dict(zip(data.symbols, data.values)) == exact
    assert [abs(v) for v in data.values] == sorted((abs(v) for v in data.values), reverse=True)


def test_the_sensitivity_chart_names_the_model_and_its_overrides(tmp_path):
    text = _svg_text(["plot", "sensitivity", "llama-2-7b", "--set", "H_kv=8"], tmp_path)
    assert "llama-2-7b, H_kv=8: which size moves the count" in text and "elasticity of the parameter count" in text


# ---- memory by part, the frontier's trained models ---------------------------------------

def test_memory_series_is_the_memory_reading_at_each_context_and_batch():
    from symparams.memory import memory

    spec = model("llama-2-7b")
    series = memory_series(spec, "context", (512, 4096))
    for i, seq in enumerate((512, 4096)):
        m = memory(spec, seq=seq)
        assert series.parts["weights"][i] == m.weights_bytes and series.parts["activations"][i] == m.activation_bytes
        assert series.parts["optimizer state"][i] == m.optimizer_bytes and series.totals[i] == m.total_bytes
    served = memory_series(spec, "batch", (1, 8), training=False)
    assert "gradients" not in served.parts and "T = 4,096" in served.setting  # the model's own context, held
    assert served.parts["KV cache"][1] == memory(spec, training=False, seq=4096, batch=8).kv_cache_bytes
    with pytest.raises(SymparamsError):
        memory_series(spec, "depth")


def test_every_trained_model_is_a_preset_counted_by_symparams_with_a_source():
    from symparams.catalog import names
    from symparams.cli.plot import _trained
    from symparams.scaling.trained import TRAINED

    marked = _trained(None)
    assert [m.name for m in marked] == [t.model for t in TRAINED]
    for row, mark in zip(TRAINED, marked):
        assert row.preset in names()
        assert mark.params == model(row.preset).total and mark.tokens == row.tokens
        assert mark.compute == 6 * mark.params * mark.tokens
        assert row.url.startswith("https://") and row.source


def test_the_frontier_keeps_the_models_inside_its_compute_range():
    from symparams.plot import Trained

    small, big = Trained("small", 10**8, 2 * 10**9), Trained("big", 10**11, 10**13)
    front = frontier_series(["hoffmann"], compute_grid("1e18", "1e21"), models=[small, big])
    assert front.models == (small,)


# ---- what is drawn is what was read ----------------------------------------------------------

def _figure_of(kind, **kw):
    pytest.importorskip("matplotlib")
    from symparams.plot import chart

    fig = chart(kind, **kw)
    fig.draw_without_rendering()  # lays the figure out as saving does
    return fig


def _bars(ax) -> dict[str, list[float]]:
    return {c.get_label(): [p.get_height() for p in c] for c in ax.containers}


def test_the_breakdown_bars_are_each_models_groups():
    fig = _figure_of("breakdown", series=depth_series())
    bars = _bars(fig.axes[0])
    for i, d in enumerate(DEPTHS):
        groups = model("nanochat", depth=d).breakdown().groups()
        for group, heights in bars.items():
            assert heights[i] == pytest.approx(groups[group] / 1e6, rel=1e-12), (d, group)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [str(d) for d in DEPTHS]


def test_the_embedding_share_line_is_each_models_share():
    fig = _figure_of("embedding-share", series=depth_series())
    (line,) = fig.axes[0].get_lines()
    for d, y in zip(DEPTHS, line.get_ydata()):
        groups = model("nanochat", depth=d).breakdown().groups()
        assert y == pytest.approx(100 * (groups["embedding"] + groups["head"]) / model("nanochat", depth=d).total)


def test_the_memory_bars_are_the_memory_reading():
    from symparams.memory import memory

    spec = model("llama-3-8b")
    fig = _figure_of("memory", series=memory_series(spec, "batch", (1, 4, 16), training=False))
    bars = _bars(fig.axes[0])
    assert list(bars) == ["weights", "KV cache"]
    for i, b in enumerate((1, 4, 16)):
        m = memory(spec, training=False, seq=8192, batch=b)
        assert bars["weights"][i] == pytest.approx(m.weights_bytes / 2**30, rel=1e-12)
        assert bars["KV cache"][i] == pytest.approx(m.kv_cache_bytes / 2**30, rel=1e-12)


def test_the_tornado_bars_are_the_elasticities():
    from symparams.analysis import sensitivity

    spec = model("llama-2-7b")
    fig = _figure_of("sensitivity", model=spec)
    ax = fig.axes[0]
    at = {round(float(y)): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels())}
    drawn = {at[round(p.get_y() + p.get_height() / 2)]: p.get_width() for p in ax.containers[0]}
    exact = {s.symbol.name: float(s.elasticity_value) for s in sensitivity(spec)}
    assert drawn == pytest.approx(exact, rel=1e-12)
    assert list(drawn) == sorted(exact, key=lambda k: -abs(exact[k]))  # largest at the top


def test_the_frontier_lines_are_the_optima_and_the_points_the_trained_models():
    from symparams.cli.plot import _trained
    from symparams.scaling.trained import TRAINED

    grid = compute_grid("1e18", "1e26")
    fig = _figure_of("frontier", laws=["hoffmann", "tokens-per-param"], ratio="25", models=_trained(None))
    left, right = fig.axes
    lines = {ln.get_label(): ln for ln in left.get_lines()}
    hoffmann = lines["hoffmann"].get_ydata()
    assert list(hoffmann) == pytest.approx([optimal(c, "hoffmann").params for c in grid], rel=1e-12)
    rule = lines["tokens-per-param (D_tok = 25 N)"].get_ydata()
    assert list(rule) == pytest.approx([optimal(c, "tokens-per-param", 25).params for c in grid], rel=1e-12)
    tokens = {ln.get_label(): ln for ln in right.get_lines()}
    for row in TRAINED:
        n = model(row.preset).total
        (x,), (y,) = lines[row.model].get_data()
        assert (x, y) == pytest.approx((6.0 * n * row.tokens, float(n)), rel=1e-12)
        assert tokens[row.model].get_ydata()[0] == pytest.approx(float(row.tokens), rel=1e-12)


# ---- nothing clipped ----------------------------------------------------------------------

LONG = {"H_kv": 1, "V": 50304, "e": 3}


@pytest.mark.parametrize("kind", KINDS)
def test_no_text_legend_or_bar_falls_outside_the_figure(kind):
    """Every axes with its labels, every legend and the title lie within the figure; bars within their axes."""
    from symparams.cli.plot import _trained

    title = "nanochat, " + ", ".join(f"{k}={v}" for k, v in LONG.items())
    build = lambda d: model("nanochat", depth=d, **LONG)  # noqa: E731
    kw = {"breakdown": {"series": size_series(build, (4, 16, 32), "L", title)},
          "embedding-share": {"series": size_series(build, (4, 16, 32), "L", title)},
          "sensitivity": {"model": model("nanochat", depth=4, **{**LONG, "V": 2**20}), "title": title},
          "memory": {"series": memory_series(build(32), "batch", (1, 2, 4, 8, 16, 32, 64), title, seq=2048)},
          "frontier": {"models": _trained(None)}}[kind]
    fig = _figure_of(kind, **kw)
    box = fig.bbox
    parts = [*fig.axes, *fig.legends, *([fig._suptitle] if fig._suptitle is not None else [])]
    for part in parts:
        bb = part.get_tightbbox() if hasattr(part, "get_tightbbox") else part.get_window_extent()
        assert bb.x0 >= box.x0 - 1 and bb.y0 >= box.y0 - 1 and bb.x1 <= box.x1 + 1 and bb.y1 <= box.y1 + 1, part
    for ax in fig.axes:
        for label in ax.texts:  # the tornado's figures stay beside their bars, inside the axes
            bb = label.get_window_extent()
            assert ax.bbox.x0 <= bb.x0 and bb.x1 <= ax.bbox.x1, label.get_text()
        for container in ax.containers:
            for patch in container:
                top = patch.get_y() + patch.get_height()
                assert ax.get_ylim()[0] <= top <= ax.get_ylim()[1] and patch.get_x() >= ax.get_xlim()[0]
                assert patch.get_x() + patch.get_width() <= ax.get_xlim()[1]


def test_one_style_is_set_for_every_chart():
    """Every kind is drawn under STYLE: its fonts and its colour cycle, whatever the user's matplotlib defaults."""
    pytest.importorskip("matplotlib")
    import matplotlib

    from symparams.plot import PALETTE, STYLE

    for kind in KINDS:
        with matplotlib.rc_context({"font.size": 20, "axes.titlesize": 30}):
            fig = _figure_of(kind, **inputs(kind))
        ax = fig.axes[0]
        assert ax.xaxis.label.get_fontsize() == STYLE["axes.labelsize"], kind
        assert not ax.spines["top"].get_visible(), kind
        if kind in ("breakdown", "memory"):
            assert matplotlib.colors.to_hex(ax.containers[0][0].get_facecolor()) == PALETTE[0].lower()


@pytest.mark.parametrize("argv, shown", [
    (["plot", "memory", "llama-2-7b", "--set", "H_kv=8", "--values", "512,1024"],
     ["llama-2-7b, H_kv=8: memory by part", "training in bf16, mixed-adamw, B = 1", "weights", "activations"]),
    (["plot", "memory", "gpt2", "--inference", "--against", "batch", "--seq", "512", "--dtype", "fp16"],
     ["gpt2: memory by part", "inference in fp16, KV cache in fp16, T = 512", "KV cache", "batch B (sequences)"]),
    (["plot", "frontier", "--law", "hoffmann,tokens-per-param", "--ratio", "25", "--mark", "llama-2-7b,phi-2"],
     ["tokens-per-param (D_tok = 25 N)", "Llama 2 7B", "Phi-2", "trained models"]),
])
def test_memory_and_frontier_titles_and_legends_name_the_model_and_every_setting(argv, shown, tmp_path):
    text = _svg_text(argv, tmp_path)
    for s in shown:
        assert s in text, s
    if "--mark" in argv:
        assert "Llama 3 8B" not in text


@pytest.mark.parametrize("argv", [
    ["plot", "memory", "gpt2", "--against", "context", "--seq", "512", "-o", "x.png"],
    ["plot", "memory", "gpt2", "--against", "batch", "--batch", "4", "-o", "x.png"],
    ["plot", "memory", "gpt2", "--vary", "D", "-o", "x.png"],
    ["plot", "memory", "gpt2", "--dtype", "fp7", "-o", "x.png"],
    ["plot", "frontier", "--mark", "llama-9", "-o", "x.png"],
    ["plot", "breakdown", "gpt2", "--inference", "-o", "x.png"],
    ["plot", "sensitivity", "gpt2", "--mark", "phi-2", "-o", "x.png"],
    ["plot", "memory", "gpt2", "--ratio", "20", "-o", "x.png"],
    ["plot", "sensitivity", "gpt2", "--vary", "D", "-o", "x.png"],
    ["plot", "frontier", "--values", "4,8", "-o", "x.png"],
])
def test_memory_and_frontier_refuse_bad_arguments_with_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error" in err
    assert not list(tmp_path.iterdir())


def test_the_fit_chart_shows_each_runs_loss_against_the_fitted_prediction(tmp_path):
    """fit-law --plot is drawn in the same style: each point is (the law's prediction, the run's loss)."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("scipy", reason="scipy is not installed (pip install 'symparams[fit]')")
    from symparams.plot import STYLE, fit_chart, plot_fit
    from symparams.scaling.fit import Run, fit_law

    runs = [Run(n, d, 1.8 + 400 / n**0.33 + 400 / d**0.29) for n in (1e7, 1e8, 1e9) for d in (1e9, 1e10)]
    fit = fit_law(runs, resamples=0, refined=1)
    fig = fit_chart(fit, runs)
    ax = fig.axes[0]
    points = ax.collections[0].get_offsets()
    assert [tuple(p) for p in points] == pytest.approx([(fit.predict(r.params, r.tokens), r.loss) for r in runs])
    assert ax.title.get_text() == "hoffmann law fitted to 6 runs"
    assert ax.xaxis.label.get_fontsize() == STYLE["axes.labelsize"]
    for fmt in ("png", "svg", "pdf"):
        assert (tmp_path / f"fit.{fmt}").name in plot_fit(fit, runs, tmp_path / f"fit.{fmt}")
        assert (tmp_path / f"fit.{fmt}").stat().st_size > 5_000


def test_tornado_figures_of_negative_bars_stay_inside_the_axes():
    """A size whose growth shrinks the count (Jamba's dense-layer share L_d: about -0.8) is labelled inside."""
    pytest.importorskip("matplotlib")
    from symparams.plot import Elasticities, _draw_tornado, _figure

    data = Elasticities("hybrid", ("L", "D", "L_d", "V"),
                        (Fraction(1775, 1000), Fraction(1058, 1000), Fraction(-820, 1000), Fraction(1, 1000)))
    fig = _figure(figsize=(7.5, 4.0), layout="constrained")
    _draw_tornado(data, fig)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    for label in ax.texts:
        bb = label.get_window_extent()
        assert ax.bbox.x0 <= bb.x0 and bb.x1 <= ax.bbox.x1, label.get_text()
