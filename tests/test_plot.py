"""Plots: exact series underneath, files written with labelled axes, a clear error without matplotlib."""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest
import sympy

from symparams import SymparamsError, model
from symparams.cli import main
from symparams.plot import KINDS, compute_grid, depth_series, frontier_series, plot
from symparams.scaling import optimal

DEPTHS = (4, 8, 12, 20)


def test_depth_series_are_each_models_exact_breakdown():
    """Each depth's groups are its breakdown's groups and add up to its total."""
    series = depth_series("nanochat", DEPTHS)
    for i, d in enumerate(DEPTHS):
        spec = model("nanochat", depth=d)
        assert series.totals[i] == spec.total
        assert sum(counts[i] for counts in series.groups.values()) == spec.total
        groups = spec.breakdown().groups()
        assert series.embedding_share()[i] == Fraction(groups["embedding"] + groups["head"], spec.total)


def test_embedding_share_falls_with_depth():
    shares = depth_series("nanochat", DEPTHS).embedding_share()
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


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_every_kind_writes_a_file_of_sane_size(kind, fmt, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"{kind}.{fmt}"
    plot(kind, out, depths=DEPTHS, compute=("1e19", "1e22"))
    data = out.read_bytes()
    assert 5_000 < len(data) < 2_000_000
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
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
        plot(kind, out, depths=DEPTHS, compute=("1e19", "1e22"))
    text = out.read_text()
    for label in labels:
        assert label in text


def test_only_png_and_svg_are_written(tmp_path):
    with pytest.raises(SymparamsError, match=r"\.png or \.svg"):
        plot("breakdown", tmp_path / "chart.pdf")


def test_missing_matplotlib_is_one_error_naming_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(SymparamsError, match=r"pip install 'symparams\[plot\]'"):
        plot("breakdown", tmp_path / "x.png", depths=DEPTHS)
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
])
def test_cli_refuses_bad_arguments_with_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error" in err
    assert not list(tmp_path.iterdir())
