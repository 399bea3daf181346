"""The state-space and hybrid families (mamba, mamba2, jamba, falcon_h1, bamba, nemotron_h, zamba2).

The reference is what transformers itself builds from the same config: its parameters on
the meta device (total and per group, for random small configs, for transformers'
defaults, for every nullable field set to null, and for real config.json files), and the
cache its forward pass really fills on the CPU (the recurrent state a Mamba layer keeps
per sequence, whatever the context, and the KV cache of the attention layers). No
expected count below was written by hand from symparams' own formulas: they come from
transformers, or from a model card where the figure is public.
"""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file
from symparams.symbols import D, E, F_e, F_s, G, H_m, K_c, L, L_a, L_d, L_s, N_b, N_s, Q, R_dt, T, V, d_in, k, r_a

from strategies import CONFIGS
from strategies.ssm import eager_extra_flops

SSM_TYPES = ("mamba", "mamba2", "jamba", "falcon_h1", "bamba", "granitemoehybrid", "nemotron_h", "zamba2")
FIXTURES = Path(__file__).parent / "fixtures" / "configs"
OUR_FIXTURES = tuple(
    p.name for p in sorted(FIXTURES.glob("*.json")) if json.loads(p.read_text()).get("model_type") in SSM_TYPES
)
EXAMPLES = 10  # per family: each example builds a transformers model and a breakdown (~0.3 s)


def _need(name: str):
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install 'symparams[verify]')")


def reference_groups(config: dict) -> dict[str, int]:
    """transformers' parameters for ``config`` on the meta device, summed per group by the family's table."""
    _need("torch")
    _need("transformers")
    from symparams.verify import meta_parameters

    family = FAMILIES.by_type[config["model_type"]]
    out: dict[str, int] = collections.Counter()
    for name, numel in meta_parameters(config):
        out[family.group(name)] += numel
    return {g: n for g, n in out.items() if n}


def symbolic_groups(spec) -> dict[str, int]:
    return {g: n for g, n in spec.breakdown().groups().items() if n}


def assert_counts_as_transformers(config: dict) -> None:
    spec = from_dict(dict(config))
    reference = reference_groups(config)
    assert spec.total == sum(reference.values()), (spec.closed_form, reference)
    assert symbolic_groups(spec) == reference
    assert spec.value(spec.closed_form) == spec.total


# ---- random configs, defaults, nulls ------------------------------------------------------


@pytest.mark.parametrize("model_type", SSM_TYPES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_configs_count_what_transformers_builds(model_type, data):
    """Total and every group equal transformers' model, for small configs with fields left out or null."""
    assert_counts_as_transformers(data.draw(CONFIGS[model_type], label="config"))


@pytest.mark.parametrize("model_type", SSM_TYPES)
def test_a_config_with_only_its_model_type_is_transformers_default_model(model_type):
    assert_counts_as_transformers({"model_type": model_type})


# Small configs in which every field each family reads changes the count, so that a null
# read the wrong way shows.
BASES = {
    "mamba": {"model_type": "mamba", "hidden_size": 8, "num_hidden_layers": 2, "vocab_size": 20,
              "intermediate_size": 12, "state_size": 3, "conv_kernel": 2, "time_step_rank": 2, "expand": 3,
              "use_bias": True, "use_conv_bias": False, "tie_word_embeddings": False, "hidden_act": "silu"},
    "mamba2": {"model_type": "mamba2", "hidden_size": 8, "num_hidden_layers": 2, "vocab_size": 20, "expand": 3,
               "num_heads": 6, "head_dim": 4, "n_groups": 2, "state_size": 3, "conv_kernel": 2, "use_bias": True,
               "use_conv_bias": False, "tie_word_embeddings": True, "time_step_rank": 2, "hidden_act": "silu"},
    "jamba": {"model_type": "jamba", "hidden_size": 8, "num_hidden_layers": 4, "vocab_size": 20,
              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 3, "intermediate_size": 6,
              "num_experts": 3, "num_experts_per_tok": 2, "attn_layer_period": 2, "attn_layer_offset": 1,
              "expert_layer_period": 2, "expert_layer_offset": 0, "mamba_d_state": 3, "mamba_d_conv": 2,
              "mamba_expand": 3, "mamba_dt_rank": 2, "mamba_conv_bias": False, "mamba_proj_bias": True,
              "tie_word_embeddings": True, "hidden_act": "silu", "max_position_embeddings": 64},
    "falcon_h1": {"model_type": "falcon_h1", "hidden_size": 8, "num_hidden_layers": 2, "vocab_size": 20,
                  "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 4, "intermediate_size": 6,
                  "mamba_d_ssm": 12, "mamba_expand": 3, "mamba_n_heads": 4, "mamba_d_head": 3, "mamba_n_groups": 2,
                  "mamba_d_state": 3, "mamba_d_conv": 2, "mamba_conv_bias": True, "mamba_proj_bias": True,
                  "projectors_bias": True, "mamba_rms_norm": True, "attention_bias": True, "mlp_bias": True,
                  "tie_word_embeddings": True, "hidden_act": "silu", "max_position_embeddings": 64},
    "bamba": {"model_type": "bamba", "hidden_size": 8, "num_hidden_layers": 3, "vocab_size": 20,
              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 4, "intermediate_size": 6,
              "attn_layer_indices": [1], "mamba_expand": 3, "mamba_n_heads": 4, "mamba_d_head": 6,
              "mamba_n_groups": 2, "mamba_d_state": 3, "mamba_d_conv": 2, "mamba_conv_bias": True,
              "mamba_proj_bias": True, "attention_bias": True, "mlp_bias": True, "tie_word_embeddings": True,
              "hidden_act": "silu", "max_position_embeddings": 64},
    "granitemoehybrid": {"model_type": "granitemoehybrid", "hidden_size": 8, "num_hidden_layers": 3,
                         "vocab_size": 20, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 4,
                         "intermediate_size": 6, "layer_types": ["mamba", "attention", "mamba"],
                         "num_local_experts": 3, "num_experts_per_tok": 2, "shared_intermediate_size": 5,
                         "position_embedding_type": "rope", "mamba_expand": 3, "mamba_n_heads": 4,
                         "mamba_d_head": 6, "mamba_n_groups": 2, "mamba_d_state": 3, "mamba_d_conv": 2,
                         "mamba_conv_bias": True, "mamba_proj_bias": True, "attention_bias": True,
                         "tie_word_embeddings": True, "hidden_act": "silu", "max_position_embeddings": 64},
    "nemotron_h": {"model_type": "nemotron_h", "hidden_size": 8, "vocab_size": 20, "layers_block_type":
                   ["linear_attention", "full_attention", "mlp", "moe"], "num_attention_heads": 4,
                   "num_key_value_heads": 2, "head_dim": 3, "intermediate_size": 6, "mamba_num_heads": 4,
                   "mamba_head_dim": 3, "n_groups": 2, "ssm_state_size": 3, "conv_kernel": 2, "use_conv_bias": False,
                   "use_bias": True, "n_routed_experts": 3, "num_experts_per_tok": 2, "moe_intermediate_size": 5,
                   "moe_shared_expert_intermediate_size": 7, "moe_latent_size": 4, "mlp_bias": True,
                   "mlp_hidden_act": "relu2", "mamba_hidden_act": "silu", "tie_word_embeddings": False,
                   "max_position_embeddings": 64},
    "zamba2": {"model_type": "zamba2", "hidden_size": 8, "num_hidden_layers": 4, "vocab_size": 20,
               "layers_block_type": ["mamba", "hybrid", "mamba", "hybrid"], "num_attention_heads": 4,
               "num_key_value_heads": 2, "intermediate_size": 6, "n_mamba_heads": 4, "mamba_ngroups": 2,
               "mamba_d_state": 3, "mamba_d_conv": 2, "mamba_expand": 3, "num_mem_blocks": 1, "adapter_rank": 2,
               "use_shared_attention_adapter": True, "add_bias_linear": True, "use_conv_bias": True,
               "tie_word_embeddings": True, "hidden_act": "gelu", "max_position_embeddings": 64},
}
# Names a family reads outside its field table (layer patterns, read-only properties).
EXTRA_NULLS = {
    "bamba": ("attn_layer_indices", "layer_types", "layers_block_type"),
    "falcon_h1": ("layer_types", "layers_block_type"),
    "zamba2": ("layer_types",),
}
# Nulls transformers builds a model for that cannot run, which symparams refuses naming the field (as Granite MoE's).
REFUSED_NULLS = {("granitemoehybrid", "num_experts_per_tok"): "router that cannot pick experts"}
NULL_CASES = tuple(
    (t, name)
    for t in SSM_TYPES
    for name in sorted({n for f in FAMILIES.by_type[t].fields for n in f.names} | set(EXTRA_NULLS.get(t, ())))
)


@pytest.mark.sampled
@pytest.mark.parametrize(("model_type", "name"), NULL_CASES, ids=[f"{t}-{n}" for t, n in NULL_CASES])
def test_a_null_field_reads_as_transformers_reads_it(model_type, name):
    """A null builds what transformers builds for it, or is refused where transformers refuses it.

    transformers' strict dataclasses refuse null in most fields; where they accept it, it
    means the default (Bamba's ``attn_layer_indices``), H (``num_key_value_heads``), the
    other size (Falcon-H1's ``mamba_d_ssm``: expand x D) or no bias (``mamba_conv_bias``);
    a null chunk length shapes no weight (its FLOPs then cannot be read, see below).
    """
    config = {**BASES[model_type], name: None}
    if (model_type, name) in REFUSED_NULLS:
        assert reference_groups(config)
        with pytest.raises(SymparamsError, match=f"{name}.*{REFUSED_NULLS[model_type, name]}"):
            from_dict(dict(config))
        return
    try:
        reference = reference_groups(config)
    except SymparamsError:
        reference = None
    if reference is None:
        with pytest.raises(SymparamsError):
            _ = from_dict(dict(config)).total
    else:
        spec = from_dict(dict(config))
        assert spec.total == sum(reference.values())
        assert symbolic_groups(spec) == reference


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("name", ["num_experts", "num_local_experts"])
def test_a_null_jamba_expert_count_reads_as_transformers_reads_it_by_its_name_and_the_layers(name, layers):
    """JambaConfig's strict field refuses a null ``num_experts``; under the alias ``num_local_experts`` a null gets
    past it, and the model builds where no layer is an expert layer (one layer: the first expert layer is the
    second), and fails where one is."""
    config = {k: v for k, v in BASES["jamba"].items() if k not in ("num_experts", "num_local_experts")}
    config.update({name: None, "num_hidden_layers": layers, "expert_layer_period": 2, "expert_layer_offset": 1})
    try:
        reference = reference_groups(config)
    except SymparamsError:
        reference = None
    assert (reference is not None) == (name == "num_local_experts" and layers == 1)
    if reference is None:
        with pytest.raises(SymparamsError, match=name):
            from_dict(dict(config))
    else:
        assert symbolic_groups(from_dict(dict(config))) == reference


def test_the_bases_themselves_count_what_transformers_builds():
    for config in BASES.values():
        assert_counts_as_transformers(config)


# ---- real configs --------------------------------------------------------------------------


@pytest.mark.sampled
@pytest.mark.parametrize("name", OUR_FIXTURES)
def test_real_config_json_counts_what_transformers_builds(name):
    """Each real config.json, read from the file as written (Infinity included), counts transformers' model."""
    path = FIXTURES / name
    spec = from_file(path)
    reference = reference_groups(json.loads(path.read_text()))
    assert spec.total == sum(reference.values())
    assert symbolic_groups(spec) == reference


def test_every_family_has_two_real_configs():
    types = collections.Counter(json.loads((FIXTURES / n).read_text())["model_type"] for n in OUR_FIXTURES)
    assert {t: types[t] >= 2 for t in SSM_TYPES} == dict.fromkeys(SSM_TYPES, True)


# Public figures: (fixture, total range, active range). Model cards round, so these are ranges.
PUBLISHED = {
    # AI21's Jamba paper and card: "52B total parameters, 12B active"
    "jamba-v0.1.json": ((51_500_000_000, 52_500_000_000), (11_500_000_000, 12_500_000_000)),
    # IBM's Bamba-9B card: 9.78B parameters
    "bamba-9b.json": ((9_775_000_000, 9_785_000_000), None),
    # NVIDIA's Nemotron-3-Nano-30B-A3B card: 31.6B total, about 3.6B active with embeddings
    "nemotron-h-nano-30b-a3b.json": ((31_550_000_000, 31_650_000_000), (3_550_000_000, 3_650_000_000)),
    # TII's Falcon-H1 cards: 0.52B and 7.59B
    "falcon-h1-0.5b-base.json": ((515_000_000, 525_000_000), None),
    "falcon-h1-7b-base.json": ((7_585_000_000, 7_595_000_000), None),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_totals(name):
    spec = from_file(FIXTURES / name)
    (low, high), active = PUBLISHED[name]
    assert low <= spec.total < high
    if active is not None:
        assert active[0] <= spec.active_total < active[1]
        assert spec.active_total < spec.total


# ---- non-finite numbers -------------------------------------------------------------------


def test_infinity_is_accepted_where_it_shapes_nothing(tmp_path):
    """Falcon-H1's and Mamba-2's ``time_step_limit: [0.0, Infinity]`` (and NaN) read; nothing counts it."""
    text = (FIXTURES / "falcon-h1-0.5b-base.json").read_text()
    assert '"time_step_limit": [0.0, Infinity]' in text
    nan = tmp_path / "config.json"
    nan.write_text(text.replace("[0.0, Infinity]", "[NaN, -Infinity]"))
    assert from_file(nan).total == from_file(FIXTURES / "falcon-h1-0.5b-base.json").total


@pytest.mark.parametrize("model_type", SSM_TYPES)
def test_a_config_transformers_saves_is_counted_as_the_model_it_builds_from_that_file(tmp_path, model_type):
    """transformers saves a non-finite float as ``{"__float__": "Infinity"}`` (the default ``time_step_limit``
    of Mamba-2 and the hybrids) and reads it back as the float: the file it saves counts what it builds."""
    _need("torch")
    transformers = _need("transformers")
    from symparams.config import read_json
    from symparams.verify import meta_parameters

    made = transformers.AutoConfig.for_model(**BASES[model_type])
    made.time_step_limit = (0.0, math.inf)
    made.save_pretrained(tmp_path)
    path = tmp_path / "config.json"
    if model_type != "mamba":
        assert '"__float__": "Infinity"' in path.read_text()
    assert from_file(path).total == sum(n for _, n in meta_parameters(read_json(path)))


def test_an_object_is_read_as_a_non_finite_float_only_in_the_form_transformers_writes(tmp_path):
    """``{"__float__": "Infinity"}`` alone is the float; another tag, another key beside it, or a tag that is
    not text stays an object, and an object where a size is read is refused naming the field."""
    text = (FIXTURES / "falcon-h1-0.5b-base.json").read_text()
    path = tmp_path / "config.json"
    for literal in ('{"__float__": "Infinity"}', '{"__float__": "NaN"}', '{"__float__": "-Infinity"}'):
        path.write_text(text.replace('"hidden_size": ', f'"hidden_size": {literal}, "x": '))
        with pytest.raises(SymparamsError, match="'hidden_size'.*non-finite"):
            _ = from_file(path).total
    for literal in ('{"__float__": "inf"}', '{"__float__": "Infinity", "a": 1}', '{"__float__": 1}'):
        path.write_text(text.replace('"hidden_size": ', f'"hidden_size": {literal}, "x": '))
        with pytest.raises(SymparamsError, match="'hidden_size'.*object"):
            _ = from_file(path).total


@pytest.mark.parametrize("field", ["hidden_size", "mamba_d_ssm", "mamba_n_heads", "num_hidden_layers"])
def test_infinity_is_refused_where_it_shapes_the_model(tmp_path, field):
    data = (FIXTURES / "falcon-h1-0.5b-base.json").read_text()
    path = tmp_path / "config.json"
    path.write_text(data.replace(f'"{field}": ', f'"{field}": Infinity, "x_{field}": '))
    with pytest.raises(SymparamsError, match=field):
        _ = from_file(path).total


@pytest.mark.parametrize("field", ["mlp_multipliers", "ssm_multipliers"])
def test_falcon_h1s_multipliers_are_counted_at_the_lengths_transformers_builds_and_refused_at_others(field):
    """The μP multipliers shape nothing, but transformers unpacks two MLP ones and indexes five SSM ones as it
    builds the model: lists of 0 to 7 are counted (as before) exactly where it builds one."""
    _need("torch")
    _need("transformers")
    from symparams.verify import meta_parameters

    base = BASES["falcon_h1"]
    for n in range(8):
        config = {**base, field: [1.5] * n}
        try:
            theirs = sum(numel for _, numel in meta_parameters(config))
        except SymparamsError:
            with pytest.raises(SymparamsError, match=field):
                _ = from_dict(config).total
            continue
        assert from_dict(config).total == theirs == from_dict(base).total


# ---- refusals --------------------------------------------------------------------------------


BOTH_REFUSE = {
    "mamba2 heads x head_dim is not expand x D": {**BASES["mamba2"], "num_heads": 5},
    "jamba offset not below its period": {**BASES["jamba"], "attn_layer_offset": 2},
    "bamba layer_types is read-only": {**BASES["bamba"], "layer_types": ["mamba", "attention", "mamba"]},
    "falcon_h1 layers_block_type is read-only": {**BASES["falcon_h1"], "layers_block_type": ["hybrid"] * 2},
    "falcon_h1 mamba head x heads is not the width": {**BASES["falcon_h1"], "mamba_d_head": 2},
    "nemotron_h unknown pattern letter": {**BASES["nemotron_h"], "layers_block_type": None,
                                          "hybrid_override_pattern": "M*X"},
    "nemotron_h unknown layer kind": {**BASES["nemotron_h"], "layers_block_type": ["mamba", "hybrid"]},
    "zamba2 layers disagree with the pattern": {**BASES["zamba2"], "num_hidden_layers": 5},
    "zamba2 odd rotary head": {**BASES["zamba2"], "head_dim": 5, "use_shared_attention_adapter": False},
}


@pytest.mark.parametrize("case", sorted(BOTH_REFUSE))
def test_configs_transformers_refuses_are_refused(case):
    config = BOTH_REFUSE[case]
    with pytest.raises(SymparamsError, match="cannot build"):
        reference_groups(config)
    with pytest.raises(SymparamsError):
        _ = from_dict(dict(config)).total


@pytest.mark.parametrize("name", ["head_dim", "attention_head_dim"])
def test_an_odd_rotary_head_is_refused_naming_the_field_the_file_states_it_in(name):
    """Zamba2 reads its head size from head_dim or its alias attention_head_dim; the error names the one given."""
    config = {**BASES["zamba2"], name: 5, "use_shared_attention_adapter": False}
    with pytest.raises(SymparamsError, match="cannot build"):
        reference_groups(config)
    with pytest.raises(SymparamsError, match=rf"field '{name}': 5 is odd"):
        _ = from_dict(dict(config)).total


ONLY_WE_REFUSE = {
    # transformers 5 then ties nothing, the shared blocks included: one copy per hybrid layer
    "zamba2 untied with a shared block used twice": ({**BASES["zamba2"], "tie_word_embeddings": False},
                                                     "tie_word_embeddings"),
    # transformers places the adapters by its default pattern before it reads this alias
    "zamba2 layer_types alias": ({**{k: v for k, v in BASES["zamba2"].items() if k != "layers_block_type"},
                                  "layer_types": ["mamba", "hybrid", "mamba", "hybrid"]}, "layer_types"),
    # transformers builds a Mamba layer for any other kind it allows
    "zamba2 full_attention kind": ({**BASES["zamba2"], "layers_block_type": ["mamba", "full_attention"] * 2},
                                   "layer kind"),
    # the mixer's forward pass cannot reshape its width into these heads
    "zamba2 mamba heads do not divide the width": ({**BASES["zamba2"], "n_mamba_heads": 5}, "n_mamba_heads"),
    "zamba2 attention width other than 2D": ({**BASES["zamba2"], "attention_hidden_size": 20},
                                             "attention_hidden_size"),
}


@pytest.mark.parametrize("case", sorted(ONLY_WE_REFUSE))
def test_configs_transformers_builds_but_cannot_be_zamba2_are_refused_with_the_field(case):
    config, field = ONLY_WE_REFUSE[case]
    reference_groups(config)  # transformers builds it ...
    with pytest.raises(SymparamsError, match=field):  # ... but it is not the model the config describes
        _ = from_dict(dict(config)).total


def test_untied_zamba2_is_counted_when_no_block_is_shared():
    assert_counts_as_transformers({**BASES["zamba2"], "tie_word_embeddings": False, "num_mem_blocks": 2})


# ---- closed forms in the paper's symbols ------------------------------------------------------


def test_mamba_closed_form_is_the_mixer_shapes_summed():
    """Mamba-130m: every shape of transformers' MambaMixer written out by hand, in V, D, L, d_in, N_s, K_c, R_dt."""
    spec = from_file(FIXTURES / "mamba-130m-hf.json")
    mixer = (2 * D * d_in + d_in * K_c + d_in + d_in * (R_dt + 2 * N_s) + R_dt * d_in + d_in + d_in * N_s + d_in
             + d_in * D)
    assert sympy.expand(spec.closed_form - (V * D + L * (D + mixer) + D)) == 0


def test_mamba2_closed_form_is_the_mixer_shapes_summed():
    spec = from_file(FIXTURES / "mamba-codestral-7b-v0.1.json")
    conv = d_in + 2 * G * N_s
    mixer = D * (d_in + conv + H_m) + conv * K_c + conv + 3 * H_m + d_in + d_in * D
    assert sympy.expand(spec.closed_form - (2 * V * D + L * (D + mixer) + D)) == 0


def test_hybrids_count_their_layer_kinds_with_symbols():
    """Jamba: L_s Mamba and L - L_s attention mixers, L_d dense and L - L_d MoE feed-forwards (28 and 16 of 32)."""
    jamba = from_file(FIXTURES / "jamba-v0.1.json")
    assert {L_s, L_d, E} <= jamba.closed_form.free_symbols
    assert {L_s, L_d, E, k} <= jamba.active_form.free_symbols
    assert (jamba.env[L], jamba.env[L_s], jamba.env[L_d]) == (32, 28, 16)
    nemotron = from_file(FIXTURES / "nemotron-h-nano-30b-a3b.json")
    assert {L_s, L_a, F_e, F_s} <= nemotron.closed_form.free_symbols
    assert (nemotron.env[L], nemotron.env[L_s], nemotron.env[L_a]) == (52, 23, 6)
    bamba = from_file(FIXTURES / "bamba-9b.json")
    assert (bamba.env[L], bamba.env[L_s]) == (32, 29)
    zamba = from_file(FIXTURES / "zamba2-2.7b.json")
    assert {L_a, N_b, r_a} <= zamba.closed_form.free_symbols
    assert (zamba.env[L], zamba.env[L_a], zamba.env[N_b]) == (54, 9, 2)


def test_derived_sizes_follow_the_width():
    """d_in = expand x D and R_Δ = ceil(D/16) are relations: another width gives another mixer, as in transformers."""
    spec = from_dict({"model_type": "mamba", "hidden_size": 40, "num_hidden_layers": 1, "vocab_size": 10})
    wider = spec.with_values(D=56)
    assert (wider.env[d_in], wider.env[R_dt]) == (112, 4)
    assert wider.total == from_dict({"model_type": "mamba", "hidden_size": 56, "num_hidden_layers": 1,
                                     "vocab_size": 10}).total


def test_zamba2_counts_every_use_of_a_shared_block_as_active():
    """Stored once per num_mem_blocks, the shared block runs at each of the L_a hybrid layers."""
    spec = from_file(FIXTURES / "zamba2-2.7b.json")
    shared = spec.node("shared_transformer")
    block = spec.count(shared.child)
    assert spec.count(shared) == 2 * block
    assert spec.count(shared, "active") == 9 * block
    assert spec.active_total - spec.total == 7 * block


# ---- readings: the state is per sequence ---------------------------------------------------


def test_a_mamba_state_is_the_same_at_every_context():
    """Pure state-space models keep a constant per sequence: L x (conv window + d_in x N_s), no T."""
    spec = from_file(FIXTURES / "mamba-130m-hf.json")
    state = spec.formula(reading="cache_elements")
    assert T not in state.free_symbols
    assert sympy.expand(state - L * (d_in * K_c + d_in * N_s)) == 0
    hybrid = from_file(FIXTURES / "jamba-v0.1.json")
    cache = sympy.expand(hybrid.formula(reading="cache_elements"))
    per_token, per_sequence = cache.coeff(T, 1), cache.coeff(T, 0)
    assert hybrid.value(per_token) == 4 * 2 * 8 * 128  # 4 attention layers' keys and values
    assert hybrid.value(per_sequence) == 28 * (8192 * 4 + 8192 * 16)  # 28 Mamba layers' conv window and state


def test_the_scan_reading_is_its_matmuls_whatever_the_context():
    """Mamba-1 reads out C·h per token; Mamba-2 runs SSD's chunk matmuls: neither grows with T."""
    spec = from_file(FIXTURES / "mamba-130m-hf.json")
    assert sympy.expand(spec.formula(reading="attention_flops") - 2 * L * d_in * N_s) == 0
    assert spec.tree.attention_flops(T, causal=True) == spec.tree.attention_flops(T)
    codestral = from_file(FIXTURES / "mamba-codestral-7b-v0.1.json")
    scan = 2 * Q * H_m * N_s + 2 * Q * d_in + 4 * d_in * N_s
    assert sympy.expand(codestral.formula(reading="attention_flops") - L * scan) == 0
    assert codestral.env[Q] == 256


CACHE_CASES = {
    "mamba": {"model_type": "mamba", "hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 50, "state_size": 4,
              "conv_kernel": 3},
    "mamba2": {"model_type": "mamba2", "hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 50, "num_heads": 4,
               "head_dim": 8, "n_groups": 2, "state_size": 4, "conv_kernel": 3},
    "jamba": {"model_type": "jamba", "hidden_size": 16, "num_hidden_layers": 4, "vocab_size": 50,
              "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 8, "num_experts": 3,
              "attn_layer_period": 2, "attn_layer_offset": 1, "mamba_d_state": 4},
    "falcon_h1": {"model_type": "falcon_h1", "hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 50,
                  "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 8, "mamba_d_ssm": 32,
                  "mamba_n_heads": 4, "mamba_n_groups": 2, "mamba_d_state": 4},
    "bamba": {"model_type": "bamba", "hidden_size": 16, "num_hidden_layers": 3, "vocab_size": 50,
              "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 8, "mamba_n_heads": 4,
              "mamba_n_groups": 2, "mamba_d_state": 4, "attn_layer_indices": [1]},
    "granitemoehybrid": {"model_type": "granitemoehybrid", "hidden_size": 16, "num_hidden_layers": 3,
                         "vocab_size": 50, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 8,
                         "num_local_experts": 3, "shared_intermediate_size": 8, "mamba_n_heads": 4,
                         "mamba_n_groups": 2, "mamba_d_state": 4, "position_embedding_type": "rope",
                         "layer_types": ["mamba", "attention", "mamba"]},
    "nemotron_h": {"model_type": "nemotron_h", "hidden_size": 16, "hybrid_override_pattern": "M*-E", "vocab_size": 50,
                   "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 4, "intermediate_size": 8,
                   "mamba_num_heads": 4, "mamba_head_dim": 8, "n_groups": 2, "ssm_state_size": 4,
                   "n_routed_experts": 3, "moe_intermediate_size": 4, "moe_shared_expert_intermediate_size": 4},
    "zamba2": {"model_type": "zamba2", "hidden_size": 16, "num_hidden_layers": 4, "vocab_size": 50,
               "layers_block_type": ["mamba", "hybrid", "mamba", "hybrid"], "num_attention_heads": 4,
               "num_key_value_heads": 2, "n_mamba_heads": 4, "mamba_ngroups": 2, "mamba_d_state": 4},
}


def filled_cache(config: dict, tokens: int) -> int:
    """Elements of every tensor in the cache transformers' forward pass fills for ``tokens`` tokens of one sequence."""
    torch = _need("torch")
    transformers = _need("transformers")
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        built = transformers.AutoConfig.for_model(config["model_type"], **{k: v for k, v in config.items()
                                                                          if k != "model_type"})
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(built).eval()
        with torch.no_grad():
            out = model(torch.arange(tokens)[None] % config["vocab_size"], use_cache=True)
    finally:
        transformers.logging.set_verbosity(verbosity)

    def numel(value) -> int:
        if isinstance(value, torch.Tensor):
            return value.numel()
        if isinstance(value, dict):
            return sum(numel(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return sum(numel(v) for v in value)
        return 0

    return sum(numel(v) for layer in out.past_key_values.layers for v in vars(layer).values())


@pytest.mark.parametrize("model_type", SSM_TYPES)
@pytest.mark.parametrize("tokens", [3, 7])
def test_cache_reading_is_the_cache_transformers_fills(model_type, tokens):
    """cache_elements(T) is what generation really keeps: a forward pass of T tokens on the CPU fills exactly that."""
    config = CACHE_CASES[model_type]
    spec = from_dict(dict(config))
    ours = spec.value(spec.tree.cache_elements(T)).subs(T, tokens)
    assert ours == filled_cache(config, tokens)


def test_strategies_cover_every_family():
    assert set(SSM_TYPES) <= set(CONFIGS)


def test_no_state_space_reading_is_a_float():
    for name in OUR_FIXTURES:
        spec = from_file(FIXTURES / name)
        for reading in ("params", "active", "matmul", "attention_flops", "cache_elements"):
            value = spec.value(spec.tree.read(reading, T)).subs(T, 4096)
            assert value.is_Integer or value.is_Rational, (name, reading, value)
            assert not isinstance(value, sympy.Float)
            assert math.isfinite(int(value))


# ---- FLOPs against what PyTorch executes ----------------------------------------------------


def executed_flops(config: dict, seq: int, cache: bool = False) -> int:
    """FLOPs of transformers' eager forward pass over a prompt of ``seq`` tokens, with or without a cache.

    FlopCounterMode counts every matmul, einsum and convolution it sees; transformers'
    grouped expert matmuls escape it, so a hook on each experts module adds the
    (token, expert) pairs the router really chose times one expert's weights.
    """
    import inspect

    torch = _need("torch")
    transformers = _need("transformers")
    from torch.utils.flop_counter import FlopCounterMode

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        built = transformers.AutoConfig.for_model(config["model_type"], **{k: v for k, v in config.items()
                                                                          if k != "model_type"})
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(built, attn_implementation="eager").eval()
        routed = [m for m in model.modules() if "top_k_index" in inspect.signature(m.forward).parameters]
        experts = [0]

        def hook(module, args, kwargs):
            index = kwargs.get("top_k_index", args[1] if len(args) > 1 else None)
            experts[0] += 2 * index.numel() * sum(p[0].numel() for p in module.parameters(recurse=False) if p.dim() == 3)

        handles = [m.register_forward_pre_hook(hook, with_kwargs=True) for m in routed]
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(input_ids=torch.arange(seq)[None] % config["vocab_size"], use_cache=cache)
        for h in handles:
            h.remove()
    finally:
        transformers.logging.set_verbosity(verbosity)
    return counter.get_total_flops() + experts[0]


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", SSM_TYPES)
@pytest.mark.parametrize(("seq", "cache"), [(1, False), (6, False), (9, False), (1, True), (9, True)])
def test_exact_flops_are_what_pytorch_executes(model_type, seq, cache):
    """T x the exact forward FLOPs per token, plus the eager path's per-sequence extras, is the executed count.

    Reference: FlopCounterMode over transformers' eager forward pass (with hooks for
    routed experts, which it does not see). Chunks of 4 tokens make 6 and 9 tokens pad; a
    cache pads a one-token prompt to the convolution's width. The extras are
    ``strategies.ssm.eager_extra_flops``.
    """
    from symparams.flops import flops

    config = dict(CACHE_CASES[model_type])
    key = {"bamba": "mamba_chunk_size", "falcon_h1": "mamba_chunk_size"}.get(model_type, "chunk_size")
    if model_type != "mamba" and model_type != "jamba":
        config[key] = 4
    spec = from_dict(dict(config))
    ours = flops(spec, seq, "exact").forward * seq + eager_extra_flops(spec, seq, cache)
    assert ours == executed_flops(config, seq, cache)


@pytest.mark.parametrize("model_type", ["bamba", "falcon_h1"])
def test_a_null_chunk_length_counts_but_has_no_flops(model_type):
    """transformers builds a null mamba_chunk_size (its forward pass cannot run): the count stands, FLOPs refuse."""
    from symparams.flops import flops

    spec = from_dict({**BASES[model_type], "mamba_chunk_size": None})
    assert spec.total == from_dict(BASES[model_type]).total
    assert any("mamba_chunk_size" in note for note in spec.notes)
    with pytest.raises(SymparamsError):
        flops(spec, 64, "exact")


@pytest.mark.parametrize("pattern", ["12", "M*", None])
@pytest.mark.parametrize("listed", ["layer_types", "layers_block_type"])
def test_nemotron_h_parses_its_pattern_beside_the_alias_of_the_layer_list_as_transformers_does(listed, pattern):
    """NemotronHConfig parses hybrid_override_pattern unless layers_block_type itself is given (the
    layer_types alias is set afterwards): an unparsable pattern beside the alias is refused, naming it, and
    beside the field itself is ignored, as there; the list decides the layers either way."""
    pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.verify import meta_parameters

    doc = {"model_type": "nemotron_h", "vocab_size": 10, "num_attention_heads": 1, "num_key_value_heads": 1,
           "hidden_size": 4, "head_dim": 4, "intermediate_size": 4, listed: ["mamba", "attention"]}
    if pattern is not None:
        doc["hybrid_override_pattern"] = pattern
    try:
        theirs: int | None = sum(n for _, n in meta_parameters(doc))
    except SymparamsError:
        theirs = None
    if theirs is None:
        with pytest.raises(SymparamsError, match="hybrid_override_pattern"):
            from_dict(doc)
    else:
        assert from_dict(doc).total == theirs
    assert (theirs is None) == (listed == "layer_types" and pattern == "12")
