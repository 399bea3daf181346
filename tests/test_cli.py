"""The command line prints what the library computes, and refuses bad input in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy
from budget import sample
from hypothesis import given, settings
from named import noted

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


@pytest.mark.sampled
@pytest.mark.parametrize("name", noted())
def test_a_models_notes_reach_stderr_from_every_command_and_count_json_holds_them(name, capsys):
    """Notes (what is not counted, a default taken) are on stderr, one line each, whatever the command; stdout's
    figures are unchanged by them; ``count --json`` carries them in the object instead."""
    notes = model(name).notes
    for argv in (["count", name], ["flops", name], ["memory", name, "--seq", "64"], ["formula", name]):
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert err.splitlines() == [f"symparams: note: {n}" for n in notes], argv
        assert "note:" not in out
    assert main(["count", name, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["notes"] == list(notes) and err == ""


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
        (["count", "nanochat", "--set", "Zz=4"], "has no symbol 'Zz' to set"),
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


# The names the Python functions behind the commands take for themselves: a --set of one is a symbol the model
# lacks, never a second depth or name handed to them.
OWN_NAMES = ["depth", "name", "self", "overrides", "family", "target"]


@pytest.mark.parametrize("command", ["count", "derive", "memory", "flops", "table", "sweep", "optimal"])
@pytest.mark.parametrize("name", OWN_NAMES)
def test_a_set_named_like_a_functions_own_argument_is_a_symbol_the_model_lacks(capsys, command, name):
    tail = {"table": ["--depths", "4,8"], "sweep": ["--grid", "D=64,128"], "optimal": ["--params", "1e8"]}
    code, out, err = run(capsys, command, "nanochat", "--set", f"{name}=2", *tail.get(command, []))
    assert code == 2 and out == "", (out, err)
    assert len(err.strip().splitlines()) == 1 and f"has no symbol {name!r}" in err, err
    assert ("--depth" in err) == (name == "depth")


@pytest.mark.parametrize("name", OWN_NAMES)
def test_an_override_named_like_the_apis_own_argument_is_a_symbol_the_model_lacks(name):
    from symparams import fit_depth
    from symparams.errors import SymparamsError

    calls = [lambda: fit_depth("nanochat", 10**8, **{name: 2}), lambda: model("nanochat").with_values(**{name: 2})]
    if name != "depth":  # model's own depth= is the depth
        calls += [lambda: model("nanochat", **{name: 2}), lambda: model("llama-2-7b", **{name: 2}),
                  lambda: model("nanochat", depth=4, **{name: 2})]
    for call in calls:
        with pytest.raises(SymparamsError, match=f"no symbol {name!r}"):
            call()


def test_python_dash_m_runs_the_same_command():
    proc = subprocess.run([sys.executable, "-m", "symparams", "count", "nanochat", "--depth", "8", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["total"] == model("nanochat", depth=8).total


def test_table_of_a_model_without_depths_is_refused_in_one_line(capsys):
    code, out, err = run(capsys, "table", "gpt2")
    assert code == 2 and out == "" and "depth-sized family" in err and len(err.splitlines()) == 1


# ---- robustness: bounded work, exact numbers, every output writable ------------------------

import os  # noqa: E402
from fractions import Fraction  # noqa: E402

from hypothesis import strategies as st  # noqa: E402

COMMANDS_THAT_PRINT = [
    ["count", "nanochat", "--depth", "4"],
    ["sensitivity", "llama-2-7b"],
    ["flops", "nanochat", "--depth", "4"],
    ["optimal", "--compute", "1e21", "nanochat"],
    ["derive", "nanochat", "--depth", "4"],
    ["table", "nanochat", "--depths", "4,8"],
    ["sweep", "nanochat", "--grid", "depth=4:8:4"],
]


def _subprocess(argv, stdout=subprocess.PIPE, env=None):
    env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "symparams", *argv], stdout=stdout, stderr=subprocess.PIPE,
                          timeout=120, env=env)


@pytest.mark.parametrize("argv", sample(COMMANDS_THAT_PRINT, "ascii stdout"), ids=lambda a: a[0])
def test_an_ascii_only_stdout_gets_ascii_stand_ins_not_a_traceback(argv):
    """PYTHONIOENCODING=ascii: every command prints, in ASCII (d_h ~ ..., x, ->), and exits 0."""
    proc = _subprocess(argv, env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr
    proc.stdout.decode("ascii")
    assert proc.stderr.decode("ascii", "replace").count("\n") <= 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="/dev/full is Linux's")
@pytest.mark.parametrize("argv", sample(COMMANDS_THAT_PRINT + [["count", "nanochat", "--json"],
                                                               ["sweep", "nanochat", "--grid", "L=1:2", "--format", "npy"]],
                                        "full disk"),
                         ids=lambda a: a[0])
def test_a_full_disk_on_stdout_is_one_line_and_exit_2(argv):
    with open("/dev/full", "wb") as full:
        proc = _subprocess(argv, stdout=full)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and "cannot write the output" in err, err


@pytest.mark.skipif(os.name != "posix", reason="closing a child's descriptor before it starts is POSIX's")
@pytest.mark.parametrize("argv, code", [(["list"], 0), (["count", "gpt2"], 0), (["count", "no-such-model"], 2),
                                        (["memory", "gpt2", "--seq", "5000"], 0)])
@pytest.mark.parametrize("closed", ["stdout", "stderr", "stderr, with a file in its place"])
def test_a_command_started_with_a_standard_stream_closed_exits_as_it_would_and_never_as_an_internal_error(argv, code,
                                                                                                      closed):
    """``>&-`` leaves nowhere for the output: one line on stderr and exit 2. ``2>&-`` leaves nowhere for a message:
    the command runs and exits as it would have (0 for a count, 2 for a bad name), its output intact; so too where a
    launcher left a file open for reading in stderr's place, on which Python makes a stream that fails to write."""
    import tempfile

    fd = 1 if closed == "stdout" else 2

    def close() -> None:
        os.close(fd)
        if closed.endswith("place"):
            os.open(__file__, os.O_RDONLY)  # takes the lowest free descriptor: the one just closed

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.run([sys.executable, "-m", "symparams", *argv], stdout=out, stderr=err, timeout=120,
                              preexec_fn=close)
        out.seek(0)
        err.seek(0)
        printed, said = out.read().decode(), err.read().decode()
    if closed == "stdout":
        assert proc.returncode == 2 and said.count("\n") == 1 and "standard output is closed" in said, said
    else:
        assert proc.returncode == code, said
        assert (printed != "") == (code == 0)


@pytest.mark.parametrize("argv", [["memory", "gpt2", "--inference"], ["memory", "gpt2", "--training"], ["flops", "gpt2"],
                                  ["time", "gpt2"], ["derive", "gpt2"]], ids=lambda a: " ".join(a))
@pytest.mark.parametrize("seq", ["1e51", str(10**50 + 1), "1" + "0" * 70])
def test_a_context_past_the_bound_every_size_keeps_is_refused_in_one_line_by_every_command(argv, seq, capsys):
    """No size may pass 10^50; a context length is one, whichever command reads it (memory read a KV cache for
    T = 10^60 where flops refused T = 10^55)."""
    assert main([*argv, "--seq", seq]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seq" in err and ("at most 10^50" in err or "too large" in err), err


@pytest.mark.parametrize("fmt", ["csv", "json", "npy"])
def test_a_reader_that_stops_early_ends_the_command_quietly_with_exit_0(fmt):
    """``| head -c 10``: the reader went away, which is not an error of the command's; npy, which numpy writes
    with a file's own write, ended with 'cannot write the output' and exit 2. (Each output is far larger than a
    pipe holds, so the command is still writing when the reader goes.)"""
    argv = ["sweep", "gpt2", "--grid", "L=1:20000", "--format", fmt]
    proc = subprocess.Popen([sys.executable, "-m", "symparams", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "error" not in err and "Traceback" not in err, err


def test_several_models_as_csv_are_one_table_whose_first_column_names_each_model(capsys):
    """Tables one after another left no way to tell whose row is whose: one header, then every model's rows, each
    starting with its name, the model that failed left out (its error on stderr), the rest as each alone prints."""
    import csv
    import io

    names = ["gpt2", "no-such-model", "opt-125m", "gpt2"]
    assert main(["count", *names, "--format", "csv"]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "no-such-model" in err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "model" and all(row != rows[0] for row in rows[1:])
    alone = {}
    for name in set(names) - {"no-such-model"}:
        assert main(["count", name, "--format", "csv"]) == 0
        alone[name] = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[1:] == [[name, *row] for name in ("gpt2", "opt-125m", "gpt2") for row in alone[name][1:]]
    assert rows[0][1:] == alone["gpt2"][0]


def test_count_fn_refuses_unknown_symbols_and_positional_sizes_with_symparams_errors():
    import symparams

    count = symparams.count_fn("nanochat")
    with pytest.raises(symparams.SymparamsError, match="no symbol 'Q'"):
        count(Q=1)
    with pytest.raises(symparams.SymparamsError, match="by name"):
        count(1280)
    assert count() == model("nanochat").total


@given(st.integers(0, 10**40), st.integers(1, 5))
def test_human_rounds_first_then_picks_the_unit(n, digits):
    """Never '1000M': the mantissa is below 1000 in its unit, and within half a unit of the last digit."""
    import re

    from symparams.format import human

    text = human(n, digits)
    units = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
    if n < 1000:
        assert text == str(n)
        return
    if "e" in text:
        mantissa, exp = text.split("e")
        value, scale = Fraction(mantissa), 10 ** int(exp)
        assert 1 <= abs(value) < 10 and int(exp) >= 15
    else:
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMBT])", text)
        assert match, text
        value, scale = Fraction(match.group(1)), units[match.group(2)]
        assert 1 <= value < 1000
    shown = len(re.sub(r"\D", "", text.split("e")[0]).lstrip("0"))
    assert shown <= max(digits, 3)
    exponent = len(str(int(value * scale))) - 1
    assert abs(value * scale - n) <= Fraction(10) ** (exponent - min(digits, shown) + 1) / 2 + 0


def test_table_depths_are_capped_as_sweeps_are(capsys):
    depths = ",".join(str(2 * i) for i in range(1, 1502))
    code, out, err = run(capsys, "table", "nanochat", "--depths", depths)
    assert code == 2 and "more than 1,000 depths" in err and err.count("\n") == 1
