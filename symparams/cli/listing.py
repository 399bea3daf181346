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


def listing() -> dict:
    """What symparams knows, for ``symparams list``: depth-sized families, presets, families and model types.

    Presets carry their family, model_type and exact total (each counted from its shape's
    shipped forms where a cache is in use, else from its tree). Families are the hand-written
    ones of the registry; each lists the config ``model_type`` values it reads and what it
    does not model, if anything.
    """
    from ..catalog import PRESET_PREFIX, depth_families, preset_paths
    from ..config import read_json
    from ..counting import from_forms, named
    from ..families import FAMILIES, from_dict

    ladders = [{"name": name, "summary": fam.summary, "default_depth": fam.default_depth}
               for name, fam in depth_families().items()]
    presets = []
    for name in sorted(preset_paths()):
        found = named(PRESET_PREFIX + name)
        counted = from_forms(found) if found is not None else None
        if counted is not None and found is not None and found.plain is not None:
            data, family, total = found.where.data, found.plain[1].name, counted.report["total"]
        else:
            data = read_json(preset_paths()[name])  # type: ignore[arg-type]
            spec = from_dict(data, f"preset {name}", name=name)
            family, total = spec.family, spec.total
        presets.append({"name": name, "model_type": data.get("model_type"), "family": family, "total": total})
    families = [{"name": fam.name, "kind": "hand-written", "model_types": list(fam.model_types), "summary": fam.summary,
                 "refused": fam.refused or None} for fam in FAMILIES]
    return {"depth_families": ladders, "presets": presets, "families": families,
            "model_types": FAMILIES.model_types()}


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
                         "rope_types": dict(family.rope_types),
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
