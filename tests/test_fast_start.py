"""The interactive path stays light: no NumPy, matplotlib, torch or transformers on it.

``symparams --help`` builds the parser, which imports every command module, so a
heavy import at the top of any command module (present or future) fails here.
Each case runs in a fresh interpreter, since this test process has long since
imported NumPy itself.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "matplotlib", "torch", "transformers", "scipy", "pandas")

_PROBE = """
import contextlib, io, json, sys
{setup}
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = {call}
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print(json.dumps({{"code": code, "heavy": heavy, "out": out.getvalue()}}))
"""


def _probe(setup: str, call: str) -> dict:
    text = _PROBE.format(setup=setup, call=call, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", text], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["count", "nanochat", "--depth", "20"],
    ["count", "nanochat", "--depth", "20", "--json"],
    ["formula", "nanochat"],
])
def test_the_command_line_imports_no_heavy_library(argv):
    """``symparams --help`` and ``symparams count nanochat --depth 20`` load none of NumPy, matplotlib, torch, transformers."""
    result = _probe("from symparams.cli import main", f"main({argv!r})")
    assert result["code"] == 0
    assert result["heavy"] == [], f"symparams {' '.join(argv)} imported {result['heavy']}"


def test_no_command_module_imports_a_heavy_library_at_import_time():
    """Every registered command module defers its heavy imports to ``run`` (building all parsers loads none)."""
    result = _probe("from symparams.cli import build_parser, COMMANDS", "len(build_parser('*')._actions)")
    assert result["heavy"] == []


def test_import_symparams_imports_no_heavy_library():
    """``import symparams`` (which exposes vectorize) defers NumPy until a vectorised call."""
    result = _probe("import symparams", "symparams.count_fn('nanochat')()")
    assert result["heavy"] == []
    assert result["code"] == 560_988_160


def test_count_output_is_the_library_total():
    """The probe sees the real command: the printed total is the model's."""
    from symparams import model

    result = _probe("from symparams.cli import main", "main(['count', 'nanochat', '--depth', '20'])")
    assert f"{model('nanochat', depth=20).total:,}" in result["out"]
