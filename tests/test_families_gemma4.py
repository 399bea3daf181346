"""Gemma 4 text (``gemma4_text``) against transformers: weights on the meta device, the KV cache in a real forward pass.

Random small configs (``tests/strategies/gemma4.py``) cover per-layer embeddings, the full-attention
layers' own head size and key/value heads (from ``global_head_dim`` or a saved ``per_layer_config``),
keys standing in for values, layers reusing another layer's keys and values (with double-wide MLPs),
the expert block beside the MLP and PReLU's learned scalars. The FLOPs are checked against what PyTorch
executes by ``tests/test_flops_torch.py``, and nulls, types and aliases by ``tests/test_robustness.py``,
as for every family with a strategy.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict
from symparams.families.gemma4 import NO_PRODUCER
from symparams.memory import memory

from strategies import CONFIGS

SMALL = {"model_type": "gemma4_text", "num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 2,
         "vocab_size": 40, "hidden_size": 16, "intermediate_size": 24, "head_dim": 8, "global_head_dim": 12,
         "hidden_size_per_layer_input": 4, "vocab_size_per_layer_input": 30, "sliding_window": 4}


def _need(name: str):
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install 'symparams[verify]')")


def theirs(config: dict) -> dict[str, int]:
    """transformers' parameters for ``config``, summed per group by the family's own table."""
    _need("torch")
    _need("transformers")
    from symparams.verify import meta_parameters

    family = FAMILIES.by_type["gemma4_text"]
    out: dict[str, int] = {}
    for name, numel in meta_parameters(config):
        out[family.group(name)] = out.get(family.group(name), 0) + numel
    return {g: n for g, n in out.items() if n}


def assert_as_built(config: dict, fields: tuple[str, ...]) -> None:
    """Counted exactly where transformers builds ``config``, else refused naming one of ``fields``."""
    try:
        built: int | None = sum(theirs(config).values())
    except SymparamsError:
        built = None
    try:
        counted: int | None = from_dict(config).total
    except SymparamsError as err:
        assert any(f"'{name}'" in str(err) for name in fields)
        counted = None
    assert counted == built


def ours(config: dict) -> dict[str, int]:
    return {g: n for g, n in from_dict(config).breakdown().groups().items() if n}


@settings(max_examples=40, deadline=None)
@given(config=CONFIGS["gemma4_text"])
def test_a_drawn_config_counts_what_transformers_builds_group_by_group(config):
    assert ours(config) == theirs(config)


def test_the_class_defaults_count_what_transformers_builds():
    """Five billion parameters, most of them the per-layer embeddings, built on the meta device."""
    assert ours({"model_type": "gemma4_text"}) == theirs({"model_type": "gemma4_text"})


@settings(max_examples=15, deadline=None)
@given(config=CONFIGS["gemma4_text"], seq=st.integers(1, 12))
def test_the_kv_cache_is_what_static_cache_allocates(config, seq):
    """Layers reusing keys and values keep none; the others keep min(T, W) or T tokens of their own head size and
    key/value heads, both keys and values even where the keys stand in for them."""
    torch = _need("torch")
    transformers = _need("transformers")
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    spec = from_dict(config)
    data = {k: v for k, v in config.items() if k != "model_type"}
    torch.manual_seed(0)
    net = transformers.AutoModelForCausalLM.from_config(transformers.AutoConfig.for_model("gemma4_text", **data),
                                                        experts_implementation="eager")
    net.eval()
    static = transformers.StaticCache(config=net.config, max_cache_len=seq)
    tokens = min(config["vocab_size"], config["vocab_size_per_layer_input"])
    with torch.no_grad():
        net(input_ids=torch.randint(0, tokens, (1, seq)), past_key_values=static, use_cache=True)
    held = sum(t.numel() for layer in static.layers for t in (getattr(layer, "keys", None), getattr(layer, "values", None))
               if t is not None)
    assert 4 * held == memory(spec, "fp32", training=False, seq=seq).kv_cache_bytes


def test_every_layer_reusing_keys_no_layer_makes_is_counted_as_built_with_a_note():
    """num_kv_shared_layers = L: transformers builds the model with no key or value projection at all, though it
    cannot run; it is counted, it caches nothing, and the note says why it will not run."""
    config = {**SMALL, "num_kv_shared_layers": 6}
    spec = from_dict(config)
    assert ours(config) == theirs(config)
    assert NO_PRODUCER in spec.notes
    assert memory(spec, training=False, seq=8).kv_cache_bytes == 0


@pytest.mark.parametrize(("change", "field", "transformers_refuses"), [
    ({"num_kv_shared_layers": 7}, "num_kv_shared_layers", True),
    ({"num_kv_shared_layers": 2}, "num_kv_shared_layers", True),  # layers 4 and 5: no earlier full layer
    ({"per_layer_config": {"5": {"head_dim": 4}, "6": {"head_dim": 4}}}, "per_layer_config", True),
    ({"per_layer_config": {"x": {"head_dim": 4}}}, "per_layer_config", True),
    ({"per_layer_config": {"9" * 5000: {"head_dim": 4}}}, "per_layer_config", True),  # past int()'s digits
    ({"per_layer_config": {"0": {"head_dim": 4}}}, "per_layer_config", True),  # sliding layers then differ
    ({"layer_types": ["sliding_attention"] * 3 + ["chunked_attention"] * 2 + ["full_attention"]}, "layer_types", True),
    ({"enable_moe_block": True}, "num_experts", True),
    ({"enable_moe_block": True, "num_experts": 4, "moe_intermediate_size": 3}, "top_k_experts", False),
    ({"enable_moe_block": True, "num_experts": 4, "moe_intermediate_size": 3, "top_k_experts": None},
     "top_k_experts", False),  # a router that cannot pick experts: k has no value
    ({"pad_token_id": 35}, "pad_token_id", True),  # a row of the token table, past the per-layer one
    ({"per_layer_config": {str(i): {"head_dim": 4} for i in range(5)}}, "per_layer_config", False),
    ({"per_layer_config": {"5": {"intermediate_size": 8}}}, "per_layer_config", None),
    ({"use_bidirectional_attention": "all"}, "use_bidirectional_attention", False),
    ({"num_key_value_heads": 3}, "num_key_value_heads", False),
])
def test_what_is_not_modelled_or_not_built_is_refused_naming_the_field(change, field, transformers_refuses):
    """Refused in one line naming the field: where transformers cannot build the config, and where it builds
    something this family does not model (the sliding layers' own head size, an encoder, heads the key/value
    heads do not divide) rather than counted as something else."""
    config = {**SMALL, **change}
    with pytest.raises(SymparamsError, match=repr(field)):
        from_dict(config)
    if transformers_refuses is None:
        return
    try:
        built = theirs(config)
    except SymparamsError:
        built = None
    assert (built is None) == transformers_refuses


@pytest.mark.parametrize("top_k", [None, "missing"])
def test_experts_without_a_top_k_are_refused_as_a_router_that_cannot_pick_them(top_k):
    """transformers builds the router of a null or missing top_k_experts, but it cannot route: k has no value."""
    config = {**SMALL, "enable_moe_block": True, "num_experts": 4, "moe_intermediate_size": 3}
    if top_k is None:
        config["top_k_experts"] = None
    said = "is null" if top_k is None else "is not given"
    with pytest.raises(SymparamsError, match=f"'top_k_experts': {said}; .*cannot pick experts"):
        from_dict(config)


def test_training_activations_are_refused_and_the_weights_and_cache_are_read():
    kinds = ["sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "full_attention",
             "full_attention"]
    spec = from_dict({**SMALL, "layer_types": kinds, "num_kv_shared_layers": 1, "attention_k_eq_v": True})
    with pytest.raises(SymparamsError, match="Gemma 4"):
        memory(spec, seq=16).activation_bytes
    assert memory(spec).total_bytes == 16 * spec.total
    assert memory(spec, training=False, seq=16).kv_cache_bytes > 0


def _valid_shares(layers: int) -> list[int]:
    """The numbers of shared layers transformers accepts under the default layout (each kind keeps a producer)."""
    kinds = ["s" if (i + 1) % 6 and i < layers - 1 else "f" for i in range(layers)]
    return [n for n in range(layers) if set(kinds[:layers - n]) == set(kinds)]


@settings(max_examples=60, deadline=None)
@given(layers=st.integers(1, 14).flatmap(lambda n: st.tuples(st.just(n), st.sampled_from(_valid_shares(n)))),
       depth=st.integers(1, 20))
def test_another_depth_counts_what_transformers_builds_there_or_is_refused(layers, depth):
    """Without layer_types the layer kinds follow L (every sixth layer full, the last one full, the last
    num_kv_shared_layers reusing keys and values): L_s, L_rs and L_rf are relations of L, so a count at another
    depth is transformers' at that depth; a depth whose layout needs other kinds of layer is refused."""
    layers, shared = layers
    config = {**SMALL, "num_hidden_layers": layers, "num_kv_shared_layers": shared}
    spec = from_dict(config)
    try:
        there = [part.name for part in from_dict({**config, "num_hidden_layers": depth}).tree.children()]
    except SymparamsError:
        there = None
    # the kinds of layer there, whatever order their stacks come in: a count does not depend on it
    if there is None or set(there) != {part.name for part in spec.tree.children()}:
        with pytest.raises(SymparamsError):
            spec.with_values(L=depth).total
        return
    assert spec.with_values(L=depth).total == sum(theirs({**config, "num_hidden_layers": depth}).values())


SLIDING_ROPE = {"rope_type": "default", "rope_theta": 10000.0}
FULL_ROPE = {"rope_type": "proportional", "rope_theta": 1e6, "partial_rotary_factor": 0.25}


@pytest.mark.parametrize("change", [
    {"rope_parameters": {"sliding_attention": SLIDING_ROPE, "full_attention": {**FULL_ROPE, "partial_rotary_factor": s}}}
    for s in (-0.3, -1e-300, 0.0, 3.0, 1e30)
] + [
    {"partial_rotary_factor": -1.0},
    {"partial_rotary_factor": -1.0, "rope_parameters": {"sliding_attention": SLIDING_ROPE,
                                                        "full_attention": {"rope_type": "proportional", "rope_theta": 1e6}}},
    {"partial_rotary_factor": "x", "rope_parameters": {"sliding_attention": SLIDING_ROPE,
                                                       "full_attention": {"rope_type": "proportional", "rope_theta": 1e6}}},
    {"partial_rotary_factor": None, "rope_parameters": {"sliding_attention": SLIDING_ROPE,
                                                        "full_attention": {"rope_type": "proportional", "rope_theta": 1e6}}},
    {"rope_parameters": {"sliding_attention": SLIDING_ROPE}},
    {"rope_parameters": {"sliding_attention": {"rope_theta": 1e4}, "full_attention": FULL_ROPE}},
    {"rope_parameters": {"sliding_attention": {"rope_type": "default"}, "full_attention": FULL_ROPE}},
    {"rope_parameters": {"sliding_attention": {"rope_type": "yarn", "rope_theta": 1e4, "factor": 2.0,
                                               "original_max_position_embeddings": 64}, "full_attention": FULL_ROPE}},
    {"rope_parameters": {"rope_type": "default", "rope_theta": 1e4}},
    {"rope_scaling": None},
    {"rope_scaling": {}},
    {"rope_scaling": {"rope_type": "linear", "factor": 2.0}},
    {"rope_scaling": {"sliding_attention": SLIDING_ROPE, "full_attention": FULL_ROPE}},
])
def test_rope_tables_count_where_transformers_builds_them_and_are_refused_where_it_cannot(change):
    """Each layer kind's table (``rope_scaling``'s where the file names it, null or not, as it replaces
    ``rope_parameters``), at that kind's head size (12 for the full layers here, 8 for the sliding ones),
    with its own share or else the top level's: proportional RoPE rotates int(share x head // 2) pairs, which
    must be a number torch can make a range of."""
    assert_as_built({**SMALL, **change}, ("rope_parameters", "rope_scaling", "partial_rotary_factor"))


def test_the_derivation_reads_the_mlp_beside_the_experts_and_the_layers_that_reuse_keys(tmp_path, capsys):
    """The remarks are readings of this tree: the dense MLP runs in every layer beside the experts (not only
    in layers without them), and the shared layers attend within their kind's window but cache nothing."""
    import json

    from symparams.cli import main

    kinds = ["sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "full_attention",
             "full_attention"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**SMALL, "layer_types": kinds, "num_kv_shared_layers": 2, "enable_moe_block": True,
                                "num_experts": 4, "top_k_experts": 2, "moe_intermediate_size": 3}))
    assert main(["derive", str(path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "beside the experts" in out and "in the layers without experts" not in out
    assert "L_rf=2 of the layers make no keys or values and cache none" in out


@pytest.mark.parametrize("command", [["count"], ["count", "--json"], ["formula"], ["flops"], ["flops", "--causal"],
                                     ["memory"], ["memory", "--inference", "--seq", "64"], ["sensitivity"],
                                     ["latex", "--values"]])
def test_commands_run_on_a_gemma4_config(command, tmp_path, capsys):
    """Every reading the family gives, from the command line, on a config with every optional part."""
    import json

    from symparams.cli import main

    kinds = ["sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "full_attention",
             "full_attention"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**SMALL, "layer_types": kinds, "num_kv_shared_layers": 2, "attention_k_eq_v": True,
                                "num_global_key_value_heads": 1, "enable_moe_block": True, "num_experts": 4,
                                "top_k_experts": 2, "moe_intermediate_size": 3, "use_double_wide_mlp": True}))
    assert main([*command, str(path)]) == 0
    assert capsys.readouterr().out


def test_the_latex_derivation_of_a_gemma4_model_is_fit_to_print(tmp_path):
    """Four stacks with long names make labels wider than a line (the share of the blocks, as one fraction):
    such a label is cut onto rows of its own, and the document compiles without an overfull line."""
    from pdflatex import problems

    from symparams.report import derive

    kinds = (["sliding_attention"] * 4 + ["full_attention"]) * 7
    spec = from_dict({**SMALL, "vocab_size": 262_144, "vocab_size_per_layer_input": 262_144, "hidden_size": 1536,
                      "intermediate_size": 6144, "num_hidden_layers": 35, "num_attention_heads": 8,
                      "num_key_value_heads": 1, "head_dim": 256, "global_head_dim": 512, "sliding_window": 512,
                      "hidden_size_per_layer_input": 256, "layer_types": kinds, "num_kv_shared_layers": 20,
                      "use_double_wide_mlp": True})
    assert not problems(derive(spec, "tex"), tmp_path)


LEGACY_KINDS = ["sliding_attention", "attention", "sliding_attention", "full_attention", "sliding_attention", "attention"]


@pytest.mark.parametrize("change", [
    {"layer_types": LEGACY_KINDS},  # the renamed layers miss global_head_dim: full layers of two head sizes
    {"layer_types": LEGACY_KINDS, "global_head_dim": 8},
    {"layer_types": LEGACY_KINDS, "per_layer_config": {str(i): {"head_dim": 12} for i in (1, 3, 5)}},
    {"layer_types": LEGACY_KINDS[:-1] + ["sliding_attention"]},
])
def test_the_older_attention_name_counts_what_transformers_builds_or_is_refused(change):
    """transformers renames "attention" to full attention only after its __post_init__ has given the layers named
    "full_attention" (and the last layer, made full) their overrides: the renamed ones keep the global head size."""
    assert_as_built({**SMALL, **change}, ("per_layer_config",))
