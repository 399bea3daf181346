"""A set of derivations written together into one folder, with a Markdown index linking them.

Which models the set holds is the caller's choice (``symparams derive --all`` names
them); this module only writes what it is given, so the report never resolves a name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import SymparamsError
from ..format import grouped, human
from ..spec import Spec
from .build import document
from .context import Source
from .markdown import MD_SPECIALS
from .math import form_latex
from .render import renderer

__all__ = ["Entry", "index", "outputs", "write"]

INDEX = "README.md"


@dataclass(frozen=True)
class Entry:
    """One document of the set: its file, the model it derives, the format it is written in."""

    filename: str
    spec: Spec
    source: Source | None = None
    fmt: str = "md"
    note: str = ""


def index(entries: list[Entry], command: str) -> str:
    """The folder's README: what the documents are, how to write them again, and one row per document."""
    lines = [
        "# Derivations",
        "",
        "Step-by-step parameter derivations written by symparams from each model's module tree: every formula "
        "and number in them is computed, none typed. Regenerate them all with",
        "",
        "```sh",
        command,
        "```",
        "",
        "A test writes them into a temporary folder the same way and compares, so none can go stale.",
        "",
        "| document | model | parameters | rounded | closed form |",
        "|---|---|---:|---:|---|",
    ]
    for e in entries:
        spec = e.spec
        lines.append(f"| [{e.filename}]({e.filename}) | {spec.name.translate(MD_SPECIALS)} ({e.note.translate(MD_SPECIALS)}) | "
                     f"{grouped(spec.total)} | {human(spec.total)} | ${form_latex(spec.closed_form)}$ |")
    return "\n".join(lines) + "\n"


def outputs(entries: list[Entry], command: str) -> dict[str, str]:
    """filename -> the text it holds, for every document and the index."""
    out = {e.filename: renderer(e.fmt).render(document(e.spec, e.source)) for e in entries}
    out[INDEX] = index(entries, command)
    return out


def write(entries: list[Entry], directory: str | os.PathLike, command: str) -> list[Path]:
    """Write every document and the index into ``directory`` (made if missing); returns the paths written."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in outputs(entries, command).items():
            (directory / name).write_text(text, encoding="utf-8")
            written.append(directory / name)
    except OSError as err:
        raise SymparamsError(f"cannot write into {os.fspath(directory)!r}: {err.strerror or err}") from None
    return written
