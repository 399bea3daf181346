"""Every command finishes in bounded time and memory on any input, or refuses it up front.

Each command line runs in its own process under a wall-clock limit and an
address-space limit (``resource.RLIMIT_AS``), the way a user's shell would run it. A
run passes when it ends within the budget with exit status 0 (an answer), 1 (a
verification mismatch) or 2 (a one-line refusal), and never prints a traceback.
The argument vectors are drawn by Hypothesis from the commands, models and options the
CLI offers, with sizes from the ordinary to the absurd; the inputs that once hung are
listed first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest
from budget import sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SECONDS = 60
MEMORY = 3 * 2**30

ONCE_HUNG = [
    ["optimal", "--params", "1e40*1e40", "nanochat"],
    ["optimal", "--params", "1e60", "llama-2-7b"],
    ["optimal", "--params", "100003454017939046399", "nanochat"],
    ["derive", "nanochat", "--set", "D=2^40", "--set", "H=2^40"],
    ["derive", "nanochat", "--set", "H=1", "--set", "F=(H+e)^63"],
    ["sweep", "nanochat", "--set", "H=1", "--set", "F=(H+e)^63", "--grid", "L=1:3"],
    ["sensitivity", "nanochat", "--set", "H=1", "--set", "F=(H+e)^63"],
    ["table", "nanochat", "--depths", "1:20001"],
    ["memory", "nanochat", "--set", "V=10^49", "--seq", "10^40"],
    ["count", "nanochat", "--set", "e=1e-60"],
    ["optimal", "--compute", "1e-60", "nanochat"],
    ["memory", "nanochat", "--set", "L=10^50", "--set", "D=10^49", "--set", "H=10^49", "--seq", "1e60", "--batch",
     "1e60", "--attention", "eager", "--mask-bytes", "1e60", "--dropout", "attention"],
    ["learn", "llama", "--probes", "10^6"],
]


def _limit() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(argv: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1"}
    seconds = LEARN_SECONDS if argv[:1] == ["learn"] else SECONDS
    # A fresh working folder, so that a command writing a file (plot -o) leaves the checkout alone.
    with tempfile.TemporaryDirectory(prefix="symparams-budget-") as cwd:
        try:
            return subprocess.run([sys.executable, "-m", "symparams", *argv], capture_output=True, text=True,
                                  timeout=seconds, preexec_fn=_limit, env=env, stdin=subprocess.DEVNULL, cwd=cwd)
        except subprocess.TimeoutExpired:
            pytest.fail(f"symparams {' '.join(argv)} ran past {seconds} s")


def check(argv: list[str]) -> None:
    out = run(argv)
    assert "Traceback" not in out.stderr, f"symparams {' '.join(argv)}:\n{out.stderr[-2000:]}"
    assert out.returncode in (0, 1, 2), f"symparams {' '.join(argv)} exited {out.returncode}:\n{out.stderr[-2000:]}"
    if out.returncode == 2:
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr


@pytest.mark.parametrize("argv", sample(ONCE_HUNG, "once hung"), ids=" ".join)
def test_inputs_that_once_hung_finish_within_the_budget(argv):
    check(argv)


SIZES = st.sampled_from(["1", "2", "7", "64", "1280", "10^6", "2^40", "10^49", "10^50", "10^51", "0", "-3", "1/2",
                         "1e-60", "8/3", "1e300", "(H+e)^40", "D/H", "nan", "inf"])
SYMBOLS = st.sampled_from(["V", "D", "L", "H", "H_kv", "e", "F", "d_h", "T"])
MODELS = st.sampled_from(["nanochat", "nanochat-2026", "gpt2", "llama-2-7b", "mixtral-8x7b", "falcon-7b", "opt-125m"])


# Every command the CLI offers is drawn; the test below fails when a new one is not listed here.
FUZZED = ("count", "formula", "sensitivity", "flops", "memory", "derive", "latex", "optimal", "table", "sweep",
          "fit-law", "time", "plot", "verify", "list", "learn")
# learn builds a model in transformers for each probe: its budget is the same limit on memory, and
# a wall-clock limit that covers its largest accepted probe count.
LEARN_SECONDS = 240


def test_the_fuzz_draws_every_command():
    from symparams.cli import COMMANDS

    assert set(FUZZED) == set(COMMANDS)


@st.composite
def argvs(draw) -> list[str]:
    command = draw(st.sampled_from(FUZZED))
    model = draw(MODELS)
    argv = [command, model]
    for _ in range(draw(st.integers(0, 2))):
        argv += ["--set", f"{draw(SYMBOLS)}={draw(SIZES)}"]
    if command in ("flops", "memory", "derive") and draw(st.booleans()):
        argv += ["--seq", draw(SIZES)]
    if command == "optimal":
        argv = [command, draw(st.sampled_from(["--compute", "--params"])), draw(SIZES), model]
    if command == "table":
        argv = [command, "nanochat", "--depths", draw(st.sampled_from(["1:30", "4:8:2", "1:10^6", "3"]))]
    if command == "sweep":
        argv += ["--grid", f"{draw(SYMBOLS)}={draw(st.sampled_from(['1:4', '64:1024:64', '1:10^7', '10^20:10^20']))}"]
    if command in ("count", "flops", "memory", "sensitivity") and draw(st.booleans()):
        argv.append("--json")
    if command == "fit-law":
        argv = [command, draw(st.sampled_from(["runs.csv", "-", "missing.json"]))]
    if command == "time":
        argv += ["--tokens", draw(SIZES), "--gpus", draw(st.sampled_from(["1", "8", "10^9", "0"]))]
    if command == "plot":
        argv = [command, draw(st.sampled_from(["breakdown", "embedding-share", "sensitivity", "frontier"])), model,
                "-o", draw(st.sampled_from(["out.png", "out.svg", "out.pdf", "out.txt"]))]
        argv += draw(st.sampled_from([[], ["--values", "1:10^7"], ["--values", "4,8"], ["--vary", "D"]]))
    if command == "list":
        argv = [command] + draw(st.sampled_from([[], ["--json"]]))
    if command == "learn":
        argv = [command, draw(st.sampled_from(["gpt2", "llama", "no_such_type", "bert", "x" * 200])),
                "--probes", draw(st.sampled_from(["1", "6", "200", "201", "10^6"]))]
    return argv


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(argv=argvs())
def test_any_command_line_finishes_within_the_time_and_memory_budget(argv):
    check(argv)
