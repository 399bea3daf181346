"""A count evaluated in Python's exact arithmetic is the value SymPy's substitution gives.

``Spec.count`` evaluates a node's reading with ints and Fractions where the reading is
sums, products and whole powers; these tests compare that number with ``Spec.value``
(relations substituted, then every symbol replaced) for every node and reading of
random configs of every family and of every real config.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.components.base import READINGS
from symparams.config import read_json
from symparams.errors import SymparamsError
from symparams.families import from_dict
from symparams.spec import _number
from symparams.symbols import T

from strategies import CONFIGS

FIXTURES = Path(__file__).parent / "fixtures" / "configs"


def check_every_node(spec) -> int:
    """Every node and reading: the fast number, where given, equals SymPy's value; how many were given."""
    given_ = 0
    for _, _, node in spec.tree.walk():
        for reading in READINGS:
            try:
                expr = node.read(reading, T)
            except SymparamsError:
                continue
            fast = _number(expr, spec._numbers)
            if fast is None:
                continue
            slow = spec.value(expr)
            assert slow.is_Rational, (node.name, reading, slow)
            assert Fraction(int(slow.p), int(slow.q)) == fast, (spec.name, node.name, reading)
            given_ += 1
    return given_


@pytest.mark.parametrize("model_type", sorted(CONFIGS))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_exact_numbers_of_random_configs_are_sympys(model_type, data):
    spec = from_dict(data.draw(CONFIGS[model_type]))
    assert check_every_node(spec) > 0
    assert spec.total == int(spec.value(spec.tree.read("params", T)))


def test_exact_numbers_of_every_real_config_are_sympys():
    counted = 0
    for path in sorted(FIXTURES.glob("*.json")):
        try:
            spec = from_dict(read_json(path))
            spec.env
        except SymparamsError:
            continue
        assert check_every_node(spec) > 0
        counted += 1
    assert counted > 100
