"""Check the symbolic count of a config.json or preset against transformers, group by group.

transformers builds the model on PyTorch's meta device (shapes only: no weights,
no download, no code from the file is run); its parameters are sorted into the
tree's groups (embedding, attention, mlp, norm, head, other) and each group and
the total are compared. Exit status 0 when everything matches, 1 when anything
differs, 2 for bad input. Needs torch and transformers: pip install -e '.[verify]' in a checkout.
"""

from __future__ import annotations

import argparse

from ..errors import SymparamsError
from .common import emit_json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", nargs="?",
                   help="a config.json path, a checkpoint folder or a preset (llama-2-7b, mixtral-8x7b, ...)")
    p.add_argument("--checkpoint", metavar="PATH|ID",
                   help="compare the model with the tensors in this checkpoint's headers (folder, .safetensors, "
                        "index, .gguf, or a Hub id: cached files, else the headers alone when online; MODEL defaults "
                        "to the config.json beside it) instead of with transformers")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _checkpoint(args: argparse.Namespace) -> int:
    from ..catalog import checkpoint_of, model
    from ..checkpoint import check_checkpoint, gguf_group
    from ..families import FAMILIES
    from ..format import table

    ckpt = checkpoint_of(args.checkpoint)
    spec = model(args.model or args.checkpoint)
    family = FAMILIES.of(spec)
    if family is None:
        raise SymparamsError(f"{spec.name}: no family to sort its tensors into groups")
    group = gguf_group if ckpt.format.startswith("gguf") else family.group
    result = check_checkpoint(spec, group, ckpt)
    if args.json:
        emit_json(result.to_json())
        return 0 if result.ok else 1
    print(f"{result.model}: symbolic counts vs the tensors of {ckpt.source} ({ckpt.format})")
    print()
    rows = [(g.group, f"{g.symbolic:,}", f"{g.stored:,}", "yes" if g.match else "NO") for g in result.groups]
    rows.append(("total", f"{result.total.symbolic:,}", f"{result.total.stored:,}", "yes" if result.total.match else "NO"))
    print(table(rows, ("group", "symbolic", "stored", "match"), align="lrrl", rules=(len(rows) - 1,)))
    for name in result.extra:
        print(f"extra tensor: {name}")
    if result.buffers:
        print(f"buffers saved beside the weights, not parameters: {len(result.buffers):,} "
              f"(e.g. {result.buffers[0]})")
    print()
    print("all groups match" if result.ok else "MISMATCH: the symbolic tree and the checkpoint disagree")
    return 0 if result.ok else 1


def run(args: argparse.Namespace) -> int:
    if args.checkpoint:
        return _checkpoint(args)
    if not args.model:
        raise SymparamsError("give a MODEL, or --checkpoint PATH")
    from ..catalog import config_of
    from ..verify import verify_config

    result = verify_config(*config_of(args.model))
    if args.json:
        emit_json(result.to_json())
    else:
        print(f"{result.model} ({result.model_type}): symbolic counts vs transformers on the meta device")
        print()
        print(result.table())
        print()
        print("all groups match" if result.ok else "MISMATCH: the symbolic tree and transformers disagree")
    return 0 if result.ok else 1
