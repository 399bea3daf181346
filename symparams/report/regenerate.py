"""Write (or check) the derivations checked into ``derivations/``, and their index.

    python -m symparams.report.regenerate [DIR]          # rewrite every document
    python -m symparams.report.regenerate --check [DIR]  # list stale ones, exit 1 if any

The set of documents is data (:data:`DOCUMENTS`): the guide's nanochat d20 in
Markdown and LaTeX, the nanochat size ladder, and the real models whose presets
are installed. A test runs ``--check`` so a change to the tree, a family or a
renderer cannot leave a checked-in document saying something the code no longer does.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from .compare import GUIDE_DEPTHS
from .context import Source

__all__ = ["Entry", "DOCUMENTS", "PRESETS", "entries", "outputs", "stale", "write", "main"]


@dataclass(frozen=True)
class Entry:
    """One checked-in document: the model it derives and the format it is written in."""

    filename: str
    source: Source
    fmt: str = "md"
    note: str = ""


# Real models, derived when their presets are installed.
PRESETS = (("gpt2", "GPT-2 124M"), ("llama-2-7b", "Llama-2-7B"), ("mixtral-8x7b", "Mixtral-8x7B"))

DOCUMENTS: tuple[Entry, ...] = (
    Entry("nanochat-d20.md", Source("nanochat", 20), "md", "the hand-worked guide's model"),
    Entry("nanochat-d20.tex", Source("nanochat", 20), "tex", "the guide's model, as LaTeX for pdflatex"),
    *(Entry(f"nanochat-d{d}.md", Source("nanochat", d), "md", "size ladder") for d in GUIDE_DEPTHS if d != 20),
    *(Entry(f"{name}.md", Source(name), "md", label) for name, label in PRESETS),
)


def entries() -> list[Entry]:
    """The documents that can be written here: every nanochat one, and presets that are installed."""
    from ..catalog import names

    known = set(names())
    return [e for e in DOCUMENTS if e.source.name in known]


def _index(items: list[Entry]) -> str:
    from ..format import grouped, human
    from ..latex import latex

    lines = [
        "# Derivations",
        "",
        "Step-by-step parameter derivations written by symparams from each model's module tree: every formula "
        "and number in them is computed, none typed. Regenerate them all with",
        "",
        "```sh",
        "python -m symparams.report.regenerate",
        "```",
        "",
        "and check that none is stale with `python -m symparams.report.regenerate --check` (a test does).",
        "",
        "| document | model | parameters | rounded | closed form |",
        "|---|---|---:|---:|---|",
    ]
    for e in items:
        spec = e.source.spec()
        lines.append(f"| [{e.filename}]({e.filename}) | {spec.name} ({e.note}) | {grouped(spec.total)} | "
                     f"{human(spec.total)} | ${latex(spec.closed_form)}$ |")
    return "\n".join(lines) + "\n"


def outputs() -> dict[str, str]:
    """filename -> the text it should hold, for every document and the index."""
    from . import derive

    items = entries()
    out = {e.filename: derive(e.source.name, depth=e.source.depth, format=e.fmt, **dict(e.source.overrides))
           for e in items}
    out["README.md"] = _index(items)
    return out


def stale(directory: str | Path) -> list[str]:
    """The documents in ``directory`` that are missing or differ from what the code writes now."""
    directory = Path(directory)
    bad = []
    for name, text in outputs().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            bad.append(name)
    return bad


def write(directory: str | Path) -> list[str]:
    """Write every document into ``directory``; returns the files written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in outputs().items():
        (directory / name).write_text(text, encoding="utf-8")
        written.append(name)
    return written


def _default_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "derivations"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m symparams.report.regenerate", description=__doc__.split("\n\n")[0])
    p.add_argument("directory", nargs="?", default=None, help="where the documents live (default: derivations/)")
    p.add_argument("--check", action="store_true", help="only list stale documents; exit 1 if any")
    args = p.parse_args(argv)
    directory = Path(args.directory) if args.directory else _default_dir()
    if args.check:
        bad = stale(directory)
        for name in bad:
            print(f"stale: {directory / name}")
        return 1 if bad else 0
    for name in write(directory):
        print(directory / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
