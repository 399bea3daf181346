"""The DeepSeek group of families against the models transformers builds on the meta device.

For random small configs of every model_type here (``tests/strategies/deepseek.py``),
the symbolic total and every parameter group equal what transformers builds. Every field
a family reads is also set to null on a small base config: symparams must count it as
transformers builds it, or refuse it where transformers refuses it (and the few nulls
that transformers builds but cannot run are refused on purpose, listed in
``REFUSED_THOUGH_BUILT``). Real config.json fixtures count what transformers builds, and
the published totals where model cards state them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.components import Embedding, Linear
from symparams.config import read_json
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file

from strategies import CONFIGS

FIXTURES = Path(__file__).parent / "fixtures" / "configs"

TYPES = (
    "deepseek_v2", "deepseek_v3", "deepseek_v32", "mistral4",
    "olmo", "olmo2", "olmo3", "olmoe", "granite", "granitemoe", "granitemoeshared",
    "glm", "glm4", "glm4_moe", "ernie4_5", "ernie4_5_moe", "hunyuan_v1_dense", "dbrx", "jetmoe",
    "mpt", "codegen", "gpt_neo", "gpt_bigcode",
)


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
    """The Spec's parameters per group, summed over the leaves of its tree.

    The same figures as ``spec.breakdown().groups()`` (checked on the base configs
    below) without the breakdown's factored formula for every node, which costs most
    of a second per config.
    """
    out: dict[str, int] = {}
    for _, copies, node in spec.tree.walk():
        if not node.children():
            out[node.group] = out.get(node.group, 0) + int(spec.value(copies * node.params()))
    return {g: n for g, n in out.items() if n}


def outcome(fn, *args):
    """``("ok", value)`` or ``("refused", message)`` for a call that may raise SymparamsError."""
    try:
        return "ok", fn(*args)
    except SymparamsError as err:
        return "refused", str(err)


# ---- random configs ---------------------------------------------------------------


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TYPES)
@settings(max_examples=20, deadline=None)
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

# small configs naming every field their family reads, so that a null differs from a missing field
BASE = {
    "deepseek_v2": {
        "model_type": "deepseek_v2", "vocab_size": 50, "hidden_size": 24, "intermediate_size": 20,
        "moe_intermediate_size": 6, "num_hidden_layers": 3, "num_attention_heads": 4, "n_shared_experts": 2,
        "n_routed_experts": 4, "kv_lora_rank": 8, "q_lora_rank": 12, "qk_rope_head_dim": 4, "v_head_dim": 5,
        "qk_nope_head_dim": 6, "num_experts_per_tok": 2, "first_k_dense_replace": 1, "moe_layer_freq": 1,
        "hidden_act": "silu", "max_position_embeddings": 64, "tie_word_embeddings": False,
        "attention_bias": True, "mlp_bias": True,
    },
    "deepseek_v3": {
        "model_type": "deepseek_v3", "vocab_size": 50, "hidden_size": 24, "intermediate_size": 20,
        "moe_intermediate_size": 6, "num_hidden_layers": 3, "num_attention_heads": 4, "n_shared_experts": 2,
        "n_routed_experts": 4, "kv_lora_rank": 8, "q_lora_rank": 12, "qk_rope_head_dim": 4, "v_head_dim": 5,
        "qk_nope_head_dim": 6, "num_experts_per_tok": 2, "first_k_dense_replace": 1, "moe_layer_freq": 1,
        "hidden_act": "silu", "max_position_embeddings": 64, "tie_word_embeddings": False,
        "attention_bias": True, "n_group": 2, "topk_group": 1,
    },
}
BASE["mistral4"] = {**{k: v for k, v in BASE["deepseek_v3"].items() if k not in ("model_type", "moe_layer_freq")},
                    "model_type": "mistral4", "pad_token_id": 0}
BASE["deepseek_v32"] = {
    **{k: v for k, v in BASE["deepseek_v3"].items() if k != "model_type"}, "model_type": "deepseek_v32",
    "index_n_heads": 2, "index_head_dim": 6, "index_topk": 4, "mlp_layer_types": ["dense", "sparse", "sparse"],
}
_LLAMA_LIKE = {
    "vocab_size": 50, "hidden_size": 24, "intermediate_size": 20, "num_hidden_layers": 4, "num_attention_heads": 4,
    "num_key_value_heads": 2, "head_dim": 6, "tie_word_embeddings": False, "hidden_act": "silu",
    "max_position_embeddings": 64, "attention_bias": True,
}
BASE.update({
    "olmo": {"model_type": "olmo", **_LLAMA_LIKE},
    "olmo2": {"model_type": "olmo2", **_LLAMA_LIKE},
    "olmo3": {"model_type": "olmo3", **_LLAMA_LIKE, "sliding_window": 8,
              "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "sliding_attention"]},
    "olmoe": {"model_type": "olmoe", **_LLAMA_LIKE, "num_local_experts": 4, "num_experts_per_tok": 2},
    "granite": {"model_type": "granite", **_LLAMA_LIKE, "mlp_bias": True},
    "granitemoe": {"model_type": "granitemoe", **_LLAMA_LIKE, "num_local_experts": 4, "num_experts_per_tok": 2},
    "granitemoeshared": {"model_type": "granitemoeshared", **_LLAMA_LIKE, "num_local_experts": 4,
                         "num_experts_per_tok": 2, "shared_intermediate_size": 10},
    "glm": {"model_type": "glm", **_LLAMA_LIKE, "pad_token_id": 0},
    "glm4": {"model_type": "glm4", **_LLAMA_LIKE, "pad_token_id": 0},
    "glm4_moe": {"model_type": "glm4_moe", **_LLAMA_LIKE, "moe_intermediate_size": 6, "num_experts_per_tok": 2,
                 "n_shared_experts": 2, "n_routed_experts": 4, "first_k_dense_replace": 1, "use_qk_norm": True},
    "ernie4_5": {"model_type": "ernie4_5", **_LLAMA_LIKE, "use_bias": True, "pad_token_id": 0},
    "ernie4_5_moe": {"model_type": "ernie4_5_moe", **_LLAMA_LIKE, "use_bias": True, "moe_intermediate_size": 6,
                     "moe_k": 2, "moe_num_experts": 4, "moe_num_shared_experts": 1, "moe_layer_start_index": 1,
                     "moe_layer_end_index": -1, "moe_layer_interval": 1},
    "hunyuan_v1_dense": {"model_type": "hunyuan_v1_dense", **_LLAMA_LIKE, "pad_token_id": 0},
    "dbrx": {"model_type": "dbrx", "vocab_size": 50, "d_model": 24, "n_heads": 4, "n_layers": 2, "max_seq_len": 64,
             "tie_word_embeddings": False, "attn_config": {"kv_n_heads": 2, "rope_theta": 10000},
             "ffn_config": {"ffn_hidden_size": 10, "moe_num_experts": 3, "moe_top_k": 2, "ffn_act_fn": {"name": "silu"}}},
    "jetmoe": {"model_type": "jetmoe", "vocab_size": 50, "hidden_size": 24, "num_hidden_layers": 2,
               "num_key_value_heads": 2, "kv_channels": 4, "intermediate_size": 10, "max_position_embeddings": 64,
               "activation_function": "silu", "num_local_experts": 3, "num_experts_per_tok": 2,
               "tie_word_embeddings": False},
    "mpt": {"model_type": "mpt", "d_model": 24, "n_heads": 4, "n_layers": 2, "expansion_ratio": 4, "max_seq_len": 64,
            "vocab_size": 50, "learned_pos_emb": True, "no_bias": True, "tie_word_embeddings": False,
            "attn_config": {"attn_type": "multihead_attention", "qk_ln": False, "alibi": True}},
    "codegen": {"model_type": "codegen", "vocab_size": 50, "n_positions": 64, "n_embd": 24, "n_layer": 2, "n_head": 4,
                "rotary_dim": 4, "n_inner": 10, "activation_function": "gelu_new", "tie_word_embeddings": False},
    "gpt_neo": {"model_type": "gpt_neo", "vocab_size": 50, "max_position_embeddings": 64, "hidden_size": 24,
                "num_layers": 2, "attention_types": [[["global", "local"], 1]], "num_heads": 4, "intermediate_size": 10,
                "window_size": 8, "activation_function": "gelu_new", "tie_word_embeddings": False},
    "gpt_bigcode": {"model_type": "gpt_bigcode", "vocab_size": 50, "n_positions": 64, "n_embd": 24, "n_layer": 2,
                    "n_head": 4, "n_inner": 10, "activation_function": "gelu_pytorch_tanh", "multi_query": True,
                    "add_cross_attention": False, "tie_word_embeddings": False},
})

# nulls transformers builds a model for but cannot run: refused with the reason
REFUSED_THOUGH_BUILT = {
    ("deepseek_v2", "num_experts_per_tok"): "cannot pick experts",
    ("deepseek_v3", "num_experts_per_tok"): "cannot pick experts",
    ("mistral4", "num_experts_per_tok"): "cannot pick experts",
    ("granitemoe", "num_experts_per_tok"): "cannot pick experts",
    ("granitemoeshared", "num_experts_per_tok"): "cannot pick experts",
    ("ernie4_5_moe", "moe_k"): "cannot pick experts",
}


def _null_cases():
    for model_type in TYPES:
        for field in FAMILIES.by_type[model_type].fields:
            yield model_type, field.name


@pytest.mark.sampled
@pytest.mark.parametrize(("model_type", "field"), list(_null_cases()))
def test_a_null_field_counts_as_transformers_builds_it_or_is_refused_as_it_refuses(model_type, field):
    """Each field set to null: the same model as transformers, or refused where transformers refuses."""
    cfg = {**BASE[model_type], field: None}
    mine = outcome(lambda: ours(from_dict(cfg)))
    if (model_type, field) in REFUSED_THOUGH_BUILT:
        assert mine[0] == "refused" and REFUSED_THOUGH_BUILT[model_type, field] in mine[1]
        assert theirs(cfg)  # transformers does build it
        return
    reference = outcome(theirs, cfg)
    assert mine[0] == reference[0], (mine, reference)
    if mine[0] == "ok":
        assert mine[1] == reference[1]


@pytest.mark.parametrize("model_type", TYPES)
def test_the_base_configs_count_what_transformers_builds(model_type):
    spec = from_dict(BASE[model_type])
    assert ours(spec) == theirs(BASE[model_type])
    assert {g: n for g, n in spec.breakdown().groups().items() if n} == ours(spec)


# ---- family-specific rules ----------------------------------------------------------


def test_deepseek_v2_without_experts_per_token_is_refused_unless_every_layer_is_dense():
    cfg = {k: v for k, v in BASE["deepseek_v2"].items() if k != "num_experts_per_tok"}
    with pytest.raises(SymparamsError, match="num_experts_per_tok.*cannot pick experts"):
        from_dict(cfg)
    dense = {**cfg, "first_k_dense_replace": 3}
    assert ours(from_dict(dense)) == theirs(dense)


def test_moe_layer_freq_other_than_one_is_refused():
    """transformers ignores moe_layer_freq; DeepSeek's own code would skip MoE layers, so a count would be a guess."""
    for model_type in ("deepseek_v2", "deepseek_v3", "deepseek_v32"):
        with pytest.raises(SymparamsError, match="moe_layer_freq"):
            from_dict({**BASE[model_type], "moe_layer_freq": 2})


def test_a_padding_id_outside_the_vocabulary_is_refused_as_transformers_refuses_it():
    """GLM's default pad_token_id is 151329: a smaller vocabulary needs another id, or transformers cannot build."""
    small = {k: v for k, v in BASE["glm"].items() if k != "pad_token_id"}
    with pytest.raises(SymparamsError, match="pad_token_id.*151329"):
        from_dict(small)
    with pytest.raises(SymparamsError, match="cannot build"):
        theirs(small)
    assert ours(from_dict({**small, "pad_token_id": None})) == theirs({**small, "pad_token_id": None})


def test_deepseek_v4_is_refused_with_its_reason():
    with pytest.raises(SymparamsError, match="deepseek_v4 is not modelled: its hyper-connections"):
        from_dict({"model_type": "deepseek_v4"})
    assert "hyper-connections" in FAMILIES.by_type["deepseek_v4"].refused


def test_experts_per_token_beyond_the_experts_is_refused():
    with pytest.raises(SymparamsError, match="num_experts_per_tok"):
        from_dict({**BASE["deepseek_v3"], "num_experts_per_tok": 5})


def test_latent_attention_caches_the_latent_and_the_rotary_key():
    """MLA's cache per token and layer is r_kv + d_rope, not 2*H*d_h."""
    import sympy

    from symparams.symbols import T, d_rope, r_kv

    spec = from_dict(BASE["deepseek_v3"])
    attn = spec.node("dense_layers.layer.self_attn")
    assert sympy.expand(attn.cache_elements(T) - (r_kv + d_rope) * T) == 0
    assert spec.value(spec.tree.cache_elements(T)).subs(T, 10) == 3 * (8 + 4) * 10


def test_sparse_attention_caps_the_keys_a_causal_kernel_meets_and_the_indexer_caches_its_key():
    """DeepSeek-V3.2: eager attention scores all T keys; a sparse causal kernel at most K_I; the cache adds d_I."""
    import sympy

    from symparams.symbols import T

    spec = from_dict(BASE["deepseek_v32"])
    attn = spec.node("dense_layers.layer.self_attn")
    c = BASE["deepseek_v32"]
    t = 1000
    eager = spec.value(attn.attention_flops(T)).subs(T, t)
    sparse = spec.value(attn.attention_flops(T, causal=True)).subs(T, t)
    heads, qk_v = c["num_attention_heads"], c["qk_nope_head_dim"] + c["qk_rope_head_dim"] + c["v_head_dim"]
    index = 2 * c["index_n_heads"] * (c["index_head_dim"] + 1)
    assert eager == 2 * t * heads * qk_v + index * t
    K = c["index_topk"]
    attended = sympy.Rational(K * (K + 1) // 2 + (t - K) * K, t)
    assert sparse == 2 * attended * heads * qk_v + index * sympy.Rational(t + 1, 2)
    cache = spec.value(attn.cache_elements(T)).subs(T, t)
    assert cache == (c["kv_lora_rank"] + c["qk_rope_head_dim"] + c["index_head_dim"]) * t


def test_active_parameters_count_k_routed_experts_and_the_shared_ones():
    """Active = everything but the E - k routed experts each MoE layer leaves idle."""
    spec = from_dict(BASE["deepseek_v3"])
    c = BASE["deepseek_v3"]
    expert = 3 * c["hidden_size"] * c["moe_intermediate_size"]
    idle = (c["n_routed_experts"] - c["num_experts_per_tok"]) * expert
    moe_layers = c["num_hidden_layers"] - c["first_k_dense_replace"]
    assert spec.total - spec.active_total == moe_layers * idle


# ---- FLOPs of the node kinds the shared FLOPs test cannot execute -----------------------


@pytest.mark.parametrize("model_type", ["dbrx", "jetmoe"])
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_forward_flops_equal_what_pytorch_executes_on_cpu(model_type, data):
    """Exact forward FLOPs x T equal FlopCounterMode's count of a CPU forward pass, to the FLOP.

    tests/test_flops_torch.py runs models on the meta device without gradients, which
    JetMoE's routing (it reads expert counts as Python numbers) and DBRX's experts (torch's
    module tracker wants a gradient function for their weight slices) cannot do. Here they
    run on the CPU with gradients enabled; FlopCounterMode then sees every matmul, the
    experts' included (both families slice or loop over their expert weights, no grouped
    matmul), so it is the whole reference: JetMoE's mixture of attention heads and of MLP
    experts, DBRX's fused attention and experts.
    """
    torch = _need("torch")
    transformers = _need("transformers")
    from torch.utils.flop_counter import FlopCounterMode

    from symparams.flops import flops

    cfg = data.draw(CONFIGS[model_type], label="config")
    seq = data.draw(st.integers(1, 12), label="seq")
    tcfg = transformers.AutoConfig.for_model(model_type, **{k: v for k, v in cfg.items() if k != "model_type"})
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(tcfg, attn_implementation="eager")
    with torch.enable_grad(), FlopCounterMode(display=False) as counter:
        model(input_ids=torch.zeros((1, seq), dtype=torch.long))
    assert flops(from_dict(cfg), seq, "exact").forward * seq == counter.get_total_flops()


# ---- real configs ------------------------------------------------------------------

# fixture -> (published total, published active), rounded as the model card rounds them;
# "~" marks a figure the card rounds its own way (21.8B as "21B"), checked to within 4%
PUBLISHED = {
    "deepseek-v3.json": ("671B", "37B"),
    "deepseek-v3.2-exp.json": ("~685B", None),  # the card's 685B holds the multi-token-prediction layer too
    "deepseek-v2.json": ("236B", "21B"),
    "deepseek-v2-lite.json": ("15.7B", None),  # its card's 2.4B active fits no one definition
    "moonlight-16b-a3b.json": ("16B", "3B"),
    "olmo-1b-hf.json": ("1.18B", None),  # the OLMo paper's 1,176,764,416
    "olmo-7b-0424-hf.json": ("6.89B", None),
    "olmo-2-1124-7b.json": ("7.30B", None),
    "olmo-2-1124-13b.json": ("13.7B", None),
    "olmoe-1b-7b-0924.json": ("6.9B", "1.3B"),  # the OLMoE paper: 6.9B total, 1.3B active
    "granite-3.1-8b-instruct.json": ("8.2B", None),
    "granite-3.0-1b-a400m-base.json": ("1.3B", "0.4B"),
    "granite-3.0-3b-a800m-base.json": ("3.3B", None),
    "glm-4-9b-chat-hf.json": ("9.4B", None),
    "ernie-4.5-0.3b-pt.json": ("0.36B", None),
    "ernie-4.5-21b-a3b-pt.json": ("~21B", "3B"),
    "ernie-4.5-300b-a47b-pt.json": ("~300B", "~47B"),
    "dbrx-instruct.json": ("132B", "36B"),
    "mpt-7b.json": ("6.65B", None),
    "mpt-30b.json": ("30B", None),
    "codegen-350m-mono.json": ("0.36B", None),
    "gpt-neo-125m.json": ("0.125B", None),
    "gpt-neo-1.3b.json": ("1.3B", None),
    "starcoderbase.json": ("15.5B", None),
}
# model_types with fewer than two real fixtures here, and why
NO_FIXTURES = {
    "granitemoeshared": "no released checkpoint whose config.json could be written out here with confidence",
    "hunyuan_v1_dense": "one: Hunyuan-7B-Instruct; the smaller checkpoints' token ids are not known here",
    "mistral4": "no released checkpoint whose config.json could be written out here with confidence",
}
FIXTURE_TYPES = tuple(t for t in TYPES if t not in NO_FIXTURES)


def _fixtures():
    for path in sorted(FIXTURES.glob("*.json")):
        if read_json(path).get("model_type") in TYPES:
            yield path.name


def _billions(n: int, shown: str) -> bool:
    if shown.startswith("~"):
        return abs(n / 1e9 - float(shown[1:-1])) <= 0.04 * float(shown[1:-1])
    places = len(shown[:-1].partition(".")[2])
    return round(n / 1e9, places) == float(shown[:-1])


@pytest.mark.sampled
@pytest.mark.parametrize("name", list(_fixtures()))
def test_real_config_counts_what_transformers_builds(name):
    data = json.loads((FIXTURES / name).read_text())
    assert ours(from_file(FIXTURES / name)) == theirs(data)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_real_config_counts_its_published_total(name):
    spec = from_file(FIXTURES / name)
    total, active = PUBLISHED[name]
    assert _billions(spec.total, total), spec.total
    # model cards round "activated parameters" with the token embedding in (V2) or out (V3, V2-Lite)
    if active is None:
        return
    embedding = next(spec.count(n) for n in spec.tree.children() if isinstance(n, Embedding))
    tied = [n for _, _, n in spec.tree.walk() if isinstance(n, Linear) and n.tied]
    assert spec.active_compute_total == spec.active_total - embedding + sum(spec.count(n, "matmul") for n in tied)
    assert _billions(spec.active_total, active) or _billions(spec.active_compute_total, active), spec.active_total


def test_every_family_here_has_two_real_configs():
    """Two real config.json per model_type, but for those NO_FIXTURES names with its reason."""
    found: dict[str, int] = {}
    for name in _fixtures():
        t = read_json(FIXTURES / name)["model_type"]
        found[t] = found.get(t, 0) + 1
    assert {t: found.get(t, 0) >= 2 for t in FIXTURE_TYPES} == {t: True for t in FIXTURE_TYPES}


@pytest.mark.parametrize("model_type", [t for t in TYPES if t.startswith("deepseek") or t == "mistral4"])
@pytest.mark.parametrize("heads", [0, -1, 1, 3, 100])
def test_key_value_heads_shape_nothing_in_latent_attention_but_zero_is_refused_as_transformers_fails(model_type, heads):
    """DeepSeek's latent attention has no key/value heads to size, so any count of them builds the same model,
    except 0, which transformers divides the heads by when it builds the attention."""
    cfg = {**BASE[model_type], "num_key_value_heads": heads}
    mine, reference = outcome(lambda: ours(from_dict(cfg))), outcome(theirs, cfg)
    assert mine[0] == reference[0], (mine, reference)
    if mine[0] == "ok":
        assert mine[1] == reference[1]


@pytest.mark.parametrize("head_dim", [2, 4, 6])
@pytest.mark.parametrize("rope", [{"rope_type": "dynamic", "alpha": 1000.0, "factor": 1.0, "rope_theta": 10000.0},
                                  {"rope_type": "dynamic", "factor": 2.0, "rope_theta": 10000.0},
                                  {"rope_type": "default", "rope_theta": 10000.0}])
def test_hunyuans_ntk_alpha_rope_is_refused_at_a_head_size_of_two_as_transformers_fails(head_dim, rope):
    """Hunyuan's NTK-alpha rope raises alpha to head_dim / (head_dim - 2): at a head size of 2 transformers divides
    by zero. Any other head size, or rope, is counted as transformers builds it."""
    cfg = {**BASE["hunyuan_v1_dense"], "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": head_dim,
           "rope_parameters": rope}
    mine, reference = outcome(lambda: ours(from_dict(cfg))), outcome(theirs, cfg)
    assert mine[0] == reference[0], (mine, reference)
    if mine[0] == "ok":
        assert mine[1] == reference[1]


def test_only_the_families_whose_checkpoints_have_prediction_layers_say_they_are_not_counted():
    """DeepSeek's checkpoints hold multi-token-prediction layers transformers does not build, and a note says so;
    Mistral 4's config names none, so its count carries no such note."""
    def said(model_type: str) -> bool:
        return any("multi-token-prediction" in n for n in from_dict(BASE[model_type]).notes)

    assert said("deepseek_v3") and said("deepseek_v2") and not said("mistral4")
