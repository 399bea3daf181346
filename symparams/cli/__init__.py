"""The ``symparams`` command: a thin argparse layer over the public API.

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(args) -> int``; only the module of the command being run is imported, and
it imports its heavy dependencies inside ``run``. Every refusal is one line on
stderr and exit status 2; nothing the user types can produce a traceback.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import re
import sys
from typing import Sequence

__all__ = ["main", "COMMANDS", "one_line"]

# name -> (module, one-line help). Order is the order of ``symparams --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "count": ("symparams.cli.count", "exact parameter count with a per-component breakdown"),
    "formula": ("symparams.cli.formula", "the closed form of a model's parameter count"),
    "sensitivity": ("symparams.cli.sensitivity", "derivatives and elasticities at a model's size"),
    "table": ("symparams.cli.table", "a size table across the depths of nanochat or nanochat-2026"),
    "sweep": ("symparams.cli.sweep", "exact counts for every combination of size grids (csv, json, npy)"),
    "flops": ("symparams.cli.flops", "FLOPs per token under each convention (exact, kaplan, chinchilla, palm, 6n)"),
    "optimal": ("symparams.cli.optimal", "compute-optimal parameters and tokens for a compute budget"),
    "fit-law": ("symparams.cli.fit_law", "fit the parametric scaling law to your own runs (csv), with bootstrap intervals"),
    "memory": ("symparams.cli.memory", "bytes for weights, gradients, optimizer state, activations and KV cache"),
    "time": ("symparams.cli.time", "training time from FLOPs, and inference on a roofline, on a table of GPUs"),
    "plot": ("symparams.cli.plot", "charts: breakdown or embedding share vs depth, compute-optimal frontier"),
    "verify": ("symparams.cli.verify", "compare symbolic counts with the transformers model, group by group"),
    "derive": ("symparams.cli.derive", "the parameter count derived step by step (md, tex or text)"),
    "latex": ("symparams.cli.latex", "the closed form and every component formula as LaTeX"),
    "learn": ("symparams.cli.learn", "learn a causal LM's closed form from the model transformers builds (needs torch)"),
    "list": ("symparams.cli.listing", "what symparams knows: presets, depth-sized families, families and model types"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line (no usage dump) with exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        """argparse quotes what was typed whole (an unknown choice, an unrecognised argument): cut each quote to a
        few dozen characters."""
        message = re.sub(r"'([^']{38})[^']{3,}'", r"'\1...'", message)
        message = re.sub(r"(?<!\S)(\S{38})\S{3,}", r"\1...", message)
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def one_line(text: str) -> str:
    """``text`` as a single printable line: whitespace runs collapsed, control characters escaped.

    Messages quote what the user typed, which may hold line breaks or terminal escapes.
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in " ".join(str(text).split()))


def _command(argv: Sequence[str] | None) -> str | None:
    """The subcommand ``argv`` names (the first word not an option), or None."""
    for word in sys.argv[1:] if argv is None else argv:
        if not str(word).startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(only: str | None = "*", light: bool = False) -> argparse.ArgumentParser:
    """The parser; with ``only`` a command name (or None), other commands' modules are not imported.

    ``symparams count ...`` then starts without loading the modules (and libraries)
    of every other command; their names and one-line help still list in --help.
    ``light`` asks a cached command that has such a variant (``LIGHT``) for its options
    alone, without the libraries its choices and help come from: enough to read a run's
    cache key, not to check its values.
    """
    from .. import __version__

    parser = _Parser(
        prog="symparams",
        description="Exact symbolic parameter counts, compute and memory of transformer language models.",
    )
    parser.add_argument("--version", action="version", version=f"symparams {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        if only != "*" and name != only:
            sub.add_parser(name, help=help_text)
            continue
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=(mod.__doc__ or help_text).strip())
        if getattr(mod, "LIGHT", False):
            mod.add_arguments(p, light=light)
        else:
            mod.add_arguments(p)
        p.set_defaults(_run=mod.run, _cache_key=getattr(mod, "cache_key", None), _shipped=getattr(mod, "shipped", None))
    return parser


def _parser(only: str | None, light: bool = False) -> argparse.ArgumentParser:
    """:func:`build_parser`'s parser, built once a process: a program that calls :func:`main` many times
    (a notebook, a test suite) would otherwise build some twenty parsers a call. Parsing changes no parser.
    A command without a light variant reads its cache key with its one parser."""
    if light and not getattr(importlib.import_module(COMMANDS[only][0]), "LIGHT", False):  # type: ignore[index]
        light = False
    return _built(only, light)


@functools.lru_cache(maxsize=None)
def _built(only: str | None, light: bool) -> argparse.ArgumentParser:
    return build_parser(only, light)


def _replay(command: str | None, argv: Sequence[str] | None) -> tuple[bool, str | None]:
    """(whether a kept result was printed, the run's cache key) for a command that keeps its results.

    The arguments are read by the command's light parser; anything it cannot read
    is left to the real parser, which reports it. A result the package ships
    (a command's ``shipped``: a named model's derivation) is printed first; then one
    the cache kept.
    """
    if command is None or not hasattr(importlib.import_module(COMMANDS[command][0]), "cache_key"):
        return False, None
    import contextlib
    import io

    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            args = _parser(command, light=True).parse_args(argv)
    except SystemExit:
        return False, None
    text = args._shipped(args) if args._shipped is not None else None
    if text is not None:
        sys.stdout.write(text)
        return True, None
    key = args._cache_key(args)
    if key is None:
        return False, None
    from ..cache import lookup

    hit = lookup(key)
    if hit is None:
        return False, key
    sys.stderr.write(hit["stderr"])
    sys.stdout.write(hit["stdout"])
    return True, key


def _run(args: argparse.Namespace, key: str | None) -> int:
    """Run the command; with a cache key, its output is captured and kept after a successful run
    (symparams.cache), and printed as it was in any case."""
    if key is None:
        return int(args._run(args) or 0)
    import contextlib
    import io

    from ..cache import store

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = int(args._run(args) or 0)
    finally:
        sys.stderr.write(err.getvalue())
        sys.stdout.write(out.getvalue())
    if code == 0:
        store(key, out.getvalue(), err.getvalue())
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of raising."""
    from ..errors import SymparamsError

    if _closed(sys.stderr):  # started with 2>&-: nowhere to say why, and the exit status still says whether
        sys.stderr = open(os.devnull, "w")
    if _closed(sys.stdout):  # started with >&-
        print("symparams: error: cannot write the output: standard output is closed", file=sys.stderr)
        return 2
    _ascii_fallback()
    try:
        command = _command(argv)
        replayed, key = _replay(command, argv)
        if replayed:
            sys.stdout.flush()
            return 0
        args = _parser(command).parse_args(argv)
        code = _run(args, key)
        sys.stdout.flush()  # a full disk or a closed terminal shows here, not at exit
        return code
    except SystemExit as stop:
        status = stop.code
        if isinstance(status, str):
            print(f"symparams: error: {one_line(status)}", file=sys.stderr)
        return status if isinstance(status, int) else (0 if status is None else 2)
    except SymparamsError as err:
        print(f"symparams: error: {one_line(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symparams: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as err:  # writing the output failed (/dev/full, a disk full, a vanished terminal)
        _silence_stdout()
        print(f"symparams: error: cannot write the output: {one_line(err.strerror or str(err))}", file=sys.stderr)
        return 2
    except RecursionError:
        print("symparams: error: input is nested too deeply", file=sys.stderr)
        return 2
    except Exception as err:  # last resort: one line, never a traceback
        print(f"symparams: internal error: {type(err).__name__}: {one_line(str(err))[:300]}", file=sys.stderr)
        return 1


def _closed(stream) -> bool:
    """Whether a standard stream has nowhere to go: None, a descriptor the shell closed (``>&-``), or one a
    launcher left open for reading in its place, on which Python made a stream that fails at its first write. A
    stream with no descriptor (a test's capture) is open."""
    if stream is None:
        return True
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        return False
    try:
        import fcntl
    except ImportError:  # Windows: no access mode to read, so only a closed descriptor tells
        try:
            os.fstat(fd)
        except OSError:
            return True
        return False
    try:
        return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
    except OSError:
        return True


# What the tool prints beyond ASCII, as ASCII, for a terminal or pipe that cannot take it
# (PYTHONIOENCODING=ascii, LANG=C on old systems). Anything else is backslash-escaped.
ASCII = {"≈": "~", "·": "*", "×": "x", "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "≠": "!=", "−": "-",
         "–": "-", "—": "--", "…": "...", "²": "^2", "³": "^3", "∂": "d", "√": "sqrt", "∑": "sum", "α": "alpha",
         "β": "beta", "η": "eta", "‰": "/1000", "’": "'", "‘": "'", "“": '"', "”": '"', "✓": "ok", "✗": "x",
         "│": "|", "─": "-", "▸": ">", "•": "*", "ε": "eps", "█": "#", "▏": "|", "▎": "|", "▍": "|", "▌": "|",
         "▋": "|", "▊": "|", "▉": "|"}


def _ascii(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    bad = err.object[err.start:err.end]
    return "".join(ASCII.get(c) or c.encode("ascii", "backslashreplace").decode("ascii") for c in bad), err.end


def _ascii_fallback() -> None:
    """Make standard output write ASCII stand-ins where its encoding cannot hold a character.

    Only a real text stream that cannot encode the tool's own symbols is reconfigured.
    """
    import codecs

    stream = sys.stdout
    encoding = getattr(stream, "encoding", None)
    if not encoding or not hasattr(stream, "reconfigure"):
        return
    try:
        "≈·×→".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        try:
            codecs.lookup_error("symparams-ascii")
        except LookupError:
            codecs.register_error("symparams-ascii", _ascii)
        try:
            stream.reconfigure(errors="symparams-ascii")
        except (ValueError, OSError):
            pass


def _silence_stdout() -> None:
    """After the reader of our output went away (``| head``), point stdout at /dev/null.

    Otherwise the interpreter's final flush fails again and prints a message of its own.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
