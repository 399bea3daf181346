"""CI's rule that nothing may skip is enforced by tests/conftest.py, and it can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# A test that skips itself, and a module skipped at import; one pytest run reports on both.
SAMPLES = {
    "test_skips_itself.py": "import pytest\n\ndef test_skips():\n    pytest.skip('no extra')\n",
    "test_skipped_at_import.py": "import pytest\npytest.importorskip('a_module_that_is_not_there')\n\n"
                                 "def test_never():\n    pass\n",
}


@pytest.mark.parametrize("ci", [False, True])
def test_a_skip_fails_only_when_ci_forbids_skips(tmp_path, ci):
    for helper in ("conftest.py", "budget.py", "shared.py"):
        shutil.copy(Path(__file__).with_name(helper), tmp_path / helper)
    for name, body in SAMPLES.items():
        (tmp_path / name).write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "SYMPARAMS_NO_SKIP"}
    if ci:
        env["SYMPARAMS_NO_SKIP"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                           "--continue-on-collection-errors", *SAMPLES], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    summary = proc.stdout.split("short test summary info")[-1]
    if ci:
        assert proc.returncode == 1, proc.stdout
        assert "FAILED test_skips_itself.py::test_skips - skipped in CI" in summary, proc.stdout
        assert "ERROR test_skipped_at_import.py - skipped in CI" in summary, proc.stdout
    else:
        assert proc.returncode == 0 and summary.count("SKIPPED [1] ") == 2, proc.stdout
