"""The Gemma group of #11 against the models transformers builds on the meta device.

For random small configs of every model_type here (``tests/strategies/gemma.py``), the
symbolic total and every parameter group equal what transformers builds. Every field a
family reads is also set to null on a small base config, and left out altogether: symparams
counts what transformers builds, or refuses where transformers refuses (a few configs that
transformers builds but cannot run are refused on purpose, listed in
``REFUSED_THOUGH_BUILT``). Real config.json fixtures count what transformers builds, and the
published totals where model cards state them. The sliding-window readings are checked
against the layer kinds read straight from the config, layer by layer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy
from budget import sample
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.cli import main
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file
from symparams.symbols import H, H_kv, L_s, T, W, d_h

from strategies import CONFIGS
from strategies.gemma import TYPES as STRATEGY_TYPES

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
TYPES = tuple(STRATEGY_TYPES)


def _need(name: str):
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install 'symparams[verify]')")


def theirs(config: dict) -> dict[str, int]:
    """transformers' parameters for ``config``, summed per group by the family's own table."""
    _need("torch")
    _need("transformers")
    from symparams.verify import meta_parameters

    family = FAMILIES.by_type[config["model_type"]]
    out: dict[str, int] = {}
    for name, numel in meta_parameters(config):
        group = family.group(name)
        out[group] = out.get(group, 0) + numel
    return {g: n for g, n in out.items() if n}


def ours(spec) -> dict[str, int]:
    """Parameters per group: the leaves of the tree times their copies.

    The same sums as ``spec.breakdown().groups()`` (checked below) without the closed form
    of every row, which costs a second per gpt-oss config.
    """
    out: dict[str, int] = {}
    for _, copies, node in spec.tree.walk():
        if not node.children():
            out[node.group] = out.get(node.group, 0) + spec.count(node) * int(spec.value(copies))
    return {g: n for g, n in out.items() if n}


def outcome(fn, *args):
    """``("ok", value)`` or ``("refused", message)`` for a call that may raise SymparamsError."""
    try:
        return "ok", fn(*args)
    except SymparamsError as err:
        return "refused", str(err)


# ---- random configs ---------------------------------------------------------------


@pytest.mark.parametrize("model_type", TYPES)
@settings(max_examples=9, deadline=None)
@given(data=st.data())
def test_groups_and_total_equal_transformers(model_type, data):
    """Every group and the total of a random small config equal transformers' model."""
    cfg = data.draw(CONFIGS[model_type], label="config")
    spec = from_dict(cfg)
    expected = theirs(cfg)
    assert ours(spec) == expected
    assert spec.total == sum(expected.values())
    assert spec.active_total <= spec.total


@pytest.mark.parametrize("model_type", TYPES)
def test_breakdown_groups_are_the_leaf_sums(model_type):
    """The breakdown's groups (one row per node, with formulas) are the leaf sums the tests compare."""
    spec = from_dict(BASE[model_type])
    assert {g: n for g, n in spec.breakdown().groups().items() if n} == ours(spec)


# ---- null versus missing ----------------------------------------------------------

_LAYERS4 = ["sliding_attention", "full_attention", "sliding_attention", "sliding_attention"]

# small configs naming every field their family reads, so that a null differs from a missing field
BASE: dict[str, dict] = {
    "gemma2": {
        "model_type": "gemma2", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_activation": "gelu_pytorch_tanh",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "sliding_window": 8,
        "use_bidirectional_attention": False, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
    },
    "vaultgemma": {
        "model_type": "vaultgemma", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20,
        "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
        "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 64, "tie_word_embeddings": False,
        "attention_bias": True, "sliding_window": 8, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
    },
    "gemma3_text": {
        "model_type": "gemma3_text", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20,
        "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
        "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 64, "tie_word_embeddings": False,
        "attention_bias": True, "sliding_window": 8, "use_bidirectional_attention": False, "sliding_window_pattern": 3,
        "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
    },
    "gpt_oss": {
        "model_type": "gpt_oss", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "num_local_experts": 4,
        "num_experts_per_tok": 2, "tie_word_embeddings": False, "max_position_embeddings": 64, "attention_bias": True,
        "sliding_window": 8,
    },
    "starcoder2": {
        "model_type": "starcoder2", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20,
        "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
        "hidden_act": "gelu_pytorch_tanh", "max_position_embeddings": 64, "tie_word_embeddings": False,
        "use_bias": True, "sliding_window": 8,
    },
    "cohere": {
        "model_type": "cohere", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 3,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "use_qk_norm": True,
    },
    "cohere2": {
        "model_type": "cohere2", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 5,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "sliding_window": 8,
        "sliding_window_pattern": 2,
    },
    "stablelm": {
        "model_type": "stablelm", "vocab_size": 40, "hidden_size": 32, "intermediate_size": 20, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "max_position_embeddings": 64,
        "tie_word_embeddings": False, "use_qkv_bias": True, "qk_layernorm": True, "use_parallel_residual": False,
        "partial_rotary_factor": 0.25,
    },
    "ministral": {
        "model_type": "ministral", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 64, "tie_word_embeddings": True, "sliding_window": 8,
    },
    "helium": {
        "model_type": "helium", "vocab_size": 40, "hidden_size": 32, "intermediate_size": 20, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "mlp_bias": True,
    },
    "smollm3": {
        "model_type": "smollm3", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 5,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "mlp_bias": True,
        "use_sliding_window": True, "sliding_window": 8, "no_rope_layer_interval": 2, "no_rope_layers": [1, 0, 1, 0, 1],
        "pad_token_id": 0,
    },
    "exaone4": {
        "model_type": "exaone4", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 5,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "sliding_window": 8, "sliding_window_pattern": 2,
    },
    "seed_oss": {
        "model_type": "seed_oss", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "silu",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "attention_out_bias": True,
        "mlp_bias": True,
    },
    "apertus": {
        "model_type": "apertus", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "xielu",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True,
    },
    "arcee": {
        "model_type": "arcee", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "relu2",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "mlp_bias": True,
    },
    "nemotron": {
        "model_type": "nemotron", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "hidden_act": "relu2",
        "max_position_embeddings": 64, "tie_word_embeddings": False, "attention_bias": True, "mlp_bias": True,
        "partial_rotary_factor": 0.5,
    },
}

# (model_type, field, "null" or "missing") that transformers builds a model for but cannot run:
# refused with the reason
REFUSED_THOUGH_BUILT: dict[tuple[str, str, str], str] = {
    # a default number of key/value heads above the base's 4 query heads: num_key_value_groups = 4 // H_kv = 0
    **{(t, "num_key_value_heads", "missing"): "does not divide"
       for t in ("gpt_oss", "stablelm", "ministral", "helium", "exaone4", "seed_oss")},
    # Helium's o_proj is D x D: the default width, heads or head_dim no longer give H * d_h = D
    **{("helium", f, "missing"): "do not fill hidden_size" for f in ("hidden_size", "num_attention_heads", "head_dim")},
}


def _fields():
    for model_type in TYPES:
        for field in FAMILIES.by_type[model_type].fields:
            yield model_type, field.name


def test_every_field_a_family_reads_is_in_its_base_config():
    """So that the null test below sets each of them."""
    assert [(t, f) for t, f in _fields() if f not in BASE[t]] == []


@pytest.mark.parametrize(("model_type", "field"), list(_fields()))
def test_a_null_field_counts_as_transformers_builds_it_or_is_refused_as_it_refuses(model_type, field):
    """Each field set to null: the same model as transformers, or refused where transformers refuses."""
    _check_as_transformers({**BASE[model_type], field: None}, (model_type, field, "null"))


@pytest.mark.parametrize(("model_type", "field"), sample(_fields(), "gemma missing fields"))
def test_a_missing_field_counts_as_transformers_default(model_type, field):
    """Each field left out: transformers' default, or refused where transformers cannot build the default."""
    cfg = {k: v for k, v in BASE[model_type].items() if k != field}
    if field == "num_hidden_layers":
        cfg.pop("layer_types", None)
    _check_as_transformers(cfg, (model_type, field, "missing"))


def _check_as_transformers(cfg: dict, case: tuple[str, str, str]) -> None:
    mine = outcome(lambda: ours(from_dict(cfg)))
    if case in REFUSED_THOUGH_BUILT:
        assert mine[0] == "refused" and REFUSED_THOUGH_BUILT[case] in mine[1]
        assert theirs(cfg)  # transformers does build it
        return
    expected = outcome(theirs, cfg)
    assert mine[0] == expected[0], (mine, expected)
    if mine[0] == "ok":
        assert mine[1] == expected[1]


@pytest.mark.parametrize("model_type", TYPES)
def test_a_config_with_only_its_model_type_is_transformers_default_model(model_type):
    cfg = {"model_type": model_type}
    mine = outcome(lambda: ours(from_dict(cfg)))
    expected = outcome(theirs, cfg)
    assert mine[0] == expected[0], (mine, expected)
    if mine[0] == "ok":
        assert mine[1] == expected[1]


# ---- real configs ------------------------------------------------------------------

# Published totals (model cards and technical reports); each is the exact count of the checkpoint.
PUBLISHED = {
    "gemma-2-2b.json": 2_614_341_888,
    "gemma-2-9b.json": 9_241_705_984,
    "gemma-2-27b.json": 27_227_128_320,
    "gemma-3-1b-it.json": 999_885_952,
    "gemma-3-270m.json": 268_098_176,
    "gpt-oss-20b.json": 20_914_757_184,
    "gpt-oss-120b.json": 116_829_156_672,
    "starcoder2-3b.json": 3_030_371_328,
    "starcoder2-7b.json": 7_173_923_840,
    "c4ai-command-r-v01.json": 34_980_831_232,
    "c4ai-command-r-plus.json": 103_810_674_688,
    "c4ai-command-r7b-12-2024.json": 8_028_033_024,
    "c4ai-command-a-03-2025.json": 111_057_580_032,
    "stablelm-2-1_6b.json": 1_644_515_328,
    "stablelm-3b-4e1t.json": 2_795_443_200,
    "smollm3-3b.json": 3_075_098_624,
    "ministral-8b-instruct-2410.json": 8_019_808_256,
    "apertus-8b-2509.json": 8_053_338_176,
}
FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.json")
                       if json.loads(p.read_text()).get("model_type") in TYPES)


# families with fewer than two released models, and so fewer than two real configs
ONE_RELEASE = {
    "vaultgemma": "google/vaultgemma-1b is the only VaultGemma released",
    "ministral": "Ministral-8B-Instruct-2410 is the only open Ministral of this layout",
}


def test_every_family_has_two_fixtures():
    kinds = [json.loads((FIXTURES / f).read_text())["model_type"] for f in FIXTURE_FILES]
    assert {t: kinds.count(t) for t in TYPES if kinds.count(t) < (1 if t in ONE_RELEASE else 2)} == {}


@pytest.mark.sampled
@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_real_config_counts_what_transformers_builds(name):
    config = json.loads((FIXTURES / name).read_text())
    spec = from_file(FIXTURES / name)
    expected = theirs(config)
    assert ours(spec) == expected
    assert spec.total == sum(expected.values())


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_real_config_counts_its_published_total(name):
    assert from_file(FIXTURES / name).total == PUBLISHED[name]


@pytest.mark.parametrize(("name", "active"), [("gpt-oss-20b.json", "3.61"), ("gpt-oss-120b.json", "5.13")])
def test_gpt_oss_active_parameters_are_the_model_cards(name, active):
    """The gpt-oss model card gives 3.61B and 5.13B active parameters, counting the unembedding but not the embedding."""
    spec = from_file(FIXTURES / name)
    embedding = spec.count(spec.node("embed_tokens"))
    assert spec.active_compute_total == spec.active_total - embedding
    assert f"{spec.active_compute_total / 1e9:.2f}" == active


# The gpt-oss model card's Table 1 by component, in billions as it rounds them: MLP, attention, embedding and
# unembedding together.
GPT_OSS_COMPONENTS = {"gpt-oss-20b.json": ("19.12", "0.64", "1.16"), "gpt-oss-120b.json": ("114.71", "0.96", "1.16")}


@pytest.mark.parametrize("name", sorted(GPT_OSS_COMPONENTS))
def test_gpt_oss_components_are_the_model_cards(name):
    groups = from_file(FIXTURES / name).breakdown().groups()
    shown = tuple(f"{n / 1e9:.2f}" for n in (groups["mlp"], groups["attention"], groups["embedding"] + groups["head"]))
    assert shown == GPT_OSS_COMPONENTS[name]


# ---- sliding windows --------------------------------------------------------------


WINDOW_DEFAULT = {"gemma2": 4096, "gemma3_text": 4096, "vaultgemma": 4096, "gpt_oss": 128, "cohere2": 4096,
                  "ministral": 4096, "exaone4": 4096}
PATTERN_DEFAULT = {"gemma2": 2, "vaultgemma": 2, "gpt_oss": 2, "gemma3_text": 6, "cohere2": 4, "exaone4": 4}


def _window(cfg: dict, model_type: str) -> int | None:
    """The window the windowed layers use (None: no layer is windowed), as their masks and caches read it."""
    return cfg.get("sliding_window", WINDOW_DEFAULT.get(model_type))


def _layer_kinds(cfg: dict, model_type: str) -> list[bool]:
    """Which layers transformers windows, read straight from the config the way its config classes do."""
    layers = cfg.get("num_hidden_layers")
    if _window(cfg, model_type) is None:
        return [False] * layers
    if model_type == "starcoder2":
        return [True] * layers
    if model_type not in PATTERN_DEFAULT and model_type not in ("ministral", "smollm3"):
        return [False] * layers
    if cfg.get("layer_types") is not None:
        return [t == "sliding_attention" for t in cfg["layer_types"]]
    if model_type == "ministral":
        return [True] * layers
    if model_type == "smollm3":
        if not cfg.get("use_sliding_window", False):
            return [False] * layers
        interval = cfg.get("no_rope_layer_interval", 4)
        flags = cfg.get("no_rope_layers") or [int((i + 1) % interval != 0) for i in range(layers)]
        return [not flags[i] for i in range(layers)]
    p = cfg.get("sliding_window_pattern", PATTERN_DEFAULT[model_type])
    return [bool((i + 1) % p) for i in range(layers)]


@pytest.mark.parametrize("model_type", TYPES)
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seq=st.integers(1, 300))
def test_kv_cache_and_causal_attention_follow_each_layers_window(model_type, data, seq):
    """The cache and the causal score FLOPs equal a layer-by-layer sum over the config's own layer kinds.

    A windowed layer keeps min(T, W) tokens and its position i meets min(i + 1, W) keys;
    a full layer keeps T and meets i + 1. The sum runs over the layers as transformers
    lays them out, apart from the tree's two Repeat nodes.
    """
    cfg = data.draw(CONFIGS[model_type], label="config")
    spec = from_dict(cfg)
    env = spec.env
    window = _window(cfg, model_type)
    kinds = _layer_kinds(cfg, model_type)
    kv, hd, heads = (int(env[s]) for s in (H_kv, d_h, H))
    cache = sum(2 * kv * hd * (min(seq, window) if w else seq) for w in kinds)
    pairs = sum(sum(min(i + 1, window) if w else i + 1 for i in range(seq)) for w in kinds)
    at = {**env, T: sympy.Integer(seq)}
    assert spec.substitute(spec.tree.cache_elements(T)).xreplace(at) == cache
    assert spec.substitute(spec.tree.attention_flops(T, True)).xreplace(at) * seq == 4 * heads * hd * pairs
    assert spec.substitute(spec.tree.attention_flops(T, False)).xreplace(at) == 4 * heads * hd * seq * len(kinds)


def test_sliding_layers_follow_the_pattern_as_a_relation_of_L():
    """Gemma 3's five-to-one pattern: L_s = L - floor(L/6) moves with L, as transformers' list would."""
    spec = from_file(FIXTURES / "gemma-3-1b-it.json")
    assert spec.env[L_s] == 26 - 26 // 6 and spec.env[W] == 512
    assert spec.with_values(L=12).env[L_s] == 10
    listed = from_file(FIXTURES / "gemma-3-270m.json")
    assert listed.env[L_s] == 15 and L_s in listed.symbols


@pytest.mark.parametrize(("change", "field"), [
    ({"layer_types": ["sliding_attention"] * 3}, "layer_types"),
    ({"layer_types": ["chunked_attention"] * 4}, "layer_types"),
    ({"use_bidirectional_attention": True}, "use_bidirectional_attention"),
    ({"sliding_window_pattern": 0}, "sliding_window_pattern"),
    ({"sliding_window_pattern": "LLLG"}, "sliding_window_pattern"),
])
def test_layer_kinds_transformers_cannot_use_are_refused(change, field):
    with pytest.raises(SymparamsError, match=field):
        from_dict({**BASE["gemma3_text"], **change})


@pytest.mark.parametrize("model_type", ["gemma2", "gemma3_text", "vaultgemma"])
@pytest.mark.parametrize("scalar", [-1, 0, 1])
def test_query_pre_attn_scalar_shapes_nothing_and_is_refused_only_where_transformers_builds_no_model(model_type, scalar):
    """Attention scales queries by ``query_pre_attn_scalar ** -0.5``: any whole number builds the same model but 0
    (Python refuses 0 to a negative power, and so does transformers)."""
    config = {"model_type": model_type, "num_hidden_layers": 2, "query_pre_attn_scalar": scalar}
    try:
        built = sum(theirs(config).values())
    except SymparamsError:
        with pytest.raises(SymparamsError, match=r"query_pre_attn_scalar.*is 0; attention scales"):
            _ = from_dict(config).total
        return
    assert from_dict(config).total == built == from_dict({**config, "query_pre_attn_scalar": 256}).total


@pytest.mark.parametrize("model_type", ["exaone4", "smollm3", "gemma2", "gemma3_text", "gpt_oss", "cohere2", "ministral"])
def test_a_null_window_is_counted_as_full_attention_with_a_note_where_the_model_cannot_run(model_type):
    """transformers builds these models with a null sliding_window; where it then cannot make the sliding mask
    (sliding layers, or a family that makes the mask for every model) the count says so in a note.
    EXAONE 4 and SmolLM3 with full layers only (EXAONE-4.0-1.2B) run, and need no note."""
    base = {**BASE[model_type], "sliding_window": None}
    layers = base["num_hidden_layers"]
    full = from_dict({**base, "layer_types": ["full_attention"] * layers})
    sliding = from_dict({**base, "layer_types": ["sliding_attention"] * layers})
    for spec in (full, sliding):
        assert W not in spec.symbols and L_s not in spec.symbols
    assert any("cannot run" in n for n in sliding.notes)
    assert any("cannot run" in n for n in full.notes) == (model_type not in ("exaone4", "smollm3"))
    assert ours(sliding) == theirs({**base, "layer_types": ["sliding_attention"] * layers})


# ---- the commands -----------------------------------------------------------------


@pytest.mark.parametrize("command", [["count"], ["formula"], ["flops"], ["flops", "--causal"], ["memory"]])
def test_commands_run_on_a_windowed_fixture(command, capsys):
    assert main([*command, str(FIXTURES / "gemma-3-1b-it.json")]) == 0
    assert capsys.readouterr().out
