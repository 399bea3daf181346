"""How much a run checks: everything under CI's profile, a share of it locally.

Hypothesis's profile sets how many examples a property test draws (tests/conftest.py
scales each test's own budget by ``SHARE``). Tests that walk a fixed list instead (every
derivation document, every preset, every fixture config) take the same share of it through
:func:`sample`, as their parameters or inside their body, drawn afresh on each run, so
local runs cover different parts over time and CI covers all of it. A test marked
``@pytest.mark.sampled`` takes that share of its parametrised cases (:func:`sampled_cases`):
the costly ones, a build or a forward pass in PyTorch per case. The run's seed is
printed in pytest's header; ``SYMPARAMS_TEST_SEED=N`` repeats a run's draw.
"""

from __future__ import annotations

import math
import os
import random
from collections import defaultdict
from typing import Any, Iterable, TypeVar

Item = TypeVar("Item")

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
# SYMPARAMS_TEST_SHARE sets a local run's share (0.02 for a quicker run, 0.5 for a deeper one); CI's
# profiles always take everything.
SHARE = float(os.environ.get("SYMPARAMS_TEST_SHARE", "0.05")) if PROFILE == "dev" else 1.0
if not 0 < SHARE <= 1:
    raise ValueError(f"SYMPARAMS_TEST_SHARE={SHARE} is not a share: it is above 0 and at most 1")
# Set in the environment so that pytest-xdist's workers, started after this, draw alike.
SEED = int(os.environ.setdefault("SYMPARAMS_TEST_SEED", str(random.SystemRandom().randrange(10**6))))


def examples(budget: int) -> int:
    """A property test's example budget for this run: all of it under CI's profile, else ``SHARE`` (at least one).

    conftest.py applies it to every test's own ``@settings``; a test that builds its
    property inside its body (one per parametrized family) passes its budget through this.
    """
    return budget if SHARE >= 1 else max(1, round(budget * SHARE))


def sample(items: Iterable[Item], label: str) -> list[Item]:
    """All of ``items`` under CI's profile; else a ``SHARE`` of them (at least one), in their order."""
    items = list(items)
    if SHARE >= 1 or not items:
        return items
    rng = random.Random(f"{SEED}:{label}")
    keep = sorted(rng.sample(range(len(items)), max(1, math.ceil(len(items) * SHARE))))
    return [items[i] for i in keep]


def sampled_cases(items: list[Any]) -> tuple[list[Any], list[Any]]:
    """(kept, left) of collected pytest items: ``sample`` of each ``sampled``-marked test's cases, every other item.

    Drawn per test from the items' collection order, which every pytest-xdist worker shares."""
    cases: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for item in items:
        if item.get_closest_marker("sampled") is not None:
            cases[(item.path.name, item.originalname)].append(item)
    kept = {id(item) for (module, name), group in cases.items() for item in sample(group, f"{module}::{name}")}
    marked = {id(item) for group in cases.values() for item in group}
    left = [item for item in items if id(item) in marked and id(item) not in kept]
    dropped = {id(item) for item in left}
    return [item for item in items if id(item) not in dropped], left
