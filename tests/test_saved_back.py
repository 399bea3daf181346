"""A config as transformers saves it back is the model it was loaded from.

``save_pretrained`` writes a config the way transformers 5 holds it, which is not always the
way its file stated it: a legacy ``rope_theta`` moves into ``rope_parameters`` with the
class's own rope type ("axial" for Pixtral's tower), PaliGemma's text config gains the
``use_bidirectional_attention`` its class sets, defaults are written out in full. Every such
file is the same model, so symparams must count it exactly as it counts the file it came from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from budget import sample

from symparams.config import parse_json
from symparams.errors import SymparamsError
from symparams.families import from_dict

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
CONFIGS = sorted(p.name for p in FIXTURES.glob("*.json"))


def _saved(text: str, diff: bool) -> str:
    """The config.json ``save_pretrained`` writes (``diff``: only what differs from the class's defaults, as it does by
    default; else every field) for the config transformers loads from ``text``."""
    transformers = pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[verify]')")
    from symparams.verify import quiet

    data = json.loads(text)
    with quiet():
        config = transformers.CONFIG_MAPPING[data["model_type"]].from_dict(data)
        return config.to_json_string(use_diff=diff)


@pytest.mark.sampled
@pytest.mark.parametrize("name", sample(CONFIGS, "configs saved back"))
@pytest.mark.parametrize("diff", [True, False], ids=["as-saved", "every-field"])
def test_a_config_saved_back_by_transformers_counts_as_the_file_it_was_loaded_from(name, diff):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    expected = from_dict(parse_json(text, name), name).total
    saved = _saved(text, diff)
    try:
        total = from_dict(parse_json(saved, f"{name} saved back"), f"{name} saved back").total
    except SymparamsError as err:
        pytest.fail(f"{name} as transformers saves it is refused: {err}")
    assert total == expected, f"{name} as transformers saves it: {total:,}, the file itself: {expected:,}"
