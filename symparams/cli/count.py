"""Exact parameter count of a model, with a per-component breakdown table.

Each row is a node of the model's module tree: its module, its formula per copy,
its exact count (times the copies, e.g. x L for everything in a block) and its
share of the total.
"""

from __future__ import annotations

import argparse

from .common import add_model_arguments, emit_json, load_spec


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)


def report(spec) -> dict:
    """The JSON object ``count --json`` prints."""
    out = {
        "model": spec.name,
        "total": spec.total,
        "formula": str(spec.closed_form),
        "config": spec.int_values(),
        "derived": spec.derived_values(),
        "components": spec.breakdown().to_json(),
    }
    if spec.active_total != spec.total:
        out["active"] = spec.active_total
        out["active_formula"] = str(spec.active_form)
    return out


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    if args.json:
        emit_json(report(spec))
        return 0
    from ..format import human

    values = ", ".join(f"{k}={v}" for k, v in {**spec.int_values(), **spec.derived_values()}.items())
    print(f"{spec.name}: {spec.total:,} parameters ({human(spec.total)})")
    print(f"values: {values}")
    print()
    print(str(spec.breakdown()))
    if spec.active_total != spec.total:
        print(f"\nactive per token: {spec.active_total:,} ({human(spec.active_total)}) = {spec.active_form}")
    return 0
