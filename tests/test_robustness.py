"""Bad input never crashes, never lies, never executes.

Every command answers every input with either an exact result (exit 0) or one
line on stderr and exit status 2; ``verify`` may also exit 1 (a documented
mismatch). The contract is checked by fuzzing the real command line in-process
(argument vectors built from the parser's own options, random JSON documents,
mutated real configs, random bytes), by a corpus of hand-made bad configs, and
by a few subprocesses for what only a separate process can show: that hostile
text ran nothing and that no input makes the tool hang.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import re
import signal
import subprocess
import sys
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from math import ceil
from pathlib import Path
from typing import Callable

import pytest
from budget import sample
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from stated import set_and_stated
from test_families_vision import NO_IMAGE_RUNS

import symparams
from symparams.cli import COMMANDS, build_parser, main
from symparams.config import MAX_BYTES
from symparams.errors import SymparamsError
from symparams.families import FAMILIES
from symparams.families.field_types import fits
from symparams.families.field_types import table as field_types
from symparams.families.layer_lists import ATTENTION_KINDS
from symparams.families.rope import class_share
from symparams.symbols import SYMBOLS

from strategies import CONFIGS

HERE = Path(__file__).parent
# learn builds a transformers model per probe: it is fuzzed with few probes (and refused
# counts), so each run takes seconds; tests/test_budget.py runs it at its largest count.
LEARN_PROBES = st.sampled_from(["6", "8", "1", "201", "10^6", "x"])
BAD = HERE / "fixtures" / "bad_configs"
GOOD = HERE / "fixtures" / "configs"
PRESETS = Path(symparams.__file__).parent / "presets"

# Exit statuses a command documents beyond 0 (a result) and 2 (refused input).
EXTRA_CODES = {"verify": {1}}

FIXTURE_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


class Hang(BaseException):
    """Raised by the alarm: a BaseException so the CLI's last-resort handler cannot swallow it."""


@contextmanager
def time_limit(seconds: float):
    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(argv: list[str], capture, seconds: float = 60) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``symparams ARGV`` run in this process."""
    capture.readouterr()
    with time_limit(seconds):
        code = main(argv)
    out, err = capture.readouterr()
    decode = (lambda b: b.decode("utf-8", "replace")) if isinstance(out, bytes) else (lambda s: s)
    return code, decode(out), decode(err)


def assert_contract(argv: list[str], code: int, err: str) -> None:
    """The error contract: no traceback, a documented status, and a refusal is one line (``count`` of several
    models: one line per model refused, the others counted)."""
    assert "Traceback" not in err, (argv, err)
    assert "internal error" not in err, (argv, err)
    command = argv[0] if argv else ""
    assert code in {0, 2} | EXTRA_CODES.get(command, set()), (argv, code, err)
    if code == 2:
        lines = [line for line in err.splitlines() if not line.startswith("symparams: note:")]
        assert len(lines) == 1 or command == "count" and len(lines) > 1, (argv, err)
        assert all("error:" in line for line in lines), (argv, err)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def config_paths(model_type: str) -> list[Path]:
    """Real configs of ``model_type`` shipped with the tests or as presets."""
    return [path for path, found in _model_types() if found == model_type]


@functools.lru_cache(maxsize=1)
def _model_types() -> tuple[tuple[Path, object], ...]:
    """(path, model_type) of every config shipped with the tests or as a preset, read once."""
    out = []
    for path in sorted(GOOD.glob("*.json")) + sorted(PRESETS.glob("*.json")):
        try:
            out.append((path, json.loads(path.read_text()).get("model_type")))
        except (OSError, ValueError):
            continue
    return tuple(out)


def family_available(model_type: str) -> bool:
    return FAMILIES.by_type[model_type].build is not None


AVAILABLE = sorted(t for t in FAMILIES.model_types() if family_available(t))


def test_every_registered_model_type_has_a_reader():
    """The fuzzing below covers every model_type the tool claims to read."""
    assert AVAILABLE == FAMILIES.model_types()


def top_level_sum(report: dict) -> int:
    return sum(c["total"] for c in report["components"] if "." not in c["name"])


# ---- value pools for argument vectors -------------------------------------------

NUMBERS = ["20", "12", "1", "2.0", "1e3", "1E2", "0", "-1", "-20", "1e-3", "2.5", "8/3", "0x10", "1_000", "nan",
           "inf", "", " ", "4,8", "10^60", "1e60", "9^9^9^9", "1" * 70, "٣", "64*3", "(2", "2)", "--1"]
EXPRESSIONS = ["8*D/3", "D/H", "H/2", "H/3", "4*D", "D^64", "(D+H+L+V)^64", "D.__class__", "lambda: 0",
               "__import__('os').system('touch pwned')", "D/(H-H)", "d_h", "T*D", "e*D", "H_kv"]
SET_NAMES = list(SYMBOLS) + ["", "Q", "d", "h_kv", "__class__", "D ", " e", "depth"]
MODELS = ["nanochat", "nanochat-2026", "gpt2", "llama-2-7b", "mixtral-8x7b", "opt-125m", "", "bogus", "-x",
          "nanochat ", "NANOCHAT", "../nanochat", "config.json", "/dev/null", "/", ".", "x" * 300]
FORMATS = ["png", "svg", "pdf", "csv", "json", "npy", "txt", "md", "tex", ""]

names_of_models = st.sampled_from(MODELS + sorted(symparams.names()))
bad_config_paths = st.sampled_from(sorted(str(p) for p in BAD.iterdir()))
good_config_paths = st.sampled_from(sorted(str(p) for p in GOOD.glob("*.json"))) if GOOD.is_dir() else st.nothing()
VALID_SETS = ["H_kv=1", "H_kv=2", "V=32768", "e=8/3", "e=2", "F=8*D/3", "H_kv=H/2", "V=1e15", "d_h=64",
              "D=1536", "L=30", "H=12", "k=1", "E=16", "F=4096"]
known_models = st.sampled_from(["nanochat"] * 4 + sorted(symparams.names()))
models = st.one_of(known_models, known_models, known_models, names_of_models, bad_config_paths, good_config_paths,
                   st.text(max_size=12))
numbers = st.one_of(st.integers(1, 32).map(str), st.integers(1, 32).map(str), st.sampled_from(NUMBERS),
                    st.integers(-3, 200).map(str), st.text(max_size=8))
expressions = st.one_of(numbers, st.sampled_from(EXPRESSIONS))
set_items = st.one_of(
    st.sampled_from(VALID_SETS),
    st.sampled_from(VALID_SETS),
    st.builds(lambda n, v: f"{n}={v}", st.sampled_from(SET_NAMES), expressions),
    st.sampled_from(["D", "=3", "==", "D==3", "D=3=4"]),
    st.text(max_size=10),
)
small = st.integers(1, 6).map(str)
grid_items = st.one_of(
    st.builds(lambda n, a, b: f"{n}={a}:{b}", st.sampled_from(["depth", "D", "L", "H", "H_kv", "V", "e", "Q"]),
              st.sampled_from(["1", "2", "4", "64", "0", "-1", "x"]), st.sampled_from(["2", "4", "8", "128", "1e3"])),
    st.builds(lambda n, a, b, c: f"{n}={a}:{b}:{c}", st.sampled_from(["D", "e", "depth"]), small, small,
              st.sampled_from(["1", "2", "1/3", "0", "-1"])),
    st.builds(lambda n, vs: f"{n}={','.join(vs)}", st.sampled_from(["depth", "H_kv", "V", "e"]),
              st.lists(st.sampled_from(["1", "2", "4", "8", "8/3", "0", ""]), max_size=4)),
    st.text(max_size=10),
)
outputs = st.one_of(st.builds(lambda f: f"out.{f}" if f else "out", st.sampled_from(FORMATS)),
                    st.sampled_from(["", "missing-dir/out.png", ".", "out.png/x"]))
depth_lists = st.one_of(st.lists(st.sampled_from(["2", "4", "8", "20", "5", "0", "1e3", "x", ""]), max_size=4)
                        .map(",".join), st.text(max_size=8))

BY_DEST = {"sets": set_items, "grid": grid_items, "output": outputs, "depths": depth_lists, "model": models,
           "probes": LEARN_PROBES, "model_type": st.sampled_from(["llama", "gpt2", "no_such_type", "bert", ""])}


def value_for(action: argparse.Action) -> st.SearchStrategy[str]:
    if action.choices:
        choices = st.sampled_from(sorted(map(str, action.choices)))
        return st.one_of(choices, choices, choices, st.text(max_size=6))
    return BY_DEST.get(action.dest, st.one_of(numbers, models))


@st.composite
def argument_vectors(draw) -> list[str]:
    """A command line: a real command, positionals and options from its parser, and some noise."""
    parsers = subcommands()
    name = draw(st.sampled_from(sorted(COMMANDS)))
    parser = parsers[name]
    argv = [name]
    actions = [a for a in parser._actions if a.dest != "help"]
    for action in (a for a in actions if not a.option_strings):
        if action.nargs == "?" and draw(st.booleans()):
            continue
        argv.append(draw(value_for(action)))
    options = [a for a in actions if a.option_strings]
    required = [a for a in options if a.required]
    for group in parser._mutually_exclusive_groups:
        if group.required:
            required.append(draw(st.sampled_from(group._group_actions)))
    chosen = required + (draw(st.lists(st.sampled_from(options), max_size=4)) if options else [])
    for action in chosen:
        argv.append(draw(st.sampled_from(action.option_strings)))
        if action.nargs != 0:
            argv.append(draw(value_for(action)))
    if name == "learn" and "--probes" not in argv:
        argv += ["--probes", draw(LEARN_PROBES)]
    if name == "learn" and "--all" in argv and not (len(argv) > 1 and argv[1] and not argv[1].startswith("-")):
        argv.remove("--all")  # with no MODEL_TYPE it learns every model_type, a run of hours: only its refusals drawn
    if draw(st.integers(0, 9)) == 0:
        noise = st.one_of(st.sampled_from(["--bogus", "-x", "--", "--json", "--help", "extra", "-"]), st.text(max_size=6))
        argv.insert(draw(st.integers(1, len(argv))), draw(noise))
    return argv


def library_total(argv: list[str]) -> int:
    """The total of a ``count`` command line computed through the library, not the CLI."""
    args = subcommands()["count"].parse_args(argv[1:])
    overrides = {}
    for item in args.sets:
        name, _, text = item.partition("=")
        overrides[name.strip()] = text
    (name,) = args.model  # count takes a list of models; these command lines name one
    return symparams.model(name, depth=args.depth, **overrides).total


def nanochat_total_from_values(v: dict) -> int:
    """nanochat's weight shapes (gpt.py), multiplied out from the values the report states."""
    V, D, L, H, H_kv, d_h, F = (Fraction(v[s]) for s in ("V", "D", "L", "H", "H_kv", "d_h", "F"))
    per_block = D * H * d_h + 2 * D * H_kv * d_h + H * d_h * D + 2 * D * F
    total = V * D + L * per_block + D * V
    assert total.denominator == 1
    return int(total)


# ---- fuzzing the command line ---------------------------------------------------


@settings(max_examples=150, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(argv=argument_vectors())
def test_any_command_line_gets_a_result_or_one_error_line(argv, capsysbinary, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    code, out, err = run_cli(argv, capsysbinary)
    event(f"{argv[0]} exit {code}")
    assert_contract(argv, code, err)
    assert not Path("pwned").exists()


@st.composite
def count_lines(draw) -> list[str]:
    argv = ["count", draw(st.one_of(st.sampled_from(["nanochat", "nanochat", "nanochat-2026"]), models)), "--json"]
    if draw(st.booleans()):
        argv += ["--depth", draw(st.one_of(st.sampled_from(["4", "8", "12", "20", "24", "32"]), numbers))]
    for item in draw(st.lists(set_items, max_size=3, unique_by=lambda s: s.partition("=")[0])):
        argv += ["--set", item]
    return argv


@settings(suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(argv=count_lines())
def test_an_accepted_count_is_the_libraries_count_and_a_refusal_is_one_line(argv, capsysbinary):
    code, out, err = run_cli(argv, capsysbinary)
    event(f"exit {code}")
    assert_contract(argv, code, err)
    if code != 0:
        assert out == ""
        return
    report = json.loads(out)
    assert isinstance(report["total"], int) and report["total"] > 0
    assert report["total"] == library_total(argv)
    assert top_level_sum(report) == report["total"]
    if argv[1] == "nanochat":
        values = {**report["config"], **report["derived"]}
        assert report["total"] == nanochat_total_from_values(values)


@settings(suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(depth=st.integers(1, 64), p=st.integers(1, 16), q=st.integers(1, 6), kv=st.sampled_from([None, 1, 2, 3, 4, 5]))
def test_nanochat_with_a_rational_expansion_is_exact_or_refused_never_rounded(depth, p, q, kv, capsys):
    argv = ["count", "nanochat", "--depth", str(depth), "--set", f"e={p}/{q}", "--json"]
    if kv is not None:
        argv += ["--set", f"H_kv={kv}"]
    code, out, err = run_cli(argv, capsys)
    assert_contract(argv, code, err)
    V, D, L, e = 65536, 64 * depth, depth, Fraction(p, q)
    H = ceil(Fraction(D, 128))
    H_kv = H if kv is None else kv
    buildable = D % H == 0 and H % H_kv == 0 and (e * D).denominator == 1
    assert (code == 0) == buildable, (argv, err)
    if buildable:
        d_h = D // H
        expected = 2 * V * D + L * (2 * D * D + 2 * D * H_kv * d_h + 2 * e * D * D)
        assert json.loads(out)["total"] == expected


def test_eight_thirds_is_exact_at_depth_24_and_refused_at_depth_20(capsys):
    code, out, err = run_cli(["count", "nanochat", "--depth", "24", "--set", "e=8/3", "--json"], capsys)
    assert code == 0
    V, D, L, e = 65536, 1536, 24, Fraction(8, 3)
    assert json.loads(out)["total"] == 2 * V * D + L * (4 + 2 * e) * D * D
    code, out, err = run_cli(["count", "nanochat", "--depth", "20", "--set", "e=8/3"], capsys)
    assert code == 2 and out == ""
    assert "F = 10240/3" in err and "not a whole number" in err


def test_counts_far_beyond_ten_to_the_fifteen_stay_exact(capsys):
    code, out, err = run_cli(["count", "nanochat", "--depth", "1e3", "--set", "V=1e15", "--json"], capsys)
    assert code == 0
    V, D, L = 10**15, 64_000, 1000
    assert json.loads(out)["total"] == 2 * V * D + L * 12 * D * D


CASES = [
    (["count", "nanochat", "--depth", "0"], "'0' is not a positive whole number"),
    (["count", "nanochat", "--depth", "-3"], "'-3'"),
    (["count", "nanochat", "--depth", "1e-3"], "'1e-3' is not a positive whole number"),
    (["count", "nanochat", "--depth", "0x10"], "'0x10'"),
    (["count", "nanochat", "--depth", "1_000"], "'1_000'"),
    (["count", "nanochat", "--depth", "nan"], "'nan'"),
    (["count", "nanochat", "--depth", "inf"], "'inf'"),
    (["count", "nanochat", "--depth", ""], "empty"),
    (["count", "nanochat", "--depth", "2.5"], "'2.5'"),
    (["count", "nanochat", "--depth", "5"], "H=3 does not divide D=320"),
    (["count", "nanochat", "--set", "H_kv=3"], "H_kv=3 does not divide H=10"),
    (["count", "nanochat", "--set", "H=7"], "H=7 does not divide D=1280"),
    (["count", "nanochat", "--set", "H_kv=1", "--set", "H_kv=2"], "H_kv given twice"),
    (["count", "nanochat", "--set", "Q=1"], "no symbol 'Q'"),
    (["count", "nanochat", "--set", "T=1"], "no symbol 'T'"),
    (["count", "nanochat", "--set", "F=T*D"], "uses T"),
    (["count", "nanochat", "--set", "D=0"], "D = 0 must be positive"),
    (["count", "nanochat", "--set", "V=-5"], "V = -5 must be positive"),
    (["count", "nanochat", "--set", "L=5/2"], "L = 5/2 is not a whole number"),
    (["count", "nanochat", "--set", "D=1e60"], "too large"),
    (["count", "nanochat", "--set", "D=1e999"], "'1e999' is too large"),
    (["count", "nanochat", "--set", "F=D^64"], "degree 64"),
    (["count", "nanochat", "--set", "d_h=D/H", "--set", "H=d_h"], "cannot resolve"),
    (["count", "nanochat", "--set", "D=D+1"], "in terms of itself"),
    (["count", "nanochat", "--set", "H_kv=H/0"], "division by zero"),
    (["count", "nanochat", "--set", "D"], "NAME=VALUE"),
    (["count", "mixtral-8x7b", "--set", "k=9"], "k=9 exceeds E=8"),
    (["count", "bogus"], "unknown model 'bogus'"),
    (["count", "gpt2", "--depth", "4"], "--depth applies only"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["count", "nanochat", "--bogus"], "unrecognized arguments: --bogus"),
    (["count"], "required: MODEL"),
    ([], "required: COMMAND"),
    (["table", "nanochat", "--depths", "4,5"], "H=3 does not divide D=320"),
    (["count", "nanochat", "--set", "D=\x1b[2J\n"], "unexpected"),
]


@pytest.mark.parametrize("argv, message", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_each_kind_of_bad_argument_is_one_line_naming_the_bad_value(argv, message, capsys):
    code, out, err = run_cli(argv, capsys)
    assert_contract(argv, code, err)
    assert code == 2
    assert message in err


# Options whose value a command reads as a number, a size or a range, each given 5,000 characters.
LONG = "9" * 5000
LONG_VALUES = [["count", "nanochat", "--depth", LONG], ["flops", "nanochat", "--seq", LONG],
               ["optimal", "--compute", LONG, "nanochat"], ["optimal", "--compute", "x" + LONG, "nanochat"],
               ["time", "nanochat", "--tokens", "x" + LONG], ["memory", "nanochat", "--budget", "1" + LONG],
               ["memory", "nanochat", "--budget", "x" + LONG], ["plot", "scaling", "--compute", LONG],
               ["count", "nanochat", "--set", "D=" + LONG], ["sweep", "nanochat", "--grid", "D=" + LONG],
               [LONG], ["count", LONG], ["count", "nanochat", "--format", LONG], ["count", "nanochat", "--" + LONG],
               ["derive", "nanochat", "--sections", LONG], ["memory", "nanochat", "--optimizer", LONG]]


@pytest.mark.parametrize("argv", LONG_VALUES, ids=lambda a: " ".join(a)[:40])
def test_a_long_value_is_quoted_cut_short_in_its_one_line_error(argv, capsys):
    """An error quotes the value it refuses cut to a few dozen characters: 5,000 digits once came back whole."""
    code, out, err = run_cli(argv, capsys)
    assert_contract(argv, code, err)
    assert code == 2 and "9" * 100 not in err, err[:600]


# Command lines on which fuzzing once found a crash, kept so they stay answered.
FOUND_BY_FUZZING = [
    ["optimal", "--params", "1e60", "nanochat"],
    ["sweep", "nanochat", "--grid", "depth=3"],
    ["sweep", "nanochat", "--grid", "depth=3:3:2"],
    ["count", "nanochat", "--set", "F=(D^64)^64"],
    ["count", "nanochat", "--set", "V=" + "*".join(["1e60"] * 40)],
    ["count", "c/../config.json\x00"],
]


@pytest.mark.parametrize("argv", FOUND_BY_FUZZING, ids=lambda a: " ".join(a)[:40])
def test_inputs_that_once_crashed_are_answered(argv, capsysbinary, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(argv, capsysbinary)
    assert_contract(argv, code, err)


def test_an_integral_float_depth_is_that_depth(capsys):
    _, a, _ = run_cli(["count", "nanochat", "--depth", "2.0", "--json"], capsys)
    _, b, _ = run_cli(["count", "nanochat", "--depth", "2", "--json"], capsys)
    _, c, _ = run_cli(["count", "nanochat", "--depth", "2e0", "--json"], capsys)
    assert json.loads(a)["total"] == json.loads(b)["total"] == json.loads(c)["total"]


# ---- config files ----------------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**70), 10**70), st.sampled_from([0, 1, 2, 3, 8, 64, 4096, -1, 10**55]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(1, 5000).map(float), st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
SHAPE_KEYS = [
    "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "head_dim", "tie_word_embeddings", "hidden_act", "attention_bias", "mlp_bias",
    "num_local_experts", "num_experts_per_tok", "num_experts", "n_embd", "n_head", "n_layer", "n_inner",
    "n_positions", "max_position_embeddings", "ffn_dim", "word_embed_proj_dim", "do_layer_norm_before",
    "enable_bias", "layer_norm_elementwise_affine", "bias", "multi_query", "new_decoder_architecture",
    "num_kv_heads", "parallel_attn", "qk_layernorm", "partial_rotary_factor", "rotary_dim", "use_parallel_residual",
    "architectures", "_remove_final_layer_norm", "add_cross_attention", "n_embed", "ffn_hidden_size",
]


def write(tmp: Path, name: str, data) -> Path:
    path = tmp / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@settings(suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(doc=st.one_of(json_values, st.dictionaries(st.sampled_from(SHAPE_KEYS), json_values, max_size=8)))
def test_a_random_json_document_is_counted_or_refused_naming_the_file(doc, capsys, tmp_path_factory):
    path = write(tmp_path_factory.mktemp("doc"), "config.json", json.dumps(doc))
    argv = ["count", str(path), "--json"]
    code, out, err = run_cli(argv, capsys)
    assert_contract(argv, code, err)
    if code == 2:
        assert str(path) in err
    else:
        assert json.loads(out)["total"] == symparams.model(str(path)).total


@settings(suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(data=st.binary(max_size=600))
def test_random_bytes_as_a_config_file_are_refused_naming_the_file(data, capsys, tmp_path_factory):
    path = write(tmp_path_factory.mktemp("bytes"), "config.json", data)
    argv = ["count", str(path)]
    code, out, err = run_cli(argv, capsys)
    assert_contract(argv, code, err)
    assert code == 2 and str(path) in err


def base_config(model_type: str) -> dict:
    paths = config_paths(model_type)
    return json.loads(paths[0].read_text()) if paths else {"model_type": model_type}


mutations = st.lists(
    st.tuples(st.sampled_from(["set", "set", "delete"]), st.sampled_from(SHAPE_KEYS), json_values),
    min_size=1, max_size=4,
)


def mutate(base: dict, changes) -> dict:
    doc = dict(base)
    for op, key, value in changes:
        if op == "delete":
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


@pytest.mark.parametrize("model_type", sample(AVAILABLE, "mutated configs"))
@settings(max_examples=50, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(changes=mutations)
def test_a_mutated_real_config_is_counted_consistently_or_refused_naming_the_file(model_type, changes, capsys,
                                                                                   tmp_path_factory):
    doc = mutate(base_config(model_type), changes)
    path = write(tmp_path_factory.mktemp(model_type), "config.json", json.dumps(doc))
    argv = ["count", str(path), "--json"]
    code, out, err = run_cli(argv, capsys)
    event(f"exit {code}")
    assert_contract(argv, code, err)
    if code == 2:
        assert str(path) in err
        return
    report = json.loads(out)
    assert report["total"] == symparams.model(str(path)).total
    assert top_level_sum(report) == report["total"]
    assert all(isinstance(v, int) and v > 0 or isinstance(v, str) for v in report["config"].values())


@pytest.mark.sampled
@pytest.mark.parametrize("path", [p for t in AVAILABLE for p in config_paths(t)], ids=lambda p: p.name)
def test_integral_floats_in_a_config_are_refused_where_transformers_types_the_field_a_whole_number(path, tmp_path):
    """4096.0 is not an int to transformers' strict config classes: a file with its whole numbers written as
    decimals is refused naming one of them where the class types it a whole number, or its modules size a tensor
    with it as written, as transformers refuses it, and counts as the file with integers elsewhere."""
    doc = json.loads(path.read_text())
    floated = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**53 else v
               for k, v in doc.items()}
    copy = write(tmp_path, "config.json", floated)
    typed = field_types().get(doc["model_type"], {"fields": {}})["fields"]
    sized = {n for f in FAMILIES.by_type[doc["model_type"]].fields if f.sized for n in f.names}
    whole = sorted(k for k, v in floated.items() if isinstance(v, float) and (k in sized or k in typed
                   and not fits(Decimal(repr(v)), typed[k]["type"])))
    try:
        original = symparams.model(str(path)).total
    except SymparamsError as err:
        with pytest.raises(SymparamsError) as again:
            symparams.model(str(copy))
        if not whole:
            assert str(again.value).replace(str(copy), "") == str(err).replace(str(path), "")
        return
    if whole:
        with pytest.raises(SymparamsError, match="|".join(f"'{k}'" for k in whole)):
            symparams.model(str(copy))
        return
    assert symparams.model(str(copy)).total == original


# Each bad config and what its one error line must name besides the file (None: no single field is to blame).
EXPECTED_FIELD = {
    "not_json.json": None, "truncated.json": None, "empty.json": None, "whitespace_only.json": None,
    "top_level_list.json": None, "top_level_string.json": None, "top_level_null.json": None,
    "top_level_number.json": None, "trailing_comma.json": None, "single_quotes.json": None,
    "python_expression.json": None, "deeply_nested.json": None, "very_deeply_nested.json": None,
    "binary_garbage.json": None, "utf16.json": None, "latin1.json": None, "nul_bytes.json": None,
    "gzip_magic.json": None,
    "missing_model_type.json": "model_type", "unknown_model_type.json": "model_type",
    "model_type_number.json": "model_type", "model_type_list.json": "model_type", "model_type_code.json": "model_type",
    "hidden_size_string.json": "hidden_size", "hidden_size_code.json": "hidden_size",
    "hidden_size_fraction.json": "hidden_size", "hidden_size_boolean.json": "hidden_size",
    "hidden_size_zero.json": "hidden_size", "hidden_size_negative.json": "hidden_size",
    "hidden_size_null.json": "hidden_size", "hidden_size_object.json": "hidden_size",
    "hidden_size_float_overflow.json": "hidden_size", "num_layers_nan.json": "num_hidden_layers",
    "intermediate_size_infinity.json": "intermediate_size", "vocab_size_list.json": "vocab_size",
    "vocab_size_70_digits.json": "vocab_size", "vocab_size_too_large.json": "vocab_size",
    "duplicate_field.json": "hidden_size", "heads_do_not_divide_width.json": "num_attention_heads",
    "kv_heads_do_not_divide_heads.json": "num_key_value_heads", "tie_embeddings_string.json": "tie_word_embeddings",
    "attention_bias_number.json": "attention_bias", "architectures_classifier.json": "architectures",
    "architectures_string.json": "architectures", "experts_per_token_exceed_experts.json": "num_experts_per_tok",
    "gpt2_width_as_text.json": "n_embd", "gpt2_heads_do_not_divide_width.json": "n_head",
    "opt_embedding_projection.json": "word_embed_proj_dim", "gpt2_cross_attention.json": "add_cross_attention",
}


def test_every_bad_config_in_the_corpus_has_an_expectation():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED_FIELD)


@pytest.mark.parametrize("name", sorted(EXPECTED_FIELD))
def test_a_bad_config_is_refused_in_one_line_naming_the_file_and_the_field(name, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = str(BAD / name)
    for command in ("count", "formula", "verify"):
        code, out, err = run_cli([command, path], capsys)
        assert_contract([command, path], code, err)
        assert code == 2 and out == ""
        assert path in err
        field = EXPECTED_FIELD[name]
        if field is not None:
            assert field in err
    assert not (tmp_path / "pwned").exists()


def test_a_file_larger_than_the_limit_is_refused_before_reading(tmp_path, capsys):
    path = tmp_path / "config.json"
    with open(path, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    code, out, err = run_cli(["count", str(path)], capsys)
    assert code == 2 and str(path) in err and f"{MAX_BYTES:,}" in err


@pytest.mark.parametrize("size", [0, 1, 100, MAX_BYTES])
@pytest.mark.parametrize("stated", [0, 1, 99])
def test_a_file_larger_than_its_size_when_stated_is_read_whole_up_to_the_limit(tmp_path, monkeypatch, size, stated):
    """A file that grows between its size being read and its bytes (or whose stated size is wrong, as a
    /proc file's 0) is read whole, and refused past the limit: never cut at the size first stated."""
    import symparams.config as config_module
    from symparams.config import read_json

    path = tmp_path / "config.json"
    text = json.dumps({"model_type": "llama", "note": "x" * size})
    path.write_text(text)
    real = os.stat

    class Stated:
        def __init__(self, found):
            self.found, self.st_size = found, stated

        def __getattr__(self, name):
            return getattr(self.found, name)

    monkeypatch.setattr(config_module.os, "stat", lambda p, *a, **k: Stated(real(p, *a, **k)))
    if len(text) > MAX_BYTES:
        with pytest.raises(SymparamsError, match=f"over {MAX_BYTES:,} bytes"):
            read_json(path)
    else:
        assert read_json(path) == json.loads(text)


def test_a_fifo_a_device_and_a_directory_are_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero", str(tmp_path)):
        code, out, err = run_cli(["count", path], capsys, seconds=20)
        assert_contract(["count", path], code, err)
        assert code == 2 and path in err


def test_a_duplicated_field_is_refused_rather_than_guessed(tmp_path, capsys):
    path = write(tmp_path, "config.json", '{"model_type": "llama", "hidden_size": 4096, "hidden_size": 2048}')
    code, out, err = run_cli(["count", str(path)], capsys)
    assert code == 2 and "'hidden_size' appears more than once" in err


def test_a_file_name_with_undecodable_bytes_is_printed_escaped_on_one_line(tmp_path):
    raw = os.fsencode(tmp_path) + b"/bad\xffname\n.json"
    with open(raw, "wb") as fh:
        fh.write(b"{}")
    proc = subprocess.run([sys.executable, "-m", "symparams", "count", os.fsdecode(raw)], capture_output=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count(b"\n") == 1 and b"Traceback" not in proc.stderr
    assert b"model_type" in proc.stderr


# ---- null, missing and exact numbers: every family, field by field --------------------

# The model_types with both a reader and a strategy of valid configs (every family should have both).
TABLED = sorted(set(CONFIGS) & set(FAMILIES.model_types()))


def test_every_registered_model_type_has_a_config_strategy():
    """The property tests below reach every family only through ``strategies.CONFIGS``."""
    from test_golden import _refused_whole

    missing = set(FAMILIES.model_types()) - set(CONFIGS)
    assert sorted(t for t in missing if not _refused_whole(t)) == []


def _field_of(model_type: str, name: str):
    return next(f for f in FAMILIES.by_type[model_type].fields if name in f.names)


def _meta_groups(doc: dict) -> dict[str, int] | None:
    """transformers' parameters per group for ``doc``, or None where transformers refuses to build it."""
    from symparams.verify import meta_parameters

    family = FAMILIES.by_type[doc["model_type"]]
    try:
        params = meta_parameters(doc)
    except SymparamsError:
        return None
    out: dict[str, int] = {}
    for name, numel in params:
        out[family.group(name)] = out.get(family.group(name), 0) + numel
    return {g: n for g, n in out.items() if n}


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TABLED)
@settings(max_examples=10, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(data=st.data())
def test_a_null_field_counts_as_transformers_builds_it_or_is_refused_naming_it(model_type, data):
    """Any field of a family's table (under any of its names) set to null, in any valid config: where transformers
    builds the model, the count equals it group by group (null meaning H, D/H, 4*D or "not given", whatever
    transformers derives, never the missing field's default); where transformers refuses, so does the reader,
    naming that field. (Qwen2's null num_key_value_heads is H; its missing one is 32.) A null top-k that
    transformers builds a router for but cannot route with is refused, naming the field and that reason."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    config = data.draw(CONFIGS[model_type], label="config")
    name = data.draw(st.sampled_from(sorted(FAMILIES.by_type[model_type].fields.names())), label="null field")
    doc = {k: v for k, v in config.items() if k not in _field_of(model_type, name).names}
    doc[name] = None
    theirs = _meta_groups(doc)
    if theirs is None:  # refused naming the field, unless the config is refused for another reason anyway
        with pytest.raises(SymparamsError) as refused:
            symparams.families.from_dict(doc, "config")
        if not re.search(rf"\b{name}\b", str(refused.value)):
            with pytest.raises(SymparamsError):
                symparams.families.from_dict({k: v for k, v in doc.items() if k != name}, "config")
        return
    try:
        spec = symparams.families.from_dict(doc, "config")
    except SymparamsError as err:  # the documented exceptions: a null top-k whose router transformers builds but
        # cannot run, so k (and the active parameters and FLOPs that need it) has no value; refused naming it. And a
        # vision-language model whose null text or vision config (every default) builds a tower no image runs through
        # (a merger of another width than the decoder's, a pixel shuffle whose scale does not divide the patches)
        assert (re.search(rf"\b{name}\b.*cannot pick experts", str(err)) or
                name in ("text_config", "vision_config") and any(why in str(err) for why in NO_IMAGE_RUNS)), err
        return
    assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs

# Values of another type than a field holds: never an integral float (4096.0 is read as 4096, a documented choice).
OTHER_VALUES = [True, False, "12", "silu", 2.5, -0.5, [8], {"x": 1}]
# Which of those are of a field's own kind (true is a switch's own value, not another type).
_OWN_TYPE = {"bool": lambda v: isinstance(v, bool), "str": lambda v: isinstance(v, str), "int": lambda v: False,
             "number": lambda v: isinstance(v, float), "any": lambda v: False}
# The JSON types a field of kind "any" or "number" may declare (Field.types), as Python reads them.
_DECLARED = {"int": lambda v: type(v) is int, "float": lambda v: type(v) is float, "str": lambda v: isinstance(v, str),
             "list": lambda v: isinstance(v, list), "object": lambda v: isinstance(v, dict)}


def _own_type(field) -> Callable[[object], bool]:
    """Whether a value is of the field's own kind, or of a JSON type it declares (a text_config's object is)."""
    kind = _OWN_TYPE[field.kind]
    return lambda v: kind(v) or any(_DECLARED[t](v) for t in field.types if t in _DECLARED)


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TABLED)
@settings(max_examples=3, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(config=st.data())
def test_a_field_of_another_type_is_refused_naming_it_where_transformers_refuses_it(model_type, config):
    """Every field of a family's table, in turn, set to a value of another type (text for a number, a number for
    a switch, true for a count) in a valid config: the reader refuses it, naming that field, or counts what
    transformers builds, group by group; never a model that transformers' typed config refuses.
    (DeepseekV2Config refuses n_group: true, which was once read as one group.)"""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    base = config.draw(CONFIGS[model_type], label="config")
    for name in sorted(FAMILIES.by_type[model_type].fields.names()):
        own = _own_type(_field_of(model_type, name))
        value = config.draw(st.sampled_from([v for v in OTHER_VALUES if not own(v)]), label=name)
        doc = {k: v for k, v in base.items() if k not in _field_of(model_type, name).names}
        doc[name] = value
        try:
            spec = symparams.families.from_dict(doc, "config")
        except SymparamsError as refused:
            if not re.search(rf"\b{re.escape(name)}\b", str(refused)):  # refused for another reason, which the
                with pytest.raises(SymparamsError):                      # config without the field has too
                    symparams.families.from_dict({k: v for k, v in doc.items() if k != name}, "config")
            continue
        theirs = _meta_groups(doc)
        assert theirs is not None, f"transformers refuses {name}={value!r}; symparams counted {spec.total}"
        assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs, (name, value)


# Model types whose per-kind rope tables are not checked for a negative share (none left).
NEGATIVE_SHARE_UNCHECKED: set[str] = set()


def _one_preset_per_type() -> list[str]:
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    seen: dict[str, str] = {}
    for name, path in sorted(preset_paths().items()):
        seen.setdefault(str(read_json(path).get("model_type")), name)
    return sorted(name for model_type, name in seen.items() if model_type not in NEGATIVE_SHARE_UNCHECKED)


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "negative share"))
@pytest.mark.parametrize("share", [-0.5, 1e30])
def test_a_rotary_share_too_small_or_too_large_for_transformers_to_build_is_refused(preset, share):
    """partial_rotary_factor -0.5 makes transformers' rotary width int(d_h x share) negative wherever its rotary
    embedding reads the share (of d_rope in latent attention), and 1e30 makes it more frequencies than torch can
    hold: torch.arange then cannot build it, so it is refused there, naming the field. (GPT-NeoX's rotary_pct
    likewise, where no rope table states a share.)"""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    doc = {**read_json(preset_paths()[preset]), "partial_rotary_factor": share}  # type: ignore[dict-item]
    theirs = _meta_groups(doc)
    try:
        symparams.families.from_dict(doc, "config")
    except SymparamsError as refused:
        assert "partial_rotary_factor" in str(refused)
        return
    assert theirs is not None, f"transformers cannot build {preset} with partial_rotary_factor {share}"
    if doc["model_type"] == "gpt_neox":
        with pytest.raises(SymparamsError, match="rotary_pct"):
            symparams.families.from_dict({**doc, "rotary_pct": share}, "config")
        assert _meta_groups({**doc, "rotary_pct": share}) is None


# A YaRN table, and the shares and head sizes it is drawn with: transformers' YaRN takes ceil(w/2) frequencies
@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "proportional share"))
@pytest.mark.parametrize("kind", ["proportional", "linear"])
@pytest.mark.parametrize("share", [-1e-9, -0.5, 0.5, 1e30])
def test_a_share_is_refused_where_its_rope_type_cannot_rotate_with_it_and_counted_where_it_can(preset, kind, share):
    """Proportional RoPE rotates int(share x d_h // 2) pairs, so any negative share leaves it a negative count
    (-1e-9 among them), where scaled RoPE rotates int(d_h x share) dimensions, 0 for -1e-9. A rope table of
    either type with a share just below 0, at -1/2, 1/2 and 1e30: counted as transformers builds it where it
    builds, and refused in one line where it cannot."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths

    doc = json.loads(Path(preset_paths()[preset]).read_text())
    for name in ("rope_scaling", "rope_parameters", "partial_rotary_factor"):
        doc.pop(name, None)
    table = {"rope_type": kind, "rope_theta": 10000.0, "partial_rotary_factor": share,
             **({"factor": 2.0} if kind == "linear" else {})}
    kinds = FAMILIES.by_type[doc["model_type"]].rotary == "by-layer-kind"
    doc["rope_parameters"] = {"full_attention": table, "sliding_attention": {"rope_type": "default",
                                                                             "rope_theta": 10000.0}} if kinds else table
    theirs, ours = _theirs_and_ours(doc)
    if isinstance(theirs, int):
        assert ours == theirs, (preset, ours)
    else:
        assert isinstance(ours, str) and "\n" not in ours, (preset, ours, theirs)


# and a ramp of w // 2 for the rotary width w = int(head_dim x share), so an odd width of 5 or more cannot be built.
YARN = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048, "rope_theta": 10000.0}
# 100 x 0.58 is 57 and 100 x 0.57 is 56 in binary floating point, as transformers multiplies: the first odd, the
# second even, though exactly the other way round.
YARN_GRID = [(share, head) for share in (None, 0.25) for head in (None, 62)] + [(0.58, 100), (0.57, 100), (0.29, 100)]
ROPE_TABLES_LLAMA3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 2048, "rope_theta": 10000.0}
LONGROPE_64 = {"rope_type": "longrope", "short_factor": [1.0] * 64, "long_factor": [1.0] * 64,
               "original_max_position_embeddings": 2048, "rope_theta": 10000.0}
LAYER_LISTS = ("layer_types", "mlp_layer_types", "hybrid_override_pattern", "layers_block_type", "attn_layer_indices",
               "no_rope_layers", "sliding_window_pattern")


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "yarn over an odd width"))
def test_yarn_over_an_odd_rotary_width_is_refused_exactly_where_transformers_cannot_build_it(preset):
    """A YaRN table with a share and a head size that make an odd rotary width (the class's own share where the
    file states none: Qwen3-Next's 1/4, Bamba's fixed 1/2, GPT-NeoX's rotary_pct; the config's head_dim even
    where the layers use D/H, as the rope functions read it; d_rope in latent attention) is refused naming the
    table, where transformers cannot build the model; anything counted is what transformers builds. A class that
    keeps its tables by layer kind (Gemma 3, OLMo 3) gets YaRN for its full-attention layers, which rotate the
    top level's share though no validation sees it."""
    _scaled_rope_on_a_grid(preset, YARN, YARN_GRID, "yarn")


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "yarn over a base of one"))
@pytest.mark.parametrize("theta", [1, 1.0, 0, -2.5, 0.5])
def test_yarn_over_a_rope_theta_of_one_or_below_zero_is_refused_exactly_where_transformers_cannot_build_it(preset,
                                                                                                         theta):
    """transformers' YaRN divides by log(rope_theta) as it builds the model: a base of 1 divides by zero, and one of
    0 or below has no logarithm. Stated in the YaRN table or at the top level (which transformers fills into the
    table), such a base is refused naming it where transformers cannot build the model; a base between 0 and 1
    builds, and anything counted is what transformers builds."""
    table = {k: v for k, v in YARN.items() if k != "rope_theta"}
    _scaled_rope_on_a_grid(preset, {**table, "rope_theta": theta}, [(None, None)], "log(rope_theta)")
    _scaled_rope_on_a_grid(preset, table, [(None, None)], "log(rope_theta)", {"rope_theta": theta})


def _two_layers_without_rope(preset: str) -> dict:
    """The preset's config at two layers, without its rope tables or layer lists (transformers and torch needed)."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    base = {k: v for k, v in read_json(preset_paths()[preset]).items()  # type: ignore[union-attr]
            if k not in LAYER_LISTS and k not in ("rope_scaling", "rope_parameters")}
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        if key in base:
            base[key] = 2
    return base


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "a rope base not a number"))
@pytest.mark.parametrize("value", [None, "10000"])
def test_a_rope_base_that_is_not_a_number_is_refused_exactly_where_transformers_cannot_build_it(preset, value):
    """The top-level field a class fills its rope table's missing rope_theta from (rope_theta, GPT-NeoX's
    rotary_emb_base), null or text, with no table stating a base: refused naming the field where transformers
    cannot compute the frequencies; anything counted is what transformers builds. A table's own base wins."""
    base = _two_layers_without_rope(preset)
    field = FAMILIES.by_type[base["model_type"]].rope_theta_field
    _counted_as_built_or_refused_as_unbuildable({**base, field: value}, field, (preset, field, value))
    if FAMILIES.by_type[base["model_type"]].rotary == "flat":
        stated = {**base, field: value, "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}}
        _counted_as_built_or_refused_as_unbuildable(stated, field, (preset, field, value, "stated"))


# Tables whose rotary embedding divides by zero, or takes the logarithm of a number not above zero, as
# transformers builds the model; and LongRoPE short factors not one per frequency of a 256-wide head (Gemma 3's).
SINGULAR = [
    ({**YARN, "beta_fast": -1.0}, "transformers cannot build the model"),
    ({**YARN, "beta_slow": -1.0}, "transformers cannot build the model"),
    ({**YARN, "original_max_position_embeddings": 0}, "transformers cannot build the model"),
    ({**YARN, "original_max_position_embeddings": -5}, "transformers cannot build the model"),
    ({**ROPE_TABLES_LLAMA3, "low_freq_factor": 0.0}, "transformers cannot build the model"),
    ({**ROPE_TABLES_LLAMA3, "high_freq_factor": 0.0}, "transformers cannot build the model"),
    ({**LONGROPE_64, "factor": 2.0, "original_max_position_embeddings": 1}, "transformers cannot build the model"),
    ({**LONGROPE_64, "original_max_position_embeddings": 0}, "transformers cannot build the model"),
    ({**LONGROPE_64, "original_max_position_embeddings": 1}, "transformers cannot build the model"),
    (LONGROPE_64, "short_factor"),
    ({**YARN, "mscale": "1.0", "mscale_all_dim": 1.0}, "mscale"),
    ({**YARN, "mscale": 1.0, "mscale_all_dim": [1]}, "mscale_all_dim"),
]


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "singular rope tables"))
@pytest.mark.parametrize("case", range(len(SINGULAR)))
def test_a_rope_table_transformers_divides_by_zero_with_is_refused_exactly_where_it_cannot_build(preset, case):
    """YaRN with a beta or an original context that leaves no logarithm, or with mscale and mscale_all_dim that are
    not both numbers where it takes its attention factor from them, Llama 3 scaling with a frequency factor of 0,
    LongRoPE with an original context of 0 or 1 (factor above 1), and LongRoPE short factors not one per
    frequency, as a flat table or a full-attention layers' one (Gemma 3, OLMo 3): refused naming the table where
    transformers cannot build the model; anything counted is what transformers builds."""
    table, says = SINGULAR[case]
    _scaled_rope_on_a_grid(preset, table, [(None, None)], says)


def _deepseek_presets() -> list[str]:
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    return [p for p in _one_preset_per_type()
            if str(read_json(preset_paths()[p]).get("model_type")).startswith("deepseek")]  # type: ignore[union-attr]


@pytest.mark.parametrize("preset", _deepseek_presets())
@pytest.mark.parametrize("factor", [None, 40.0])
@pytest.mark.parametrize("all_dim", ["absent", None, 0, 1.0, "1.0"])
def test_deepseeks_mscale_over_a_null_factor_is_refused_exactly_where_transformers_cannot_build_it(preset, factor,
                                                                                                   all_dim):
    """DeepSeek's attention scales its softmax by YaRN's mscale where a scaled table gives a non-zero
    mscale_all_dim, comparing the table's factor with 1 as the model is built and multiplying by mscale_all_dim
    where the factor is above 1: a null factor, or text there, is refused, naming it, where transformers cannot
    build the model; anything counted is what transformers builds."""
    table = {**YARN, "factor": factor, "mscale": 1.0, **({} if all_dim == "absent" else {"mscale_all_dim": all_dim})}
    _scaled_rope_on_a_grid(preset, table, [(None, None)], "factor" if factor is None else "mscale_all_dim")


def _scaled_rope_on_a_grid(preset: str, scaled: dict, grid: list, says: str, top: dict | None = None) -> None:
    """The preset at two layers (six where its class keeps rope tables by layer kind: a full-attention layer among
    them, every 4th in OLMo 3, 6th in Gemma 3), with ``scaled`` as its (full-attention layers') rope table and
    ``top`` at its top level, at each share and head size of ``grid``: counted as transformers builds it, or
    refused naming ``says`` only where transformers cannot build it."""
    base = _two_layers_without_rope(preset)
    by_kind = FAMILIES.by_type[base["model_type"]].rotary == "by-layer-kind"
    if by_kind:
        base["num_hidden_layers"] = 6
    table = {"full_attention": dict(scaled), "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}} \
        if by_kind else scaled
    for share, head in grid:
        doc = _with_share_and_head({**base, **(top or {}), "rope_parameters": json.loads(json.dumps(table))}, share,
                                   head)
        _counted_as_built_or_refused_as_unbuildable(doc, says, (preset, share, head))


# Dynamic NTK scaling raises its base to the power w / (w - 2) for the rotary width w = int(head_dim x share).
DYNAMIC = {"rope_type": "dynamic", "factor": 2.0, "rope_theta": 10000.0}
DYNAMIC_GRID = [(None, 2), (0.5, 4), (None, 4)]


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "dynamic over a width of two"))
def test_dynamic_scaling_over_a_rotary_width_of_two_is_refused_exactly_where_transformers_cannot_build_it(preset):
    """Dynamic NTK scaling over a rotary width of 2 divides by zero as transformers builds the model (Hunyuan's
    NTK-alpha rope too): refused naming the table there; anything counted is what transformers builds."""
    _scaled_rope_on_a_grid(preset, DYNAMIC, DYNAMIC_GRID, "dynamic")


def _with_share_and_head(doc: dict, share: object, head: object) -> dict:
    """``doc`` with a top-level partial_rotary_factor and a head_dim, where they are not None."""
    given = {"partial_rotary_factor": share, "head_dim": head}
    return {**doc, **{k: v for k, v in given.items() if v is not None}}


def _counted_as_built_or_refused_as_unbuildable(doc: dict, says: str, label: object) -> None:
    """``doc`` counts group by group what transformers builds from it, or is refused; a refusal that names
    ``says`` only where transformers cannot build it either."""
    theirs = _meta_groups(doc)
    try:
        spec = symparams.families.from_dict(doc, "config")
    except SymparamsError as refused:
        if says in str(refused):
            assert theirs is None, f"{label}: transformers builds what is refused: {refused}"
        return
    assert theirs is not None, f"{label}: transformers refuses what is counted"
    assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs, label


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "odd stated head"))
def test_an_odd_head_dim_stated_in_the_file_is_refused_exactly_where_transformers_validation_refuses_it(preset):
    """transformers' RoPE validation reads the config's head_dim, which a file sets even where the class declares
    none and its layers use D/H (DBRX's, SmolLM3's): a fully rotary odd one above 4 is refused there, under
    head_dim or the alias the family reads it from; anything counted is what transformers builds."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    base = {k: v for k, v in read_json(preset_paths()[preset]).items()  # type: ignore[union-attr]
            if k not in LAYER_LISTS}
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        if key in base:
            base[key] = 2
    fields = FAMILIES.by_type[base["model_type"]].fields
    names = {"head_dim"} | {n for f in fields if "head_dim" in f.names for n in f.names}
    for name in sorted(names):
        doc = {**base, name: 63}
        theirs = _meta_groups(doc)
        try:
            spec = symparams.families.from_dict(doc, "config")
        except SymparamsError:
            continue
        assert theirs is not None, f"{preset} with {name} 63: transformers refuses what is counted"
        assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs, name


def _stated_flat(name: str) -> bool:
    """Whether a preset states its decoder's sizes at its top level: a vision-language wrapper's are in its
    ``text_config`` (its top level's, where it has them, are its class's own), and it states its width twice (a
    merger's ``out_hidden_size``, a ``projection_dim``), both of which a width set later follows; tests/
    test_families_vision.py sets a wrapper's fields where they are stated."""
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    return "text_config" not in FAMILIES.by_type[str(read_json(preset_paths()[name]).get("model_type"))].fields


# The presets whose top level states their sizes.
FLAT_PRESETS = [name for name in sorted(symparams.presets.PRESETS) if _stated_flat(name)]


@pytest.mark.parametrize("preset", sample(FLAT_PRESETS, "head size set later"))
def test_a_head_size_set_on_a_count_is_refused_exactly_where_the_config_stating_it_is(preset):
    """A value set after the config is read (``--set``, a sweep) meets the rotary check its reading made: the head
    sizes beside the preset's, odd and even, set as d_h (as D = H x d_h where d_h is D/H) or as d_rope, count as
    the config stating them counts, or both refuse. (Not D where a Mamba-2 mixer's head size, which the file
    may state, follows the width: see families.later.)"""
    from symparams.catalog import preset_paths
    from symparams.config import read_json
    from symparams.symbols import D, H, d_h, d_in, d_rope

    config = read_json(preset_paths()[preset])
    spec = symparams.families.from_dict(config, "config")
    env, relations = spec.env, dict(spec.relations)
    names = {n for f in FAMILIES.by_type[config["model_type"]].fields if "head_dim" in f.names for n in f.names}
    for sym in (d_h, d_rope):
        if sym not in env:
            continue
        size = int(env[sym])
        if relations.get(sym) == D / H and d_in in env:
            continue
        if relations.get(sym) == D / H:  # every width field stating D (OPT's word_embed_proj_dim too)
            keys = [k for k, v in config.items() if type(v) is int and v == int(env[D])
                    and k in ("hidden_size", "n_embd", "d_model", "word_embed_proj_dim")]
            edits = [(keys, "D", int(env[H]) * h) for h in (size - 1, size + 1, size + 2)]
        else:
            keys = ["qk_rope_head_dim"] if sym == d_rope else [
                k for k in sorted(names | {"head_dim"}) if config.get(k) == size][:1]
            edits = [(keys, sym.name, h) for h in (size - 1, size + 1, size + 2)]
        for keys, name, value in edits:
            if not keys or value < 1:
                continue
            got, want = set_and_stated(spec, name, value, {**config, **dict.fromkeys(keys, value)},
                                       symparams.families.from_dict)
            assert got == want, (preset, name, value)


# The config fields that state a symbol the tests below set, by symbol.
SIZE_FIELDS = {"D": ("hidden_size", "n_embd", "d_model", "word_embed_proj_dim"), "H": ("num_attention_heads", "n_head"),
               "H_kv": ("num_key_value_heads", "num_kv_heads", "multi_query_group_num"), "d_h": ("head_dim",),
               "V": ("vocab_size",), "F": ("intermediate_size", "n_inner", "ffn_hidden_size"),
               "E": ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"),
               "k": ("num_experts_per_tok", "moe_k")}


@pytest.mark.parametrize("preset", sample(FLAT_PRESETS, "sizes set later"))
def test_a_size_set_on_a_count_is_counted_only_where_the_config_stating_it_builds(preset):
    """No size set after the config is read is counted where the config stating it is refused, and where both
    count they agree. (The Spec may refuse what a file builds: d_h = D/H stays whole where a file rounds it
    down. A padding id follows the vocabulary, as in a re-sized file: see families.later.)"""
    from symparams.catalog import preset_paths
    from symparams.config import read_json
    from symparams.symbols import d_in

    config = read_json(preset_paths()[preset])
    spec = symparams.families.from_dict(config, "config")
    values = {s.name: int(v) for s, v in spec.values if v.is_Integer}
    for name, fields in SIZE_FIELDS.items():
        if name not in values or (name == "D" and d_in in spec.env):  # a stated Mamba-2 head size follows D
            continue
        size = values[name]
        keys = [k for k in fields if type(config.get(k)) is int and config[k] == size]
        for value in sorted({1, size // 2, size - 1, size + 1, size + 2, 2 * size} - {0, size}) if keys else ():
            doc = {**config, **dict.fromkeys(keys, value)}
            pad = doc.get("pad_token_id")
            if name == "V" and not (type(pad) is int and -value <= pad < value):
                doc["pad_token_id"] = 0
            got, want = set_and_stated(spec, name, value, doc, symparams.families.from_dict)
            assert got is None or got == want, (preset, name, value)


@pytest.mark.parametrize("preset", sample(sorted(symparams.presets.PRESETS), "layer counts set later"))
def test_layer_counts_set_on_a_count_never_leave_a_kind_a_negative_number_of_layers(preset):
    """Where the last kind of layer takes the rest of L (Nemotron-H's MoE layers, L - L_a - L_s), any L or count
    of a kind set later that leaves it fewer than none is refused: no row, and no total, is negative."""
    spec = symparams.model(preset)
    values = {s.name: int(v) for s, v in spec.values if v.is_Integer}
    if "L" not in values:
        return
    for name in ["L", *(n for n in values if n.startswith("L_"))]:
        for value in sorted({1, 2, values["L"] // 2, values["L"] - 1, values["L"], values[name] + 1} - {0}):
            try:
                other = spec.with_values(**{name: value})
                rows = other.breakdown().rows
            except SymparamsError:
                continue
            assert other.total > 0 and all(r.total >= 0 for r in rows), (preset, name, value)


# (share, head_dim, short factors) of a LongRoPE table: one factor for all, or as many as a 64- or 32-wide
# rotary part has frequencies, or not.
LONGROPE_GRID = [(None, None, 1), (None, None, 16), (0.5, 64, 16), (0.5, 64, 32)]


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "longrope factors"))
def test_longrope_short_factors_not_one_per_frequency_are_refused_exactly_where_transformers_cannot_build(preset):
    """transformers' LongRoPE multiplies the short factors into the ceil(w/2) frequencies of the rotary width w
    as it builds the model: a list of another length (but one) is refused naming the table where transformers
    cannot build it, and anything counted is what transformers builds."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    base = {k: v for k, v in read_json(preset_paths()[preset]).items()  # type: ignore[union-attr]
            if k not in ("rope_scaling", "rope_parameters")}
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        if key in base and not any(k in base for k in LAYER_LISTS):  # the layers a list names stay (attention)
            base[key] = min(base[key], 6)
    for share, head, n in LONGROPE_GRID:
        table = {**ROPE_TABLES["longrope"], "short_factor": [1.0] * n, "long_factor": [1.0] * n}
        doc = _with_share_and_head({**base, "rope_parameters": table}, share, head)
        _counted_as_built_or_refused_as_unbuildable(doc, "short_factor", (preset, share, head, n))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(heads=st.integers(1, 400), kind=st.sampled_from(["yarn", "longrope"]), factors=st.integers(1, 40))
def test_a_bamba_of_mamba_layers_alone_builds_its_rope_table_from_the_width_and_heads(heads, kind, factors):
    """With no attention layer, transformers' Bamba still builds the model's rotary table, over
    hidden_size // num_attention_heads (rounded down) of which it rotates half: YaRN over an odd width, and
    LongRoPE factors not one per frequency, are refused naming the table where transformers cannot build the
    model; anything counted is what transformers builds."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    base = {k: v for k, v in read_json(preset_paths()["bamba-9b"]).items()  # type: ignore[union-attr]
            if k not in ("rope_scaling", "rope_parameters")}
    table = dict(YARN) if kind == "yarn" else {**ROPE_TABLES["longrope"], "short_factor": [1.0] * factors,
                                               "long_factor": [1.0] * factors}
    doc = {**base, "num_hidden_layers": 2, "attn_layer_indices": [], "intermediate_size": 64,
           "num_attention_heads": heads, "num_key_value_heads": heads, "rope_parameters": table}
    _counted_as_built_or_refused_as_unbuildable(doc, "rope_scaling" if kind == "yarn" else "short_factor",
                                                (heads, kind, factors))


def test_each_flat_rope_class_rotates_the_share_its_family_says_from_the_field_it_says():
    """For every model type whose class keeps one flat rope table: the share it fills in where a file states
    none is the family's (``rope_share_default``, or its own table's), and a share at the top level reaches the
    table only through the family's ``rope_share_field`` (GPT-NeoX's rotary_pct; none for Bamba, which fixes
    its own)."""
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    checked = 0
    for fam in FAMILIES:
        for model_type in fam.model_types if fam.rotary == "flat" else ():
            table = transformers.AutoConfig.for_model(model_type).rope_parameters or {}
            if any(isinstance(v, dict) for v in table.values()):
                continue  # kept by layer kind after all (DeepSeek-V4's, Gemma 4's): read to their refusal
            theirs = table.get("partial_rotary_factor")
            assert class_share(fam) == (1 if theirs is None else theirs), model_type
            field = fam.rope_share_field or "partial_rotary_factor"
            moved = (transformers.AutoConfig.for_model(model_type, **{field: 0.75}).rope_parameters or {})
            assert moved.get("partial_rotary_factor") == (0.75 if fam.rope_share_field else theirs), model_type
            checked += 1
    assert checked >= 50


def test_each_config_class_holds_the_attributes_its_family_says_the_rope_code_reads():
    """``rope_head_unset``: the class's head_dim is null until a file states it (Mixtral's); ``lacks``: the
    class has no max_position_embeddings (a scaled table's original context) or num_attention_heads (LongRoPE's
    divisor), so transformers cannot make a config with such a table. Each is what the class holds."""
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    checked = 0
    for fam in FAMILIES:
        for model_type in fam.model_types:
            made = transformers.AutoConfig.for_model(model_type)
            for attribute in ("max_position_embeddings", "num_attention_heads"):
                try:
                    held = hasattr(made, attribute)
                except Exception:  # held, per layer (a heterogeneous config answers only by layer)
                    held = True
                assert (attribute in fam.lacks) != held, (model_type, attribute)
            try:
                unset = hasattr(made, "head_dim") and made.head_dim is None
            except Exception:
                unset = False
            assert fam.rope_head_unset == unset or fam.rotary == "by-layer-kind" or model_type == "gemma4_text", \
                model_type
            checked += 1
    assert checked >= 60


ROPE_TABLES = {
    "yarn": YARN,
    "dynamic": {"rope_type": "dynamic", "factor": 2.0, "rope_theta": 10000.0},
    "longrope": {"rope_type": "longrope", "short_factor": [1.0] * 64, "long_factor": [1.0] * 64,
                 "original_max_position_embeddings": 2048, "rope_theta": 10000.0},
    "llama3": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 2048, "rope_theta": 10000.0},
}


@pytest.mark.sampled
@pytest.mark.parametrize("preset", ["mixtral-8x7b", "ministral-8b-instruct-2410", "hunyuan-7b-instruct", "bloom-560m",
                                    "mpt-7b", "mamba-130m", "mamba2-130m", "llama-2-7b"])
@pytest.mark.parametrize("rope", sorted(ROPE_TABLES))
def test_a_rope_table_the_class_cannot_make_or_compute_is_refused_as_transformers_refuses_it(preset, rope):
    """A scaled rope table where the class holds a null head_dim (Mixtral's, unless the file states one) or
    lacks an attribute its rope code reads (Bloom's max_position_embeddings): refused naming the field, exactly
    where transformers cannot make the config or its rotary embedding; counted as transformers builds it else."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    base = {k: v for k, v in read_json(preset_paths()[preset]).items()  # type: ignore[union-attr]
            if k not in LAYER_LISTS and k not in ("rope_scaling", "rope_parameters")}
    for key in ("num_hidden_layers", "n_layer", "num_layers", "n_layers"):
        if key in base:
            base[key] = 2
    for extra in ({}, {"head_dim": base.get("hidden_size", 0) // base.get("num_attention_heads", 1) or None},
                  {"max_position_embeddings": 4096}, {"head_dim": None}):
        doc = {**base, "rope_parameters": dict(ROPE_TABLES[rope]), **extra}
        theirs = _meta_groups(doc)
        try:
            spec = symparams.families.from_dict(doc, "config")
        except SymparamsError as refused:
            assert theirs is None or not re.search(r"head_dim|rope_parameters|config class", str(refused)), \
                (extra, str(refused))
            continue
        assert theirs is not None, f"{preset} with {extra}: transformers refuses what is counted"
        assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs, extra


@pytest.mark.sampled
@pytest.mark.parametrize("preset", ["bloom-560m", "mpt-7b", "mamba-130m", "mamba2-130m", "llava-1.5-7b-hf",
                                    "paligemma-3b-pt-224", "internvl3-1b-hf", "qwen3-vl-4b-instruct"])
@pytest.mark.parametrize("key", ["rope_scaling", "rope_parameters"])
def test_yarn_in_a_class_without_a_context_counts_exactly_where_transformers_builds_it(preset, key):
    """YaRN reads max_position_embeddings, which Bloom's, MPT's, Mamba's and the vision-language wrappers' classes
    lack. A file stating one at the top level gives it to the class in time, unless the table is a legacy
    ``rope_scaling`` beside a ``rope_theta`` Python calls true: the class converts that before it sets the file's other
    fields, and the context is missing then. Each combination counts exactly where transformers builds it."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    base = {k: v for k, v in read_json(preset_paths()[preset]).items()  # type: ignore[union-attr]
            if k not in ("rope_scaling", "rope_parameters", "rope_theta", "max_position_embeddings")}
    yarn = {k: v for k, v in YARN.items() if k != "rope_theta"}
    for theta, context in itertools.product((10000.0, 0, None, "absent"), (4096, "absent")):
        doc = {**base, key: dict(yarn), **({} if theta == "absent" else {"rope_theta": theta}),
               **({} if context == "absent" else {"max_position_embeddings": context})}
        theirs = _meta_groups(doc)
        try:
            spec = symparams.families.from_dict(doc, "config")
        except SymparamsError as refused:
            assert theirs is None, f"{preset}, rope_theta {theta}, context {context}: transformers builds what is " \
                                   f"refused: {refused}"
            continue
        assert theirs is not None, f"{preset}, rope_theta {theta}, context {context}: transformers refuses what is counted"
        assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs, (theta, context)


def _with_heads_not_dividing_the_width(preset: str) -> dict | None:
    """The preset with its head size stated and its width 2 more, so the heads no longer divide it."""
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    doc = dict(read_json(preset_paths()[preset]))  # type: ignore[arg-type]
    width, heads = doc.get("hidden_size"), doc.get("num_attention_heads")
    if not isinstance(width, int) or not isinstance(heads, int) or heads < 3 or "head_dim" not in \
            FAMILIES.by_type[doc["model_type"]].fields:
        return None
    doc.setdefault("head_dim", width // heads)
    return {**doc, "hidden_size": width + 2}


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "heads not dividing the width"))
def test_heads_that_do_not_divide_the_width_beside_a_stated_head_dim_count_as_transformers_builds_them(preset):
    """With head_dim stated, a width the heads do not divide is refused where transformers' config refuses it
    (Llama's validate_architecture checks it whatever head_dim says, as Gemma 2's and Arcee's do) and
    counted as transformers builds it elsewhere, or refused naming the sizes."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    doc = _with_heads_not_dividing_the_width(preset)
    if doc is None:
        return
    theirs = _meta_groups(doc)
    try:
        spec = symparams.families.from_dict(doc, "config")
    except SymparamsError as refused:
        assert re.search(r"num_attention_heads|hidden_size|head_dim|width|divide", str(refused)), refused
        return
    assert theirs is not None, f"transformers refuses {preset} with hidden_size {doc['hidden_size']}"
    assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs


@pytest.mark.parametrize("preset", sample(_one_preset_per_type(), "padding row"))
@pytest.mark.parametrize("where", ["past the vocabulary", "the default past a vocabulary of one"])
def test_a_padding_row_outside_the_embedding_is_refused_where_transformers_cannot_build_it(preset, where):
    """pad_token_id at vocab_size (or the class's default pad_token_id past a vocabulary of one row: OPT's is 1)
    is refused wherever transformers' nn.Embedding(padding_idx=pad_token_id) refuses to build, naming the field,
    and counted where the model's embedding takes no padding row."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    doc = dict(read_json(preset_paths()[preset]))  # type: ignore[arg-type]
    if "vocab_size" not in doc:
        return
    doc = ({**doc, "vocab_size": 5, "pad_token_id": 5} if where == "past the vocabulary" else
           {**{k: v for k, v in doc.items() if k != "pad_token_id"}, "vocab_size": 1})
    theirs = _meta_groups(doc)
    try:
        spec = symparams.families.from_dict(doc, "config")
    except SymparamsError as refused:
        assert theirs is None or re.search(r"vocab|pad_token_id", str(refused)), refused
        return
    assert theirs is not None, f"transformers cannot build {preset} with {where}"
    assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs


@pytest.mark.parametrize("vocab", [1, 2])
def test_a_nanochat_config_json_with_its_default_padding_row_past_the_vocabulary_is_refused(vocab):
    """NanoChatConfig's pad_token_id defaults to 1, a row a vocabulary of one does not have (no preset holds
    such a config.json, so the test above does not reach it)."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    doc = {"model_type": "nanochat", "hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1,
           "vocab_size": vocab}
    theirs = _meta_groups(doc)
    assert (theirs is None) == (vocab == 1)
    if theirs is None:
        with pytest.raises(SymparamsError, match="pad_token_id"):
            symparams.families.from_dict(doc, "config")
    else:
        assert {g: n for g, n in symparams.families.from_dict(doc, "config").breakdown().groups().items() if n} == theirs


@pytest.mark.parametrize("size", [7, 8, 3])
@pytest.mark.parametrize("field", ["kv_channels", "head_dim"])
def test_jetmoes_head_size_under_either_name_is_checked_as_transformers_checks_it(field, size):
    """JetMoeConfig always holds head_dim (kv_channels under another name): an odd size above 4 is refused,
    naming the field the file states it in, whichever it is; 8 and 3 build."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    doc = {"model_type": "jetmoe", "hidden_size": 16, "num_key_value_heads": 2, field: size, "num_hidden_layers": 1,
           "vocab_size": 200}
    theirs = _meta_groups(doc)
    assert (theirs is None) == (size == 7)
    if theirs is None:
        with pytest.raises(SymparamsError, match=rf"'{field}'.*odd size 7"):
            symparams.families.from_dict(doc, "config")
    else:
        assert {g: n for g, n in symparams.families.from_dict(doc, "config").breakdown().groups().items() if n} == theirs


# A config class's attribute_map sets a field from its alias after the type check, so an alias's null passes
# where the field's own null is refused, and the model builds unless a layer reads the value.
ALIASED_EXPERTS = {
    "deepseek_v2": ({"model_type": "deepseek_v2", "num_hidden_layers": 1, "num_attention_heads": 1, "hidden_size": 4,
                     "num_key_value_heads": 1, "vocab_size": 2, "moe_intermediate_size": 4, "num_experts_per_tok": 1},
                    "first_k_dense_replace", 1, 0, "n_routed_experts", "num_experts"),
    "deepseek_v3": ({"model_type": "deepseek_v3", "num_hidden_layers": 1, "num_attention_heads": 1, "hidden_size": 4,
                     "num_key_value_heads": 1, "vocab_size": 2, "moe_intermediate_size": 4, "num_experts_per_tok": 1,
                     "n_group": 1, "topk_group": 1},
                    "first_k_dense_replace", 1, 0, "n_routed_experts", "num_local_experts"),
    "glm4_moe": ({"model_type": "glm4_moe", "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1,
                  "hidden_size": 4, "vocab_size": 2, "num_experts_per_tok": 1, "moe_intermediate_size": 4},
                 "first_k_dense_replace", 1, 0, "n_routed_experts", "num_local_experts"),
    "qwen3_moe": ({"model_type": "qwen3_moe", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
                   "num_key_value_heads": 1, "vocab_size": 10, "intermediate_size": 8, "moe_intermediate_size": 4,
                   "num_experts_per_tok": 1, "head_dim": 4},
                  "mlp_only_layers", [0, 1], [0], "num_experts", "num_local_experts"),
    "nemotron_h": ({"model_type": "nemotron_h", "vocab_size": 10, "num_attention_heads": 1, "num_key_value_heads": 1,
                    "hidden_size": 4, "head_dim": 4, "intermediate_size": 4, "num_experts_per_tok": 1,
                    "moe_intermediate_size": 4, "moe_shared_expert_intermediate_size": 4},
                   "hybrid_override_pattern", "*-", "*E", "n_routed_experts", "num_local_experts"),
}


@pytest.mark.parametrize("experts_used", [False, True])
@pytest.mark.parametrize("alias", [False, True])
@pytest.mark.parametrize("model_type", sorted(ALIASED_EXPERTS))
def test_a_null_expert_count_under_an_alias_builds_where_no_layer_reads_it_as_in_transformers(
        model_type, alias, experts_used):
    """The expert count's own null is refused, as transformers' typed field refuses it; an alias's null is
    counted where no layer has experts (transformers builds that model) and refused, naming the alias,
    where one has."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    base, switch, without, with_experts, own, other = ALIASED_EXPERTS[model_type]
    name = other if alias else own
    doc = {**base, switch: with_experts if experts_used else without, name: None}
    theirs = _meta_groups(doc)
    assert (theirs is not None) == (alias and not experts_used), theirs
    if theirs is None:
        with pytest.raises(SymparamsError, match=rf"\b{name}\b.*is null"):
            symparams.families.from_dict(doc, "config")
    else:
        spec = symparams.families.from_dict(doc, "config")
        assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs
        assert spec.total == sum(theirs.values())

ODD_HEADS = {  # width, and head_dim as given (None: null, absent: missing); 8 heads of 7 or 9, or a stated 7
    "56, head_dim null": {"hidden_size": 56, "head_dim": None},
    "56, head_dim missing": {"hidden_size": 56},
    "56, head_dim 7": {"hidden_size": 56, "head_dim": 7},
    "64, head_dim 7": {"hidden_size": 64, "head_dim": 7},
    "72, head_dim missing": {"hidden_size": 72},
    "72, head_dim null": {"hidden_size": 72, "head_dim": None},
    "56, factor 1": {"hidden_size": 56, "partial_rotary_factor": 1.0},
    "64, head_dim 7, factor 1": {"hidden_size": 64, "head_dim": 7, "partial_rotary_factor": 1.0},
    "64, head_dim 7, factor null": {"hidden_size": 64, "head_dim": 7, "partial_rotary_factor": None},
    "64, head_dim 7, factor 0.5 (a half head rotates: refused nowhere)": {"hidden_size": 64, "head_dim": 7,
                                                                          "partial_rotary_factor": 0.5},
    "64, head_dim 7, the table's factor 1": {"hidden_size": 64, "head_dim": 7, "rope_parameters": {
        "rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 1.0}},
}


@pytest.mark.sampled
@pytest.mark.parametrize("case", sorted(ODD_HEADS))
def test_an_odd_rotary_head_is_refused_exactly_where_transformers_refuses_it(case):
    """transformers' RoPE validation refuses a fully rotary head of odd size above 4, reading the head_dim its
    config object holds: always, for some families (their default, or D // H), only a stated one for others.
    Every family refuses such a head where transformers does, and counts the model where transformers builds it."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.verify import meta_parameters

    rotary = "even rotary dimension"
    checked = 0
    for model_type in TABLED:
        doc = {"model_type": model_type, "num_hidden_layers": 1, "vocab_size": 8, "num_attention_heads": 8,
               "num_key_value_heads": 8, "intermediate_size": 16, **ODD_HEADS[case]}
        try:
            theirs: str | int = sum(n for _, n in meta_parameters(doc))
        except SymparamsError as err:
            theirs = str(err)
        try:
            ours: str | int = symparams.families.from_dict(doc, "config").total
        except SymparamsError as err:
            ours = str(err)
        if isinstance(theirs, str) and rotary in theirs:
            checked += 1
            assert isinstance(ours, str), (model_type, ours, theirs)
        if isinstance(ours, str) and rotary in ours:
            assert isinstance(theirs, str), (model_type, ours, theirs)
    assert checked >= (0 if "refused nowhere" in case else 5)


def _theirs_and_ours(doc: dict) -> tuple[str | int, str | int]:
    """transformers' total on the meta device and ours, each a refusal's message where one refuses (an event
    says which way transformers went); skips where torch or transformers is missing."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.verify import meta_parameters

    try:
        theirs: str | int = sum(n for _, n in meta_parameters(json.loads(json.dumps(doc))))
    except SymparamsError as err:
        theirs = str(err)
    try:
        ours: str | int = symparams.families.from_dict(json.loads(json.dumps(doc)), "config").total
    except SymparamsError as err:
        ours = str(err)
    if currently_in_test_context():
        event(f"transformers {'refuses' if isinstance(theirs, str) else 'builds'}")
    return theirs, ours


def _rope_entry(partial):
    return {"rope_type": "default", "rope_theta": 10000.0,
            **({} if partial is None else {"partial_rotary_factor": partial})}


_PARTIALS = st.sampled_from([None, 0.5, 1.0])
_KIND_ENTRIES = st.one_of(st.none(), _PARTIALS.map(_rope_entry))


@st.composite
def _rope_by_layer_kind(draw):
    """A small Gemma 3 or OLMo 3 config: layer kinds listed or by pattern, rope parameters in any of the places
    a config.json may put them, and a head size that is odd, even or left to the class."""
    model_type = draw(st.sampled_from(["gemma3_text", "olmo3"]))
    layers = draw(st.integers(1, 7))
    doc = {"model_type": model_type, "num_hidden_layers": layers, "vocab_size": 8, "hidden_size": 64,
           "num_attention_heads": 8, "num_key_value_heads": 8, "intermediate_size": 16, "sliding_window": 4}
    head = draw(st.sampled_from([None, 7, 8, 9]))
    if head is not None:
        doc["head_dim"] = head
    if draw(st.booleans()):
        doc["layer_types"] = draw(st.lists(st.sampled_from(["sliding_attention", "full_attention"]),
                                           min_size=layers, max_size=layers))
    elif model_type == "gemma3_text" and draw(st.booleans()):
        doc["sliding_window_pattern"] = draw(st.integers(1, 8))
    where = draw(st.sampled_from(["none", "top", "flat", "nested", "legacy"]))
    if where == "top":
        doc["partial_rotary_factor"] = 0.5
    elif where == "flat":
        doc["rope_parameters"] = _rope_entry(draw(_PARTIALS))
    elif where == "nested":
        kinds = draw(st.dictionaries(st.sampled_from(["sliding_attention", "full_attention"]), _KIND_ENTRIES))
        doc["rope_parameters"] = {**{kind: _rope_entry(None) for kind in ("sliding_attention", "full_attention")},
                                  **kinds}
    elif where == "legacy":
        doc["rope_scaling"] = {"rope_type": "linear", "factor": 2.0,
                               **({"partial_rotary_factor": 0.5} if draw(st.booleans()) else {})}
    return doc


@settings(max_examples=60, deadline=None)
@given(doc=_rope_by_layer_kind())
def test_where_rope_parameters_are_kept_per_layer_kind_an_odd_head_is_refused_as_transformers_refuses_it(doc):
    """Gemma 3 and OLMo 3 validate each layer kind their layers use with that kind's own rotary share: a
    top-level share reaches none of them. Whatever the config says, and wherever it says it, a model is
    refused for its odd rotary head exactly when transformers refuses it for that, and otherwise the
    counts agree wherever both build it."""
    rotary = "even rotary dimension"
    theirs, ours = _theirs_and_ours(doc)
    assert (isinstance(theirs, str) and rotary in theirs) == (isinstance(ours, str) and rotary in ours), (ours, theirs)
    if isinstance(theirs, int) and isinstance(ours, int):
        assert ours == theirs


@pytest.mark.parametrize("model_type", TABLED)
@settings(max_examples=10, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(data=st.data())
def test_every_field_of_a_familys_table_is_read_for_every_config(model_type, data):
    """A table lists what the family reads, all of it, whatever the other fields say: a field read only on some
    path would let a null, a non-finite number or a wrong type through on the others."""
    from symparams.config import Config

    config = data.draw(CONFIGS[model_type], label="config")
    family = FAMILIES.by_type[model_type]
    cfg = Config(dict(config), "config", fields=family.fields)
    try:
        family.build(cfg)
        if family.context in family.fields:  # the registry reads the context length after the build
            cfg.get(family.context)
    except SymparamsError:
        return
    assert sorted(set(family.fields.names()) - cfg.read) == []


def test_qwen2_null_key_value_heads_is_h_and_missing_is_32():
    """The silent wrong answer of #11: a Qwen1.5-72B-shaped config with ``num_key_value_heads: null``."""
    doc = {"model_type": "qwen2", "vocab_size": 152064, "hidden_size": 8192, "intermediate_size": 24576,
           "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": None}
    assert symparams.families.from_dict(doc, "config").total == 72_287_920_128  # transformers' count, in the issue
    missing = {k: v for k, v in doc.items() if k != "num_key_value_heads"}
    assert symparams.families.from_dict(missing, "config").total == 66_918_555_648  # 32 key/value heads


def _int_fields(model_type: str, config: dict) -> list[str]:
    """The names in ``config`` that its family's table reads as whole numbers."""
    table = FAMILIES.by_type[model_type].fields
    return sorted(n for f in table if f.kind == "int" for n in f.names
                  if isinstance(config.get(n), int) and not isinstance(config.get(n), bool))


def _with_literal(doc: dict, name: str, literal: str) -> str:
    """``doc`` as JSON text with field ``name`` written as the JSON number ``literal``, exactly as given."""
    text = json.dumps({**doc, name: "\x00literal"})
    return text.replace(json.dumps("\x00literal"), literal)


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TABLED)
@settings(max_examples=8, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(data=st.data())
def test_a_whole_number_written_with_a_fraction_or_exponent_counts_exactly_and_any_other_is_refused(
        model_type, data, tmp_path_factory):
    """A size written ``4096.0``, ``4096e0`` or ``40960e-1`` is 4096 exactly (no binary float on the way) where
    transformers does not type the field, and refused naming it where its class types it a whole number or sizes a
    tensor with it as written (as transformers refuses it); ``4096.0000000000001`` is refused naming the field,
    never rounded to 4096."""
    config = data.draw(CONFIGS[model_type], label="config")
    names = _int_fields(model_type, config)
    if not names:
        return
    name = data.draw(st.sampled_from(names), label="field")
    value = config[name]
    folder = tmp_path_factory.mktemp("exact")
    try:
        expected = symparams.families.from_dict(config, "config").total
    except SymparamsError:
        return
    whole = data.draw(st.sampled_from([f"{value}.0", f"{value}e0", f"{value * 10}e-1", f"{value}.000000000000000000000"]))
    path = write(folder, "whole.json", _with_literal(config, name, whole))
    typed = field_types()[model_type]["fields"].get(name)
    if (typed is not None and not fits(Decimal(whole), typed["type"])) or _field_of(model_type, name).sized:
        with pytest.raises(SymparamsError, match=f"'{name}'.*whole number"):
            symparams.model(str(path))
    else:
        assert symparams.model(str(path)).total == expected
    digits = data.draw(st.integers(1, 40), label="zeros")
    fraction = f"{value}.{'0' * digits}1"
    path = write(folder, "fraction.json", _with_literal(config, name, fraction))
    with pytest.raises(SymparamsError, match=f"'{name}'.*whole number"):
        symparams.model(str(path))


def _whole_at_top(name: str) -> bool:
    """Whether a preset states a whole number of its family's table at its top level (a wrapper may state all of
    them inside its sub-configs: tests/test_families_vision.py writes those with a decimal point)."""
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    doc = read_json(preset_paths()[name])
    fields = FAMILIES.by_type[str(doc.get("model_type"))].fields
    return _stated_flat(name) or any(type(doc.get(n)) is int for f in fields if f.kind == "int" for n in f.names)


@pytest.mark.parametrize("preset", sample([p for p in _one_preset_per_type() if _whole_at_top(p)],
                                          "whole numbers with a decimal point"))
def test_a_whole_number_written_with_a_decimal_point_is_refused_exactly_where_transformers_cannot_build_it(preset):
    """Each whole-number field a preset states, written with a decimal point (128.0): transformers refuses it where
    its class types the field, and where its modules size a tensor with the value as written (an untyped head_dim);
    elsewhere it computes with it (a layer interval). Refused exactly where transformers cannot build the model;
    anything counted is what transformers builds."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.catalog import preset_paths
    from symparams.config import read_json

    doc = read_json(preset_paths()[preset])
    assert isinstance(doc, dict)
    fields = FAMILIES.by_type[doc["model_type"]].fields
    names = [n for f in fields if f.kind == "int" for n in f.names if type(doc.get(n)) is int]
    assert names or doc["model_type"] in ("mpt", "dbrx"), preset
    for name in names:
        changed = {**doc, name: float(doc[name])}
        theirs = _meta_groups(changed)
        try:
            spec = symparams.families.from_dict(changed, "config")
        except SymparamsError as refused:
            assert theirs is None, f"{preset} {name}: transformers builds what is refused: {refused}"
            continue
        assert theirs is not None, f"{preset} {name}: transformers refuses what is counted"
        assert {g: n for g, n in spec.breakdown().groups().items() if n} == theirs, (preset, name)


@pytest.mark.parametrize("literal, expected", [("9007199254740993", 9007199254740993), ("10" + "0" * 40, 10**41)])
def test_a_vocabulary_past_two_to_the_53_counts_to_the_last_digit(literal, expected, tmp_path):
    """JSON numbers are read as the numbers they are: 2^53 + 1 is not 2^53."""
    doc = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128,
           "num_hidden_layers": 1}
    spec = symparams.model(str(write(tmp_path, "config.json", _with_literal(doc, "vocab_size", literal))))
    assert spec.env[symparams.symbols.V] == expected
    small = symparams.families.from_dict({**doc, "vocab_size": 1}, "config")
    assert spec.total == small.total + (expected - 1) * 64 * 2


@pytest.mark.parametrize("literal", ["9007199254740993.0", "9.007199254740993e15", "1e40"])
def test_a_vocabulary_written_as_a_decimal_is_refused_never_rounded(literal, tmp_path):
    """transformers' LlamaConfig types vocab_size a whole number and refuses a decimal; so does symparams,
    naming it, and never as a rounded 2^53."""
    doc = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128,
           "num_hidden_layers": 1}
    with pytest.raises(SymparamsError, match="'vocab_size'"):
        symparams.model(str(write(tmp_path, "config.json", _with_literal(doc, "vocab_size", literal))))


def test_a_width_a_hair_above_a_whole_number_is_refused(tmp_path):
    doc = {"model_type": "llama"}
    path = write(tmp_path, "config.json", _with_literal(doc, "hidden_size", "4096.0000000000001"))
    with pytest.raises(SymparamsError, match="'hidden_size'.*4096.0000000000001"):
        symparams.model(str(path))


def test_a_python_float_past_two_to_the_53_is_refused_as_possibly_rounded():
    """A dict given to the API may hold a binary float, already rounded before it reaches the reader: past 2^53
    an integral float is not known to be the number meant, so it is refused; below, it is refused as
    transformers' class refuses a float where it types a whole number."""
    with pytest.raises(SymparamsError, match="'vocab_size'.*2\\^53 or more"):
        symparams.families.from_dict({"model_type": "llama", "vocab_size": 9007199254740993.0}, "config")
    with pytest.raises(SymparamsError, match="'vocab_size'.*whole number"):
        symparams.families.from_dict({"model_type": "llama", "vocab_size": 32000.0}, "config")


# The bare constants json.loads takes, and the objects transformers saves them as and reads back as floats.
NON_FINITE = ["Infinity", "-Infinity", "NaN", *(f'{{"__float__": "{c}"}}' for c in ("Infinity", "-Infinity", "NaN"))]


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TABLED)
@settings(max_examples=8, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(data=st.data())
def test_infinity_and_nan_are_refused_in_fields_that_shape_the_model_and_accepted_elsewhere(
        model_type, data, tmp_path_factory):
    """transformers writes ``Infinity`` into some configs (Falcon-H1's time_step_limit). A non-finite number in a
    field the family reads as a size, switch or name is refused naming it; in a field that shapes nothing
    (an unknown key, a dropout, a limit inside a list) the count is the same as without it."""
    config = data.draw(CONFIGS[model_type], label="config")
    folder = tmp_path_factory.mktemp("nonfinite")
    try:
        expected = symparams.families.from_dict(config, "config").total
    except SymparamsError:
        return
    literal = data.draw(st.sampled_from(NON_FINITE), label="literal")
    table = FAMILIES.by_type[model_type].fields
    shaping = sorted(n for f in table if f.kind in ("int", "bool", "str", "number") for n in f.names)
    if not shaping:  # a wrapper whose top level holds its configs alone (Mllama's): their fields are tested apart
        return
    name = data.draw(st.sampled_from(shaping), label="field")
    doc = {k: v for k, v in config.items() if k not in _field_of(model_type, name).names}
    path = write(folder, "shaping.json", _with_literal(doc, name, literal))
    with pytest.raises(SymparamsError, match=repr(name)):
        symparams.model(str(path))
    other = data.draw(st.sampled_from(["attention_dropout_limit", "some_unread_field", "time_step_limit"]))
    if other in table.names():
        return
    text = _with_literal(config, other, f"[0.0, {literal}]" if other == "time_step_limit" else literal)
    assert symparams.model(str(write(folder, "elsewhere.json", text))).total == expected


# ---- transformers agrees with every config we accept ------------------------------


def _transformers_total(doc: dict) -> int | None:
    from symparams.verify import meta_parameters

    try:
        return sum(n for _, n in meta_parameters(doc))
    except SymparamsError:
        return None


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", AVAILABLE)
def test_a_config_using_transformers_aliases_is_counted_as_transformers_builds_it_or_refused(model_type):
    """transformers' configs accept other names for some fields (``num_experts`` for Mixtral's
    ``num_local_experts``); a reader that ignores such a name would count a different model."""
    pytest.importorskip("torch", reason="torch is not installed")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    try:
        aliases = transformers.CONFIG_MAPPING[model_type].attribute_map
    except KeyError:
        pytest.skip(f"transformers has no {model_type} config")
    base = base_config(model_type)
    for alias, field in aliases.items():
        current = base.get(field, base.get(alias))
        value = 1 if field in ("num_attention_heads", "num_key_value_heads") or not isinstance(current, int) \
            else max(current // 2, 1)
        for doc in ({**base, alias: value}, {**{k: v for k, v in base.items() if k != field}, alias: value}):
            try:
                ours = symparams.families.from_dict(doc, "config").total
            except SymparamsError:
                continue
            theirs = _transformers_total(doc)
            if theirs is not None:
                assert ours == theirs, (model_type, alias, value)


def test_a_valid_count_writes_no_message_text_and_a_refused_one_still_names_the_relation(monkeypatch):
    """Checking a valid model's derived sizes prints nothing (message text is made only for an error, so it
    costs a count nothing); a size a relation makes fractional is still refused naming that relation."""
    from sympy.printing.str import StrPrinter

    printed = []
    doprint = StrPrinter.doprint
    monkeypatch.setattr(StrPrinter, "doprint", lambda self, expr: printed.append(expr) or doprint(self, expr))
    for depth in (4, 12, 20):
        assert symparams.model("nanochat", depth=depth).total > 0
    assert printed == []
    monkeypatch.undo()
    with pytest.raises(SymparamsError, match=r"^nanochat d20: F = 1280/3 \(F = D\*e\) is not a whole number$"):
        assert symparams.model("nanochat", depth=20, e=Fraction(1, 3)).total


# The field each family names its MLP activation by (BLOOM's is fixed).
ACTIVATION_FIELD = {
    **{t: "hidden_act" for t in ("llama", "mistral", "mixtral", "qwen2", "gemma", "nanochat", "gpt_neox", "phi")},
    **{t: "activation_function" for t in ("gpt2", "opt", "gptj")},
    "falcon": "activation",
}


@pytest.mark.parametrize("model_type", sorted(ACTIVATION_FIELD))
def test_an_activation_transformers_does_not_know_or_that_has_weights_is_refused_naming_the_field(model_type):
    """An unknown activation name makes transformers raise KeyError, so it is refused, naming the field and the
    known names; one with weights of its own (prelu) would add parameters no tree counts, so it is refused too.
    A known weightless one (relu) is counted as transformers builds it."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    field, base = ACTIVATION_FIELD[model_type], base_config(model_type)
    for name, why in (("no_such_activation", "known: gelu"), ("prelu", "learned parameters")):
        doc = {**base, field: name}
        with pytest.raises(SymparamsError, match=f"field '{field}': '{name}' .*{why}"):
            symparams.families.from_dict(doc, "config")
        theirs = _transformers_total(doc)
        if name == "prelu":
            assert theirs is not None  # transformers builds it, with weights the tree lacks
        else:
            assert theirs is None
    doc = {**base, field: "relu"}
    assert symparams.families.from_dict(doc, "config").total == _transformers_total(doc)


def test_the_activation_table_is_transformers_own():
    """The shared table lists exactly transformers' ACT2FN names, each with the weights one instance holds
    (a transformers upgrade that adds or changes one fails here)."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from transformers.activations import ACT2FN

    from symparams.families.activations import ACTIVATIONS

    assert set(ACTIVATIONS) == set(ACT2FN)
    for name, learned in ACTIVATIONS.items():
        assert sum(p.numel() for p in ACT2FN[name].parameters()) == learned, name


def _json_types(annotation) -> set[str]:
    """The JSON types a config class's annotation admits besides null: int, float, str, list or object."""
    import typing

    if annotation is type(None):
        return set()
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if args and origin not in (list, tuple, dict):  # a union
        return set().union(*(_json_types(a) for a in args))
    base = origin or annotation
    return {int: {"int"}, float: {"float"}, str: {"str"}, list: {"list"}, tuple: {"list"}}.get(base, {"object"})


def test_a_field_read_as_any_value_admits_the_types_transformers_config_annotates():
    """A field whose kind is "any" is limited to the JSON types its config class declares (DeepseekV2Config's
    n_group is int | None, so true is refused), and a number to a float where the class declares one alone
    (its float fields refuse 8); where the class declares nothing, any value passes, as there."""
    pytest.importorskip("transformers", reason="transformers is not installed")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    checked = 0
    for fam in FAMILIES:
        for model_type in (t for t in fam.model_types if t in CONFIG_MAPPING):
            hints: dict = {}
            for klass in reversed(CONFIG_MAPPING[model_type].__mro__):
                hints.update(getattr(klass, "__annotations__", {}))
            for f in (f for f in fam.fields if f.kind in ("any", "number")):
                declared = next((hints[n] for n in f.names if n in hints), None)
                if declared is None or isinstance(declared, str):
                    continue
                wanted = _json_types(declared)
                if f.kind == "number":
                    wanted = {"float"} if wanted == {"float"} else set()
                assert set(f.types) == wanted, (model_type, f.name, declared)
                checked += 1
    assert checked >= 30, checked


def test_the_layer_kind_and_rope_key_tables_are_transformers_own():
    """The layer kinds, their older names and the keys each rope_type requires are transformers' own (an
    upgrade that changes one fails here): each validator, given a bare rope_type, names the keys it misses."""
    pytest.importorskip("transformers", reason="transformers is not installed")
    import ast

    from transformers import LlamaConfig, configuration_utils

    from symparams.families.layer_lists import ATTENTION_KINDS, LEGACY_NAMES, MLP_KINDS
    from symparams.families.rope import REQUIRED_KEYS

    assert ATTENTION_KINDS == configuration_utils.ALLOWED_ATTN_LAYER_TYPES
    assert MLP_KINDS == configuration_utils.ALLOWED_MLP_LAYER_TYPES
    assert LEGACY_NAMES == configuration_utils._LEGACY_LAYER_TYPE_REMAP
    config = LlamaConfig()
    prefix, suffix = "_validate_", "_rope_parameters"
    types = [n[len(prefix):-len(suffix)] for n in dir(config) if n.startswith(prefix) and n.endswith(suffix)]
    assert set(REQUIRED_KEYS) <= set(types)
    for rope_type in types:
        try:
            getattr(config, f"{prefix}{rope_type}{suffix}")({"rope_type": rope_type})
            missing = set()
        except KeyError as err:
            missing = ast.literal_eval(str(err.args[0]).rsplit(": ", 1)[1])
        assert missing == set(REQUIRED_KEYS.get(rope_type, ())), rope_type


def test_the_rope_value_tables_are_transformers_own():
    """The rope types our rotary families compute are transformers' own. Each family's default rope table is
    what its class makes with no arguments, and holds the keys the class keeps whatever the top level says; a
    family reads a share of each head to rotate where its class's own table holds one."""
    pytest.importorskip("transformers", reason="transformers is not installed")
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    from symparams.families.rope import COMPUTED

    assert set(COMPUTED) == {"default", *ROPE_INIT_FUNCTIONS}
    for model_type in TABLED:
        family = FAMILIES.by_type[model_type]
        if family.rotary != "flat":
            continue
        config = CONFIG_MAPPING[model_type]
        theirs = config().rope_parameters
        ours = dict(family.rope_default)
        assert ours.items() <= theirs.items(), model_type
        assert ours.get("rope_type", "default") == theirs["rope_type"], model_type
        assert family.rope_share == ("partial_rotary_factor" in theirs), model_type
        for key, value in (("rope_theta", 3.0), ("partial_rotary_factor", 0.3)):
            taken = config(**{key: value}).rope_parameters.get(key) == value
            if key == "partial_rotary_factor" and family.rope_share_field is None:  # a share the class works out
                assert not taken, model_type  # from its sizes (Mistral 4's), whatever the top level says
                continue
            assert taken == (key not in ours), (model_type, key)


@pytest.mark.parametrize("model_type", ["qwen3_next", "glm4_moe", "stablelm"])
def test_the_share_of_each_head_that_rotates_is_read_where_transformers_reads_it(model_type):
    """A share stated in the rope table outranks one at the top level, a rope_scaling table replaces
    rope_parameters whole, and a top-level null removes the class's own share (the whole head rotates): the
    share we read is the one transformers' rotary embedding reads, in every combination."""
    pytest.importorskip("transformers", reason="transformers is not installed")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    from symparams.config import Config
    from symparams.families.rope import partial_rotary_factor

    config = CONFIG_MAPPING[model_type]
    default = config().rope_parameters["partial_rotary_factor"]
    tops = [{}, {"partial_rotary_factor": 0.75}, {"partial_rotary_factor": None}]
    tables = [{}, {"rope_parameters": {"rope_type": "default", "rope_theta": 1e4, "partial_rotary_factor": 0.5}},
              {"rope_scaling": {"rope_type": "linear", "factor": 2.0}},
              {"rope_scaling": {"rope_type": "linear", "factor": 2.0, "partial_rotary_factor": 1.0},
               "rope_parameters": {"rope_type": "default", "partial_rotary_factor": 0.5}}]
    for top in tops:
        for table in tables:
            doc = {**top, **table}
            theirs = config(**json.loads(json.dumps(doc))).rope_parameters.get("partial_rotary_factor", 1.0)
            assert partial_rotary_factor(Config(doc, "config"), default) == theirs, doc


_PAIRS = {"short_factor": [1.0] * 4, "long_factor": [1.0] * 4}
_MSCALES = {"short_mscale": 1.0, "long_mscale": 1.0}
_PHI_ROPE = {
    "no table": {},
    "su": {"rope_scaling": {"type": "su", **_PAIRS}},
    "su with its context": {"rope_scaling": {"type": "su", **_PAIRS, "original_max_position_embeddings": 64}},
    "yarn read as longrope": {"rope_scaling": {"type": "yarn", **_PAIRS}},
    "yarn with a factor": {"rope_scaling": {"type": "yarn", "factor": 2.0, **_MSCALES}},
    "longrope": {"rope_scaling": {"type": "longrope", **_PAIRS}},
    "longrope with mscales": {"rope_scaling": {"type": "longrope", **_PAIRS, **_MSCALES}},
    "a text mscale": {"rope_scaling": {"type": "longrope", **_PAIRS, **_MSCALES, "short_mscale": "x"}},
    "a factor short": {"rope_scaling": {"type": "longrope", **_PAIRS, "short_factor": [1.0] * 3}},
    "linear": {"rope_scaling": {"type": "linear", "factor": 2.0}},
    "linear with mscales": {"rope_scaling": {"type": "linear", "factor": 2.0, **_MSCALES}},
    "text factors": {"rope_scaling": {"type": "longrope", **_PAIRS, "long_factor": ["x"] * 4}},
    "a null factor list": {"rope_scaling": {"type": "longrope", **_PAIRS, "long_factor": None}},
    "half rotary, four pairs": {"partial_rotary_factor": 0.5, "rope_scaling": {"type": "longrope", **_PAIRS}},
    "half rotary, two pairs": {"partial_rotary_factor": 0.5,
                               "rope_scaling": {"type": "longrope", "short_factor": [1.0] * 2, "long_factor": [1.0] * 2}},
    "a null share": {"partial_rotary_factor": None},
    "a null share beside the table's": {"partial_rotary_factor": None,
                                        "rope_parameters": {"rope_type": "default", "partial_rotary_factor": 0.5}},
}


@pytest.mark.parametrize("model_type", ["phi3", "phimoe"])
@pytest.mark.parametrize("case", sorted(_PHI_ROPE))
def test_phi_classes_own_rope_rules_are_kept(model_type, case):
    """Phi-3's class reads su and yarn as longrope, rotates with no other type, and takes one short and one long
    factor per rotary pair; PhiMoE's needs short_mscale and long_mscale beside any type but default. We count
    where transformers builds and refuse in one line where it refuses."""
    doc = {"model_type": model_type, "num_hidden_layers": 2, "vocab_size": 64, "hidden_size": 32,
           "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 32, "max_position_embeddings": 128,
           "original_max_position_embeddings": 64, "pad_token_id": 0, **_PHI_ROPE[case]}
    theirs, ours = _theirs_and_ours(doc)
    if isinstance(theirs, int):
        assert ours == theirs
    else:
        assert isinstance(ours, str) and "\n" not in ours, theirs


@pytest.mark.parametrize("model_type", ["bert", "xglm", "afmoe", "internlm3"])
@pytest.mark.parametrize("theta", ["x", None])
def test_a_learned_family_checks_rope_values_only_where_its_class_keeps_rope_parameters(model_type, theta):
    """A learned family knows from its class's learned defaults whether it keeps rope parameters: BERT and XGLM
    do not (a text rope_theta is just an unread field there, and counted), AFMoE and InternLM3 do (their rotary
    embeddings cannot compute with it, and it is refused), as transformers does."""
    pytest.importorskip("transformers", reason="transformers is not installed")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    doc = {**CONFIG_MAPPING[model_type]().to_dict(), "model_type": model_type, "rope_theta": theta}
    theirs, ours = _theirs_and_ours(json.loads(json.dumps(doc, default=str)))
    if isinstance(theirs, int):
        assert ours == theirs
    else:
        assert isinstance(ours, str) and "rope_theta" in ours, (ours, theirs)


# ---- nothing runs, nothing hangs (separate processes) ------------------------------


def run_process(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symparams", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


HOSTILE_SETS = [
    "D=__import__('os').system('touch pwned')",
    "D=D.__class__",
    "D=lambda: 0",
    "F=exec('open(\"pwned\", \"w\")')",
    "F=9^9^9^9",
    "F=(D+H+L+V)^64",
    "F=((D^64)^64)^64",
    "F=" + "(" * 5000 + "D" + ")" * 5000,
    "F=" + "1" * 100_000,
    "F=" + "D*" * 50_000 + "D",
]


@pytest.mark.parametrize("item", sample(HOSTILE_SETS, "hostile sets"), ids=lambda s: s[:30])
def test_hostile_set_values_run_nothing_and_answer_promptly(item, tmp_path):
    proc = run_process(["count", "nanochat", "--set", item], tmp_path, timeout=60)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_hostile_library_overrides_run_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for value in ("__import__('os').system('touch pwned')", 2.5, True, "D.__class__"):
        with pytest.raises(SymparamsError):
            symparams.model("nanochat", D=value)
    assert list(tmp_path.iterdir()) == []


def test_hostile_strings_inside_a_config_run_nothing(tmp_path):
    doc = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128,
           "num_hidden_layers": 2, "vocab_size": 100,
           "auto_map": {"AutoModelForCausalLM": "modeling_evil.Evil"}, "_name_or_path": "__import__('os')",
           "hidden_act": "__import__('os').system('touch pwned')", "rope_scaling": {"type": "exec('x')"}}
    (tmp_path / "modeling_evil.py").write_text("open('pwned', 'w')\n")
    write(tmp_path, "config.json", doc)
    proc = run_process(["count", "config.json", "--json"], tmp_path)
    assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr
    assert not (tmp_path / "pwned").exists()


def test_a_fifo_as_config_does_not_hang_the_process(tmp_path):
    os.mkfifo(tmp_path / "config.json")
    proc = run_process(["count", "config.json"], tmp_path, timeout=60)
    assert proc.returncode == 2 and "config.json" in proc.stderr and len(proc.stderr.splitlines()) == 1


_LAYER_FIELDS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers")
_ROPE_TABLES = {
    "linear": {"rope_type": "linear", "factor": 2.0}, "dynamic": {"type": "dynamic", "factor": 2.0},
    "yarn": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64},
    "llama3": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 64},
    "longrope": {"rope_type": "longrope", "short_factor": [1.0], "long_factor": [2.0],
                 "original_max_position_embeddings": 64},
}




@st.composite
def _listed_or_scaled(draw):
    """A real family's config with its per-layer lists, or its rope parameters, written well or badly: kinds
    most families build (under older names too) or no family does, one per layer or not, a required rope key
    left out. (A kind transformers knows but the family has no layer for, Llama 4's sliding attention, is
    refused by the family's own reader, and Zamba 2 refuses any ``layer_types``: transformers reads it only
    after placing the adapters.)"""
    model_type = draw(st.sampled_from(TABLED))
    doc = draw(CONFIGS[model_type])
    layers = next((doc[k] for k in _LAYER_FIELDS if type(doc.get(k)) is int), 2)
    length = st.sampled_from([layers, layers, max(layers - 1, 1), layers + 1])
    if model_type != "zamba2" and draw(st.booleans()):
        kinds = st.sampled_from(["full_attention", "sliding_attention", "attention", "bogus"])
        doc["layer_types"] = draw(st.one_of(st.none(), length.flatmap(lambda n: st.lists(kinds, min_size=n,
                                                                                         max_size=n))))
        if draw(st.booleans()):
            doc["mlp_layer_types"] = draw(length.flatmap(
                lambda n: st.lists(st.sampled_from(["dense", "sparse", "bogus"]), min_size=n, max_size=n)))
    else:
        table = dict(_ROPE_TABLES[draw(st.sampled_from(sorted(_ROPE_TABLES)))])
        if draw(st.booleans()):
            table.pop(draw(st.sampled_from(sorted(k for k in table if k not in ("rope_type", "type")))))
        doc[draw(st.sampled_from(["rope_scaling", "rope_parameters"]))] = table
    return model_type, doc


# How transformers' validation of these fields words its refusals, and how ours does.
_THEIR_RULES = ("Missing required keys", "layer_types", "no setter")
_OUR_RULES = ("transformers knows", "one entry per layer", "is read-only", "which transformers requires")


_BAD_VALUES = st.sampled_from(["x", None, [1.0], ["x"]])
_ROPE_KEYS = ("rope_theta", "partial_rotary_factor", "factor", "original_max_position_embeddings", "beta_fast",
              "beta_slow", "low_freq_factor", "high_freq_factor", "short_factor", "long_factor")


@st.composite
def _malformed_rope(draw):
    """A real family's config whose rope parameters are not what transformers computes with: a table that is
    not an object, an unknown rope type, or one value of a well-formed table (or the top level's rope_theta or
    partial_rotary_factor) that is text, null or a list; and the same config with the table well formed."""
    model_type = draw(st.sampled_from(TABLED))
    doc = draw(CONFIGS[model_type])
    for name in ("rope_scaling", "rope_parameters", "rope_theta", "partial_rotary_factor"):
        doc.pop(name, None)
    where = draw(st.sampled_from(["rope_scaling", "rope_parameters"]))
    table = dict(draw(st.sampled_from([{"rope_type": "default"}, *_ROPE_TABLES.values()])))
    sound = {**doc, where: dict(table)}
    how = draw(st.sampled_from(["shape", "type", "value", "value", "top"]))
    if how == "shape":
        doc[where] = draw(st.sampled_from([[table], "linear", 2.0]))
    elif how == "type":
        doc[where] = {**table, "rope_type": draw(st.sampled_from(["bogus", 5, None]))}
    elif how == "value":
        table[draw(st.sampled_from(_ROPE_KEYS))] = draw(_BAD_VALUES)
        doc[where] = table
    else:
        doc[draw(st.sampled_from(["rope_theta", "partial_rotary_factor"]))] = draw(_BAD_VALUES)
        sound = {k: v for k, v in doc.items() if k not in ("rope_theta", "partial_rotary_factor")}
    return model_type, doc, sound


# Their classes merge rope_scaling into the full-attention entry with dict.update, which also takes a list of
# key/value pairs (a list of two-key objects builds, with nonsense keys); we refuse a list as not rope parameters.
_MERGE_PAIRS = ("gemma3_text", "olmo3")
_OUR_VALUE_RULES = ("not an object of rope parameters", "rotary embeddings compute", "cannot compute with it")


@settings(max_examples=80, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(case=_malformed_rope())
def test_rope_values_transformers_cannot_compute_with_are_refused_in_any_family(case):
    """A rope table that is not an object, a rope type transformers does not know, and values its validation
    compares or a rotary embedding computes with given as text, null or a list: where transformers builds the
    model anyway we count it as it does, and where only the malformed value stops it, we refuse in one line."""
    model_type, doc, sound = case
    theirs, ours = _theirs_and_ours(doc)
    if isinstance(theirs, int) and isinstance(doc.get("rope_scaling"), list) and model_type in _MERGE_PAIRS:
        event("a list as rope_scaling, which Gemma 3's and OLMo 3's classes merge as key/value pairs: refused")
        assert isinstance(ours, str) and "not an object" in ours, (model_type, ours)
    elif isinstance(theirs, int):
        assert ours == theirs, (model_type, ours)
    elif isinstance(_theirs_and_ours(sound)[0], str):
        event("transformers cannot build the well-formed table either")
    else:
        assert isinstance(ours, str) and "\n" not in ours, (model_type, ours, theirs)
    if isinstance(ours, str) and any(rule in ours for rule in _OUR_VALUE_RULES) and not (
            model_type in _MERGE_PAIRS and isinstance(doc.get("rope_scaling"), list)):
        assert isinstance(theirs, str), (model_type, ours, theirs)


@settings(max_examples=80, suppress_health_check=FIXTURE_HEALTH, deadline=None)
@given(case=_listed_or_scaled())
def test_layer_lists_and_rope_keys_are_refused_where_transformers_refuses_them_in_any_family(case):
    """Every config class validates layer_types, mlp_layer_types and the keys each rope_type needs, whether or
    not its model reads them. A family's config with any of them written well or badly is counted as
    transformers builds it, and refused in one line naming the field where transformers refuses it."""
    model_type, doc = case
    theirs, ours = _theirs_and_ours(doc)
    if isinstance(theirs, int) and isinstance(ours, str) and "is not a layer" in ours and any(
            repr(kind) in ours for kind in ATTENTION_KINDS):
        event("a kind transformers knows and this family has no layer for: refused")
    elif isinstance(theirs, int) and isinstance(ours, str) and "conflicting values for the same field" in ours:
        event("a list under two of its names with different values (Nemotron-H's layer_types): refused")
    elif isinstance(theirs, int) and isinstance(ours, str) and "window of 0 tokens" in ours:
        event("sliding layers listed with use_sliding_window false (a window of 0 tokens): refused")
    elif isinstance(theirs, int):
        assert ours == theirs, (model_type, ours)
    if isinstance(theirs, str) and any(rule in theirs for rule in _THEIR_RULES):
        assert isinstance(ours, str) and "\n" not in ours, (model_type, ours, theirs)
    if isinstance(ours, str) and any(rule in ours for rule in _OUR_RULES):
        assert isinstance(theirs, str), (model_type, ours, theirs)


@pytest.mark.sampled
@pytest.mark.parametrize("name", ["decoder", "generator", "text_config", "text_encoder"])
@pytest.mark.parametrize("model_type", ["llama", "qwen3", "mixtral", "gpt2", "olmo2", "llava"])
def test_a_text_config_a_text_only_class_makes_no_config_of_is_refused_as_transformers_cannot_build_from_it(
        model_type, name):
    """transformers builds a causal LM from the text config that ``get_text_config`` finds: any non-null field named
    decoder, generator or text_config (text_encoder is the encoder's, never a causal LM's). A class that declares no
    such field keeps the file's value as it is, and the build fails on it; a null is no text config at all. Each value
    is refused exactly where transformers builds no model, and counted as transformers counts it elsewhere."""
    base = {"model_type": model_type, "num_hidden_layers": 1, "vocab_size": 64, "hidden_size": 32,
            "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 64, "n_embd": 32, "n_layer": 1,
            "n_head": 4}
    if model_type == "llava":
        base = {"model_type": "llava", "text_config": {"model_type": "llama", **{k: v for k, v in base.items()
                                                                                 if k != "model_type"}}}
    for value in ({}, {"hidden_size": 8}, 1, "text", [], False, None):
        doc = {**base, name: value} if not (model_type == "llava" and name == "text_config") else base
        theirs, ours = _theirs_and_ours(doc)
        assert isinstance(theirs, str) == isinstance(ours, str), (value, theirs, ours)
        if not isinstance(ours, str):
            assert ours == theirs


_STATED_HEAD_ONLY = {  # families whose rope validation and rotary embedding read a head_dim only where a file states one
    "deepseek_v3": {"model_type": "deepseek_v3", "num_hidden_layers": 1, "vocab_size": 64, "hidden_size": 32,
                    "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 64,
                    "moe_intermediate_size": 16, "n_routed_experts": 4, "num_experts_per_tok": 2, "n_group": 1,
                    "topk_group": 1, "q_lora_rank": 16, "kv_lora_rank": 16, "qk_rope_head_dim": 8,
                    "qk_nope_head_dim": 8, "v_head_dim": 8},
    "olmo2": {"model_type": "olmo2", "num_hidden_layers": 1, "vocab_size": 64, "hidden_size": 32,
              "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 64},
    "granite": {"model_type": "granite", "num_hidden_layers": 1, "vocab_size": 64, "hidden_size": 32,
                "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 64},
}


@pytest.mark.parametrize("head_dim", [-1, -6, "8", [8]])
@pytest.mark.parametrize("model_type", sorted(_STATED_HEAD_ONLY))
def test_a_stated_head_dim_no_rotary_embedding_can_be_made_of_is_refused_even_where_no_layer_reads_it(
        model_type, head_dim):
    """DeepSeek-V3's layers size their heads from the latent attention's fields, yet its rope validation compares a
    stated head_dim with 4 and its rotary embedding takes arange(0, head_dim, 2): text, or a negative width, builds no
    model. Such a head_dim is refused wherever transformers refuses it, in families whose layers read it too."""
    theirs, ours = _theirs_and_ours({**_STATED_HEAD_ONLY[model_type], "head_dim": head_dim})
    assert isinstance(theirs, str), theirs
    assert isinstance(ours, str), ours


@pytest.mark.sampled
@pytest.mark.parametrize("name", ["layer_types", "mtp_layer_types"])
@pytest.mark.parametrize("model_type", ["llava", "llama", "qwen3", "gemma2", "mamba", "qwen3_next"])
def test_layer_kinds_transformers_cannot_look_up_are_refused_in_every_model_type(model_type, name):
    """Every config class renames legacy layer kinds as it loads, looking each one up in a table: a value that is not
    a list, text or object, or a list holding a list or an object, makes no config in any model type, even one whose
    layers never read it. Each is refused where transformers refuses it."""
    from symparams.catalog import preset_paths

    presets = {"llava": "llava-1.5-7b-hf", "llama": "llama-2-7b", "qwen3": "qwen3-0.6b", "gemma2": "gemma-2-2b",
               "mamba": "mamba-130m", "qwen3_next": "qwen3-next-80b-a3b-instruct"}
    doc = json.loads(Path(preset_paths()[presets[model_type]]).read_text())
    for value in (3, True, 0.5, [["full_attention"]], [{"kind": "full_attention"}]):
        theirs, ours = _theirs_and_ours({**doc, name: value})
        assert isinstance(theirs, str), (value, theirs)
        assert isinstance(ours, str) and name in ours, (value, ours)


@pytest.mark.parametrize("value", ["0.5", [0.5], {"share": 0.5}, True, None, 0.25])
@pytest.mark.parametrize("preset", ["olmo-3-1025-7b", "gemma-3-4b-it"])
def test_a_top_level_share_a_scaled_layer_kind_computes_with_is_refused_where_it_is_no_number(preset, value):
    """OLMo 3 and Gemma 3 keep rope parameters by layer kind; a kind whose table is scaled (YaRN, linear) still
    computes its rotary width with the top level's partial_rotary_factor. Text, a list or an object there builds no
    model; a bool, a null or a number builds it. Refused and counted exactly as transformers does."""
    from symparams.catalog import preset_paths

    doc = json.loads(Path(preset_paths()[preset]).read_text())
    (doc["text_config"] if "text_config" in doc else doc)["partial_rotary_factor"] = value
    theirs, ours = _theirs_and_ours(doc)
    assert isinstance(theirs, str) == isinstance(ours, str), (theirs, ours)
    assert ours == theirs or isinstance(ours, str)


@pytest.mark.sampled
@pytest.mark.parametrize("scaling", [None, {}, {"rope_type": "linear", "factor": 8.0}])
@pytest.mark.parametrize("parameters", [None, {}, {"rope_type": "default", "rope_theta": 10000.0},
                                        {"full_attention": None}, {"full_attention": {"rope_type": "default"}}])
@pytest.mark.parametrize("preset", ["olmo-3-1025-7b", "gemma-3-270m", "gemma-3-4b-it"])
def test_a_rope_scaling_a_class_by_layer_kind_cannot_merge_is_refused(preset, parameters, scaling):
    """Gemma 3 and OLMo 3 merge a rope_scaling into the full-attention table of the file's rope_parameters (their
    own tables where the file states none): beside parameters without that table, no config is made. Refused
    exactly where transformers cannot make it, and counted as it builds elsewhere."""
    from symparams.catalog import preset_paths

    doc = json.loads(Path(preset_paths()[preset]).read_text())
    text = doc["text_config"] if "text_config" in doc else doc
    text.update({"rope_parameters": parameters, "rope_scaling": scaling})
    theirs, ours = _theirs_and_ours(doc)
    assert isinstance(theirs, str) == isinstance(ours, str), (theirs, ours)
    assert ours == theirs or isinstance(ours, str)
