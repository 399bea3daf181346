"""Count every combination of size grids: depth x width x vocabulary x GQA ratio, exactly.

Each --grid NAME=START:STOP[:STEP] (STOP included when reached; STEP 1 by
default; fractions such as e=2:4:1/3 allowed for e), NAME=A,B,C or NAME=VALUE
adds an axis; the rows are all their combinations, each with its total and the
count of every top-level component (and the active count for mixtures of
experts). NAME is one of the model's symbols (V, D, L, H, H_kv, e, ...) or, for
nanochat and nanochat-2026, depth (which sets D, H and L the way the family
does; other axes then override it).

Invalid combinations (H not dividing D, H_kv not dividing H, e*D not whole,
top-k above the experts, a head transformers rotates whole that is odd and
above 4, ...) are skipped, never rounded or guessed: a summary
line on stderr says how many were skipped and which rule each broke first.
Values that can never be valid (zero, negative, a fraction for a whole size)
are an error, and so is a grid of more than 1,000,000 combinations.

--chunk N streams larger grids (up to 10^10 combinations) in chunks of N rows,
each counted through NumPy and written before the next is formed, so memory
stays constant: to csv, or to parquet when pyarrow is installed. A progress
line is drawn on stderr while it runs, only when stderr is a terminal (so logs
and pipes get the summary line alone).
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, cast

from .common import parse_sets, positive_int


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a family (nanochat), a preset (llama-2-7b) or a config.json path")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=START:STOP[:STEP]", required=True,
                   help="an axis: NAME=START:STOP[:STEP] (STOP included), NAME=A,B,C or NAME=VALUE; repeat for more axes")
    p.add_argument("--depth", type=positive_int, help="depth for depth-sized families, when depth is not an axis")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="set a symbol for every combination (a number or an expression in the model's symbols)")
    p.add_argument("--format", choices=("csv", "json", "npy", "parquet"), default="csv",
                   help="output format (default csv; parquet streams, and needs pyarrow)")
    p.add_argument("--chunk", type=positive_int, metavar="N",
                   help="stream the grid N combinations at a time (constant memory, up to 10^10 combinations; "
                        "csv or parquet)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from ..catalog import depth_families, ladder, resolve
    from ..errors import SymparamsError
    from ..sweep import parse_axis, sweep, write

    axes = [parse_axis(text) for text in args.grid]
    sets = parse_sets(args.sets)
    both = [a.name for a in axes if a.name in sets]
    if both:
        raise SymparamsError(f"{both[0]} is given by --set and swept by --grid; give it one way")
    target = None
    if any(a.name == "depth" for a in axes):
        if args.model not in depth_families():
            raise SymparamsError(f"--grid depth applies only to the depth-sized families ({', '.join(depth_families())}), "
                                 f"not {args.model!r}")
        if args.depth is not None:
            raise SymparamsError("give either --depth or --grid depth=..., not both")
        build = ladder(args.model)
        target = lambda depth: build(depth, **sets)  # noqa: E731
    chosen = target or resolve(args.model, args.depth, sets)
    if args.chunk is not None or args.format == "parquet":
        return _stream(args, chosen, axes)
    try:
        result = sweep(chosen, axes, exact=args.format != "npy")
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
        write(result, args.format, cast(IO[bytes], _Plain(sys.stdout.buffer)))
        sys.stdout.buffer.flush()
    else:
        write(result, args.format, sys.stdout)
    print(f"symparams sweep: {result.summary()}", file=sys.stderr)
    return 0


def _stream(args: argparse.Namespace, chosen, axes) -> int:
    """``--chunk``: the grid streamed to the output chunk by chunk, a progress line on a terminal's stderr."""
    from ..errors import SymparamsError
    from ..sweep import MAX_COMBINATIONS, needs_pyarrow, stream

    chunk = args.chunk or MAX_COMBINATIONS
    binary = args.format == "parquet"
    if binary:
        needs_pyarrow()
    progress = _Progress() if sys.stderr.isatty() else None
    if args.output:
        try:
            with open(args.output, "wb" if binary else "w", newline=None if binary else "") as fh:
                result = stream(chosen, axes, chunk, fh, args.format, progress)
        except OSError as err:
            raise SymparamsError(f"cannot write {args.output}: {err.strerror or err}") from None
    elif binary:
        if sys.stdout.isatty():
            raise SymparamsError("parquet output is binary: give -o FILE (or redirect standard output)")
        result = stream(chosen, axes, chunk, sys.stdout.buffer, args.format, progress)
    else:
        result = stream(chosen, axes, chunk, sys.stdout, args.format, progress)
    if progress is not None:
        progress.done()
    print(f"symparams sweep: {result.summary()}", file=sys.stderr)
    return 0


class _Progress:
    """One line on stderr, redrawn at most five times a second: share done, rate, time left."""

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.start = self.last = self.clock()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.last < 0.2 and done < total:
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        left = (total - done) / rate if rate else 0.0
        sys.stderr.write(f"\rsymparams sweep: {100 * done / total:5.1f}% ({done:,} of {total:,}), "
                         f"{rate:,.0f} combinations/s, about {left:,.0f} s left ")
        sys.stderr.flush()
        self.drawn = True

    def done(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")


class _Plain:
    """Standard output as numpy sees any stream: it writes a real file with ``tofile``, whose failure when the
    reader has gone (``| head -c 10``) is a bare OSError, where Python's own write says BrokenPipeError, a reader
    that stopped, which the command line ends quietly as it does for csv and json."""

    def __init__(self, stream) -> None:
        self.write = stream.write
