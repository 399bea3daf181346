"""The guide's insights as computed facts: each checked against the guide's published figures
where it has them, and as a property of random nanochat models where it states a law."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symparams
from symparams import insights
from symparams.errors import SymparamsError
from symparams.families.nanochat import nanochat
from symparams.symbols import D, L, e


@pytest.fixture(scope="module")
def d20():
    return nanochat(20)


def test_the_mlp_holds_twice_the_attention_parameters_at_e_4(d20):
    fact = insights.mlp_to_attention(d20)
    assert (fact.numerator, fact.denominator) == (13_107_200, 6_553_600)
    assert fact.value == 2
    assert sympy.simplify(fact.formula - e / 2) == 0


def test_doubling_the_depth_leaves_the_embeddings_unchanged_and_doubles_the_layers(d20):
    twice = insights.doubling(d20, "L")
    assert twice.ratio("outside") == 1 and twice.ratio("block") == 1 and twice.ratio("layers") == 2


# Presets whose config sets how many of their layers are of one kind (sliding, dense, state-space, cross-attending).
SPLIT_DEPTH = ["gemma-3-270m", "gpt-neo-125m", "bamba-9b", "deepseek-v3", "zamba2-1.2b", "nemotron-h-8b-base-8k",
               "qwen3-next-80b-a3b-instruct", "llama-3.2-11b-vision-instruct"]


@pytest.mark.parametrize("name", SPLIT_DEPTH)
def test_doubling_the_depth_of_a_model_of_several_layer_kinds_doubles_each_kinds_stack(name):
    """A model twice as deep keeps its mix of layer kinds: every stack of layers the depth counts (L_s sliding
    layers, L - L_s full ones) has twice the copies, each layer its own count, and the layers twice the parameters
    where the depth counts every stack."""
    from symparams.symbols import INFO

    spec = symparams.model(name)
    derived = {s for s, _ in spec.relations}
    depth = {L} | {s for s in spec.env if INFO.get(s.name) is not None and INFO[s.name].of_depth}
    assert any(s in depth - {L} for s in spec.env if s not in derived)
    twice = insights.doubling(spec, "L")
    after = {row.path: row for row in twice.after._spec().breakdown().rows}
    rows = spec.breakdown().rows
    stacks = [row for row in rows if row.depth == 1 and row.node.multiplier() != 1
              and sympy.sympify(row.node.multiplier()).free_symbols <= depth]
    assert stacks
    for stack in stacks:
        assert after[stack.path].total == 2 * stack.total, stack.path
        for layer in (row for row in rows if row.depth == 2 and row.path.startswith(stack.path + ".")):
            assert (after[layer.path].count, after[layer.path].copies) == (layer.count, 2 * layer.copies), layer.path
    if len(stacks) == len([row for row in rows if row.depth == 1 and row.node.multiplier() != 1]):
        assert twice.ratio("layers") == 2  # not Zamba2's: its stored shared blocks are as many at any depth


def test_doubling_the_width_multiplies_per_block_parameters_by_4_and_embeddings_by_2(d20):
    wide = insights.doubling(d20, "D")
    assert wide.ratio("block") == 4 and wide.ratio("outside") == 2


def test_mqa_at_d20_is_the_guides_3_604_480_per_block_a_45_percent_saving_502_005_760_total(d20):
    mqa = insights.kv_heads(d20, 1)
    assert mqa.attention == 3_604_480
    assert mqa.saving == Fraction(45, 100)
    assert mqa.total == 502_005_760


def test_gqa_with_2_kv_heads_is_built_and_4_is_refused_at_d20_since_4_does_not_divide_10(d20):
    two = insights.kv_heads(d20, 2)
    assert two.variant.ok and two.attention == 1280 * (2 * 1280 + 2 * 2 * 128)
    four = insights.kv_heads(d20, 4)
    assert not four.variant.ok and "does not divide" in four.variant.refused and "10" in four.variant.refused


def test_gqa_with_4_kv_heads_where_heads_allow_it():
    d16 = nanochat(16)  # H = 8
    kv = insights.kv_heads(d16, 4)
    d, dh = 1024, 128
    assert kv.attention == d * (2 * d + 2 * 4 * dh)
    assert kv.saving == 1 - Fraction(kv.attention, 4 * d * d)


def test_embeddings_hold_29_9_percent_and_layers_70_1_percent_at_d20(d20):
    parts = insights.split(d20)
    assert (parts.layers, parts.outside) == (393_216_000, 167_772_160)
    assert f"{float(parts.layers_share):.1%}" == "70.1%" and f"{float(parts.outside_share):.1%}" == "29.9%"


def test_biases_cost_5_plus_e_times_d_times_l_not_the_guides_6_d_l(d20):
    cost = insights.bias_cost(d20)
    assert cost.exact == nanochat(20, bias=True).total - d20.total == 230_400
    assert sympy.simplify(cost.exact_formula - (5 + e) * D * L) == 0
    assert (cost.linear_layers, cost.shortcut) == (6, 153_600)
    assert sympy.simplify(cost.shortcut_formula - 6 * D * L) == 0
    assert [(path, int(width)) for path, _, width in cost.wider] == [("block.mlp.fc", 5120)]
    assert cost.difference == (4 - 1) * 1280 * 20


def test_the_generic_bias_rewrite_agrees_with_nanochats_own_biased_tree(d20):
    import dataclasses

    generic = insights.with_biases(dataclasses.replace(d20, family="other"))
    assert generic.total == nanochat(20, bias=True).total


def test_guide_sentences_state_the_guides_figures(d20):
    text = "\n".join(insights.guide_insights(d20))
    for figure in ("13,107,200 / 6,553,600 = 2", "3,604,480", "45.0%", "502,005,760", "230,400", "153,600",
                   "70.1%", "29.9%"):
        assert figure in text, figure
    assert "H_kv = 4 is refused" in text


@st.composite
def nanochats(draw):
    depth = draw(st.integers(1, 40))
    e_ = draw(st.sampled_from([1, 2, 3, 4, 6, 8]))
    vocab = draw(st.integers(1, 300_000))
    try:
        spec = nanochat(depth, overrides={"e": sympy.Integer(e_), "V": sympy.Integer(vocab)})
        spec.total  # noqa: B018
    except SymparamsError:
        assume(False)
    return spec


@settings(max_examples=40, deadline=None)
@given(nanochats())
def test_for_any_nanochat_mlp_over_attention_is_e_over_2(spec):
    fact = insights.mlp_to_attention(spec)
    assert fact.value == Fraction(int(spec.env[e]), 2)


@settings(max_examples=40, deadline=None)
@given(nanochats())
def test_for_any_nanochat_doubling_depth_keeps_embeddings_and_doubling_width_quadruples_a_block(spec):
    assert insights.doubling(spec, "L").ratio("outside") == 1
    wide = insights.doubling(spec, "D")
    if wide.after.ok:
        assert wide.ratio("block") == 4


@settings(max_examples=40, deadline=None)
@given(nanochats(), st.booleans())
def test_for_any_nanochat_the_exact_bias_cost_is_5_plus_e_times_d_times_l(spec, mqa):
    if mqa:
        spec = spec.with_values(H_kv=1)
    cost = insights.bias_cost(spec)
    d_, l_, e_ = (int(spec.env[s]) for s in (D, L, e))
    kv = int(spec.env[symparams.symbols.H_kv] * spec.env[symparams.symbols.d_h])
    assert cost.exact == (3 * d_ + 2 * kv + e_ * d_) * l_
    assert cost.shortcut == 6 * d_ * l_


@settings(max_examples=40, deadline=None)
@given(nanochats())
def test_the_vocabulary_moves_only_the_parts_outside_the_blocks(spec):
    for vocab in insights.GUIDE_VOCABS:
        other = insights.variant(spec, V=vocab)
        assert insights.split(other.spec).layers == insights.split(spec).layers
        assert insights.split(other.spec).outside == 2 * vocab * int(spec.env[D])


WRAPPERS = ["llava-1.5-7b-hf", "llama-3.2-11b-vision-instruct", "qwen2.5-vl-3b-instruct"]


@pytest.mark.parametrize("name", WRAPPERS)
def test_what_lies_outside_a_vision_language_models_blocks_is_named_with_its_towers(name):
    """A vision tower is neither embeddings nor head: the sentences that share out the count name it, and the figure
    they give outside the blocks is the whole count less the decoder's blocks."""
    spec = symparams.model(name)
    text = "\n".join(insights.guide_insights(spec))
    assert "embeddings, head and final norm" not in text and "embeddings and head " not in text
    parts = insights.split(spec)
    assert parts.outside == spec.total - parts.layers
    assert f"outside the decoder's blocks (embeddings, head and towers) {parts.outside:,}" in text
    document = symparams.derive(spec, parts=("dominance",))
    assert "The decoder's repeated blocks against everything outside them" in document
