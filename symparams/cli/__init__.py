"""The ``symparams`` command: a thin argparse layer over the public API.

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported when the parser is built, and they
import their heavy dependencies inside ``run``. Every refusal is one line on
stderr and exit status 2; nothing the user types can produce a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

__all__ = ["main", "COMMANDS"]

# name -> (module, one-line help). Order is the order of ``symparams --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "count": ("symparams.cli.count", "exact parameter count with a per-component breakdown"),
    "formula": ("symparams.cli.formula", "the closed form of a model's parameter count"),
    "sensitivity": ("symparams.cli.sensitivity", "derivatives and elasticities at a model's size"),
    "table": ("symparams.cli.table", "a size table across depths or presets"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line (no usage dump) with exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(
        prog="symparams",
        description="Exact symbolic parameter counts, compute and memory of transformer language models.",
    )
    parser.add_argument("--version", action="version", version=f"symparams {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=(mod.__doc__ or help_text).strip())
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of raising."""
    from ..errors import SymparamsError

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args._run(args) or 0)
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except SymparamsError as err:
        print(f"symparams: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symparams: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("symparams: error: input is nested too deeply", file=sys.stderr)
        return 2
    except Exception as err:  # last resort: one line, never a traceback
        print(f"symparams: internal error: {type(err).__name__}: {' '.join(str(err).split())[:300]}", file=sys.stderr)
        return 1
