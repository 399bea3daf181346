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


def _shown(n: int, published: str, cut: bool = False) -> bool:
    """Whether ``n`` parameters round (or, with ``cut``, truncate) to ``published`` billions at its precision."""
    places = len(published.partition(".")[2])
    if cut:
        scale = 10**places
        return n * scale // 10**9 == round(float(published) * scale)
    return f"{n / 1e9:.{places}f}" == published


# The Qwen3 model cards: layers, width, FFN, heads, key/value heads (head_dim 128), a tied head, and the
# "Number of Parameters" and "Non-Embedding" figures in billions as the cards print them.
QWEN3 = {
    "0.6B": (28, 1024, 3072, 16, 8, True, "0.6", "0.44"),
    "1.7B": (28, 2048, 6144, 16, 8, True, "1.7", "1.4"),
    "4B": (36, 2560, 9728, 32, 8, True, "4.0", "3.6"),
    "8B": (36, 4096, 12288, 32, 8, False, "8.2", "6.95"),
    "14B": (40, 5120, 17408, 40, 8, False, "14.8", "13.2"),
    "32B": (64, 5120, 25600, 64, 8, False, "32.8", "31.2"),
}


@pytest.mark.parametrize("size", sorted(QWEN3))
def test_qwen3_model_cards_total_and_non_embedding_parameters(size, tmp_path, capsys):
    from symparams.cli import main

    layers, width, ffn, heads, kv_heads, tied, total, non_embedding = QWEN3[size]
    config = {**json.loads((FIXTURES / "qwen3-8b.json").read_text()), "num_hidden_layers": layers,
              "hidden_size": width, "intermediate_size": ffn, "num_attention_heads": heads,
              "num_key_value_heads": kv_heads, "tie_word_embeddings": tied}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert main(["count", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert _shown(out["total"], total) and _shown(out["non_embedding"], non_embedding)


# The Qwen3 MoE model cards: total, activated and non-embedding parameters (billions, as printed). The
# 30B-A3B card's 3.3B activated is 3,353,032,704 cut, not rounded, to one place.
QWEN3_MOE = {"qwen3-30b-a3b.json": ("30.5", "3.3", "29.9"), "qwen3-235b-a22b.json": ("235", "22", "234")}


@pytest.mark.parametrize("name", sorted(QWEN3_MOE))
def test_qwen3_moe_model_cards_total_activated_and_non_embedding(name, capsys):
    from symparams.cli import main

    assert main(["count", str(FIXTURES / name), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    total, active, non_embedding = QWEN3_MOE[name]
    assert _shown(out["total"], total) and (_shown(out["active"], active) or _shown(out["active"], active, cut=True))
    assert _shown(out["non_embedding"], non_embedding)


def test_gpt_neox_20b_paper_total_to_the_digit():
    """Black et al. 2022: 44 layers, width 6144, 64 heads, a 50,432-row vocabulary: 20,554,567,680 parameters."""
    config = {**json.loads((FIXTURES / "pythia-70m.json").read_text()), "num_hidden_layers": 44, "hidden_size": 6144,
              "intermediate_size": 4 * 6144, "num_attention_heads": 64, "vocab_size": 50432}
    assert from_dict(config).total == 20_554_567_680

