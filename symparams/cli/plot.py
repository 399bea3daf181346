"""Charts as PNG or SVG: parameters by component versus depth (stacked), embedding share
versus depth, and the compute-optimal frontier of the scaling laws.

Needs matplotlib (pip install 'symparams[plot]').
"""

from __future__ import annotations

import argparse

from .common import parse_sets, positive_int


def _depths(text: str) -> list[int]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError("--depths needs at least one depth")
    return [positive_int(t) for t in items]


def _range(text: str) -> tuple[str, str]:
    low, sep, high = text.partition(":")
    if not sep or not low.strip() or not high.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not a range LOW:HIGH such as 1e18:1e26")
    return low.strip(), high.strip()


def _laws(text: str) -> list[str]:
    from ..scaling import LAWS, RULE

    laws = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in laws if t not in (*LAWS, RULE)]
    if not laws or bad:
        raise argparse.ArgumentTypeError(f"unknown law {', '.join(bad) or text!r} (known: {', '.join([*LAWS, RULE])})")
    return laws


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..plot import KINDS

    p.add_argument("kind", choices=KINDS, metavar="KIND", help=f"one of {', '.join(KINDS)}")
    p.add_argument("model", nargs="?", default="nanochat", metavar="MODEL", help="a depth-sized family (default nanochat)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write: FILE.png or FILE.svg")
    p.add_argument("--depths", type=_depths, default=[4, 8, 12, 16, 20, 26, 32], help="comma-separated depths")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE", help="set a symbol at every depth")
    p.add_argument("--law", dest="laws", type=_laws, default=["hoffmann", "epoch", "tokens-per-param"],
                   help="comma-separated laws for the frontier")
    p.add_argument("--compute", type=_range, default=("1e18", "1e26"), metavar="LOW:HIGH", help="compute range in FLOPs (frontier)")
    p.add_argument("--ratio", metavar="R", help="tokens per parameter for the tokens-per-param rule")


def run(args: argparse.Namespace) -> int:
    from ..plot import plot

    path = plot(args.kind, args.output, family=args.model, depths=args.depths, overrides=parse_sets(args.sets),
                laws=args.laws, compute=args.compute, ratio=args.ratio)
    print(f"wrote {path}")
    return 0
