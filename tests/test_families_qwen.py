"""The Qwen group of #11 (qwen3, qwen3_moe, qwen2_moe, qwen3_5_text, qwen3_5_moe_text, qwen3_next,
llama4_text, phi3, phimoe) against transformers 5 on the meta device.

The reference is always the model transformers builds: random small configs (total and every
group), each field set to null (the same model, or refused where transformers refuses), and
real configs hand-written from public checkpoints. Published totals are model-card figures,
compared at the precision the card gives them. The readings that are not parameter counts
(KV cache with windows and chunks, the Gated DeltaNet's constant state, active parameters
with shared experts) are checked against counts worked out here from the configs.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.cli import main
from symparams.config import read_json
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file
from symparams.symbols import T, W

from strategies import CONFIGS
from strategies.qwen import QWEN_TYPES

FIXTURES = Path(__file__).parent / "fixtures" / "configs"


def _need(name: str):
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install 'symparams[verify]')")


def theirs(cfg: dict) -> dict[str, int]:
    """transformers' parameters for ``cfg`` (meta device), summed by the family's groups."""
    _need("torch")
    _need("transformers")
    from symparams.verify import meta_parameters

    family = FAMILIES.by_type[cfg["model_type"]]
    out: dict[str, int] = {}
    for name, numel in meta_parameters(cfg):
        group = family.group(name)
        out[group] = out.get(group, 0) + numel
    return {g: n for g, n in out.items() if n}


def ours(spec) -> dict[str, int]:
    return {g: n for g, n in spec.breakdown().groups().items() if n}


def outcome(fn, *args):
    """``("ok", value)`` or ``("refused", message)`` for a call that may raise SymparamsError."""
    try:
        return "ok", fn(*args)
    except SymparamsError as err:
        return "refused", str(err)


# ---- random configs ---------------------------------------------------------------


@pytest.mark.parametrize("model_type", QWEN_TYPES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_groups_and_total_equal_transformers(model_type, data):
    """Every group and the total of a random small config equal transformers' model."""
    cfg = data.draw(CONFIGS[model_type], label="config")
    spec = from_dict(cfg)
    expected = theirs(cfg)
    assert ours(spec) == expected
    assert spec.total == sum(expected.values())
    assert spec.active_total <= spec.total


# ---- null versus missing ----------------------------------------------------------

_SMALL = {"vocab_size": 50, "hidden_size": 24, "num_hidden_layers": 4, "num_attention_heads": 4,
          "num_key_value_heads": 2, "hidden_act": "silu", "max_position_embeddings": 64, "tie_word_embeddings": False}
_HYBRID = {"head_dim": 8, "attention_bias": True, "linear_conv_kernel_dim": 3, "linear_key_head_dim": 4,
           "linear_value_head_dim": 6, "linear_num_key_heads": 2, "linear_num_value_heads": 4,
           "full_attention_interval": 2, "layer_types": ["linear_attention", "full_attention"] * 2}
# small configs naming every field their family reads, so that a null differs from a missing field
BASE = {
    "qwen3": {**_SMALL, "model_type": "qwen3", "head_dim": 6, "intermediate_size": 20, "attention_bias": True,
              "use_sliding_window": True, "sliding_window": 5, "max_window_layers": 2,
              "layer_types": ["full_attention", "sliding_attention"] * 2, "pad_token_id": 3},
    "qwen3_moe": {**_SMALL, "model_type": "qwen3_moe", "head_dim": 6, "intermediate_size": 20,
                  "attention_bias": True, "use_sliding_window": True, "sliding_window": 5, "decoder_sparse_step": 2,
                  "moe_intermediate_size": 7, "num_experts_per_tok": 2, "num_experts": 3, "mlp_only_layers": [3]},
    "qwen2_moe": {**_SMALL, "model_type": "qwen2_moe", "head_dim": 6, "intermediate_size": 20, "qkv_bias": False,
                  "use_sliding_window": True, "sliding_window": 5, "max_window_layers": 3, "decoder_sparse_step": 1,
                  "moe_intermediate_size": 7, "shared_expert_intermediate_size": 9, "num_experts_per_tok": 2,
                  "num_experts": 3, "mlp_only_layers": [0], "layer_types": ["sliding_attention", "full_attention"] * 2},
    "qwen3_5_text": {**_SMALL, **_HYBRID, "model_type": "qwen3_5_text", "intermediate_size": 20},
    "qwen3_5_moe_text": {**_SMALL, **_HYBRID, "model_type": "qwen3_5_moe_text", "moe_intermediate_size": 7,
                         "shared_expert_intermediate_size": 9, "num_experts_per_tok": 2, "num_experts": 3},
    "qwen3_next": {**_SMALL, **_HYBRID, "model_type": "qwen3_next", "intermediate_size": 20,
                   "decoder_sparse_step": 1, "moe_intermediate_size": 7, "shared_expert_intermediate_size": 9,
                   "num_experts_per_tok": 2, "num_experts": 3, "mlp_only_layers": [1]},
    "llama4_text": {**_SMALL, "model_type": "llama4_text", "head_dim": 6, "intermediate_size": 7,
                    "intermediate_size_mlp": 20, "attention_bias": True, "num_experts_per_tok": 1,
                    "num_local_experts": 3, "interleave_moe_layer_step": 2, "use_qk_norm": True,
                    "no_rope_layer_interval": 2, "attention_chunk_size": 4, "moe_layers": [1, 2],
                    "no_rope_layers": [1, 0, 1, 0], "layer_types": ["chunked_attention", "full_attention"] * 2},
    "phi3": {**_SMALL, "model_type": "phi3", "intermediate_size": 20, "sliding_window": 5, "pad_token_id": 0},
    "phimoe": {**_SMALL, "model_type": "phimoe", "intermediate_size": 20, "sliding_window": 5,
               "num_experts_per_tok": 2, "num_local_experts": 3, "attention_bias": True, "lm_head_bias": True},
}


def _null_cases():
    for model_type in QWEN_TYPES:
        for field in FAMILIES.by_type[model_type].fields:
            yield model_type, field.name


@pytest.mark.sampled
@pytest.mark.parametrize(("model_type", "field"), list(_null_cases()))
def test_a_null_field_counts_as_transformers_builds_it_or_is_refused_as_it_refuses(model_type, field):
    """Each field set to null: the same model as transformers, or refused where transformers refuses."""
    cfg = {**BASE[model_type], field: None}
    mine = outcome(lambda: ours(from_dict(cfg)))
    reference = outcome(theirs, cfg)
    assert mine[0] == reference[0], (mine, reference)
    if mine[0] == "ok":
        assert mine[1] == reference[1]


@pytest.mark.parametrize("model_type", QWEN_TYPES)
def test_the_base_configs_count_what_transformers_builds(model_type):
    spec = from_dict(BASE[model_type])
    assert ours(spec) == theirs(BASE[model_type])


@pytest.mark.parametrize(("model_type", "field"), [
    ("qwen3", "num_key_value_heads"), ("phi3", "num_key_value_heads"), ("qwen3_moe", "sliding_window"),
    ("qwen2_moe", "mlp_only_layers"), ("qwen3_next", "layer_types"), ("llama4_text", "moe_layers"),
    ("llama4_text", "no_rope_layers"), ("phi3", "pad_token_id"),
])
def test_null_and_missing_differ_where_transformers_makes_them_differ(model_type, field):
    """A null and a missing field each give what transformers builds for it (H for a null key/value head count)."""
    base = {k: v for k, v in BASE[model_type].items() if k != field}
    if model_type == "qwen3" and field == "num_key_value_heads":
        base["num_attention_heads"] = 64  # a missing one is 32, which must divide the heads
    for cfg in (base, {**base, field: None}):
        if model_type == "phi3" and field == "pad_token_id" and field not in cfg:
            assert outcome(from_dict, cfg)[0] == "refused"  # the default padding row 32,000 is not there
            continue
        assert ours(from_dict(cfg)) == theirs(cfg)


def test_a_null_key_value_head_count_is_the_head_count_in_qwen3():
    base = {**BASE["qwen3"], "num_attention_heads": 64}
    missing = {k: v for k, v in base.items() if k != "num_key_value_heads"}
    assert from_dict({**base, "num_key_value_heads": None}).int_values()["H_kv"] == 64
    assert from_dict(missing).int_values()["H_kv"] == 32


# ---- real configs ---------------------------------------------------------------------

FIXTURE_FILES = sorted(
    p.name for pattern in ("qwen*.json", "llama-4*.json", "phi-3-m*.json", "phi-3.5-moe*.json", "phi-mini-moe*.json")
    for p in FIXTURES.glob(pattern) if read_json(p)["model_type"] in QWEN_TYPES
)

# Model-card totals, at the precision the card states them (value, unit of the last digit).
# Non-embedding figures leave out the embedding and an untied head, as Qwen's cards do.
PUBLISHED = {
    "qwen3-0.6b.json": {"total": (Fraction(6, 10), 10**8), "non_embedding": (Fraction(44, 100), 10**7)},
    "qwen3-8b.json": {"total": (Fraction(82, 10), 10**8), "non_embedding": (Fraction(695, 100), 10**7)},
    "qwen3-30b-a3b.json": {"total": (Fraction(305, 10), 10**8), "non_embedding": (Fraction(299, 10), 10**8)},
    "qwen3-235b-a22b.json": {"total": (235, 10**9), "active": (22, 10**9), "non_embedding": (234, 10**9)},
    "qwen1.5-moe-a2.7b.json": {"total": (Fraction(143, 10), 10**8), "active": (Fraction(27, 10), 10**8)},
    "qwen2-57b-a14b.json": {"total": (57, 10**9), "active": (14, 10**9)},
    "qwen3-next-80b-a3b-instruct.json": {"total": (80, 10**9), "non_embedding": (79, 10**9)},
    "llama-4-scout-17b-16e-text.json": {"active": (17, 10**9)},
    "llama-4-maverick-17b-128e-text.json": {"active": (17, 10**9)},
    "phi-3-mini-4k-instruct.json": {"total": (Fraction(38, 10), 10**8)},
    "phi-3-medium-4k-instruct.json": {"total": (14, 10**9)},
    "phi-3.5-moe-instruct.json": {"total": (42, 10**9), "active": (Fraction(66, 10), 10**8)},
}
# Phi-3-mini's released checkpoint holds exactly this many parameters.
EXACT = {"phi-3-mini-4k-instruct.json": 3_821_079_552}


def test_every_family_has_two_real_configs():
    types = [read_json(FIXTURES / name)["model_type"] for name in FIXTURE_FILES]
    for model_type in QWEN_TYPES:
        assert types.count(model_type) >= 2, model_type


@pytest.mark.sampled
@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_real_configs_count_what_transformers_builds(name):
    data = read_json(FIXTURES / name)
    spec = from_file(FIXTURES / name)
    expected = theirs(data)
    assert ours(spec) == expected
    assert spec.total == sum(expected.values())


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_totals(name):
    spec = from_file(FIXTURES / name)
    embedding = spec.count(spec.node("embed_tokens"))
    head = spec.count(spec.node("lm_head"))
    measured = {"total": spec.total, "active": spec.active_total, "non_embedding": spec.total - embedding - head}
    for what, (value, unit) in PUBLISHED[name].items():
        assert abs(measured[what] - value * 10**9) <= Fraction(unit, 2), (what, measured[what])
    if name in EXACT:
        assert spec.total == EXACT[name]


# ---- readings beyond the parameter count --------------------------------------------


def _at(spec, expr, seq: int) -> sympy.Expr:
    return spec.value(expr.xreplace({T: sympy.Integer(seq)}))


@pytest.mark.parametrize("seq", [1, 5, 16, 100])
def test_sliding_and_chunked_layers_keep_at_most_their_window(seq):
    """KV cache: 2*H_kv*d_h per token and layer, capped at the window on the windowed layers."""
    qwen3 = from_dict(BASE["qwen3"])  # layers 1 and 3 slide over 5 tokens; H_kv = 2, d_h = 6
    assert _at(qwen3, qwen3.tree.cache_elements(T), seq) == 2 * 2 * 6 * (2 * seq + 2 * min(seq, 5))
    llama4 = from_dict(BASE["llama4_text"])  # layers 0 and 2 attend in chunks of 4
    assert _at(llama4, llama4.tree.cache_elements(T), seq) == 2 * 2 * 6 * (2 * seq + 2 * min(seq, 4))
    phi3 = from_dict(BASE["phi3"])  # every layer has a window of 5; head_dim = 24 / 4
    assert _at(phi3, phi3.tree.cache_elements(T), seq) == 2 * 2 * 6 * 4 * min(seq, 5)


@pytest.mark.parametrize("model_type", ["qwen3_5_text", "qwen3_next"])
def test_the_gated_deltanet_keeps_a_state_whatever_the_context(model_type):
    """Two full-attention layers cache per token; two DeltaNet layers keep their conv inputs and state."""
    spec = from_dict(BASE[model_type])
    conv = (2 * 2 * 4 + 4 * 6) * 3  # (2*H_lk*d_lk + H_lv*d_lv) channels x K_c taps
    state = 4 * 4 * 6  # H_lv x d_lk x d_lv
    for seq in (1, 7, 1000):
        assert _at(spec, spec.tree.cache_elements(T), seq) == 2 * (2 * 2 * 8 * seq) + 2 * (conv + state)


def test_active_parameters_count_k_routed_experts_and_the_shared_one():
    """qwen2_moe BASE: 3 MoE layers of (router, 2 of 3 experts, shared expert, its gate) and one dense layer."""
    spec = from_dict(BASE["qwen2_moe"])
    d = 24
    expert, shared, dense = 3 * d * 7, 3 * d * 9, 3 * d * 20
    routed_saving = 3 * (3 - 2) * expert
    assert spec.total - spec.active_total == routed_saving
    moe = spec.count(spec.node("moe_mlp.sublayer.mlp"))
    assert moe == d * 3 + 3 * expert + shared + d
    assert spec.count(spec.node("dense_mlp.sublayer.mlp")) == dense


def test_phimoe_routes_two_experts_whatever_the_config_says():
    cfg = {**BASE["phimoe"], "num_experts_per_tok": 1}
    spec = from_dict(cfg)
    assert spec.int_values()["k"] == 2
    assert any("sparsemixer" in note for note in spec.notes)


@pytest.mark.parametrize(("model_type", "change"), [
    ("qwen3", {"use_sliding_window": False}),
    ("qwen3", {"sliding_window": None}),
    ("qwen2_moe", {"sliding_window": None}),
    ("llama4_text", {"attention_chunk_size": None}),
])
def test_windowed_layers_without_a_window_count_what_transformers_builds_and_say_it_cannot_run(model_type, change):
    """transformers builds these (its mask or cache then fails on the windowed layers): every weight is counted, the
    layers are read as full attention, and the note says why the model cannot run."""
    cfg = {**BASE[model_type], **change}
    spec = from_dict(cfg)
    assert ours(spec) == theirs(cfg)
    assert W not in dict(spec.values) and any("cannot run" in note for note in spec.notes), spec.notes


# ---- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(("model_type", "change", "needle"), [
    ("qwen3_moe", {"num_experts_per_tok": 4}, "exceeds"),
    ("qwen3", {"layer_types": ["full_attention"] * 3}, "names 3 layers"),
    ("qwen3", {"layer_types": ["full_attention", "chunked_attention"] * 2}, "is not a layer qwen3 builds"),
    ("qwen3", {"head_dim": 7}, "even rotary dimension"),
    ("phi3", {"pad_token_id": 50}, "not a row"),
    ("qwen2_moe", {"use_sliding_window": False}, "window of 0 tokens"),
    ("llama4_text", {"no_rope_layers": [1, 0]}, "flags 2 layers"),
    ("qwen3_next", {"linear_num_value_heads": 3}, "does not divide"),
    ("phimoe", {"num_local_experts": 1}, "fewer than the 2 experts"),
])
def test_what_cannot_be_built_or_run_is_refused_in_one_line(model_type, change, needle):
    with pytest.raises(SymparamsError) as err:
        from_dict({**BASE[model_type], **change}).total  # noqa: B018
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_the_legacy_layer_type_names_read_as_transformers_remaps_them():
    cfg = {**BASE["qwen3_next"], "layer_types": ["mamba", "attention"] * 2}
    assert ours(from_dict(cfg)) == ours(from_dict(BASE["qwen3_next"]))


# ---- the commands ---------------------------------------------------------------------------


COMMANDS = [["count"], ["formula"], ["flops", "--seq", "4096"], ["memory", "--inference", "--seq", "4096"], ["verify"]]


@pytest.mark.sampled
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", ["qwen3-30b-a3b.json", "qwen3-next-80b-a3b-instruct.json",
                                  "llama-4-scout-17b-16e-text.json", "phi-3-mini-4k-instruct.json"])
def test_the_commands_run_on_real_configs(command, name, capsys):
    if command == ["verify"]:
        _need("torch")
        _need("transformers")
    assert main([command[0], str(FIXTURES / name), *command[1:]]) == 0
    assert capsys.readouterr().out.strip()


def test_the_derivation_runs_on_a_real_config(capsys):
    """The step-by-step derivation (slow on the hybrids' many symbols, so one model here)."""
    assert main(["derive", str(FIXTURES / "phi-3-mini-4k-instruct.json")]) == 0
    assert "3,821,079,552" in capsys.readouterr().out
