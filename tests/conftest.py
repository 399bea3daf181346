"""Hypothesis profiles: a deterministic, thorough one for CI, a quicker one for local runs.

CI sets CI=true; ``HYPOTHESIS_PROFILE`` picks a profile explicitly.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))



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
