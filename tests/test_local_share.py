"""A local run takes a share of each ``sampled`` test's cases; CI takes every case (tests/budget.py)."""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import budget
from hypothesis import given
from hypothesis import strategies as st


@dataclass(eq=False)
class Item:
    """What the hook reads of a collected pytest item."""

    path: Path
    originalname: str
    marked: bool

    def get_closest_marker(self, name: str):
        return object() if self.marked and name == "sampled" else None


@st.composite
def collected(draw) -> list[Item]:
    tests = [(f, n) for f in ("test_a.py", "test_b.py") for n in ("test_x", "test_y")]
    marked = {t: draw(st.booleans()) for t in tests}
    return [Item(Path(f), n, marked[(f, n)]) for f, n in draw(st.lists(st.sampled_from(tests), max_size=60))]


@contextmanager
def share(value: float):
    before = budget.SHARE
    budget.SHARE = value
    try:
        yield
    finally:
        budget.SHARE = before


@given(collected(), st.sampled_from([0.1, 0.25, 0.5]))
def test_a_local_run_keeps_every_unmarked_case_and_its_share_of_each_marked_test_in_order(items, part):
    with share(part):
        kept, left = budget.sampled_cases(items)
    assert sorted(map(id, kept + left)) == sorted(map(id, items))
    assert [i for i in items if i in kept] == kept
    assert all(i.marked for i in left)
    for test in {(i.path.name, i.originalname) for i in items if i.marked}:
        cases = [i for i in items if (i.path.name, i.originalname) == test]
        assert len([i for i in kept if i in cases]) == max(1, math.ceil(len(cases) * part))


@given(collected())
def test_ci_keeps_every_case(items):
    with share(1.0):
        kept, left = budget.sampled_cases(items)
    assert kept == items and left == []


@given(collected())
def test_every_worker_draws_the_same_cases(items):
    """pytest-xdist's workers each collect and draw; the run fails unless their lists are the same."""
    with share(0.25):
        first, _ = budget.sampled_cases(items)
        again, _ = budget.sampled_cases(list(items))
    assert first == again
