r"""The closed form and every component's formula as LaTeX, ready for a paper.

One align environment: the total N (and, for a mixture of experts, the parameters
A one token passes through), then each component per copy with its number of
copies, e.g. (\times L), then the derived sizes (d_h = D/H, ...). Only N and A
are numbered. Symbols are typeset V, D, L, H, H_{\mathrm{kv}}, e, d_h. --values
appends each exact count; --standalone wraps it all in a document that pdflatex
compiles (amsmath and geometry).
"""

from __future__ import annotations

import argparse

from .common import add_model_arguments


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, json_flag=False)
    p.add_argument("--values", action="store_true", help="append each row's exact count at the model's sizes")
    p.add_argument("--environment", default="align", choices=("align", "align*"),
                   help="align (the results N and A numbered, the default) or align* (nothing numbered)")
    p.add_argument("--standalone", action="store_true", help="wrap in a complete LaTeX document")


def run(args: argparse.Namespace) -> int:
    from ..latex import align, standalone
    from .common import load_spec

    spec = load_spec(args)
    body = align(spec, values=args.values, environment=args.environment)
    print(standalone(body, spec.name) if args.standalone else body, end="" if args.standalone else "\n")
    return 0
