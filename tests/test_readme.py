"""Every command shown in README.md runs, and prints what the README says it prints.

The README's Python examples are doctests; this covers its ``console`` blocks, so a
figure in the README cannot drift from what the tool computes.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDS = {"verify": ("torch", "transformers"), "plot": ("matplotlib",)}


def examples() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text()
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = (line[2:].split("  #")[0].strip(), [])
                out.append(current)
            elif current is not None:
                current[1].append(line.rstrip())
    return [(cmd, lines) for cmd, lines in out if cmd.startswith("symparams ") and "path/to/" not in cmd]


def _exit_checks() -> dict[str, str]:
    """Commands followed by ``$ echo $?``: the status the README shows."""
    text = (ROOT / "README.md").read_text()
    return dict(re.findall(r"^\$ (symparams [^\n]*)\n[^\n]*\n\$ echo \$\?\n(\d+)", text, re.M))


@pytest.mark.parametrize("command, expected", examples(), ids=[c for c, _ in examples()])
def test_readme_command_prints_what_the_readme_shows(command, expected, tmp_path):
    word = command.split()[1]
    for module in NEEDS.get(word, ()):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    runner = f"{shlex.quote(sys.executable)} -m symparams"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["bash", "-c", runner + command[len("symparams"):]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    printed = [line.rstrip() for line in (proc.stdout + proc.stderr).splitlines()]
    shown = [line for line in expected if line and not line.startswith("$")]
    shown = shown[: shown.index("...")] if "..." in shown else shown
    status = _exit_checks().get(command)
    refused = any(line.startswith("symparams: error:") for line in shown)
    assert proc.returncode == (int(status) if status else 2 if refused else 0), proc.stderr
    it = iter(printed)
    for line in shown:
        assert any(line == got for got in it), f"README shows {line!r}; the tool printed:\n" + "\n".join(printed)
