"""Compute-optimal model size and training tokens for a compute budget, and the family size that meets it.

Laws (each cited with its exact constants in the output and the JSON):
hoffmann (Hoffmann et al. 2022, Approach 3), epoch (Besiroglu et al. 2024), kaplan
(Kaplan et al. 2020, non-embedding N), deepseek (DeepSeek LLM 2024: C = M D_tok, with its
batch-size and learning-rate laws), muennighoff (Muennighoff et al. 2023, data-constrained:
--unique-tokens), sardana (Sardana et al. 2024, training plus inference compute:
--inference-tokens) and tokens-per-param (D_tok = R*N, R = 20 unless --ratio). Tokens
are D_tok, never D (the width).

With MODEL, the depth (for a depth-sized family) or the width D (otherwise, or with --by
width) whose exact parameter count is nearest N*, with the buildable sizes either side;
--params sizes MODEL for a parameter budget instead.
"""

from __future__ import annotations

import argparse

from ..config import short
from .common import emit_json, parse_sets, positive_int


def _positive_number(text: str):
    from ..errors import SymparamsError
    from ..parse import parse_number

    if text.strip().lstrip("+-").lower() in ("nan", "inf", "infinity", "oo"):
        raise argparse.ArgumentTypeError(f"{short(text)} must be a finite positive number")
    try:
        value = parse_number(text)
    except SymparamsError as err:
        raise argparse.ArgumentTypeError(f"{short(text)} is not a number ({err})") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{short(text)} must be positive")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..scaling import RULE, law_names

    budget = p.add_mutually_exclusive_group(required=True)
    budget.add_argument("--compute", type=_positive_number, metavar="C", help="training compute in FLOPs (e.g. 5.76e23)")
    budget.add_argument("--params", type=_positive_number, metavar="N", help="a parameter budget to size MODEL for (no law)")
    p.add_argument("--law", choices=law_names(), default="hoffmann", help="scaling law (default hoffmann)")
    p.add_argument("--ratio", type=_positive_number, metavar="R", help=f"tokens per parameter for {RULE} (default 20)")
    p.add_argument("--unique-tokens", type=_positive_number, metavar="U", help="unique training tokens available (muennighoff)")
    p.add_argument("--inference-tokens", type=_positive_number, metavar="D_INF",
                   help="tokens the model will serve over its lifetime (sardana)")
    p.add_argument("model", nargs="?", metavar="MODEL", help="size this family or model to meet N*")
    p.add_argument("--depth", type=positive_int, help="base depth when sizing a depth family by width")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE", help="set a symbol of MODEL")
    p.add_argument("--by", choices=["depth", "width"], help="the knob to size (default: depth for depth families, else width)")
    p.add_argument("--keep-heads", action="store_true",
                   help="size the width holding H (d_h = D/H follows D) instead of growing H at the model's head size")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..errors import SymparamsError
    from ..scaling import optimal

    if args.params is not None and args.model is None:
        raise SymparamsError("--params needs a MODEL to size")
    if args.model is None and (args.sets or args.depth or args.by or args.keep_heads):
        raise SymparamsError("--set, --depth, --by and --keep-heads need a MODEL")
    opt = None
    if args.compute is not None:
        opt = optimal(args.compute, args.law, args.ratio, unique_tokens=args.unique_tokens,
                      inference_tokens=args.inference_tokens)
    elif any(x is not None for x in (args.ratio, args.unique_tokens, args.inference_tokens)):
        raise SymparamsError("--ratio, --unique-tokens and --inference-tokens go with --compute and a law")
    fit = None
    if args.model is not None:
        target = opt.params_budget if opt is not None else args.params
        fit = _fit(args, target, opt.measure if opt is not None else "parameters")
        if opt is not None and fit.below is None and fit.params != target:
            raise SymparamsError(
                f"a compute budget of {float(opt.compute):.4g} FLOPs gives N* = {target:,} {opt.measure}, below the "
                f"smallest buildable {args.model} ({fit.spec.name}: {fit.params:,})")
    if args.json:
        out = opt.to_json() if opt is not None else {}
        if fit is not None:
            out["fit"] = fit.to_json()
        emit_json(out)
        return 0
    if opt is not None:
        _print_optimum(opt)
    if fit is not None:
        _print_fit(fit, opt)
    return 0


def _fit(args: argparse.Namespace, target, measure: str):
    from ..catalog import depth_families, ladder, resolve
    from ..errors import SymparamsError
    from ..scaling import fit_depth, fit_width

    sets = parse_sets(args.sets)
    by = args.by or ("depth" if args.model in depth_families() else "width")
    if by == "depth":
        if args.model not in depth_families():
            raise SymparamsError(f"--by depth needs a depth-sized family ({', '.join(depth_families())}), not {args.model!r}")
        if args.depth is not None:
            raise SymparamsError("--depth is chosen by the sizing; drop it or use --by width")
        if "D" in sets or "L" in sets:
            raise SymparamsError("sizing by depth sets L and D itself; do not --set them")
        if args.keep_heads:
            raise SymparamsError("--keep-heads applies to sizing by width")
        build = ladder(args.model)
        return fit_depth(lambda depth: build(depth, **sets), target, measure)
    return fit_width(resolve(args.model, args.depth, sets), target, keep_heads=args.keep_heads, measure=measure)


def _print_optimum(opt) -> None:
    from ..format import human

    n_form, d_form = opt.formula()
    print(f"{opt.law} ({opt.source}) at C = {float(opt.compute):.4g} FLOPs, {opt.budget_line}:")
    what = "parameters" if opt.measure == "parameters" else opt.measure
    print(f"  N* = {n_form} = {opt.params:.4g} {what} ({human(opt.params_budget)})")
    print(f"  D_tok* = {d_form} = {opt.tokens:.4g} tokens")
    print(f"  tokens per parameter D_tok*/N* = {opt.tokens_per_param:.1f}")
    if opt.loss is not None:
        print(f"  predicted loss L(N*, D_tok*) = {opt.loss:.4f}")
    for extra in opt.extras:
        print(f"  {extra.label} = {_value(extra.value)}{' ' + extra.unit if extra.unit else ''}")
    if opt.citation:
        print(f"  source: {opt.citation}")
    for note in opt.notes:
        print(f"  note: {note}")


def _value(x) -> str:
    if x.is_Integer:
        return f"{int(x):,}"
    return f"{float(x):.4g}"


def _print_fit(fit, opt) -> None:
    from ..format import human

    what = "N*" if opt is not None else "the budget"
    counted = "parameters" if fit.measure == "parameters" else fit.measure
    print(f"{fit.spec.name}: {fit.params:,} {counted} ({human(fit.params)}), the {fit.knob} nearest {what} = {fit.target:,}")
    if fit.knob == "width":
        print(f"  sizes: {', '.join(f'{k}={v}' for k, v in {**fit.spec.int_values(), **fit.spec.derived_values()}.items())}")
    print(f"  rule: {fit.rule}")
    for label, side in (("below", fit.below), ("above", fit.above)):
        if side:
            print(f"  {label}: {fit.knob} {side[0]:,} -> {side[1]:,}")
