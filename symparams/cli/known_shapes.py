"""Write ``symparams/known_shapes/<family>.json``: the forms of every preset's shape, shipped with the package.

    python -m symparams.cli.known_shapes [FAMILY ...]

A config whose family reads it to plain data, and whose shape is one of these, is counted
from these forms even on a machine whose cache is empty (:mod:`symparams.shapes`). Each
preset, with every combination of its family's switches, is counted from its tree; its
forms are kept only when they give that count back, field by field, and configs of one
shape must give the same forms. tests/test_shapes.py checks the file is what this writes.
"""

from __future__ import annotations

import json
import sys

from ..errors import SymparamsError

__all__ = ["known", "texts", "main"]


def known(only: frozenset[str] = frozenset()) -> dict[str, dict]:
    """Forms by shape id, from every preset whose family reads it to plain data, and its variants
    (of the families named in ``only``, when it names any)."""
    from ..catalog import preset_paths
    from ..config import read_json
    from ..families import FAMILIES

    out: dict[str, dict] = {}
    for name, path in sorted(preset_paths().items()):
        data = read_json(path)  # type: ignore[arg-type]
        _, fam = FAMILIES.config_for(data, f"preset {name}")
        if fam.read is None or (only and fam.name not in only):
            continue
        for variant in variants(data, fam):
            _add(out, name, variant)
    return out


def variants(data: dict, fam) -> list[dict]:
    """The config ``data`` with every combination of its family's switches (the boolean fields of its table),
    with its head size given and left to transformers, with each field it sets left out (its table's or not, such
    as a list of layer kinds), and with each field the family reads a null for made null (a Mistral with no
    sliding window): the shapes configs of a preset's kind take."""
    from ..config import REFUSE

    switches = [f.name for f in fam.fields if f.kind == "bool"]
    heads = [dict(data)]
    if "head_dim" in fam.fields and "num_attention_heads" in data:
        given, derived = dict(data), dict(data)
        given["head_dim"] = data["hidden_size"] // data["num_attention_heads"]
        derived.pop("head_dim", None)
        heads = [given, derived]
    out = []
    for base in heads:
        for bits in range(2 ** len(switches)):
            out.append({**base, **{n: bool(bits >> i & 1) for i, n in enumerate(switches)}})
        for name in base:
            if name != "model_type":
                out.append({k: v for k, v in base.items() if k != name})
        for f in fam.fields:
            if f.null is not REFUSE and (f.name not in base or base[f.name] is not None):
                out.append({**base, f.name: None})
    return out


def _add(out: dict[str, dict], name: str, data: dict) -> None:
    from ..counting import counted, shape_forms
    from ..families import FAMILIES
    from ..families.registry import counted_shape
    from ..shapes import shape_id

    source = f"preset {name}"
    try:
        cfg, fam = FAMILIES.config_for(data, source)
        assert fam.read is not None
        reading = fam.read(cfg)
        found = shape_id(fam.name, reading.shape)
        if found in out:
            return
        spec = FAMILIES.from_dict(data, source, name=name)
    except SymparamsError:
        return
    kept = shape_forms(reading, spec, counted(spec))
    if kept is None or found is None:
        raise SymparamsError(f"{name}: a variant's forms do not give its count back")
    out[found] = {**kept, "family": fam.name, "shape": repr(counted_shape(reading.shape))}


def texts(only: frozenset[str] = frozenset()) -> dict[str, str]:
    """Each family's file text: its forms by shape id, sorted, one JSON document."""
    by_family: dict[str, dict] = {}
    for found, kept in known(only).items():
        by_family.setdefault(kept["family"], {})[found] = kept
    return {family: json.dumps(dict(sorted(forms.items())), indent=1, sort_keys=True) + "\n"
            for family, forms in sorted(by_family.items())}


def main(argv: list[str] | None = None) -> int:
    """Write every family's file, or only those of the families named (leaving the others as they are)."""
    from ..shapes import SHIPPED, shipped_file

    only = frozenset(sys.argv[1:] if argv is None else argv)
    SHIPPED.mkdir(exist_ok=True)
    made = texts(only)
    for old in SHIPPED.glob("*.json"):
        if not only and old.stem not in made:
            old.unlink()
    for family, text in made.items():
        shipped_file(family).write_text(text, encoding="utf-8")
    print(f"wrote {len(made)} files to {SHIPPED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
