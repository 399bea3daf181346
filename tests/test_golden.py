"""Every family against counts transformers produced once, on machines without torch.

``tests/cases/family_counts.json`` holds configs (drawn from each family's strategy, and
the real fixtures) with the total and per-group parameter counts of the model transformers
built from each on the meta device, written by ``tests/cases/make_family_counts.py``.
Here each config is read as a config.json file is read (exact decimals, NaN and Infinity
kept as markers) and counted symbolically; the counts must agree to the parameter.
Regenerate the file with that script when a family, a strategy or a fixture changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symparams.config import parse_json
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict

CASES_FILE = Path(__file__).parent / "cases" / "family_counts.json"
GOLDEN = parse_json(CASES_FILE.read_text(encoding="utf-8"), str(CASES_FILE))
CASES = GOLDEN["cases"]


def _id(case: dict) -> str:
    return f"{case['model_type']}-{case['source'].replace(' ', '-')}"


@pytest.mark.sampled
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_a_golden_config_counts_exactly_what_transformers_built(case):
    spec = from_dict(dict(case["config"]), f"golden {_id(case)}")
    groups = {g: n for g, n in spec.breakdown().groups().items() if n}
    assert (spec.total, groups) == (case["total"], case["groups"])


def _refused_whole(model_type: str) -> bool:
    """A model_type registered only to be refused with its reason: it reads no field and counts no config."""
    family = FAMILIES.by_type[model_type]
    if list(family.fields):
        return False
    try:
        from_dict({"model_type": model_type})
    except SymparamsError:
        return True
    return False


def test_every_registered_model_type_has_a_golden_case():
    """A family added without regenerating the golden file fails here (run tests/cases/make_family_counts.py)."""
    covered = {c["model_type"] for c in CASES}
    missing = [t for t in FAMILIES.model_types() if t not in covered and not _refused_whole(t)]
    assert missing == []


def test_the_golden_file_records_how_it_was_made():
    assert GOLDEN["transformers"] and GOLDEN["torch"]
    assert all(isinstance(c["total"], int) and c["total"] == sum(c["groups"].values()) for c in CASES)


def test_the_golden_check_runs_without_torch_or_transformers():
    """Reading and counting every case imports neither (the point of a golden file)."""
    import subprocess
    import sys

    code = ("import sys, runpy\n"
            "sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
            "from symparams.config import parse_json\n"
            "from symparams.families import from_dict\n"
            f"doc = parse_json(open({str(CASES_FILE)!r}, encoding='utf-8').read())\n"
            "print(sum(from_dict(dict(c['config'])).total == c['total'] for c in doc['cases']), len(doc['cases']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).parent.parent)
    assert out.returncode == 0, out.stderr
    agree, total = map(int, out.stdout.split())
    assert agree == total
