"""CI's rule that nothing may skip is enforced by tests/conftest.py, and it can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("body", [
    "import pytest\n\ndef test_skips():\n    pytest.skip('no extra')\n",
    "import pytest\npytest.importorskip('a_module_that_is_not_there')\n\ndef test_never():\n    pass\n",
])
@pytest.mark.parametrize("ci", [False, True])
def test_a_skip_fails_only_when_ci_forbids_skips(tmp_path, body, ci):
    for helper in ("conftest.py", "budget.py"):
        shutil.copy(Path(__file__).with_name(helper), tmp_path / helper)
    (tmp_path / "test_sample.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "SYMPARAMS_NO_SKIP"}
    if ci:
        env["SYMPARAMS_NO_SKIP"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_sample.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert (proc.returncode not in (0, 5)) == ci, proc.stdout  # 5: every test skipped, none run
