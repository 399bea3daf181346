"""Write ``tests/cases/family_counts.json``: parameter counts of many configs, as transformers builds them.

Run it (with torch and transformers installed) whenever a family, a strategy or a fixture
changes::

    python tests/cases/make_family_counts.py

For every model_type symparams registers it draws seeded examples from that family's
Hypothesis strategy (``strategies.CONFIGS``, which every group of families fills, so a
new family is picked up without touching this script), and it takes every real config
in ``tests/fixtures/configs`` whose model_type is registered. Each config is built by
transformers on the meta device (shapes without storage), and its distinct parameters
are counted in total and per group. The groups sort transformers' parameter names by the
family's table of module names (``Family.group``), the one mapping ``verify`` uses.

``tests/test_golden.py`` then checks symparams against every case exactly, on machines
without torch. Nothing here comes from symparams' own counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

from symparams.families import FAMILIES  # noqa: E402

OUT = HERE / "family_counts.json"
FIXTURES = TESTS / "fixtures" / "configs"
EXAMPLES = 8


def draw_examples(strategy, count: int) -> list[dict]:
    """``count`` distinct examples of ``strategy``, the same on every run (derandomized Hypothesis)."""
    from hypothesis import HealthCheck, Phase, given, settings

    seen: list[dict] = []

    @settings(max_examples=count * 4, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(strategy)
    def collect(example: dict) -> None:
        if example not in seen and len(seen) < count:
            seen.append(example)

    collect()
    return seen


def declared_fields(model_type: str) -> set[str]:
    import dataclasses
    import inspect

    import transformers

    cls = transformers.CONFIG_MAPPING[model_type]
    try:
        return {f.name for f in dataclasses.fields(cls)}
    except TypeError:
        return set(inspect.signature(cls.__init__).parameters)


def build_counts(config: dict) -> tuple[int, dict[str, int]]:
    """transformers' distinct parameters for ``config`` on the meta device: the total and the sum per group.

    As ``verify`` does, ``auto_map`` is dropped (no remote code runs) and so are "_" bookkeeping
    keys the config class does not declare (OPT's ``_remove_final_layer_norm`` is declared and kept).
    """
    import torch
    import transformers

    model_type = config["model_type"]
    declared = declared_fields(model_type)
    fields = {k: v for k, v in config.items()
              if k not in ("model_type", "auto_map") and (not k.startswith("_") or k in declared)}
    built = transformers.AutoConfig.for_model(model_type, **fields)
    family = FAMILIES.by_type[model_type]
    with torch.device("meta"):  # the class whose weights the family counts, where AutoModelForCausalLM builds another
        model = (getattr(transformers, family.model_class)._from_config(built) if family.model_class else
                 transformers.AutoModelForCausalLM.from_config(built))
    seen: set[int] = set()
    groups: dict[str, int] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) in seen:
            continue
        seen.add(id(p))
        group = family.group(name)
        groups[group] = groups.get(group, 0) + p.numel()
    return sum(groups.values()), {g: n for g, n in sorted(groups.items()) if n}


def cases(examples: int, only: set[str] | None = None) -> tuple[list[dict], list[str]]:
    from strategies import CONFIGS

    out, skipped = [], []
    for model_type in FAMILIES.model_types():
        if only is not None and model_type not in only:
            continue
        if model_type not in CONFIGS:
            skipped.append(f"{model_type}: no strategy in strategies.CONFIGS")
            continue
        for n, config in enumerate(draw_examples(CONFIGS[model_type], examples)):
            try:
                total, groups = build_counts(config)
            except Exception as err:  # a strategy should draw only buildable configs: say so, keep going
                skipped.append(f"{model_type} example {n}: transformers refused it ({type(err).__name__}: {err})")
                continue
            out.append({"model_type": model_type, "source": f"strategy example {n}", "config": config,
                        "total": total, "groups": groups})
    for path in sorted(FIXTURES.glob("*.json")):
        config = json.loads(path.read_text())
        model_type = config.get("model_type")
        if model_type not in FAMILIES.by_type:
            skipped.append(f"{path.name}: model_type {model_type!r} is not registered")
            continue
        if only is not None and model_type not in only:
            continue
        try:
            total, groups = build_counts(config)
        except Exception as err:
            skipped.append(f"{path.name}: transformers refused it ({type(err).__name__}: {err})")
            continue
        out.append({"model_type": model_type, "source": f"fixture {path.name}", "config": config,
                    "total": total, "groups": groups})
    return out, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=EXAMPLES, help="examples drawn per model_type")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    parser.add_argument("--model-types", nargs="+", metavar="TYPE",
                        help="only these model types (default: every registered one)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    found, skipped = cases(args.examples, set(args.model_types) if args.model_types else None)
    document = {
        "about": "Parameter counts of configs as transformers builds them on the meta device, written by "
                 "tests/cases/make_family_counts.py and checked by tests/test_golden.py. Do not edit by hand.",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "cases": found,
    }
    args.output.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    types = sorted({c["model_type"] for c in found})
    print(f"{len(found)} cases of {len(types)} model types written to {args.output}")
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
