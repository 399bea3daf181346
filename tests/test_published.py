"""Published tables of model sizes, reproduced from the shapes alone.

Each table gives the shape of a model family's sizes as its paper prints them, and the
parameter count its authors or model cards publish. The count symparams derives from the
shape must be the published one (exactly where the publisher gives every digit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symparams.families import from_dict

FIXTURES = Path(__file__).parent / "fixtures" / "configs"

# Llama 3 (Grattafiori et al. 2024, Table 3): layers, model dimension, FFN dimension, attention heads,
# key/value heads, with the released tokenizer's 128,256 rows; the totals are the released checkpoints'
# (8,030,261,248; 70,553,706,496; 405,853,388,800 parameters).
LLAMA3 = {
    "8B": (32, 4096, 14336, 32, 8, 8_030_261_248),
    "70B": (80, 8192, 28672, 64, 8, 70_553_706_496),
    "405B": (126, 16384, 53248, 128, 8, 405_853_388_800),
}


@pytest.mark.parametrize("size", sorted(LLAMA3))
def test_llama3_table_sizes_count_the_released_checkpoints(size):
    layers, width, ffn, heads, kv_heads, total = LLAMA3[size]
    config = {**json.loads((FIXTURES / "llama-3-8b.json").read_text()), "num_hidden_layers": layers,
              "hidden_size": width, "intermediate_size": ffn, "num_attention_heads": heads,
              "num_key_value_heads": kv_heads}
    assert from_dict(config).total == total
