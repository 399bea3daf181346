"""Timings that hold up on a noisy, shared machine.

Every target is a ratio against a baseline timed in the same run, in
interleaved rounds (A, B, A, B, ...) so that a burst of load hits both, and
each side's best (minimum) round is compared: the minimum is the run least
disturbed by other processes. In-process work is timed on the thread's CPU
clock, which does not count time the scheduler gave to someone else.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

__all__ = ["Stats", "interleaved", "repeat", "run_command"]


@dataclass(frozen=True)
class Stats:
    """The rounds of one timed thing, in seconds."""

    samples: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def repeat(fn: Callable[[], Any], number: int) -> Callable[[], None]:
    """``fn`` called ``number`` times per round (for work too short to time once)."""

    def many() -> None:
        for _ in range(number):
            fn()

    return many


def interleaved(fns: Mapping[str, Callable[[], Any]], rounds: int,
                clock: Callable[[], float] = time.thread_time,
                setup: Mapping[str, Callable[[], Any]] | None = None) -> dict[str, Stats]:
    """Time each function once per round, alternating between them; ``setup[name]`` runs untimed first."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            if setup and name in setup:
                setup[name]()
            start = clock()
            fn()
            samples[name].append(clock() - start)
    return {name: Stats(tuple(s)) for name, s in samples.items()}


def run_command(argv: Sequence[str], env: Mapping[str, str] | None = None) -> Callable[[], None]:
    """A function that runs ``argv`` to completion, output discarded, and checks it succeeded."""

    def run() -> None:
        done = subprocess.run(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=dict(env) if env is not None else None)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-300:]}")

    return run


def fresh_env(bytecode_dir: str | None) -> dict[str, str]:
    """This environment, with bytecode cached in ``bytecode_dir`` (None: as the environment says)."""
    env = dict(os.environ)
    if bytecode_dir is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode_dir
    return env
