"""Exact parameter count of a model, with a per-component breakdown table.

Each row is a node of the model's module tree: its module, its formula per copy,
its exact count (times the copies, e.g. x L for everything in a block) and its
share of the total.
"""

from __future__ import annotations

import argparse

from ..errors import SymparamsError
from .common import add_model_arguments, emit_json, load_spec


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)
    p.add_argument("--checkpoint", action="store_true",
                   help="also read the tensors of MODEL's checkpoint (a folder, .safetensors, index or .gguf) from "
                        "their headers alone: the exact stored count and bytes by dtype, beside the symbolic count")


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


def _checkpoint_only(args: argparse.Namespace, ckpt) -> int:
    """A checkpoint with no config.json beside it: what its headers say, and nothing symbolic."""
    if args.json:
        emit_json({"model": ckpt.source, "checkpoint": ckpt.to_json()})
        return 0
    print(f"{ckpt.source} ({ckpt.format}): {ckpt.total:,} parameters in {len(ckpt.tensors):,} tensors, "
          f"{ckpt.file_bytes:,} bytes; no config.json beside it, so no symbolic count")
    for dtype, n in ckpt.bytes_by_dtype().items():
        print(f"  {dtype}: {ckpt.params_by_dtype()[dtype]:,} parameters, {n:,} bytes")
    return 0


def run(args: argparse.Namespace) -> int:
    ckpt = None
    if getattr(args, "checkpoint", False):
        from ..catalog import locate
        from ..checkpoint import read_checkpoint

        ckpt = read_checkpoint(args.model)
        try:
            locate(args.model)
        except SymparamsError:
            return _checkpoint_only(args, ckpt)
    spec = load_spec(args)
    if args.json:
        out = report(spec)
        if ckpt is not None:
            out["checkpoint"] = ckpt.to_json()
        emit_json(out)
        return 0
    from ..format import human

    values = ", ".join(f"{k}={v}" for k, v in {**spec.int_values(), **spec.derived_values()}.items())
    print(f"{spec.name}: {spec.total:,} parameters ({human(spec.total)})")
    print(f"values: {values}")
    print()
    print(str(spec.breakdown()))
    if spec.active_total != spec.total:
        print(f"\nactive per token: {spec.active_total:,} ({human(spec.active_total)}) = {spec.active_form}")
    if ckpt is not None:
        same = "equal to" if ckpt.total == spec.total else "DIFFERENT from"
        print(f"\ncheckpoint {ckpt.source} ({ckpt.format}): {ckpt.total:,} stored parameters, {same} the symbolic count")
        for dtype, n in ckpt.bytes_by_dtype().items():
            print(f"  {dtype}: {ckpt.params_by_dtype()[dtype]:,} parameters, {n:,} bytes")
    return 0
