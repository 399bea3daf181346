"""Check the symbolic count of a config.json or preset against transformers, group by group.

transformers builds the model on PyTorch's meta device (shapes only: no weights,
no download, no code from the file is run); its parameters are sorted into the
tree's groups (embedding, attention, mlp, norm, head, other) and each group and
the total are compared. Exit status 0 when everything matches, 1 when anything
differs, 2 for bad input. Needs: pip install 'symparams[verify]'.
"""

from __future__ import annotations

import argparse

from .common import emit_json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL", help="a config.json path or a preset (llama-2-7b, mixtral-8x7b, ...)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
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
