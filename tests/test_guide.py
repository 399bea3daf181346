"""Every figure of the hand-worked nanochat guide, produced by the tool and checked exactly.

The expected values are the guide's (and, where the guide is wrong, the corrected ones
its errata give); the numbers under test all come from building and reading models.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from symparams import model
from symparams.families.nanochat import nanochat
from symparams.format import share
from symparams.symbols import D, L, e


@pytest.fixture(scope="module")
def d20():
    return model("nanochat", depth=20)


def test_d20_components(d20):
    rows = d20.breakdown()
    assert rows["wte"].count == 83_886_080
    for name in "qkvo":
        assert rows[f"blocks.block.attn.{name}"].count == 1_638_400
    assert rows["blocks.block.attn"].count == 6_553_600
    assert rows["blocks.block.mlp"].count == 13_107_200
    assert rows["blocks.block.mlp.fc"].count == rows["blocks.block.mlp.proj"].count == 6_553_600
    assert rows["blocks.block.norm_attn"].count == rows["blocks.block.norm_mlp"].count == 0
    assert rows["blocks.block"].count == 19_660_800
    assert rows["blocks"].total == 393_216_000
    assert rows["lm_head"].count == 83_886_080
    assert d20.total == 560_988_160


def test_d20_shares(d20):
    rows = d20.breakdown()
    embeddings = rows["wte"].share + rows["lm_head"].share
    assert share(embeddings) == "29.9%"
    assert share(rows["blocks"].share) == "70.1%"
    assert share(rows["wte"].share) == share(rows["lm_head"].share) == "15.0%"


def test_d8_practice_problem():
    assert model("nanochat", depth=8).total == 92_274_688


def test_mqa_practice_problem(d20):
    mqa = model("nanochat", depth=20, H_kv=1)
    attn = mqa.count(mqa.node("blocks.block.attn"))
    assert attn == 3_604_480
    assert mqa.count(mqa.node("blocks.block.attn.k")) == 163_840
    saving = 1 - Fraction(attn, d20.count(d20.node("blocks.block.attn")))
    assert share(saving) == "45.0%"
    assert mqa.total == 502_005_760


@pytest.mark.parametrize(
    "depth, total",
    [(4, 36_700_160), (8, 92_274_688), (12, 185_597_952), (20, 560_988_160), (26, 1_081_999_360), (32, 1_879_048_192)],
)
def test_size_table(depth, total):
    """Including the two rows the guide gets wrong (d12 is not ~203M, d26 is not ~1.05B)."""
    assert model("nanochat", depth=depth).total == total


def test_cost_of_biases_on_every_linear_layer(d20):
    """Exactly (5+e)*D*L; the guide's 'D per linear layer' misses the MLP's e*D-wide up-projection."""
    biased = nanochat(20, bias=True)
    cost = sympy.expand(biased.closed_form - d20.closed_form)
    assert sympy.simplify(cost - (5 + e) * D * L) == 0
    assert biased.total - d20.total == 230_400
    shortcut = 6 * d20.env[D] * d20.env[L]
    assert shortcut == 153_600
    up = biased.node("blocks.block.mlp.fc")
    assert biased.value(up.d_out) == 4 * d20.env[D]


def test_insights_as_computed_facts(d20):
    rows = d20.breakdown()
    assert rows["blocks.block.mlp"].count == 2 * rows["blocks.block.attn"].count
    deeper = model("nanochat", depth=20, L=40)
    assert deeper.breakdown()["wte"].count == rows["wte"].count
    wider = model("nanochat", depth=20, D=2560)
    assert wider.breakdown()["blocks.block"].count == 4 * rows["blocks.block"].count
    mqa = model("nanochat", depth=20, H_kv=1).total
    assert d20.total > model("nanochat", depth=20, H_kv=5).total > model("nanochat", depth=20, H_kv=2).total > mqa
    assert model("nanochat", depth=32, H_kv=4).total > model("nanochat", depth=32, H_kv=2).total
    assert model("nanochat", depth=20, e=2).total < d20.total < model("nanochat", depth=20, e=8).total
    emb = [model("nanochat", depth=20, V=v).breakdown()["wte"].count for v in (32_768, 131_072, 262_144)]
    assert emb == [v * 1280 for v in (32_768, 131_072, 262_144)]
