"""The family registry routes a config to its family without importing the others.

The index it routes by (``symparams/families/_index.py``) is generated from the
families' own declarations, so it can only go stale, never disagree by design: the
first test regenerates it and compares. The others check what the index is for (a
command that reads one family's config imports that family alone) and that a stale
entry is refused rather than trusted.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from symparams import families
from symparams.errors import SymparamsError
from symparams.families.registry import REGENERATE, Entry, Registry, entry, index_source

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
INDEX = Path(families.__file__).parent / "_index.py"


def test_the_index_is_what_the_families_declare():
    assert INDEX.read_text(encoding="utf-8") == index_source(families.__name__, families.SOURCES), (
        f"symparams/families/_index.py is stale: run {REGENERATE}")


def test_every_family_is_listed_once_and_every_module_with_a_family_is_listed():
    listed = {module for module, _ in families.SOURCES}
    assert len(set(families.SOURCES)) == len(families.SOURCES)
    folder = INDEX.parent
    binds = re.compile(r"^[A-Z_0-9]+ = (Family|refused_whole|wrapper)\(", re.M)
    declaring = {p.stem for p in folder.glob("*.py") if binds.search(p.read_text())}
    assert declaring and declaring <= listed


def test_the_lazy_maps_hold_the_loaded_families_own_fields():
    loaded = list(families.FAMILIES)
    assert [f.name for f in loaded] == list(families.FAMILIES.by_name)
    assert {t: f.name for f in loaded for t in f.model_types} == {
        t: f.name for t, f in families.FAMILIES.by_type.items()}
    assert {t: why for f in loaded for t, why in f.retired.items()} == dict(families.FAMILIES.retired)
    assert {f.name for f in loaded if f.ladder is not None} == set(families.FAMILIES.ladders())
    for f in loaded:
        for t in f.model_types:
            assert families.FAMILIES.name_for_type(t) == f.name
    assert families.FAMILIES.name_for_type("not-a-model-type") is None


def test_an_entry_that_disagrees_with_its_family_is_refused_not_trusted():
    llama = next(e for e in families.FAMILIES.entries if e.name == "llama")
    stale = Entry(llama.name, llama.module, llama.attribute, ("llama", "llama-9"), llama.retired, llama.ladder)
    registry = Registry(families.__name__, [stale])
    with pytest.raises(SymparamsError, match="stale"):
        registry.by_type["llama-9"]
    assert entry(registry.load(llama), llama.module, llama.attribute) == llama


def test_a_family_set_by_hand_is_used_as_set_and_undone_cleanly(monkeypatch):
    """What tests (and users registering their own family) do: the lazy maps take a value like a dict."""
    from dataclasses import replace

    registry = Registry(families.__name__, families.FAMILIES.entries)
    llama = registry.by_type["llama"]
    other = replace(llama, name="llama-as-set", model_types=("llama", "llama-9"))
    with monkeypatch.context() as m:
        m.setitem(registry.by_type, "llama", other)
        m.setitem(registry.by_type, "llama-9", other)
        m.setitem(registry.by_name, other.name, other)
        assert registry.by_type["llama"] is other and registry.by_type["llama-9"] is other
        assert registry.name_for_type("llama-9") == registry.name_for_type("llama") == other.name
        assert other in list(registry)
    assert registry.by_type["llama"] is llama and "llama-9" not in registry.by_type
    assert registry.name_for_type("llama") == "llama" and other not in list(registry)
    with pytest.raises(KeyError):
        del registry.by_type["llama-9"]


_PROBE = """
import json, sys
from symparams.families import FAMILIES, SOURCES
{action}
print(json.dumps(sorted({{m for m, _ in SOURCES}} & {{n.rsplit(".", 1)[-1] for n in sys.modules
                                                    if n.startswith("symparams.families.")}})))
"""


def _family_modules(action: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE.format(action=action)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("config", ["llama-3-8b.json", "jamba-v0.1.json"])
def test_counting_a_config_imports_its_family_module_and_what_that_imports_alone(config):
    data = json.loads((FIXTURES / config).read_text())
    family = families.FAMILIES.by_type[data["model_type"]]
    name = next(e.module for e in families.FAMILIES.entries if e.name == family.name)
    alone = _family_modules(f"import symparams.families.{name}")
    counted = _family_modules(f"from symparams import model\nmodel({str(FIXTURES / config)!r}).total")
    assert name in counted
    assert counted == alone
    assert len(counted) < len(families.SOURCES) // 4
