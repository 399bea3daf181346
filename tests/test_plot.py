"""Plots: exact series underneath, files written with labelled axes, a clear error without matplotlib."""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest
import sympy

from symparams import SymparamsError, model
from symparams.cli import main
from symparams.plot import KINDS, compute_grid, frontier_series, plot, size_series, vary
from symparams.scaling import optimal

DEPTHS = (4, 8, 12, 20)


def nanochat(depth: int):
    return model("nanochat", depth=depth)


def depth_series(depths=DEPTHS):
    return size_series(nanochat, depths, "L", "nanochat")


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


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_every_kind_writes_a_file_of_sane_size(kind, fmt, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"{kind}.{fmt}"
    plot(kind, out, series=depth_series(), model=nanochat(20), compute=("1e19", "1e22"))
    data = out.read_bytes()
    assert 5_000 < len(data) < 2_000_000
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif fmt == "pdf":
        assert data.startswith(b"%PDF-")
    else:
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data


@pytest.mark.parametrize("kind, labels", [
    ("breakdown", ["depth (layers)", "parameters (millions)"]),
    ("embedding-share", ["depth (layers)", "share of parameters (%)"]),
    ("frontier", ["training compute C (FLOPs)", "parameters N*", "training tokens D*"]),
])
def test_axes_are_labelled_with_units(kind, labels, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    out = tmp_path / "chart.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        plot(kind, out, series=depth_series(), compute=("1e19", "1e22"))
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
