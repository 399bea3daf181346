"""What symparams knows: the depth-sized families, the presets, every family with its model types, and the learned families.

Learned families (``symparams learn``) are listed apart: they count parameters from the shapes
transformers builds, but give no KV cache, attention FLOPs or activations.

A MODEL argument is one of these names (presets match in any case), a config.json whose
``model_type`` a family reads, a checkpoint folder or file, or a Hub id ``org/name``.
"""

from __future__ import annotations

import argparse
import textwrap

from .common import emit_json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..catalog import listing
    from ..format import human, table

    known = listing()
    known.update(learned_listing())
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
    learned = known["learned_families"]
    print()
    print(f"learned families ({len(learned)}, parameter counts only: no KV cache, attention FLOPs or activations):")
    print(textwrap.fill(", ".join(f["model_type"] for f in learned) or "(none)", 100,
                        initial_indent="  ", subsequent_indent="  "))
    refused = known["refused_model_types"]
    if refused:
        print()
        print(f"model types learn refused ({len(refused)}):")
        print(table([(r["model_type"], r["category"]) for r in refused], ("model type", "why"), "ll", indent="  "))
    return 0


def learned_listing() -> dict:
    """The shipped learned families and the model types ``learn --all`` refused, with why."""
    from ..families import FAMILIES
    from ..families.learned import coverage, learned, refused, shipped

    families = []
    for model_type in shipped():
        if model_type in FAMILIES.by_type:
            continue
        family = learned(model_type)
        assert family is not None
        families.append({"model_type": model_type, "kind": "learned", "transformers": family.transformers,
                         "fields": sorted(family.fields), "fixed": sorted(family.fixed),
                         "variants": sorted(family.variant_data), "free": list(family.free),
                         "derived": sorted(family.derived), "legacy": dict(family.legacy),
                         "unread": sorted(family.unread), "positive": list(family.positive),
                         "divides": list(family.divides), "required": list(family.required),
                         "not_null": list(family.not_null), "lengths": dict(family.lengths),
                         "rope_kinds": dict(family.rope_kinds), "token_rows": list(family.token_rows),
                         "kinds_needed": dict(family.kinds_needed), "mirrors": dict(family.mirrors),
                         "same_parameters": list(family.same_parameters), "relations": list(family.relations)})
    refusals = [{"model_type": t, "reason": r.get("reason"), "category": r.get("category")}
                for t, r in sorted(refused().get("refused", {}).items()) if t not in FAMILIES.by_type]
    counts = {k: v for k, v in coverage().items() if k in ("transformers", "causal_lm", "hand_written", "learned", "refused")}
    return {"learned_families": families, "refused_model_types": refusals, "coverage": counts}
