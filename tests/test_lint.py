"""The code passes its own linters, at the strictness pyproject.toml states.

ruff: pyflakes, pycodestyle, bugbear and import order over the package and the tests.
mypy: the package's annotated functions (``check_untyped_defs`` off). Both are the
``lint`` extra; CI installs them, so there these tests run rather than skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> list[str]:
    pytest.importorskip(name, reason=f"{name} is not installed (pip install -e '.[lint]')")
    return [sys.executable, "-m", name]


def test_ruff_finds_nothing():
    out = subprocess.run([*_tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_finds_nothing(tmp_path):
    """mypy keeps its incremental cache in the checkout (it checks each entry against the source), so a
    second local run takes seconds; a read-only checkout uses a throwaway folder."""
    writable = os.access(ROOT, os.W_OK)
    cache = ROOT / ".mypy_cache" if writable else tmp_path / "mypy_cache"
    out = subprocess.run([*_tool("mypy"), "--cache-dir", str(cache)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    if not writable:
        shutil.rmtree(cache, ignore_errors=True)
    assert out.returncode == 0, out.stdout + out.stderr
