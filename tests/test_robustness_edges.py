"""Robustness at the edges: one value gives one answer, huge values stay exact, hostile text stays text.

Each test states a promise the tool keeps for a whole class of inputs (issue 18), not
for the one example that broke it: a width counts the same however it is written,
figures too large for a float still print, and a model's name or path reaches every
output escaped for that output.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams.errors import SymparamsError
from symparams.symbols import D, H


def _total(model: str, depth: int, width: str) -> int | None:
    try:
        return symparams.model(model, depth=depth, D=width).total
    except SymparamsError:
        return None


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(["nanochat", "nanochat-2026"]), depth=st.integers(1, 40), width=st.integers(1, 5000))
def test_a_width_counts_the_same_written_as_a_number_or_as_an_expression_of_the_depth(model, depth, width):
    """Whether H follows D depends on D's value, never on how D was written: ``D=1280`` and
    ``D=320*L`` at depth 4 are one model with one total (or both are refused)."""
    assert _total(model, depth, str(width)) == _total(model, depth, f"{width}*L/{depth}")


def test_nanochat_2026_at_depth_4_with_width_1280_has_one_total():
    assert symparams.model("nanochat-2026", depth=4, D="320*L").total == \
        symparams.model("nanochat-2026", depth=4, D=1280).total == 246_415_634


def test_a_width_written_through_the_head_count_leaves_the_head_count_alone():
    spec = symparams.model("nanochat", depth=4, D="128*H")
    assert (spec.env[H], spec.env[D]) == (2, 256)


@pytest.mark.parametrize("exponent", [51, 60, 61, 300])
def test_a_value_too_small_is_refused_as_too_small_never_as_too_large(exponent):
    """A tiny value (``e=1e-60``) is refused as too small or too fine a fraction, never as too large."""
    with pytest.raises(SymparamsError, match="too fine a fraction|too small") as err:
        symparams.model("nanochat", e=f"1e-{exponent}").total
    assert "too large" not in str(err.value)


HUGE = ["--set", "L=10^50", "--set", "D=10^49", "--set", "H=10^49", "--seq", "1e60", "--batch", "1e60",
        "--attention", "eager", "--mask-bytes", "1e60", "--dropout", "attention"]


@pytest.mark.parametrize("extra", [[], ["--budget", "1e60"], ["--tp", "2", "--pp", "2"], ["--json"]])
def test_memory_past_the_range_of_a_float_prints_every_figure_exactly(extra, capsys):
    """Bytes past 10^308 GiB (exact readings allow 10^340 bytes) print in full, in GiB too: no float
    overflows midway, and nothing is printed before every figure is known."""
    from symparams.cli import main

    assert main(["memory", "nanochat", *HUGE, *extra]) == 0
    out = capsys.readouterr().out
    if "--json" in extra:
        assert json.loads(out)["total_bytes"] > 10**330
    else:
        assert out.count("GiB") >= 4 and out.startswith("nanochat d20: ")
