"""Learn the closed form of any causal LM transformers can build, from the shapes of its parameters.

transformers builds the model on PyTorch's meta device for a set of probe configs
(shapes only: no weights, no download, no code from a config is run). Every tensor
dimension, every count of layers of a kind and every count of repeated modules is
fitted exactly, in rational arithmetic, as a function of the config's fields, and must
hold on probes the fit did not see; a dimension no simple form explains is refused with
its fields and the reason. -o writes the learned family as JSON data (never code), which
symparams reads back without torch; it carries a checksum and witness configs, so a file
changed by hand is refused. Each true-or-false field that shapes the model
(tie_word_embeddings) is learned again with its other value, and each null field that
shapes it when given (head_dim) again with a number given: a config that changes one
such field is counted by that variant. A RoPE table that builds the same shapes with
another base, scaling and rotary share is free: a config's own table is counted (and
checked as transformers checks it). A field only a kind of layer missing from the default
config reads is tried again where that kind is built; a per-layer list the class derives
from a list of layer indices is read as the indices it names; a keyword the class's code
reads in place of a field stands for it, and one that shapes the model otherwise is refused
when given. Probes draw sizes from 1 up: each field is then set to 0, and the width moved off
a multiple of the heads, and the family refuses those where transformers builds no model or
another count, as it does a fixed field left out (where the class's default does) or null,
a list one entry shorter or longer, a rope table lacking a kind of layer's table or base (or
giving one a share that is not a number), a field the forms do not read at 0.0 or -1.0 (a decimal)
or -1 (a whole number), and a padding id at the size of a table it pads; each whole number raised by one, or lowered to 2, where
transformers then builds no model, is matched against another field to find the rule (at most, dividing) or
else kept even.
A list whose length shapes the model is
kept at its value; a list of numbers the class makes from a field must hold that field's value.
A config naming another class of the type in architectures (BertForMaskedLM) is counted where
that class builds the causal LM's parameters at every witness, and refused otherwise.
A learned family knows parameter counts only: KV cache, attention FLOPs and activations
need a family's semantics and are not given.
Needs torch and transformers: pip install 'symparams[verify]'.

--all -o DIR learns every causal-LM model_type of the installed transformers that has no
hand-written family, one process each (so a model that hangs is stopped), writing
DIR/<model_type>.json as each is learned and DIR/REFUSED.json with every refusal and its
reason. A file already in DIR that loads under the installed transformers is kept, so an
interrupted run resumes. This is how the families shipped in symparams/families/learned
are made: symparams learn --all -o symparams/families/learned
"""

from __future__ import annotations

import argparse

from ..errors import SymparamsError
from .common import emit_json, positive_int


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model_type", metavar="MODEL_TYPE", nargs="?",
                   help="a transformers model_type with a causal-LM class (llama, olmo, ...)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the learned family to FILE (JSON); with --all, a folder")
    p.add_argument("--all", action="store_true",
                   help="learn every causal-LM model_type without a hand-written family into the folder -o DIR")
    p.add_argument("--timeout", type=positive_int, default=900, metavar="SECONDS",
                   help="with --all: give up on a model_type after this long (default 900)")
    p.add_argument("--probes", type=positive_int, default=36, help="probe configs to fit and hold out, 6 to 200 (default 36)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..config import printable
    from ..families import FAMILIES
    from ..families.learned import shipped
    from ..families.learned.data import relation_text
    from ..learn import learn

    if args.all:
        if args.model_type:
            raise SymparamsError("--all learns every model_type; give no MODEL_TYPE with it")
        if not args.output:
            raise SymparamsError("--all needs -o DIR, the folder to write the learned families to")
        return learn_all(args.output, args.probes, args.timeout)
    if not args.model_type:
        raise SymparamsError("give a MODEL_TYPE to learn (or --all -o DIR)")
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
                   "free": family.free, "rope_types": family.rope_types, "variants": sorted(family.variant_data),
                   "derived": family.derived,
                   "legacy": family.legacy, "unread": sorted(family.unread), "positive": family.positive,
                   "signs": family.signs, "divides": family.divides, "required": family.required, "not_null": family.not_null,
                   "lengths": family.lengths, "rope_kinds": family.rope_kinds, "token_rows": family.token_rows,
                   "kinds_needed": family.kinds_needed, "mirrors": family.mirrors,
                   "same_parameters": family.same_parameters, "relations": family.relations,
                   "hand_written": hand.name if hand else None, "output": args.output})
        return 0
    print(f"{family.model_type}: learned from transformers {family.transformers} on {args.probes} probe configs "
          f"({args.probes - 2 * args.probes // 3} held out)")
    print()
    print(f"parameters = {form}")
    print()
    print("symbols: " + ", ".join(f"{sym} = {name}" for name, sym in family.symbols.items()))
    held = {k: v for k, v in family.fixed.items() if k not in family.free and k not in family.rope_types}
    if held:
        shown = ", ".join(f"{k} = {_json(v)}" for k, v in held.items())
        print(f"learned with: {shown} (a config that changes one is refused)")
    if family.free:
        print(f"shapes the same whatever it holds: {', '.join(family.free)} (tried with another base, scaling and "
              "rotary share)")
    for name, types in family.rope_types.items():
        print(f"shapes the same whatever its base, scaling or rotary share: {name} of type {', '.join(types)} (a table "
              "of another type is refused: transformers' class refused one when it was learned)")
    for name, rule in family.derived.items():
        print(f"{name} is read as the layers it lists as {rule['in']} ({rule['from']}, which the class makes it from)")
    if family.legacy:
        shown = ", ".join(f"{k} for {v}" for k, v in family.legacy.items())
        print(f"read in place of a field, as the class reads them: {shown}")
    if family.unread:
        print(f"refused when a config gives them (the class reads them to shape the model): {', '.join(family.unread)}")
    if family.positive:
        print(f"refused at 0 (transformers builds no model there, or one these forms do not count): "
              f"{', '.join(family.positive)}")
    for rule in ("positive", "non_negative"):
        names = [name for name, r in family.signs.items() if r == rule]
        if names:
            print(f"refused {'at 0 and below' if rule == 'positive' else 'below 0'} (transformers builds no model "
                  f"there): {', '.join(names)}")
    for heads, width, _ in family.divides:
        print(f"refused where {heads} does not divide {width} (transformers builds no model then)")
    if family.required:
        print(f"refused when left out (the class's default builds no model, or one these forms do not count): "
              f"{', '.join(family.required)}")
    if family.not_null:
        print(f"refused when null (transformers builds no model then, or one these forms do not count): "
              f"{', '.join(family.not_null)}")
    for name, (depth, ways) in family.lengths.items():
        print(f"refused when {name} lists {' or '.join(ways)} entries than {depth} (transformers builds no model then, "
              "or one these forms do not count)")
    for name, target in family.mirrors.items():
        print(f"{name} is read only where each entry is {target} (the class makes it so when it is left out)")
    for rule in family.relations:
        print(f"refused where {relation_text(rule)} (transformers builds no model then)")
    if family.same_parameters:
        print(f"counted too where architectures names {', '.join(family.same_parameters)} (it builds these parameters "
              "at every witness)")
    for name, kinds in family.kinds_needed.items():
        print(f"refused where {name} names no layer of one of: {', '.join(kinds)} (transformers builds no model then)")
    for token, size, _ in family.token_rows:
        print(f"refused where {token} is {size} or more (a row past the table it pads; transformers builds no model)")
    rope = family.rope_kinds
    if rope:
        needs = [f"a table for each of {', '.join(rope['kinds'])}" if rope["kinds"] else "",
                 f"rope_theta in the table for {', '.join(rope['theta'])}" if rope["theta"] else ""]
        shapes = [name for name, ok in (("empty", rope["empty"]), ("one flat table", rope["flat"])) if not ok]
        shares = rope.get("shares", [])
        print("refused where a rope table " + "; ".join(
            [*(f"lacks {n}" for n in needs if n), *([f"is {' or '.join(shapes)}"] if shapes else []),
             *([f"gives a partial_rotary_factor that is not a number for {', '.join(shares)}"] if shares else [])])
            + " (transformers builds no model then)")
    if family.variant_data:
        print(f"also learned with one of these changed: {', '.join(family.variant_data)} (a config that changes one "
              "of them is counted by that variant)")
    kinds = [(k["stack"], k["count"]) for k in family.kinds]
    for stack in dict.fromkeys(s for s, _ in kinds):
        n = sum(1 for s, _ in kinds if s == stack)
        print(f"layers: {stack}: {n} kind{'s' if n != 1 else ''} of layer")
    print("not given: KV cache, attention FLOPs and activations (they need the architecture's semantics)")
    if hand is not None:
        print(f"symparams has a hand-written family for {family.model_type} ({hand.name}); count uses it")
    elif family.model_type in shipped():
        print(f"symparams ships a learned family for {family.model_type}; count uses it")
    if args.output:
        print(f"wrote {printable(args.output)}")
    return 0


def _json(value: object) -> str:
    import json

    return json.dumps(value)


REFUSED = "REFUSED.json"


def learn_all(folder: str, probes: int, timeout: int) -> int:
    """Learn every causal-LM model_type without a hand-written family, each in a process of its own."""
    import json
    import os
    import subprocess
    import sys
    import time

    from ..families import FAMILIES
    from ..learn import _require, load

    _require()
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if not os.path.isdir(folder):
        raise SymparamsError(f"{folder}: not a folder (--all writes one file per model_type into it)")
    version = transformers.__version__
    todo = sorted(t for t in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES if t not in FAMILIES.by_type)
    refused_path = os.path.join(folder, REFUSED)
    refused: dict[str, dict] = {}
    if os.path.exists(refused_path):
        with open(refused_path, encoding="utf-8") as fh:
            old = json.load(fh)
        if old.get("transformers") == version:
            refused = {k: v for k, v in old.get("refused", {}).items() if k in todo}
    started = time.perf_counter()
    for model_type in todo:
        path = os.path.join(folder, f"{model_type}.json")
        if model_type in refused:
            continue
        if os.path.exists(path):
            try:
                if load(path).transformers == version:
                    continue
            except SymparamsError:
                pass
        t0 = time.perf_counter()
        command = [sys.executable, "-m", "symparams", "learn", model_type, "--probes", str(probes), "-o", path, "--json"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
            reason = None if done.returncode == 0 else _last_error(done.stderr)
        except subprocess.TimeoutExpired:
            reason = f"learning took more than {timeout} s"
        took = time.perf_counter() - t0
        if reason is None:
            print(f"{model_type}: learned in {took:.0f} s", flush=True)
            continue
        if os.path.exists(path):
            os.remove(path)
        refused[model_type] = {"reason": reason, "category": category(reason)}
        _write_refused(refused_path, version, refused, sorted(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES))
        print(f"{model_type}: refused ({reason})", flush=True)
    _write_refused(refused_path, version, refused, sorted(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES))
    learned = sum(1 for t in todo if os.path.exists(os.path.join(folder, f"{t}.json")))
    print(f"{learned} learned, {len(refused)} refused, {len(FAMILIES.by_type)} hand-written model types; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


def _last_error(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("symparams: error: "):
            return line[len("symparams: error: "):].strip()[:300]
    return (lines[-1].strip() if lines else "the learner stopped without a message")[:300]


# Refusals grouped by what stopped them (the README's coverage table), first match wins.
CATEGORIES = (
    ("encoder-decoder", "an encoder-decoder"),
    ("config nests", "a config that nests sub-configs (vision, audio, text)"),
    ("changes a parameter's shape", "no whole-number field shapes it"),
    ("requires the timm library", "needs a library that is not installed"),
    ("cannot build", "transformers cannot build it from its default config"),
    ("to build on meta", "its reduced default config builds too slowly"),
    ("learning took more than", "learning timed out"),
    ("probe configs build", "too few probe configs build"),
    ("depends on", "a dimension no simple form explains"),
    ("differs between layers", "layers of one kind differ"),
    ("not plain data", "a shaping field that is not plain data"),
    ("gives", "the learned form misses a probe"),
)


def category(reason: str) -> str:
    """The group of a refusal reason."""
    for needle, name in CATEGORIES:
        if needle in reason:
            return name
    return "other"


def _write_refused(path: str, version: str, refused: dict[str, dict], causal_lm: list[str]) -> None:
    """The refusals, with every causal-LM model_type of that transformers (the README's coverage counts them)."""
    import json

    refused = {t: {**r, "category": category(r["reason"])} for t, r in sorted(refused.items())}
    doc = {"transformers": version, "causal_lm_model_types": causal_lm, "refused": refused}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
        fh.write("\n")
