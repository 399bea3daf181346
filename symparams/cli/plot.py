"""Charts as PNG, SVG or PDF: parameters by component as a model grows (stacked), the embedding
share as it grows, a tornado of each size's elasticity (sensitivity), memory stacked by
part as the context or batch grows, and the compute-optimal frontier of the scaling laws
with real models marked at their parameters and published training tokens.

breakdown and embedding-share vary one size of MODEL: --vary L (depth, the default)
or --vary D (width), over --values (a list 4,8,16 or a range LOW:HIGH:STEP). A
depth-sized family (nanochat) walks its own ladder in depth; any other model is
rebuilt with that one size changed, from a quarter to twice its own unless
--values says otherwise. Titles name the model and every --set value.

memory draws MODEL's memory reading (weights, gradients, optimizer state, activations;
with --inference weights and KV cache) --against context (the default; batch held at
--batch) or batch (context held at --seq, by default the model's own), over --values.

frontier marks the models of symparams.scaling.trained (published token counts, each
with its source; N is symparams' own count of the preset): --mark none leaves them out,
--mark llama-2-7b,phi-2 keeps those.

Needs matplotlib (pip install 'symparams[plot]'). matplotlib writes its font cache
to its config folder (~/.cache/matplotlib) on first use; set MPLCONFIGDIR to keep it
elsewhere, such as a temporary folder.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Callable

from ..config import short
from .common import parse_sets, positive_int

# Depths of a depth-sized family drawn when none are given (nanochat's guide and more).
DEFAULT_DEPTHS = (4, 8, 12, 16, 20, 26, 32)
MAX_SIZES = 64

if TYPE_CHECKING:
    from ..spec import Spec


def _sizes(text: str) -> list[int]:
    """``4,8,12`` or ``LOW:HIGH:STEP`` (both ends included when the step lands on them)."""
    text = text.strip()
    if ":" in text:
        parts = [t.strip() for t in text.split(":")]
        if len(parts) != 3 or not all(parts):
            raise argparse.ArgumentTypeError(f"{short(text)} is not a range LOW:HIGH:STEP such as 8:64:8")
        low, high, step = (positive_int(p) for p in parts)
        if high < low:
            raise argparse.ArgumentTypeError(f"range {short(text)} must rise")
        if (high - low) // step + 1 > MAX_SIZES:
            raise argparse.ArgumentTypeError(f"range {short(text)} has more than {MAX_SIZES} sizes")
        return list(range(low, high + 1, step))
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("give at least one size")
    if len(items) > MAX_SIZES:
        raise argparse.ArgumentTypeError(f"at most {MAX_SIZES} sizes")
    return [positive_int(t) for t in items]


def _range(text: str) -> tuple[str, str]:
    low, sep, high = text.partition(":")
    if not sep or not low.strip() or not high.strip():
        raise argparse.ArgumentTypeError(f"{short(text)} is not a range LOW:HIGH such as 1e18:1e26")
    return low.strip(), high.strip()


def _laws(text: str) -> list[str]:
    from ..scaling import LAWS, RULE

    laws = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in laws if t not in (*LAWS, RULE)]
    if not laws or bad:
        raise argparse.ArgumentTypeError(f"unknown law {', '.join(bad) or text!r} (known: {', '.join([*LAWS, RULE])})")
    return laws


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..plot import FORMATS, KINDS, KNOBS

    p.add_argument("kind", choices=KINDS, metavar="KIND", help=f"one of {', '.join(KINDS)}")
    p.add_argument("model", nargs="?", default="nanochat", metavar="MODEL",
                   help="any model: a family, a preset or a config.json path (default nanochat)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="where to write: " + ", ".join(f"FILE.{f}" for f in FORMATS))
    p.add_argument("--vary", choices=tuple(KNOBS), help="the size that grows: L (depth, the default) or D (width)")
    p.add_argument("--values", type=_sizes, metavar="SIZES", help="sizes to draw: 4,8,16 or LOW:HIGH:STEP")
    p.add_argument("--depths", type=_sizes, metavar="DEPTHS", help="the same as --vary L --values DEPTHS")
    p.add_argument("--depth", type=positive_int, help="depth of a depth-sized family held while --vary D")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="set a symbol at every size")
    p.add_argument("--law", dest="laws", type=_laws, default=["hoffmann", "epoch", "tokens-per-param"],
                   help="comma-separated laws for the frontier")
    p.add_argument("--compute", type=_range, default=("1e18", "1e26"), metavar="LOW:HIGH",
                   help="compute range in FLOPs (frontier)")
    p.add_argument("--ratio", metavar="R", help="tokens per parameter for the tokens-per-param rule")
    p.add_argument("--mark", type=_marks, default=None, metavar="PRESETS",
                   help="frontier: the trained models to mark (all by default; none; or a comma-separated list)")
    p.add_argument("--against", choices=("context", "batch"), default="context",
                   help="memory: what grows (default context)")
    p.add_argument("--seq", type=positive_int, metavar="T", help="memory: the context held while the batch grows")
    p.add_argument("--batch", type=positive_int, default=1, metavar="B",
                   help="memory: the batch held while the context grows (default 1)")
    p.add_argument("--inference", action="store_true", help="memory: weights and KV cache instead of training")
    p.add_argument("--dtype", default="bf16", help="memory: weight precision (default bf16)")
    p.add_argument("--optimizer", metavar="NAME", help="memory: the optimizer for training (default mixed-adamw)")


def _marks(text: str) -> tuple[str, ...]:
    from ..scaling.trained import TRAINED

    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if names == ("none",):
        return ()
    known = [t.preset for t in TRAINED]
    bad = [n for n in names if n not in known]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"no published tokens for {', '.join(bad) or text!r} "
                                         f"(known: {', '.join(known)}; or none)")
    return names


def _label(name: str, overrides: dict[str, Any]) -> str:
    return ", ".join([name] + [f"{k}={v}" for k, v in overrides.items()])


def series(args: argparse.Namespace):
    """The size series the arguments ask for: the model resolved by name, one size varied."""
    from sympy import Integer

    from ..catalog import depth_families, resolve
    from ..errors import SymparamsError
    from ..plot import default_sizes, size_series, vary
    from ..symbols import symbol

    if args.depths and (args.values or args.vary == "D"):
        raise SymparamsError("--depths is --vary L --values DEPTHS; give one of them")
    knob = "L" if args.depths else (args.vary or "L")
    sizes = args.depths or args.values
    overrides = parse_sets(args.sets)
    if knob in overrides:
        raise SymparamsError(f"--set {knob} fixes the size the chart varies")
    fam = depth_families().get(args.model)
    if fam is not None and knob == "L":
        if args.depth is not None:
            raise SymparamsError("--depth holds the depth; with --vary L give the depths as --values")

        def at_depth(d: int) -> Spec:
            return fam.at_depth(d, **overrides)

        return size_series(at_depth, sizes or DEFAULT_DEPTHS, "L", _label(args.model, overrides))
    spec = resolve(args.model, args.depth, overrides)
    spec.env  # noqa: B018 - validate before drawing
    build: Callable[[int], Spec]
    if fam is not None:
        depth = args.depth

        def at_size(v: int) -> Spec:
            other = fam.at_depth(depth, **{**overrides, knob: Integer(v)})
            other.total  # noqa: B018
            return other

        build = at_size
    else:
        build = vary(spec, knob)
    own = int(spec.env[symbol(knob)])
    return size_series(build, sizes or default_sizes(build, own), knob, _label(spec.name, overrides))


def _memory_series(args: argparse.Namespace):
    from ..catalog import resolve
    from ..errors import SymparamsError
    from ..plot import memory_series

    if args.depths or args.vary:
        raise SymparamsError("the memory chart grows the context or batch: give --against and --values")
    if args.against == "context" and args.seq is not None:
        raise SymparamsError("--seq holds the context while the batch grows; with --against context give --values")
    if args.against == "batch" and args.batch != 1:
        raise SymparamsError("--batch holds the batch while the context grows; with --against batch give --values")
    overrides = parse_sets(args.sets)
    spec = resolve(args.model, args.depth, overrides)
    spec.env  # noqa: B018 - validate before drawing
    return memory_series(spec, args.against, args.values or (), _label(spec.name, overrides),
                         training=not args.inference, seq=args.seq, batch=args.batch, dtype=args.dtype,
                         optimizer=args.optimizer)


def _trained(marks: tuple[str, ...] | None):
    """The table's models, each counted by symparams from its preset."""
    from ..catalog import model
    from ..plot import trained
    from ..scaling.trained import TRAINED

    rows = [t for t in TRAINED if marks is None or t.preset in marks]
    return [trained(model(t.preset), t.tokens, t.model, t.source) for t in rows]


def _refuse_misplaced(args: argparse.Namespace) -> None:
    """Options of one chart given to another are refused, not silently ignored."""
    from ..errors import SymparamsError

    owners = {
        "memory": [("--against", args.against != "context"), ("--seq", args.seq is not None),
                   ("--batch", args.batch != 1), ("--inference", args.inference), ("--dtype", args.dtype != "bf16"),
                   ("--optimizer", args.optimizer is not None)],
        "frontier": [("--mark", args.mark is not None), ("--ratio", args.ratio is not None)],
    }
    sized = [("--vary", args.vary is not None), ("--values", args.values is not None),
             ("--depths", args.depths is not None)]
    if args.kind in ("sensitivity", "frontier") and any(set_ for _, set_ in sized):
        given = [flag for flag, set_ in sized if set_]
        raise SymparamsError(f"{', '.join(given)} size{'s' if len(given) == 1 else ''} a series; the {args.kind} chart "
                             "draws none")
    for kind, flags in owners.items():
        given = [flag for flag, set_ in flags if set_]
        if given and args.kind != kind:
            raise SymparamsError(f"{', '.join(given)} belong{'s' if len(given) == 1 else ''} to the {kind} chart, "
                                 f"not to {args.kind}")


def run(args: argparse.Namespace) -> int:
    from ..config import printable
    from ..plot import output_format, plot

    output_format(args.output)  # refuse a format before any model is built
    _refuse_misplaced(args)
    if args.kind == "memory":
        path = plot("memory", args.output, series=_memory_series(args))
    elif args.kind == "frontier":
        path = plot("frontier", args.output, laws=args.laws, compute=args.compute, ratio=args.ratio,
                    models=_trained(args.mark))
    elif args.kind == "sensitivity":
        from ..catalog import resolve

        overrides = parse_sets(args.sets)
        spec = resolve(args.model, args.depth, overrides)
        spec.env  # noqa: B018 - validate before drawing
        path = plot("sensitivity", args.output, model=spec, title=_label(spec.name, overrides))
    else:
        path = plot(args.kind, args.output, series=series(args))
    print(f"wrote {printable(path)}")
    return 0
