"""The closed form of a model's parameter count, in its symbols.

Relations such as d_h = D/H and F = e*D are substituted; symbols you set with
--set to numbers stay symbols here (the formula is the family's, not the point's).
"""

from __future__ import annotations

import argparse
import sys

from .common import add_model_arguments, cache_key, emit_json, load_spec


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of SymPy text")


__all__ = ["add_arguments", "run", "cache_key"]


def run(args: argparse.Namespace) -> int:
    from ..counting import learned_note
    from ..latex import latex

    spec = load_spec(args)
    form = spec.closed_form
    note = learned_note(spec)
    if args.json:
        out = {"model": spec.name, "formula": str(form), "latex": latex(form),
               "relations": {str(s): str(r) for s, r in spec.relations}}
        emit_json({**out, "family_source": "learned"} if note else out)
        return 0
    if note:
        print(f"symparams: note: {note}", file=sys.stderr)
    if args.latex:
        print(latex(form))
    else:
        print(form)
    return 0
