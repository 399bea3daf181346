"""Arguments every model-reading command shares: MODEL, --depth, --set, --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from ..errors import SymparamsError

if TYPE_CHECKING:
    from ..catalog import Located

__all__ = ["add_model_arguments", "add_seq_argument", "context_length", "load_spec", "parse_sets", "positive_int", "emit_json",
           "FORMATS", "add_format_argument", "csv_text", "tex_escape", "cache_key"]

# What --format takes: the text table, a Markdown pipe table, CSV, one JSON object, a LaTeX tabular.
FORMATS = ("text", "md", "csv", "json", "tex")


def positive_int(text: str) -> int:
    """An argparse type: a positive whole number of at most 10^50 (the bound every size keeps), '1e3' accepted when
    integral."""
    from ..config import short
    from ..limits import MAX_VALUE

    if text.isascii() and text.isdigit() and text.lstrip("0") and len(text) <= 60:
        value: Any = int(text)
    else:
        from ..parse import parse_number

        try:
            value = parse_number(text)
        except SymparamsError as err:
            raise argparse.ArgumentTypeError(f"{short(text)} is not a number ({err})") from None
        if not value.is_Integer or value <= 0:
            raise argparse.ArgumentTypeError(f"{short(text)} is not a positive whole number")
    if value > MAX_VALUE:
        raise argparse.ArgumentTypeError(f"{short(text)} is too large (at most 10^50)")
    return int(value)


def add_model_arguments(p: argparse.ArgumentParser, json_flag: bool = True, many: bool = False) -> None:
    """MODEL (``many``: one or more, as a list), --depth, --set and, with ``json_flag``, --json."""
    p.add_argument("model", metavar="MODEL", nargs="+" if many else None,
                   help="a family (nanochat), a preset (gpt2, llama-2-7b) or a config.json path"
                        + ("; several are counted one after another" if many else ""))
    p.add_argument("--depth", type=positive_int, help="depth for depth-sized families (nanochat: D = 64*depth)")
    p.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
        help="set a symbol: a number (H_kv=1, e=8/3) or an expression in the model's symbols (F=8*D/3); "
             "a learned family's symbols are its config's fields (type_vocab_size=2)",
    )
    if json_flag:
        p.add_argument("--json", action="store_true", help="print one JSON object")


def add_format_argument(p: argparse.ArgumentParser) -> None:
    """``--format text|md|csv|json|tex`` into ``args.format``, with ``--json`` kept as the alias of ``--format json``."""
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--json", dest="format", action="store_const", const="json", help="the same as --format json")


def csv_text(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    """Rows as CSV (RFC 4180 quoting), the header first."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def tex_escape(text: str) -> str:
    """``text`` safe inside LaTeX's text mode."""
    from ..report.math import escape_latex

    return escape_latex(text)


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``["H_kv=1", "F=8*D/3"]`` -> {name: exact SymPy value}; duplicates refused.

    A name that is none of the project's symbols is left to the model to know (a learned
    family's own fields, ``type_vocab_size``), which refuses it where it does not.
    """
    import re

    from ..parse import parse_expr
    from ..symbols import SYMBOLS

    out: dict[str, Any] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise SymparamsError(f"--set expects NAME=VALUE, got {item!r}")
        if name not in SYMBOLS and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", name):
            raise SymparamsError(f"--set {name!r}: a name is a symbol (V, D, L, H, ...) or a field of a learned "
                                 "family's config, in letters, digits and underscores")
        if name in out:
            raise SymparamsError(f"--set {name} given twice")
        try:
            out[name] = parse_expr(text.strip(), SYMBOLS.values())
        except SymparamsError as err:
            raise SymparamsError(f"--set {name}: {err}") from None
    return out


def load_spec(args: argparse.Namespace, name: str | None = None, notes: bool = True,
              where: Located | None = None):
    """The Spec the arguments name (or ``name``, with their --depth and --set), validated here, not later.

    Its notes go to stderr unless ``notes`` is false (a caller that prints them in its own output).
    ``where`` is the name's :class:`~symparams.catalog.Located`, where the caller has read it already.
    """
    from ..catalog import resolve, shadowed

    name = args.model if name is None else name
    note = shadowed(name) if isinstance(name, str) else None
    if note:
        print(f"symparams: note: {note}", file=sys.stderr)
    spec = resolve(name, args.depth, parse_sets(args.sets), where)
    spec.env  # validate now, so errors surface before any output
    if notes:
        print_notes(spec)
    return spec


def print_notes(spec) -> None:
    """What the reader noted about the config (a default it took, what transformers builds but cannot run, what
    is not counted), one line each on stderr, so the figures on stdout stay as they are."""
    from . import one_line

    for note in spec.notes:
        print(f"symparams: note: {one_line(note)}", file=sys.stderr)


def add_seq_argument(p: argparse.ArgumentParser, what: str = "context length T in tokens") -> None:
    p.add_argument("--seq", type=positive_int, metavar="T",
                   help=f"{what} (default: the model's own context, from its config or its family)")


def context_length(spec, given: int | None) -> tuple[int, str]:
    """The context length T a command uses, and where it came from (printed with the figures).

    ``--seq`` if given, else the model's own: its config's context field, or its family's
    stated default (nanochat's sequence_len) for the models a ladder builds.
    """
    if given is not None:
        return given, "--seq"
    if spec.context is not None:
        return int(spec.context), "the model's context"
    raise SymparamsError(f"{spec.name} states no context length; give --seq T")


def emit_json(obj: Any, indent: int | None = 2) -> None:
    """``obj`` as JSON on stdout; ``indent=None`` puts it on one line (one object per line for many models)."""
    json.dump(obj, sys.stdout, indent=indent)
    sys.stdout.write("\n")


def cache_key(args: argparse.Namespace, models: list[object] | None = None) -> str | None:
    """The key under which this run's output is cached (symparams.cache): the command, its
    arguments and what its models point to; None when something cannot be pinned down."""
    from ..cache import key_for

    given = {k: v for k, v in vars(args).items() if not k.startswith("_")}
    named = given.get("model") if models is None else models
    return key_for(str(given.get("command")), given.items(), named if isinstance(named, list) else [named])
