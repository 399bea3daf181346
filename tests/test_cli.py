"""The command line prints what the library computes, and refuses bad input in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy
from hypothesis import given, settings

from symparams import model
from symparams.cli import main

from strategies import nanochat_configs, spec_of


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_count_table_lists_every_component_and_the_total(capsys):
    code, out, _ = run(capsys, "count", "nanochat", "--depth", "20")
    assert code == 0
    spec = model("nanochat", depth=20)
    assert f"{spec.total:,}" in out
    for row in spec.breakdown():
        assert row.name in out and f"{row.count:,}" in out


@settings(max_examples=40)
@given(nanochat_configs(bias=False))
def test_count_json_matches_the_library(c):
    from contextlib import redirect_stdout
    from io import StringIO

    sets = [f"V={c.vocab}", f"D={c.width}", f"L={c.layers}", f"H={c.heads}", f"H_kv={c.kv_heads}", f"e={c.expansion}"]
    buf = StringIO()
    with redirect_stdout(buf):
        code = main(["count", "nanochat", "--json", *[a for s in sets for a in ("--set", s)]])
    assert code == 0
    doc = json.loads(buf.getvalue())
    spec = spec_of(c)
    assert doc["total"] == spec.total
    assert doc["formula"] == str(spec.closed_form)
    assert doc["config"]["V"] == c.vocab
    assert {x["name"]: x["total"] for x in doc["components"]} == {r.path: r.total for r in spec.breakdown()}


def test_json_formula_is_sympy_source_text(capsys):
    code, out, _ = run(capsys, "count", "nanochat", "--depth", "20", "--json")
    doc = json.loads(out)
    V, D, L, e = sympy.symbols("V D L e")
    parsed = sympy.parse_expr(doc["formula"], local_dict={"V": V, "D": D, "L": L, "e": e})
    assert sympy.expand(parsed - (2 * V * D + L * (4 + 2 * e) * D**2)) == 0
    assert parsed.subs(doc["config"]) == doc["total"] == 560_988_160


def test_formula_and_latex(capsys):
    _, out, _ = run(capsys, "formula", "nanochat")
    assert out.strip() == str(model("nanochat").closed_form)
    _, out, _ = run(capsys, "formula", "nanochat", "--latex", "--set", "H_kv=1")
    assert r"H_{\mathrm{kv}}" in out


def test_sensitivity_reports_every_symbol(capsys):
    code, out, _ = run(capsys, "sensitivity", "nanochat", "--depth", "20", "--json")
    doc = json.loads(out)
    assert code == 0 and {s["symbol"] for s in doc["symbols"]} == {"V", "D", "L", "e"}
    el = {s["symbol"]: sympy.Rational(s["elasticity_exact"]) for s in doc["symbols"]}
    assert el["V"] + el["L"] == 1  # N is linear in V (embeddings) and in L (layers), which partition it


def test_table_rows_are_the_models_totals(capsys):
    code, out, _ = run(capsys, "table", "nanochat", "--depths", "4,12,26", "--json")
    rows = json.loads(out)["rows"]
    assert [r["total"] for r in rows] == [model("nanochat", depth=d).total for d in (4, 12, 26)]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["count", "nanochat", "--depth", "5"], "H=3 does not divide D=320"),
        (["count", "nanochat", "--set", "H_kv=3"], "H_kv=3 does not divide H=10"),
        (["count", "nanochat", "--set", "V=0"], "V = 0 must be positive"),
        (["count", "nanochat", "--set", "D=-64"], "D = -64 must be positive"),
        (["count", "nanochat", "--set", "L=2.5"], "L = 5/2 is not a whole number"),
        (["count", "nanochat", "--set", "Zz=4"], "unknown symbol 'Zz'"),
        (["count", "nanochat", "--set", "V=1", "--set", "V=2"], "V given twice"),
        (["count", "gpt5"], "unknown model 'gpt5'"),
        (["count", "nanochat", "--depth", "0"], "positive whole number"),
        (["count", "nanochat", "--depth", "x"], "not a number"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err


def test_python_dash_m_runs_the_same_command():
    proc = subprocess.run([sys.executable, "-m", "symparams", "count", "nanochat", "--depth", "8", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["total"] == model("nanochat", depth=8).total


def test_table_of_a_model_without_depths_is_refused_in_one_line(capsys):
    code, out, err = run(capsys, "table", "gpt2")
    assert code == 2 and out == "" and "depth-sized family" in err and len(err.splitlines()) == 1
