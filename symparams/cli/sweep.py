"""Count every combination of size grids: depth x width x vocabulary x GQA ratio, exactly.

Each --grid NAME=START:STOP[:STEP] (STOP included when reached; STEP 1 by
default; fractions such as e=2:4:1/3 allowed for e), NAME=A,B,C or NAME=VALUE
adds an axis; the rows are all their combinations, each with its total and the
count of every top-level component (and the active count for mixtures of
experts). NAME is one of the model's symbols (V, D, L, H, H_kv, e, ...) or, for
nanochat and nanochat-2026, depth (which sets D, H and L the way the family
does; other axes then override it).

Invalid combinations (H not dividing D, H_kv not dividing H, e*D not whole,
top-k above the experts, ...) are skipped, never rounded or guessed: a summary
line on stderr says how many were skipped and which rule each broke first.
Values that can never be valid (zero, negative, a fraction for a whole size)
are an error, and so is a grid of more than 1,000,000 combinations.
"""

from __future__ import annotations

import argparse
import sys

from .common import parse_sets, positive_int


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a family (nanochat), a preset (llama-2-7b) or a config.json path")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=START:STOP[:STEP]", required=True,
                   help="an axis: NAME=START:STOP[:STEP] (STOP included), NAME=A,B,C or NAME=VALUE; repeat for more axes")
    p.add_argument("--depth", type=positive_int, help="depth for depth-sized families, when depth is not an axis")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="set a symbol for every combination (a number or an expression in the model's symbols)")
    p.add_argument("--format", choices=("csv", "json", "npy"), default="csv", help="output format (default csv)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from ..catalog import depth_families, ladder, model
    from ..errors import SymparamsError
    from ..sweep import parse_axis, sweep, write

    axes = [parse_axis(text) for text in args.grid]
    sets = parse_sets(args.sets)
    target = None
    if any(a.name == "depth" for a in axes):
        if args.model not in depth_families():
            raise SymparamsError(f"--grid depth applies only to the depth-sized families ({', '.join(depth_families())}), "
                                 f"not {args.model!r}")
        if args.depth is not None:
            raise SymparamsError("give either --depth or --grid depth=..., not both")
        build = ladder(args.model)
        target = lambda depth: build(depth, **sets)  # noqa: E731
    try:
        result = sweep(target or model(args.model, depth=args.depth, **sets), axes, exact=args.format != "npy")
    except OverflowError:
        raise SymparamsError("a count exceeds int64, which npy cannot hold; use --format csv or json") from None
    binary = args.format == "npy"
    if args.output:
        try:
            with open(args.output, "wb" if binary else "w", newline=None if binary else "") as fh:
                write(result, args.format, fh)
        except OSError as err:
            raise SymparamsError(f"cannot write {args.output}: {err.strerror or err}") from None
    elif binary:
        if sys.stdout.isatty():
            raise SymparamsError("npy output is binary: give -o FILE (or redirect standard output)")
        write(result, args.format, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        write(result, args.format, sys.stdout)
    print(f"symparams sweep: {result.summary()}", file=sys.stderr)
    return 0
