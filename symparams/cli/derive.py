"""A model's parameter count derived step by step, as Markdown, LaTeX or terminal text.

Every formula and number in the document is computed from the model's module tree:
each component's module, formula, substitution and exact count; blocks, layers and
total; the closed form; approximations and their errors; shares; the family's sizes;
GQA/MQA; derivatives; insights; practice problems with solutions.

The format follows -o's extension (.md, .tex, .txt) unless --format says otherwise;
without either, text for the terminal.
"""

from __future__ import annotations

import argparse
import os

from .common import add_model_arguments

_SUFFIXES = {".md": "md", ".markdown": "md", ".tex": "tex", ".txt": "text", ".text": "text"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, json_flag=False)
    p.add_argument("--format", choices=("md", "tex", "text"), help="md (GitHub), tex (pdflatex) or text (terminal)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the document to FILE instead of printing it")


def run(args: argparse.Namespace) -> int:
    from ..errors import SymparamsError
    from ..report import Source, document, render
    from .common import parse_sets

    fmt = args.format or _SUFFIXES.get(os.path.splitext(args.output or "")[1].lower(), "text")
    source = Source(args.model, args.depth, tuple(parse_sets(args.sets).items()))
    spec = source.spec()
    spec.env  # noqa: B018 - validate before any output
    text = render(document(spec, source), fmt)
    if not args.output:
        print(text, end="")
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as err:
        raise SymparamsError(f"cannot write {args.output}: {err.strerror or err}") from None
    return 0
