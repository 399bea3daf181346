"""Learn the closed form of any causal LM transformers can build, from the shapes of its parameters.

transformers builds the model on PyTorch's meta device for a set of probe configs
(shapes only: no weights, no download, no code from a config is run). Every tensor
dimension, every count of layers of a kind and every count of repeated modules is
fitted exactly, in rational arithmetic, as a function of the config's fields, and must
hold on probes the fit did not see; a dimension no simple form explains is refused with
its fields and the reason. -o writes the learned family as JSON data (never code), which
symparams reads back without torch; it carries a checksum and witness configs, so a file
changed by hand is refused. A learned family knows parameter counts only: KV cache,
attention FLOPs and activations need a family's semantics and are not given.
Needs torch and transformers: pip install 'symparams[verify]'.
"""

from __future__ import annotations

import argparse

from ..errors import SymparamsError
from .common import emit_json, positive_int


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model_type", metavar="MODEL_TYPE", help="a transformers model_type with a causal-LM class (llama, olmo, ...)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the learned family to FILE (JSON)")
    p.add_argument("--probes", type=positive_int, default=36, help="probe configs to fit and hold out, 6 to 200 (default 36)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..families import FAMILIES
    from ..learn import learn

    if args.output and not args.output.lower().endswith(".json"):
        raise SymparamsError(f"{args.output}: a learned family is written as JSON; name the file *.json")
    if args.probes < 6:
        raise SymparamsError("--probes must be at least 6: a third of them are held out to check the fit")
    if args.probes > 200:
        raise SymparamsError(f"--probes {args.probes:,} is more than 200: each probe builds a model in transformers, "
                             "and a few dozen tell the forms apart")
    family = learn(args.model_type, probes=args.probes)
    hand = FAMILIES.by_type.get(args.model_type)
    form = family.closed_form()
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(family.dumps())
        except OSError as err:
            raise SymparamsError(f"{args.output}: cannot write: {err.strerror or err}") from None
    if args.json:
        emit_json({"model_type": family.model_type, "transformers": family.transformers, "formula": str(form),
                   "symbols": {name: str(sym) for name, sym in family.symbols.items()}, "fixed": family.fixed,
                   "hand_written": hand.name if hand else None, "output": args.output})
        return 0
    print(f"{family.model_type}: learned from transformers {family.transformers} on {args.probes} probe configs "
          f"({args.probes - 2 * args.probes // 3} held out)")
    print()
    print(f"parameters = {form}")
    print()
    print("symbols: " + ", ".join(f"{sym} = {name}" for name, sym in family.symbols.items()))
    if family.fixed:
        shown = ", ".join(f"{k} = {_json(v)}" for k, v in family.fixed.items())
        print(f"learned with: {shown} (a config that changes one is refused)")
    kinds = [(k["stack"], k["count"]) for k in family.kinds]
    for stack in dict.fromkeys(s for s, _ in kinds):
        n = sum(1 for s, _ in kinds if s == stack)
        print(f"layers: {stack}: {n} kind{'s' if n != 1 else ''} of layer")
    print("not given: KV cache, attention FLOPs and activations (they need the architecture's semantics)")
    if hand is not None:
        print(f"symparams has a hand-written family for {family.model_type} ({hand.name}); count uses it")
    if args.output:
        print(f"wrote {args.output}")
    return 0


def _json(value: object) -> str:
    import json

    return json.dumps(value)
