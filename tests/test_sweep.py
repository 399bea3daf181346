"""``symparams sweep``: every valid combination, each row equal to ``count``; invalid ones skipped and counted."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from contextlib import redirect_stdout
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams import SymparamsError, model
from symparams.cli import main
from symparams.spec import apply_overrides
from symparams.sweep import MAX_COMBINATIONS, Axis, parse_axis, sweep

np = pytest.importorskip("numpy")


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    from contextlib import redirect_stderr

    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _count_json(name, depth=None, sets=()):
    """What ``symparams count --json`` says for one configuration, or None when it refuses it."""
    argv = ["count", name, "--json"] + (["--depth", str(depth)] if depth else [])
    for k, v in sets:
        argv += ["--set", f"{k}={v}"]
    code, out, err = _run(argv)
    if code == 2:
        return None
    assert code == 0, err
    doc = json.loads(out)
    return {"total": doc["total"], **{c["name"]: c["total"] for c in doc["components"] if "." not in c["name"]}}


def _fmt(values):
    return ",".join(str(v) for v in values)


@settings(max_examples=12, deadline=None)
@given(
    depths=st.lists(st.integers(1, 24), min_size=1, max_size=4, unique=True),
    kv=st.lists(st.integers(1, 8), min_size=1, max_size=3, unique=True),
    vocab=st.lists(st.integers(1, 70_000), min_size=1, max_size=2, unique=True),
    pick=st.randoms(use_true_random=False),
)
def test_sampled_sweep_rows_equal_count_and_invalid_combinations_are_skipped(depths, kv, vocab, pick):
    """Each sampled CSV row equals ``count --json``; rows plus skipped equal the grid; refused ones are absent."""
    code, out, err = _run(["sweep", "nanochat", "--grid", f"depth={_fmt(depths)}", "--grid", f"H_kv={_fmt(kv)}",
                           "--grid", f"V={_fmt(vocab)}"])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    by_key = {(int(r["depth"]), int(r["H_kv"]), int(r["V"])): r for r in rows}
    combos = list(itertools.product(depths, kv, vocab))
    expected_valid = []
    for d, h, v in combos:
        try:
            model("nanochat", depth=d, H_kv=h, V=v).total
            expected_valid.append((d, h, v))
        except SymparamsError:
            pass
    assert sorted(by_key) == sorted(expected_valid)
    skipped = len(combos) - len(expected_valid)
    assert f"{len(combos):,} combinations, {len(expected_valid):,} valid" in err
    assert (f"skipped {skipped:,} invalid" in err) == (skipped > 0)
    for d, h, v in pick.sample(expected_valid, min(2, len(expected_valid))):
        want = _count_json("nanochat", d, [("H_kv", h), ("V", v)])
        got = {k: int(x) for k, x in by_key[(d, h, v)].items() if k not in ("depth", "H_kv", "V")}
        assert got == want


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(["llama-2-7b", "mixtral-8x7b", "gpt2", "qwen2-7b", "falcon-7b"]), data=st.data())
def test_preset_sweeps_equal_the_library_row_by_row(name, data):
    """For presets, each row (total, components, active) is the Spec of that configuration."""
    spec = model(name)
    free = [s.name for s, _ in spec.values if s.is_integer]
    axes = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True))
    grids = {a: data.draw(st.lists(st.integers(1, 64), min_size=1, max_size=3, unique=True)) for a in axes}
    result = sweep(spec, [Axis(a, tuple(v)) for a, v in grids.items()])
    records = result.records()
    valid = 0
    for combo in itertools.product(*grids.values()):
        point = dict(zip(grids, combo))
        try:
            s = model(name, **point)
            total = s.total
        except SymparamsError:
            assert all(any(r[k] != v for k, v in point.items()) for r in records)
            continue
        valid += 1
        row = next(r for r in records if all(r[k] == v for k, v in point.items()))
        assert row["total"] == total
        for top in s.breakdown().top():
            assert row[top.name] == top.total
        if "active" in row:
            assert row["active"] == s.active_total
    assert result.rows == valid == len(records)


def test_formats_hold_the_same_rows(tmp_path):
    """csv, json and npy outputs of one sweep carry identical numbers."""
    grid = ["--grid", "depth=2:12:2", "--grid", "e=2:4:1/2"]
    code, out_csv, _ = _run(["sweep", "nanochat", *grid])
    assert code == 0
    code, out_json, _ = _run(["sweep", "nanochat", *grid, "--format", "json"])
    assert code == 0
    path = tmp_path / "s.npy"
    code, _, _ = _run(["sweep", "nanochat", *grid, "--format", "npy", "-o", str(path)])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out_csv)))
    doc = json.loads(out_json)
    table = np.load(path)
    assert len(rows) == len(doc["rows"]) == len(table) == doc["valid"]
    for r, j, t in zip(rows, doc["rows"], table):
        assert int(r["total"]) == j["total"] == int(t["total"])
        assert Fraction(r["e"]) == Fraction(j["e"]) == Fraction(int(t["e_num"]), int(t["e_den"]))
        e = Fraction(r["e"])
        spec = model("nanochat", depth=int(r["depth"]), e=sympy.Rational(e.numerator, e.denominator))
        assert int(r["total"]) == spec.total


def test_counts_beyond_int64_are_exact_in_text_and_refused_in_npy(tmp_path):
    """A sweep reaching past 2**63 prints exact integers in csv; npy, fixed at int64, refuses."""
    code, out, _ = _run(["sweep", "nanochat", "--grid", "V=1,4611686018427387904", "--set", "D=128", "--set", "H=1"])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    for r in rows:
        assert int(r["total"]) == model("nanochat", V=int(r["V"]), D=128, H=1).total
    assert int(rows[-1]["total"]) > 2**63
    code, _, err = _run(["sweep", "nanochat", "--grid", "V=1,4611686018427387904", "--set", "D=128", "--set", "H=1",
                         "--format", "npy", "-o", str(tmp_path / "x.npy")])
    assert code == 2 and "int64" in err


@pytest.mark.parametrize("argv, message", [
    (["--grid", "D=1:2000000"], "per axis"),
    (["--grid", "D=64:64000:64", "--grid", "L=1:2000"], "combinations; at most"),
    (["--grid", "Q=1:3"], "no such symbol"),
    (["--grid", "L=1:3", "--grid", "L=4"], "given twice"),
    (["--grid", "L=0:3"], "not positive"),
    (["--grid", "L=1:3:1/2"], "not a whole number"),
    (["--grid", "L=3:1"], "below START"),
    (["--grid", "L=1:3:0"], "STEP must be positive"),
    (["--grid", "L"], "expects NAME="),
    (["--grid", "L=1:x"], "--grid L"),
    (["--grid", "depth=1:3", "--depth", "4"], "not both"),
])
def test_bad_grids_are_refused_in_one_line(argv, message):
    """Each bad grid: exit status 2, one line on stderr naming the problem."""
    code, out, err = _run(["sweep", "nanochat", *argv])
    assert code == 2
    assert err.count("\n") == 1 and message in err and err.startswith("symparams: error:")


def test_depth_axis_needs_a_depth_family():
    with pytest.raises(SymparamsError, match="depth-sized"):
        sweep(model("llama-2-7b"), [Axis("depth", (1, 2))])
    code, _, err = _run(["sweep", "llama-2-7b", "--grid", "depth=1:2"])
    assert code == 2 and "depth-sized" in err


def test_sweep_takes_a_model_or_a_builder_never_a_name():
    """Readings take a Spec or a builder from depth to Spec; only the catalog and the CLI read names."""
    from symparams.catalog import ladder

    with pytest.raises(SymparamsError, match="Spec"):
        sweep("nanochat", [Axis("L", (1, 2))])
    by_depth = sweep(ladder("nanochat"), [Axis("depth", (4, 8))])
    assert by_depth.model == "nanochat"
    assert [r["total"] for r in by_depth.records()] == [model("nanochat", depth=d).total for d in (4, 8)]


def test_parse_axis_includes_stop_when_reached():
    """START:STOP:STEP lists START, START+STEP, ... up to and including STOP when it lands on it."""
    assert parse_axis("L=2:10:4").values == (2, 6, 10)
    assert parse_axis("L=2:11:4").values == (2, 6, 10)
    assert parse_axis("H_kv=1,2,4").values == (1, 2, 4)
    assert parse_axis("V=65536").values == (65536,)
    assert MAX_COMBINATIONS >= 10**6


@pytest.mark.parametrize("family", ["nanochat", "nanochat-2026"])
@pytest.mark.parametrize("grid", ["depth={d}", "depth={d}:{d}:2"])
@settings(max_examples=6, deadline=None)
@given(depth=st.integers(1, 24))
def test_a_single_depth_grid_is_one_row_equal_to_count_or_one_skipped_combination(family, grid, depth):
    """A one-value depth axis is a one-combination sweep: its row is ``count`` at that depth, or it is skipped."""
    code, out, err = _run(["sweep", family, "--grid", grid.format(d=depth)])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    expected = _count_json(family, depth)
    if expected is None:
        assert rows == [] and "1 combinations, 0 valid" in err
        return
    assert len(rows) == 1 and int(rows[0]["depth"]) == depth
    assert {k: int(v) for k, v in rows[0].items() if k != "depth"} == expected


@settings(max_examples=25, deadline=None)
@given(vocab=st.integers(1, 10**40), depth=st.integers(1, 10**12), fmt=st.sampled_from(["csv", "json"]))
def test_sweeps_beyond_int64_are_exact_in_csv_and_json(vocab, depth, fmt):
    """Counts past int64 (V = 10^20, depth 10^12) come out exact in csv and json, from the CLI and the API alike;
    npy, which cannot hold them, refuses in one line."""
    from symparams.catalog import ladder

    spec = model("nanochat", V=vocab)
    rows = sweep(spec, [Axis("V", (vocab,))]).records()
    assert rows[0]["total"] == spec.total
    by_depth = sweep(ladder("nanochat"), [Axis("depth", (depth,))]).records()
    try:
        expected = model("nanochat", depth=depth).total
    except SymparamsError:
        assert by_depth == []
    else:
        assert by_depth[0]["total"] == expected
    code, out, err = _run(["sweep", "nanochat", "--grid", f"V={vocab}", "--format", fmt])
    assert code == 0, err
    total = int(list(csv.DictReader(io.StringIO(out)))[0]["total"]) if fmt == "csv" else json.loads(out)["rows"][0]["total"]
    assert total == spec.total
    if spec.total > 2**63 - 1:
        code, out, err = _run(["sweep", "nanochat", "--grid", f"V={vocab}", "--format", "npy", "-o", "/dev/null"])
        assert code == 2 and "npy" in err and err.count("\n") == 1


SIZES = ["V", "D", "L", "H", "e", "H_kv"]


@st.composite
def relations(draw):
    """A size defined by others within the documented limits: a degree-4 polynomial of a few sizes."""
    terms = draw(st.lists(st.tuples(st.integers(1, 9), st.lists(st.sampled_from(SIZES), min_size=1, max_size=4)),
                          min_size=1, max_size=4))
    return " + ".join(f"{c}*" + "*".join(names) for c, names in terms)


@settings(max_examples=12, deadline=None)
@given(relations(), st.sampled_from(["F", "d_h"]))
def test_sweep_and_sensitivity_finish_in_bounded_time_on_any_relation_within_the_limits(text, target):
    """Every expression the parser accepts (degree at most 4, at most 64 terms) is swept and differentiated in
    seconds, or refused in one line: never minutes of factoring."""
    import time

    for argv in (["sweep", "nanochat", "--depth", "4", "--set", f"{target}={text}", "--grid", "L=1:4"],
                 ["sensitivity", "nanochat", "--depth", "4", "--set", f"{target}={text}", "--json"]):
        start = time.perf_counter()
        code, out, err = _run(argv)
        assert time.perf_counter() - start < 30, argv
        assert code in (0, 2) and (code == 0 or err.count("\n") == 1), err


# ---- streaming: sweep --chunk ------------------------------------------------------------------------------

_STREAM_AXES = {
    "nanochat": st.fixed_dictionaries({
        "D": st.lists(st.sampled_from([64, 128, 192, 320, 640, 1280]), min_size=1, max_size=3, unique=True),
        "H": st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True),
        "e": st.lists(st.sampled_from(["2", "8/3", "3", "7/2", "4"]), min_size=1, max_size=2, unique=True),
        "V": st.lists(st.sampled_from(["1", "65536", "10^20", "2^63"]), min_size=1, max_size=2, unique=True),
    }),
    "mixtral-8x7b": st.fixed_dictionaries({
        "E": st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True),
        "k": st.lists(st.integers(1, 4), min_size=1, max_size=2, unique=True),
        "H_kv": st.lists(st.sampled_from([1, 3, 8, 32]), min_size=1, max_size=2, unique=True),
        "V": st.lists(st.sampled_from(["32000", "10^20"]), min_size=1, max_size=2, unique=True),
    }),
}


@pytest.mark.parametrize("name", list(_STREAM_AXES))
@settings(max_examples=25, deadline=None)
@given(data=st.data(), chunk=st.integers(1, 40))
def test_chunked_output_equals_unchunked_and_invalid_rows_are_reported_not_written(name, data, chunk):
    """Whatever the chunk size, --chunk writes the same CSV bytes and the same summary as the whole sweep,
    counts beyond int64 exact; every invalid combination is counted in the summary and absent from the rows."""
    axes = data.draw(_STREAM_AXES[name])
    picked = {k: v for k, v in axes.items() if data.draw(st.booleans(), label=f"use {k}")} or {"V": axes["V"]}
    argv = ["sweep", name] + [f"--grid={k}={','.join(map(str, v))}" for k, v in picked.items()]
    code, whole, whole_err = _run(argv)
    assert code == 0, whole_err
    code, chunked, chunked_err = _run(argv + ["--chunk", str(chunk)])
    assert code == 0, chunked_err
    assert chunked == whole and chunked_err == whole_err
    rows = list(csv.DictReader(io.StringIO(chunked)))
    combinations = 1
    for v in picked.values():
        combinations *= len(v)
    skipped = sum(int(n.replace(",", "")) for n in re.findall(r"([\d,]+) where", chunked_err))
    assert len(rows) + skipped == combinations
    spec = model(name)
    for r in rows[:3]:
        sets = {k: sympy.Rational(v) for k, v in r.items() if k in picked}
        assert int(r["total"]) == apply_overrides(spec, sets).total


@settings(max_examples=10, deadline=None)
@given(depths=st.lists(st.integers(1, 30), min_size=1, max_size=4, unique=True), chunk=st.integers(1, 7),
       kv=st.lists(st.integers(1, 6), min_size=1, max_size=3, unique=True))
def test_a_streamed_depth_sweep_equals_the_whole_sweep(depths, chunk, kv):
    from symparams.catalog import ladder
    from symparams.sweep import stream

    axes = [Axis("depth", tuple(sorted(depths))), Axis("H_kv", tuple(kv))]
    whole = sweep(ladder("nanochat"), axes)
    out = io.StringIO()
    calls = []
    streamed = stream(ladder("nanochat"), axes, chunk, out, progress=lambda done, total: calls.append((done, total)))
    expected = io.StringIO()
    from symparams.sweep import write

    write(whole, "csv", expected)
    assert out.getvalue() == expected.getvalue()
    assert streamed.summary() == whole.summary() and streamed.rows == whole.rows
    assert [d for d, _ in calls] == [min(whole.combinations, i + chunk) for i in range(0, whole.combinations, chunk)]


def test_a_grid_beyond_the_in_memory_limit_streams_with_chunk():
    """1.2 million combinations: refused whole (with --chunk named), streamed chunk by chunk."""
    from symparams.sweep import MAX_STREAMED, stream

    argv = ["sweep", "nanochat", "--grid", "D=128:153600:128", "--grid", "L=1:1000"]
    code, _, err = _run(argv)
    assert code == 2 and "--chunk" in err and err.count("\n") == 1

    class Count:
        rows = 0

        def write(self, text):
            self.rows += text.count("\n")

        def flush(self):
            pass

    sink = Count()
    result = stream(model("nanochat", H=1), [Axis("D", tuple(range(128, 153601, 128))), Axis("L", tuple(range(1, 1001)))],
                    250_000, sink)
    assert result.combinations == 1_200_000 == result.rows and sink.rows == 1_200_001
    assert MAX_STREAMED >= 10**9


@pytest.mark.parametrize("argv, message", [
    (["--grid", "L=1:3", "--chunk", "2", "--format", "json"], "--chunk streams csv or parquet"),
    (["--grid", "L=1:3", "--chunk", "2", "--format", "npy"], "--chunk streams csv or parquet"),
    (["--grid", "L=1:3", "--chunk", "0"], "positive"),
    (["--grid", "L=1:3", "--chunk", "10^8"], "--chunk must be between"),
    (["--grid", "D=1:100000", "--grid", "L=1:100000", "--grid", "V=1:10", "--chunk", "10"], "at most 10,000,000,000"),
])
def test_bad_streams_are_refused_in_one_line(argv, message):
    code, out, err = _run(["sweep", "nanochat", *argv])
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err


def test_parquet_without_pyarrow_is_a_one_line_refusal_before_any_file_is_written(tmp_path):
    import importlib.util

    if importlib.util.find_spec("pyarrow") is not None:
        pytest.skip("pyarrow is installed")
    target = tmp_path / "x.parquet"
    code, _, err = _run(["sweep", "nanochat", "--grid", "L=1:3", "--chunk", "2", "--format", "parquet", "-o", str(target)])
    assert code == 2 and "needs pyarrow" in err and err.count("\n") == 1 and not target.exists()


def test_streaming_memory_does_not_grow_with_the_grid():
    """Peak memory of a streamed sweep depends on the chunk, not on how many combinations there are."""
    import tracemalloc

    from symparams.sweep import stream

    class Discard:
        def write(self, text):
            return len(text)

        def flush(self):
            pass

    spec = model("nanochat", H=1)
    peaks = []
    for widths in (20, 160):
        axes = [Axis("D", tuple(range(128, 128 * widths + 1, 128))), Axis("L", tuple(range(1, 501)))]
        tracemalloc.start()
        stream(spec, axes, 2_000, Discard())
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0] + 2**20, peaks


def test_a_model_without_experts_sweeps_like_it_counts(tmp_path):
    """An MoE family's config with no expert layer has no rule on experts (k <= E binds nothing), so its
    sweep prints a row per depth, each equal to the count at that depth."""
    config = json.loads((Path(__file__).parent / "fixtures" / "configs" / "qwen3-30b-a3b.json").read_text())
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**config, "num_experts": 0}))
    code, out, err = _run(["sweep", str(path), "--grid", "L=2:6:2"])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["total"]) for r in rows] == [model(str(path), L=n).total for n in (2, 4, 6)]


@pytest.mark.parametrize("argv", [["sweep", "gpt2", "--grid", "L=1:3", "--set", "L=4"],
                                  ["sweep", "llama-2-7b", "--grid", "H_kv=1:4", "--set", "H_kv=8", "--set", "D=4096"]])
def test_a_symbol_both_set_and_swept_is_refused_in_one_line(argv, capsys):
    """The grid used to win without a word; which value was meant is the user's to say."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "given by --set and swept by --grid" in err
