"""A count evaluated in Python's exact arithmetic is the value SymPy's substitution gives.

``Spec.count`` evaluates a node's reading with ints and Fractions where the reading is
sums, products, whole powers, floors, ceilings, maxima and minima; ``Spec.value`` puts
every value in at once. These tests compare both with SymPy's long way (relations
substituted, then every symbol replaced) for every node and reading, at a batch and
context, of random configs of every family and of every real config.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from budget import sample
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.components.base import READINGS
from symparams.config import read_json
from symparams.errors import SymparamsError
from symparams.families import from_dict
from symparams.spec import _number
from symparams.symbols import B, T

from strategies import CONFIGS

FIXTURES = Path(__file__).parent / "fixtures" / "configs"


def check_every_node(spec, batch: int = 2, seq: int = 5) -> int:
    """Every node and reading: the value, and the fast number where given, equal SymPy's long way; how many
    fast numbers were given."""
    given_ = 0
    at = {B: batch, T: seq}
    for _, _, node in spec.tree.walk():
        for reading in READINGS:
            try:
                expr = node.read(reading, T)
            except SymparamsError:
                continue
            slow = spec.substitute(expr).xreplace({**spec.env, **at})
            assert spec.value(expr, at) == slow, (spec.name, node.name, reading)
            assert spec.value(expr).xreplace(at) == slow, (spec.name, node.name, reading)  # B and T put in after
            fast = _number(expr, {**spec._numbers, **at})
            if fast is None:
                continue
            assert slow.is_Rational, (node.name, reading, slow)
            assert Fraction(int(slow.p), int(slow.q)) == fast, (spec.name, node.name, reading)
            given_ += 1
    return given_


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", sorted(CONFIGS))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_exact_numbers_of_random_configs_are_sympys(model_type, data):
    spec = from_dict(data.draw(CONFIGS[model_type]))
    assert check_every_node(spec) > 0
    assert spec.total == int(spec.value(spec.tree.read("params", T)))


def test_exact_numbers_of_every_real_config_are_sympys():
    paths = sample(sorted(FIXTURES.glob("*.json")), "exact numbers of real configs")
    counted = 0
    for path in paths:
        try:
            spec = from_dict(read_json(path))
            spec.env
        except SymparamsError:
            continue
        assert check_every_node(spec) > 0
        counted += 1
    assert counted > len(paths) * 3 // 4
