"""Hypothesis profiles: a deterministic, thorough one for CI, a quicker one for local runs, and CI's drawn afresh.

CI sets CI=true; ``HYPOTHESIS_PROFILE`` picks a profile explicitly (``soak``: CI's budgets, a new draw each run).
"""

import compileall
import gc
import logging
import os
import sys
from pathlib import Path

import pytest
from budget import PROFILE, SEED, SHARE, examples, sampled_cases
from hypothesis import HealthCheck, settings
from shared import end, start

settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI's budgets drawn afresh each run: CI's derandomized draw is the same every run, so it finds a bug once only
# if the code moves under it; a soak run searches where CI never looks (a --set named depth was found so).
settings.register_profile("soak", parent=settings.get_profile("ci"), derandomize=False)
# The result cache (symparams.cache) stays off in tests: a test that patches the package in
# process must not be answered from a run made without the patch. tests/test_cache.py turns it on.
os.environ.setdefault("SYMPARAMS_NO_CACHE", "1")
# pytest-xdist runs one worker per core; BLAS and OpenMP threads on top of them only contend.
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

# Tests start the command line in fresh interpreters (some 120 of them). Where the environment
# says not to write bytecode (PYTHONDONTWRITEBYTECODE), each would compile symparams from source,
# and each xdist worker would rewrite every test module's asserts again (some 4 s a run); the
# package's bytecode and pytest's rewritten tests are written instead, into ignored __pycache__ folders.
if sys.dont_write_bytecode:
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "symparams", quiet=2)
    sys.dont_write_bytecode = False

# Each process keeps large heaps for the whole run (SymPy's caches, torch, transformers, every
# family's tree). At Python's default thresholds the cyclic collector ran some 14,000 times a run
# (12.5 s of the workers' time), and again at each worker's exit, while pytest-xdist waited (some
# 5 s); with a young generation of 20,000 objects it runs about 3,100 times (4.2 s), and at exit
# the heap is frozen.
gc.set_threshold(20_000, 50, 100)

settings.load_profile(PROFILE)
# A test's own budget (@settings(max_examples=N)) is what CI runs; a local run takes SHARE of it.
BUDGET_SHARE = SHARE


def pytest_report_header(config) -> str:
    return (f"symparams: profile {PROFILE!r}, {BUDGET_SHARE:.0%} of each test's budget, of sampled lists and of "
            f"sampled tests' cases; SYMPARAMS_TEST_SEED={SEED} repeats this run's draw")


def pytest_unconfigure(config) -> None:
    end(getattr(config, "_symparams_shared", None))
    gc.disable()
    gc.freeze()


def pytest_configure(config) -> None:
    config._symparams_shared = start()  # before pytest-xdist starts its workers, which inherit the folder
    config.addinivalue_line("markers", "sampled: a local run takes the profile's share of this test's cases "
                                       "(tests/budget.py); CI runs every one")


def pytest_collection_modifyitems(config, items) -> None:
    """Scale each property test's own example budget by the profile's share (at least one example), and take
    that share of the cases of each test marked ``sampled``."""
    if BUDGET_SHARE == 1.0:
        return
    kept, left = sampled_cases(items)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
    done: set[int] = set()
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is None or id(test) in done:
            continue
        done.add(id(test))
        test._hypothesis_internal_use_settings = settings(own, max_examples=examples(own.max_examples))



def _fail_skips(report) -> None:
    """With SYMPARAMS_NO_SKIP=1 (set by .ci/run) a skip is a failure: CI has every extra installed."""
    if report.skipped and os.environ.get("SYMPARAMS_NO_SKIP") == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    _fail_skips((yield).get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Whole modules skipped at import (``pytest.importorskip`` at the top) too."""
    _fail_skips((yield).get_result())


@pytest.fixture(autouse=True)
def _logging_as_it_was():
    """A test that silences logging around transformers' builds (``logging.disable``, transformers' verbosity)
    leaves it as it found it for the next test in its process; pytest restores only the warnings filters."""
    disabled = logging.root.manager.disable
    transformers = sys.modules.get("transformers")
    verbosity = transformers.logging.get_verbosity() if transformers is not None else None
    yield
    if logging.root.manager.disable != disabled:
        logging.disable(disabled)
    if verbosity is not None and transformers.logging.get_verbosity() != verbosity:
        transformers.logging.set_verbosity(verbosity)


@pytest.fixture(autouse=True)
def _builds_made_afresh():
    """Each test sees transformers build afresh what it asks for (symparams.verify.remembered keeps builds within
    a process): a test that patches transformers is answered by the patched build, not by an earlier test's."""
    verify = sys.modules.get("symparams.verify")
    if verify is not None:
        verify._BUILT.clear()
    yield
