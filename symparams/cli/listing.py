"""What symparams knows: the depth-sized families, the presets, and every family with its model types.

A MODEL argument is one of these names (presets match in any case), a config.json whose
``model_type`` a family reads, a checkpoint folder or file, or a Hub id ``org/name``.
"""

from __future__ import annotations

import argparse

from .common import emit_json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..catalog import listing
    from ..format import human, table

    known = listing()
    if args.json:
        emit_json(known)
        return 0
    print("depth-sized families (MODEL --depth N):")
    print(table([(f["name"], str(f["default_depth"]), f["summary"]) for f in known["depth_families"]],
                ("name", "default depth", "summary"), "lrl", indent="  "))
    print()
    print("presets (any case):")
    print(table([(p["name"], p["model_type"] or "", f"{p['total']:,}", human(p["total"])) for p in known["presets"]],
                ("name", "model_type", "parameters", "rounded"), "llrr", indent="  "))
    print()
    print(f"families ({len(known['families'])}, reading {len(known['model_types'])} model types of config.json):")
    print(table([(f["name"], ", ".join(f["model_types"]) or "(depth only)") for f in known["families"]],
                ("family", "model types"), "ll", indent="  "))
    return 0
