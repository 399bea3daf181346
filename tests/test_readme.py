"""Every command shown in README.md runs, and prints what the README says it prints.

The README's Python examples are doctests; this covers its ``console`` blocks, so a
figure in the README cannot drift from what the tool computes. A command of plain words
runs through :func:`symparams.cli.main` in this process (the same entry point the
``symparams`` script calls, without paying a new interpreter and SymPy's import each
time); one with shell syntax (a pipe, quotes) runs in bash as the README shows it.
"""

from __future__ import annotations

import importlib.util
import json
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


SHELL = re.compile(r"[|&;<>()$`\\'\"*?]")


def _run(command: str, cwd: Path, capsys, monkeypatch) -> tuple[int, str]:
    """(exit status, stdout then stderr) of one README command run from ``cwd``."""
    if SHELL.search(command):
        runner = f"{shlex.quote(sys.executable)} -m symparams"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(["bash", "-c", runner + command[len("symparams"):]], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300)
        return proc.returncode, proc.stdout + proc.stderr
    from symparams.cli import main

    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = main(command.split()[1:])
    out, err = capsys.readouterr()
    return code, out + err


def test_plain_commands_are_told_from_shell_syntax():
    assert not SHELL.search("symparams count nanochat --depth 20 --set e=8/3 --compute 1e18:1e26 -o a.png")
    for shell in ("| head -1", "'D=x'", '"D=x"', "> out", "$(id)", "a; b", "a && b"):
        assert SHELL.search(f"symparams count nanochat {shell}"), shell


@pytest.mark.sampled
@pytest.mark.parametrize("command, expected", examples(), ids=[c for c, _ in examples()])
def test_readme_command_prints_what_the_readme_shows(command, expected, tmp_path, capsys, monkeypatch):
    word = command.split()[1]
    for module in NEEDS.get(word, ()):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    code, output = _run(command, tmp_path, capsys, monkeypatch)
    printed = [line.rstrip() for line in output.splitlines()]
    shown = [line for line in expected if line and not line.startswith("$")]
    shown = shown[: shown.index("...")] if "..." in shown else shown
    status = _exit_checks().get(command)
    refused = any(line.startswith("symparams: error:") for line in shown)
    assert code == (int(status) if status else 2 if refused else 0), output
    it = iter(printed)
    for line in shown:
        assert any(line == got for got in it), f"README shows {line!r}; the tool printed:\n" + "\n".join(printed)


def families_table() -> str:
    """The README's table of hand-written families, as the registry describes them (sorted by name)."""
    from symparams.families import FAMILIES

    rows = ["| family | model types | what it models | what it refuses |", "|---|---|---|---|"]
    for fam in sorted(FAMILIES, key=lambda f: f.name):
        types = ", ".join(f"`{t}`" for t in fam.model_types) or "(sized by depth)"
        rows.append(f"| {fam.name} | {types} | {fam.summary} | {fam.refused or '—'} |")
    return "\n".join(rows)


def test_the_size_of_the_field_types_table_is_the_tables_own():
    """The README's count of the fields and model types whose types are kept is read from the shipped table."""
    table = json.loads((ROOT / "symparams" / "families" / "field_types.json").read_text())
    classes = [v for k, v in table.items() if k != "*" and isinstance(v, dict) and "fields" in v]
    stated = re.search(r"field_types\.json` \(([\d,]+) fields of (\d+) model types\)", (ROOT / "README.md").read_text())
    assert stated is not None
    assert (int(stated.group(1).replace(",", "")), int(stated.group(2))) == (
        sum(len(v["fields"]) for v in classes), len(classes))


def test_the_families_table_is_the_registrys_own_description():
    """A family's summary or refusals edited in its module reach the README (regenerate the block between the
    ``families`` markers with :func:`families_table`), and the counts above it are the registry's."""
    from symparams.families import FAMILIES

    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- families -->\n(.*?)\n<!-- /families -->", text, re.S)
    assert block is not None
    assert block.group(1) == families_table()
    counts = re.search(r"(\d+) model types in (\d+) families", text)
    assert counts is not None
    assert (int(counts.group(1)), int(counts.group(2))) == (len(FAMILIES.model_types()), len(list(FAMILIES)))
