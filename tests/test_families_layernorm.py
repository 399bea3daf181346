"""The LayerNorm-era families (gpt2, opt, gpt_neox, gptj, bloom, falcon, phi) against transformers.

The reference is the model transformers itself builds from the same config on the
meta device: every random config below is counted twice, symbolically and by
transformers, in total and per component group. Small widths keep each build to
milliseconds; the random fields are the ones that change shapes in that family.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.catalog import from_preset
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file
from symparams.presets import PRESETS
from symparams.symbols import D, D_e, L, P, V, d_h

from strategies import CONFIGS
from strategies.existing import (
    LAYERNORM_TYPES as FAMILY_TYPES,
)
from strategies.existing import (
    bloom_configs,
    falcon_configs,
    gpt2_configs,
    gpt_neox_configs,
    gptj_configs,
    opt_configs,
    phi_configs,
)

OUR_PRESETS = (
    "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "opt-125m", "opt-1.3b", "pythia-160m",
    "pythia-1.4b", "gpt-j-6b", "bloom-560m", "falcon-7b", "phi-2",
)
FIXTURES = Path(__file__).parent / "fixtures" / "configs"
OUR_FIXTURES = tuple(
    p for p in sorted(FIXTURES.glob("*.json")) if json.loads(p.read_text()).get("model_type") in FAMILY_TYPES
)
REFUSED_FIXTURES: dict[str, str] = {}

GPT2_PUBLISHED = 124_439_808  # GPT-2 small as released (Hugging Face "gpt2"): a public figure
EXAMPLES = 40  # each example builds a transformers model (~50 ms); 7 families x 40 stays well under a minute


# ---- the reference: transformers on the meta device ---------------------------------------


def meta_groups(config: dict) -> dict[str, int]:
    """transformers' parameters for ``config``, summed per group by the family's own ``group``."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from symparams.verify import meta_parameters

    family = FAMILIES.by_type[config["model_type"]]
    out: dict[str, int] = collections.Counter()
    for name, numel in meta_parameters(config):
        out[family.group(name)] += numel
    return dict(out)


def build_on_meta(config: dict):
    """transformers' model for ``config`` with every field passed through, "_"-prefixed ones included."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    fields = {k: v for k, v in config.items() if k != "model_type"}
    built = transformers.AutoConfig.for_model(config["model_type"], **fields)
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(built)


def symbolic_groups(spec) -> dict[str, int]:
    return {g: n for g, n in spec.breakdown().groups().items() if n}


def assert_matches_transformers(config: dict) -> None:
    spec = from_dict(dict(config))
    reference = meta_groups(config)
    assert spec.total == sum(reference.values()), (spec.closed_form, reference)
    assert symbolic_groups(spec) == reference
    assert spec.value(spec.closed_form) == spec.total


# ---- the heart: symbolic == transformers, per group and in total ---------------------------


@settings(max_examples=EXAMPLES)
@given(gpt2_configs())
def test_gpt2_counts_equal_transformers_per_group(config):
    """Any GPT-2 config (tied or not, any n_inner, positions, field aliases) counts as transformers builds it."""
    assert_matches_transformers(config)


@settings(max_examples=EXAMPLES)
@given(opt_configs())
def test_opt_counts_equal_transformers_per_group(config):
    """Any OPT config (biases, affine norms, pre/post-norm, P + 2 position rows, a narrower token embedding
    projected in and out) counts as transformers builds it."""
    assert_matches_transformers(config)


@settings(max_examples=EXAMPLES)
@given(gpt_neox_configs())
def test_gpt_neox_counts_equal_transformers_per_group(config):
    """Any GPT-NeoX config (attention bias, parallel residual, tied head) counts as transformers builds it."""
    assert_matches_transformers(config)


@settings(max_examples=EXAMPLES)
@given(gptj_configs())
def test_gptj_counts_equal_transformers_per_group(config):
    """Any GPT-J config (one shared norm, biased head, tied or not) counts as transformers builds it."""
    assert_matches_transformers(config)


@settings(max_examples=EXAMPLES)
@given(bloom_configs())
def test_bloom_counts_equal_transformers_per_group(config):
    """Any BLOOM config (embedding LayerNorm, F = 4D whatever n_inner says) counts as transformers builds it."""
    assert_matches_transformers(config)


@settings(max_examples=2 * EXAMPLES)
@given(falcon_configs())
def test_falcon_counts_equal_transformers_per_group(config):
    """Any Falcon config (MHA, multi-query, new decoder architecture with kv groups, 1 or 2 norms, nulls) counts as
    transformers builds it."""
    assert_matches_transformers(config)


@settings(max_examples=EXAMPLES)
@given(phi_configs())
def test_phi_counts_equal_transformers_per_group(config):
    """Any phi config (GQA, explicit head_dim, q/k LayerNorms, biased head) counts as transformers builds it."""
    assert_matches_transformers(config)


def test_opt_without_its_final_layer_norm_counts_as_transformers_builds_it():
    """``_remove_final_layer_norm`` drops the final LayerNorm (the generic meta helper strips "_" fields, so build directly)."""
    fields = dict(hidden_size=24, num_attention_heads=3, num_hidden_layers=2, vocab_size=50, ffn_dim=7,
                  max_position_embeddings=9)
    config = {"model_type": "opt", "_remove_final_layer_norm": True, **fields}
    spec = from_dict(config)
    assert spec.total == sum(p.numel() for p in build_on_meta(config).parameters())
    with_norm = from_dict({"model_type": "opt", **fields})
    assert with_norm.total - spec.total == 2 * 24


OPT_350M_PUBLISHED = 331_196_416  # facebook/opt-350m as released: a public figure


def test_opt_350m_narrower_embedding_counts_as_published_and_as_transformers_builds_it():
    """OPT-350m embeds tokens in D_e = 512 and projects them to D = 1,024 and back: V*D_e + 2*D_e*D more than
    its blocks and positions; tied, its head stores nothing. The real config.json counts the published total,
    transformers' model group by group, and the closed form holds D_e."""
    spec = from_file(FIXTURES / "opt-350m.json")
    assert spec.total == OPT_350M_PUBLISHED
    assert spec.env[D_e] == 512 and spec.env[D] == 1024
    assert spec.count(spec.node("project_in")) == spec.count(spec.node("project_out")) == 512 * 1024
    assert spec.count(spec.node("embed_tokens")) == 50272 * 512
    assert D_e in spec.closed_form.free_symbols
    assert symbolic_groups(spec) == meta_groups(json.loads((FIXTURES / "opt-350m.json").read_text()))


@pytest.mark.parametrize("width", [None, 64])
def test_opt_word_embed_proj_dim_equal_to_the_width_or_null_adds_no_projection(width):
    """transformers adds project_in/out only when word_embed_proj_dim differs from hidden_size (null means equal)."""
    base = {"model_type": "opt", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1}
    spec = from_dict({**base, "word_embed_proj_dim": width})
    assert spec.total == from_dict(base).total
    assert D_e not in spec.closed_form.free_symbols


@pytest.mark.parametrize("sets", [{"D": 512}, {"D_e": 1024}, {"D_e": "D"}])
def test_opt_350m_with_its_two_widths_set_equal_is_refused_in_one_line_not_counted_with_projections(sets, capsys):
    """Set equal, the two widths make the model transformers builds without project_in/out (the test above),
    which is another tree: the command line, the API and the vectorised count each refuse it, naming both."""
    import numpy as np

    from symparams.catalog import model
    from symparams.cli import main
    from symparams.compiled import vectorize

    argv = ["count", "opt-350m", *(a for k, v in sets.items() for a in ("--set", f"{k}={v}"))]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "D_e=" in err and "equals D=" in err and "word_embed_proj_dim" in err
    if sets != {"D_e": "D"}:
        with pytest.raises(SymparamsError, match="equals"):
            model("opt-350m", **sets).total
    counts = vectorize(model("opt-350m"))
    assert counts(D=np.array([1024, 2048])).tolist() == [331_196_416, model("opt-350m", D=2048).total]
    with pytest.raises(SymparamsError, match="equals"):
        counts(D=np.array([1024, 512]))


# ---- real models: presets and shipped config files -----------------------------------------


def test_gpt2_reproduces_the_published_count():
    """GPT-2 small has 124,439,808 parameters, from the preset and from the shipped config.json."""
    from symparams.catalog import model

    assert model("gpt2").total == GPT2_PUBLISHED
    assert from_file(FIXTURES / "gpt2.json").total == GPT2_PUBLISHED


def test_gpt2_count_on_the_command_line_is_the_published_one(capsys):
    """``symparams count gpt2 --json`` prints the published total and a formula in V, D, L, P."""
    from symparams.cli import main

    assert main(["count", "gpt2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == GPT2_PUBLISHED
    assert {"V", "D", "L", "P"} <= set(out["config"])


@pytest.mark.parametrize("name", OUR_PRESETS)
def test_every_preset_matches_transformers_per_group(name):
    """Each shipped preset counts, in total and per group, exactly as transformers builds it."""
    assert name in PRESETS
    config = json.loads(Path(PRESETS[name]).read_text())
    spec = from_preset(name)
    reference = meta_groups(config)
    assert spec.total == sum(reference.values())
    assert symbolic_groups(spec) == reference


@pytest.mark.sampled
@pytest.mark.parametrize("path", OUR_FIXTURES, ids=lambda p: p.name)
def test_every_real_config_file_matches_transformers_or_is_refused_by_name(path):
    """A real config.json (with all its unrelated fields) counts as transformers builds it, or names the field it cannot model."""
    if path.name in REFUSED_FIXTURES:
        with pytest.raises(SymparamsError, match=REFUSED_FIXTURES[path.name]):
            from_file(path)
        return
    config = json.loads(path.read_text())
    spec = from_file(path)
    reference = meta_groups(config)
    assert spec.total == sum(reference.values())
    assert symbolic_groups(spec) == reference


# ---- symbolic properties (no transformers needed) -------------------------------------------


@settings(max_examples=EXAMPLES)
@given(st.sampled_from(FAMILY_TYPES).flatmap(CONFIGS.__getitem__))
def test_untying_the_head_adds_exactly_one_V_by_D_matrix(config):
    """In every family, an untied LM head stores V*D weights more than a tied one, in closed form
    (V*D_e where OPT's token embedding is narrower than D)."""
    tied = from_dict({**config, "tie_word_embeddings": True})
    untied = from_dict({**config, "tie_word_embeddings": False})
    width = D_e if D_e in dict(untied.values) else D
    assert sympy.expand(untied.closed_form - tied.closed_form) == V * width
    assert untied.total - tied.total == untied.env[V] * untied.env[width]


@settings(max_examples=EXAMPLES)
@given(st.sampled_from(FAMILY_TYPES).flatmap(CONFIGS.__getitem__))
def test_closed_forms_use_only_the_models_free_symbols(config):
    """Every closed form is written in the symbols the config gave values to, nothing else."""
    spec = from_dict(config)
    assert spec.closed_form.free_symbols <= set(spec.symbols)


@settings(max_examples=EXAMPLES)
@given(st.sampled_from(FAMILY_TYPES).flatmap(CONFIGS.__getitem__))
def test_the_breakdown_partitions_the_total(config):
    """Top-level rows and per-group sums both add up to the total."""
    spec = from_dict(config)
    rows = spec.breakdown()
    assert sum(r.total for r in rows.top()) == spec.total
    assert sum(rows.groups().values()) == spec.total


def test_gpt2_count_does_not_depend_on_the_number_of_heads():
    """Multi-head attention splits D into heads without changing a weight count."""
    spec = from_preset("gpt2")
    assert spec.formula().free_symbols == {V, D, L, P}
    assert spec.with_values(H=1).total == spec.with_values(H=768).total == spec.total


def test_falcon_multi_query_shares_one_key_value_head():
    """Falcon-7B (multi_query) has D*(D + 2*d_h) q/k/v weights per layer, not 3*D^2."""
    spec = from_preset("falcon-7b")
    width, head = spec.env[D], spec.env[d_h]
    attn = spec.node("blocks.h.self_attention")
    assert spec.count(attn) == width * (width + 2 * head) + width * width


def test_bloom_has_a_layernorm_right_after_its_embedding():
    """BLOOM-560m's embedding LayerNorm stores a weight and a bias of D each."""
    spec = from_preset("bloom-560m")
    norm = spec.node("word_embeddings_layernorm")
    assert spec.count(norm) == 2 * spec.env[D]


# ---- refusals name the field ---------------------------------------------------------------


@pytest.mark.parametrize(
    "config, field",
    [
        ({"model_type": "opt", "hidden_size": 64, "num_attention_heads": 4, "word_embed_proj_dim": 32.5},
         "word_embed_proj_dim"),
        ({"model_type": "gpt2", "add_cross_attention": True}, "add_cross_attention"),
        ({"model_type": "gpt2", "n_embd": 64, "hidden_size": 128}, "n_embd"),
        ({"model_type": "bloom", "hidden_size": 64, "n_embed": 32}, "hidden_size"),
        ({"model_type": "falcon", "num_ln_in_parallel_attn": 3}, "num_ln_in_parallel_attn"),
        ({"model_type": "gptj", "n_embd": "4096"}, "n_embd"),
        ({"model_type": "gpt_neox", "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": -1},
         "intermediate_size"),
        ({"model_type": "phi", "use_parallel_residual": 1, "tie_word_embeddings": "yes"}, "tie_word_embeddings"),
    ],
)
def test_configs_that_cannot_be_modelled_are_refused_naming_the_field(config, field):
    with pytest.raises(SymparamsError, match=field):
        assert from_dict(config).env


@pytest.mark.parametrize("old, new", [("n_head", "num_attention_heads"), ("n_layer", "num_hidden_layers"),
                                      ("n_head_kv", "num_kv_heads")])
def test_falcon_refinedweb_names_are_refused_never_ignored(old, new):
    """transformers' FalconConfig silently ignores the RW-era names (it would size the model by its defaults), so
    a config that sizes Falcon by one is refused naming both names; given beside the modern name with the same
    value, nothing is ignored and the config counts; a null one says nothing and is accepted, as transformers does."""
    base = {"model_type": "falcon", "hidden_size": 64, "num_attention_heads": 8, "num_hidden_layers": 2,
            "new_decoder_architecture": True, "num_kv_heads": 2, "vocab_size": 50}
    alone = {k: v for k, v in base.items() if k != new}
    with pytest.raises(SymparamsError, match=f"'{old}'.*'{new}'"):
        from_dict({**alone, old: 4})
    with pytest.raises(SymparamsError, match=f"'{old}'"):
        from_dict({**base, old: base[new] * 2})
    assert from_dict({**base, old: base[new]}).total == from_dict(base).total
    assert_matches_transformers({**base, old: None})


@pytest.mark.parametrize("model_type, flavour", [("RefinedWeb", "true"), ("RefinedWebModel", "false")])
def test_refinedweb_model_types_are_refused_with_what_to_write_instead(model_type, flavour):
    """transformers has no RefinedWeb config: refused in one line saying to write model_type falcon, which
    decoder architecture it was, and the names to rename."""

    with pytest.raises(SymparamsError, match=f"'model_type'.*'falcon'.*new_decoder_architecture: {flavour}.*n_head_kv"):
        from_dict({"model_type": model_type, "n_head": 71, "n_layer": 32})
    with pytest.raises(ValueError):
        build_on_meta({"model_type": model_type})


@pytest.mark.parametrize("value", [None, 8, 16])
def test_falcon_refuses_any_head_dim_as_transformers_does(value):
    """FalconConfig's head_dim is a read-only property: transformers refuses a config that sets it at all."""
    config = {"model_type": "falcon", "hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1,
              "vocab_size": 10, "head_dim": value}
    with pytest.raises(SymparamsError, match="head_dim"):
        from_dict(config)
    with pytest.raises(AttributeError):
        build_on_meta(config)


@pytest.mark.parametrize(
    "config",
    [
        {"model_type": "gpt2", "n_embd": 100, "n_head": 3},
        {"model_type": "falcon", "hidden_size": 64, "num_attention_heads": 8,
         "new_decoder_architecture": True, "num_kv_heads": 3},
        {"model_type": "phi", "hidden_size": 50, "num_attention_heads": 4, "head_dim": 8, "qk_layernorm": True},
    ],
)
def test_sizes_that_do_not_divide_are_refused(config):
    """Heads that do not split the width (or kv groups that do not split the heads) are errors, not fractions."""
    with pytest.raises(SymparamsError, match="does not divide"):
        assert from_dict(config).env


SMALL_CONFIGS = {
    "gpt2": {"n_embd": 16, "n_head": 2, "n_layer": 1, "vocab_size": 10, "n_positions": 8},
    "opt": {"hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1, "vocab_size": 10, "ffn_dim": 8,
            "max_position_embeddings": 8},
    "gpt_neox": {"hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1, "vocab_size": 10,
                 "intermediate_size": 8},
    "gptj": {"n_embd": 16, "n_head": 2, "n_layer": 1, "vocab_size": 10, "rotary_dim": 4, "n_positions": 8},
    "bloom": {"hidden_size": 16, "n_head": 2, "n_layer": 1, "vocab_size": 10},
    "falcon": {"hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1, "vocab_size": 10},
    "phi": {"hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1, "vocab_size": 10,
            "intermediate_size": 8},
}


def fields_read(model_type: str) -> set[str]:
    """Every field a family reads for a small config (the Config records them)."""
    from symparams.config import Config

    family = FAMILIES.by_type[model_type]
    cfg = Config({"model_type": model_type, **SMALL_CONFIGS[model_type]}, fields=family.fields)
    family.build(cfg)
    return cfg.read - {"model_type"}


@pytest.mark.parametrize("model_type", FAMILY_TYPES)
def test_null_is_refused_exactly_where_transformers_cannot_build_the_model(model_type):
    """Each field the family reads, set to null: refused by name exactly where transformers refuses it, and
    counted as transformers builds it everywhere else (where it derives the value, or ignores the name)."""
    base = {"model_type": model_type, **SMALL_CONFIGS[model_type]}
    fields = fields_read(model_type)
    assert set(FAMILIES.by_type[model_type].fields.names()) <= fields
    for field in sorted(fields):
        config = {**{k: v for k, v in base.items() if k not in _same_field(model_type, field)}, field: None}
        try:
            build_on_meta(config)
        except Exception:
            with pytest.raises(SymparamsError, match=field):
                from_dict(config)
            continue
        assert_matches_transformers(config)


def _same_field(model_type: str, name: str) -> tuple[str, ...]:
    """Every name of the table field ``name`` belongs to (so a null is not beside a value under an alias)."""
    table = FAMILIES.by_type[model_type].fields
    return next((f.names for f in table if name in f.names), (name,))


@pytest.mark.parametrize("model_type", FAMILY_TYPES)
def test_each_table_default_is_transformers_own(model_type):
    """Every field of the table that transformers' config class declares has transformers' default (None there is
    DERIVED here: the value the family works out); a transformers upgrade that moves one fails here."""
    import dataclasses

    from symparams.config import DERIVED

    transformers = pytest.importorskip("transformers")
    theirs = {f.name: f.default for f in dataclasses.fields(transformers.CONFIG_MAPPING[model_type])}
    checked = 0
    for field in FAMILIES.by_type[model_type].fields:
        if field.name in theirs:
            assert (None if field.default is DERIVED else field.default) == theirs[field.name], field.name
            checked += 1
    assert checked >= 5


def test_each_familys_groups_are_groups_the_trees_use():
    """Each family's field table sends its parameter names to the same groups its tree leaves carry."""
    from symparams.components import GROUPS

    for model_type in FAMILY_TYPES:
        family = FAMILIES.by_type[model_type]
        assert set(family.fields.groups.values()) <= set(GROUPS)
        assert family.group("some.unknown.thing.weight") == "other"


def test_loading_these_families_does_not_import_numpy_or_torch():
    """Reading presets and configs stays light: heavy libraries are imported only to verify."""
    code = (
        "import sys, symparams\n"
        "from symparams.catalog import from_preset\n"
        f"for n in {OUR_PRESETS!r}: from_preset(n).total\n"
        "print(sorted(m for m in ('numpy', 'torch', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stdout.strip() == "[]"


# The Pythia suite's published table (Biderman et al. 2023, Table 1, and the EleutherAI/pythia README):
# layers, width, heads, the vocabulary of the released config, total and non-embedding parameters.
PYTHIA = {
    "70m": (6, 512, 8, 50304, 70_426_624, 18_915_328),
    "160m": (12, 768, 12, 50304, 162_322_944, 85_056_000),
    "410m": (24, 1024, 16, 50304, 405_334_016, 302_311_424),
    "1b": (16, 2048, 8, 50304, 1_011_781_632, 805_736_448),
    "1.4b": (24, 2048, 16, 50304, 1_414_647_808, 1_208_602_624),
    "2.8b": (32, 2560, 32, 50304, 2_775_208_960, 2_517_652_480),
    "6.9b": (32, 4096, 32, 50432, 6_857_302_016, 6_444_163_072),
    "12b": (36, 5120, 40, 50688, 11_846_072_320, 11_327_027_200),
}


@pytest.mark.parametrize("size", sorted(PYTHIA))
def test_the_pythia_suite_counts_its_published_total_and_non_embedding_parameters(size, tmp_path, capsys):
    """Every row of Pythia's table, total and non-embedding (without embed_in and embed_out), from its shape
    alone, as ``count --json`` prints them."""
    from symparams.cli import main

    layers, width, heads, vocab, total, non_embedding = PYTHIA[size]
    config = {**json.loads((FIXTURES / "pythia-70m.json").read_text()), "num_hidden_layers": layers,
              "hidden_size": width, "intermediate_size": 4 * width, "num_attention_heads": heads, "vocab_size": vocab}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert main(["count", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["total"], out["non_embedding"]) == (total, non_embedding)


# GPT-3's Table 2.1 (Brown et al. 2020): n_params as the paper rounds it, n_layers, d_model, n_heads; GPT-2's
# layout with 2,048 positions and GPT-2's vocabulary. Two rows list heads that do not divide the width (XL:
# 24 heads of 128 over 2,048; 13B: 40 of 128 over 5,140), which GPT-2's layout cannot build; with attention as
# wide as the model, as the paper's totals have it, the count does not depend on the number of heads, so those
# rows use a divisor of the width.
GPT3 = {
    "Small": (125e6, 12, 768, 12),
    "Medium": (350e6, 24, 1024, 16),
    "Large": (760e6, 24, 1536, 16),
    "XL": (1.3e9, 24, 2048, 16),
    "2.7B": (2.7e9, 32, 2560, 32),
    "6.7B": (6.7e9, 32, 4096, 32),
    "13B": (13e9, 40, 5140, 20),
    "175B": (175e9, 96, 12288, 96),
}


@pytest.mark.parametrize("name", sorted(GPT3))
def test_gpt3_table_sizes_are_the_papers_to_its_rounding(name):
    """Each GPT-3 size counts to the paper's rounded figure within 2% (its 350M model has 355.6M)."""
    published, layers, width, heads = GPT3[name]
    config = {**json.loads((FIXTURES / "gpt2.json").read_text()), "n_layer": layers, "n_embd": width,
              "n_head": heads, "n_positions": 2048, "n_ctx": 2048}
    assert abs(from_dict(config).total / published - 1) < 0.02



KINDS = st.sampled_from(["global", "local", "sliding", 1, None])


@settings(max_examples=EXAMPLES, deadline=None)
@given(layers=st.integers(1, 5), repeats=st.integers(0, 3),
       stated=st.sampled_from(["absent", None, "global"]) | st.lists(KINDS, min_size=0, max_size=6))
def test_gpt_neo_reads_the_attention_layers_a_file_states_as_transformers_does(layers, repeats, stated):
    """GPTNeoConfig expands attention_types into attention_layers, then sets a file's own attention_layers over
    it: a stated list is the layers' kinds, and must give one global or local kind per layer, whatever
    attention_types says. Refused exactly where transformers cannot build the model; else counted to its total,
    with as many local layers as its config lists."""
    pytest.importorskip("torch", reason="torch is not installed")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    from symparams.components import Repeat
    from symparams.verify import meta_parameters

    doc = {"model_type": "gpt_neo", "vocab_size": 50, "max_position_embeddings": 64, "hidden_size": 24,
           "num_layers": layers, "num_heads": 4, "intermediate_size": 10, "window_size": 8,
           "attention_types": [[["global", "local"], repeats]]}
    if stated != "absent":
        doc["attention_layers"] = stated
    try:
        theirs = sum(n for _, n in meta_parameters(dict(doc)))
        kinds = transformers.GPTNeoConfig(**{k: v for k, v in doc.items() if k != "model_type"}).attention_layers
    except SymparamsError:
        theirs = None
    try:
        spec = from_dict(dict(doc))
    except SymparamsError as refused:
        assert theirs is None, f"transformers builds what is refused: {refused}"
        return
    assert theirs is not None, "transformers refuses what is counted"
    assert spec.total == theirs
    local = sum(spec.value(r.multiplier()) for r in spec.tree.children()
                if isinstance(r, Repeat) and r.name == "local_blocks")
    assert local == list(kinds).count("local")
