"""Learned families: model types read from the parameter shapes transformers builds, shipped as data.

``symparams learn --all -o symparams/families/learned`` writes one ``<model_type>.json`` per
causal-LM model type of transformers that has no hand-written family, and ``REFUSED.json``
with the reason for each it could not learn. Hand-written families take precedence; a
config whose model_type only a learned file knows is counted through the tree of
:mod:`.tree`, which refuses the readings that need an architecture's semantics.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ...config import Fields
from ...errors import SymparamsError
from ...spec import Spec

if TYPE_CHECKING:
    from .data import LearnedFamily

__all__ = ["FOLDER", "PREFIX", "shipped", "learned", "refused", "LearnedFields", "is_learned", "learned_of",
           "coverage", "coverage_markdown"]

FOLDER = os.path.dirname(os.path.abspath(__file__))
PREFIX = "learned:"
REFUSED = "REFUSED.json"


def shipped() -> dict[str, str]:
    """The shipped learned families: model_type -> file."""
    try:
        names = sorted(os.listdir(FOLDER))
    except OSError:  # pragma: no cover - the package folder is always there
        return {}
    found = {n[:-5]: os.path.join(FOLDER, n) for n in names if n.endswith(".json") and n != REFUSED}
    return dict(sorted(found.items()))


@lru_cache(maxsize=None)
def learned(model_type: str) -> LearnedFamily | None:
    """The shipped learned family of ``model_type`` (checked as it is read), or None."""
    from .data import load  # only for a learned model: a hand-written one's count never needs it

    path = shipped().get(model_type)
    if path is None:
        return None
    family = load(path)
    if family.model_type != model_type:
        raise SymparamsError(f"{path}: holds the learned family of {family.model_type!r}, not {model_type!r}")
    return family


def refused() -> dict[str, Any]:
    """What ``learn --all`` could not learn: {"transformers": version, "refused": {model_type: {reason, category}}}."""
    path = os.path.join(FOLDER, REFUSED)
    if not os.path.exists(path):
        return {"transformers": None, "refused": {}}
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return data if isinstance(data, dict) else {"transformers": None, "refused": {}}


class LearnedFields(Fields):
    """No field table (the learned file reads its config itself); groups as the learned tree assigns them."""

    def __init__(self, family: LearnedFamily):
        super().__init__()
        self.family = family

    def group(self, param_name: str) -> str:
        from .tree import group_of

        return group_of(self.family, param_name)


def learned_of(spec: Spec) -> LearnedFamily | None:
    """The learned family that built ``spec``, or None for a hand-written one."""
    if not spec.family.startswith(PREFIX):
        return None
    return learned(spec.family[len(PREFIX):])


def is_learned(spec: Spec) -> bool:
    return learned_of(spec) is not None


def coverage() -> dict[str, Any]:
    """How the causal-LM model types of transformers are covered: hand-written, learned, refused (grouped by why)."""
    from .. import FAMILIES

    data = refused()
    every = list(data.get("causal_lm_model_types") or [])
    learned_types = [t for t in shipped() if t not in FAMILIES.by_type]
    gone = {t: r for t, r in data.get("refused", {}).items() if t not in FAMILIES.by_type}
    hand = [t for t in every if t in FAMILIES.by_type]
    groups: dict[str, list[str]] = {}
    for model_type, why in sorted(gone.items()):
        groups.setdefault(str(why.get("category", "other")), []).append(model_type)
    return {"transformers": data.get("transformers"), "causal_lm": len(every), "hand_written": len(hand),
            "learned": len(learned_types), "refused": len(gone),
            "not_tried": sorted(set(every) - set(hand) - set(learned_types) - set(gone)),
            "refusals": dict(sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])))}


def coverage_markdown() -> str:
    """The README's coverage table, made from the shipped files and REFUSED.json."""
    c = coverage()
    lines = [f"| causal-LM model types in transformers {c['transformers']} | {c['causal_lm']} |", "|---|---:|",
             f"| hand-written families | {c['hand_written']} |", f"| learned families (shipped) | {c['learned']} |",
             f"| refused by `learn` | {c['refused']} |", "", "| why `learn` refused | model types |", "|---|---|"]
    lines += [f"| {why} ({len(types)}) | {', '.join(types)} |" for why, types in c["refusals"].items()]
    return "\n".join(lines)
