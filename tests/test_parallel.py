"""Pipeline stages and full recomputation over hybrid trees: layers as transformers builds them.

Expected figures come from the config files (how many decoder layers transformers
builds, which layer is which kind: Jamba's periods and offsets, Bamba's attention
indices) and from each layer kind's own reading; the tree's grouping of layers into
Repeats is what is checked.
"""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symparams import model
from symparams.components import Repeat
from symparams.components.composite import stack
from symparams.components.saving import Saving
from symparams.components.tower import Tower
from symparams.errors import SymparamsError
from symparams.memory import memory
from symparams.parallel import Parallel, plan
from symparams.presets import PRESETS
from symparams.symbols import B, T

LAYER_FIELDS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")


def _layers(name: str) -> int:
    """The decoder's depth as the preset states it (a vision-language wrapper's in its ``text_config``), or as its
    config class's default where it states none (Idefics 3's Llama)."""
    from symparams.families import FAMILIES

    cfg = json.loads(PRESETS[name].read_text())
    inner = cfg.get("text_config", cfg)
    stated = [inner[f] for f in LAYER_FIELDS if f in inner]
    if stated:
        return stated[0]
    fields = FAMILIES.by_type[inner.get("model_type", cfg["model_type"])].fields
    return next(fields[f].default for f in LAYER_FIELDS if f in fields)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_pipeline_stages_hold_the_decoder_layers_transformers_builds(name):
    """Every preset: --pp L gives one decoder layer per stage (each stage takes one layer's input, Mllama's
    cross-attention layers among them), 2L is refused."""
    spec = model(name)
    layers = _layers(name)
    layout = plan(spec, Parallel(pp=layers), training=True, batch=1, seq=None)
    assert layout.layers == layers
    for stage in layout.stages:
        inputs = sum(int(spec.value(node.count)) for node in stack([node for _, node in stage]) if node.layer_inputs)
        assert inputs == 1
    with pytest.raises(Exception, match=f"does not divide the {layers} layers"):
        plan(spec, Parallel(pp=2 * layers), training=True, batch=1, seq=None)


WRAPPERS = sorted(n for n in PRESETS if "text_config" in json.loads(PRESETS[n].read_text()))


@pytest.mark.parametrize("name", WRAPPERS)
def test_a_tower_that_makes_the_decoders_input_sits_on_the_first_stage(name):
    """A vision encoder and its projector run before the first decoder layer, so the first stage holds them, with the
    embedding, and no other stage holds any; every parameter is stored on some stage, once (at the two smallest
    numbers of stages that divide the layers)."""
    spec = model(name)
    layers = _layers(name)
    for pp in [p for p in range(2, layers + 1) if layers % p == 0][:2]:
        m = memory(spec, parallel=Parallel(pp=pp))
        towers = [{node.name for _, node in stage if isinstance(node, Tower) and not node.in_stack}
                  for stage in m.parallel.stages]
        assert towers[0] == {c.name for c in spec.tree.children() if isinstance(c, Tower) and not c.in_stack} != set()
        assert not any(towers[1:])
        assert sum(s.stored() for s in m.parallel.shares(spec)) == spec.total


@pytest.mark.parametrize("pp", [2, 4, 5, 8, 10, 20, 40])
def test_mllama_stages_hold_the_cross_attention_layers_their_indices_place_there(pp):
    """transformers' Mllama decoder holds 40 layers, those cross_attention_layers lists cross-attending: stage i holds
    layers i*L/pp .. (i+1)*L/pp - 1, of each kind as the list says."""
    name = "llama-3.2-11b-vision-instruct"
    spec = model(name)
    text = json.loads(PRESETS[name].read_text())["text_config"]
    cross, layers = set(text["cross_attention_layers"]), text["num_hidden_layers"]
    m = memory(spec, parallel=Parallel(pp=pp))
    per = layers // pp
    for i, stage in enumerate(m.parallel.stages):
        mine = range(i * per, (i + 1) * per)
        held = {True: 0, False: 0}
        for _, node in stage:
            for r in stack([node]):
                held[isinstance(node, Tower)] += int(spec.value(r.count))
        assert held == {True: len(cross & set(mine)), False: len(set(mine) - cross)}
    assert sum(s.stored() for s in m.parallel.shares(spec)) == spec.total


def test_mllama_stages_are_refused_where_its_layer_counts_no_longer_fit_its_listed_indices():
    spec = model("llama-3.2-11b-vision-instruct", L_x=4)
    with pytest.raises(SymparamsError, match="cross_attention_layers sit among its layers"):
        plan(spec, Parallel(pp=2), training=True, batch=1, seq=None)
    assert plan(spec, Parallel(pp=1), training=True, batch=1, seq=None).layers == 40


def _jamba_kinds(cfg: dict, j: int) -> tuple[str, str]:
    """Layer j's mixer and feed-forward, by JambaConfig's periods and offsets."""
    mixer = "attention_layers" if j % cfg["attn_layer_period"] == cfg["attn_layer_offset"] else "mamba_layers"
    ffn = "moe_ffn" if j % cfg["expert_layer_period"] == cfg["expert_layer_offset"] else "dense_ffn"
    return mixer, ffn


@pytest.mark.parametrize("pp", [2, 4, 8, 16, 32])
def test_jamba_stages_hold_the_halves_of_their_own_layers(pp):
    """Stage i holds layers i*L/pp .. (i+1)*L/pp - 1: their mixers and their feed-forwards, by kind."""
    spec = model("jamba-v0.1")
    cfg = json.loads(PRESETS["jamba-v0.1"].read_text())
    layers = cfg["num_hidden_layers"]
    m = memory(spec, parallel=Parallel(pp=pp))
    per = layers // pp
    for i, stage in enumerate(m.parallel.stages):
        expected: dict[str, int] = {}
        for j in range(i * per, (i + 1) * per):
            for kind in _jamba_kinds(cfg, j):
                expected[kind] = expected.get(kind, 0) + 1
        held = {node.name: int(spec.value(node.count)) for _, node in stage if isinstance(node, Repeat)}
        assert held == expected
    assert sum(s.stored() for s in m.parallel.shares(spec)) == spec.total


def _working_by_layer(spec, cfg: dict, saving: Saving) -> list:
    """Each decoder layer's recomputed activations: the readings of the kinds the config gives that layer."""
    inner = saving.inner()
    blocks = {r.name: r.child for r in spec.tree.children() if isinstance(r, Repeat)}
    reading = {name: block.activation_bytes(T, inner) for name, block in blocks.items()}
    out = []
    for j in range(cfg["num_hidden_layers"]):
        if cfg["model_type"] == "jamba":
            kinds = _jamba_kinds(cfg, j)
        else:  # bamba: attention on attn_layer_indices, Mamba-2 elsewhere
            kinds = ("attention_layers" if j in cfg["attn_layer_indices"] else "mamba_layers",)
        out.append(sympy.Add(*(reading[k] for k in kinds)))
    return out


def _kept(spec, saving: Saving):
    """What full recomputation keeps besides the layer recomputed: every layer input, the rest of the model."""
    return sympy.Add(*(c.kept_bytes(T, saving) if isinstance(c, Repeat) else c.activation_bytes(T, saving)
                       for c in spec.tree.children())) + spec.tree.shared_activation(T, saving) \
        + spec.tree.loss_activation(T, saving)


@pytest.mark.sampled
@pytest.mark.parametrize("attention", ["eager", "sdpa"])
@pytest.mark.parametrize("name", ["jamba-v0.1", "bamba-9b"])
@pytest.mark.parametrize(("batch", "seq"), [(1, 64), (2, 4096)])
def test_full_recomputation_holds_the_largest_layer_not_one_of_each_kind(name, attention, batch, seq):
    """The backward pass re-runs one layer at a time: the peak adds the largest layer's activations, once."""
    spec = model(name)
    cfg = json.loads(PRESETS[name].read_text())
    saving = Saving(attention=attention, recompute="full", ssm_kernel="torch")
    at = {B: batch, T: seq}
    largest = max(spec.value(w, at) for w in _working_by_layer(spec, cfg, saving))
    whole = spec.value(spec.tree.activation_bytes(T, saving), at)
    assert whole == spec.value(_kept(spec, saving), at) + largest
    m = memory(spec, seq=seq, batch=batch, attention=attention, recompute="full", ssm_kernel="torch")
    assert m.activation_bytes == int(sympy.ceiling(whole)) == m.per_gpu_bytes - m.fixed_bytes


@pytest.mark.parametrize("pp", [2, 4])
@pytest.mark.parametrize("name", ["jamba-v0.1", "bamba-9b"])
def test_each_pipeline_stage_holds_its_own_largest_layer(name, pp):
    """With one micro-batch in flight, the stages' activations add up to the whole plus one working set per later stage
    (and the rotary tables of every stage with attention layers: each stage makes its own)."""
    spec = model(name)
    cfg = json.loads(PRESETS[name].read_text())
    saving = Saving(recompute="full", ssm_kernel="torch")
    seq, batch = 2048, 1
    at = {B: batch, T: seq}
    m = memory(spec, seq=seq, batch=batch, recompute="full", ssm_kernel="torch", parallel=Parallel(pp=pp))
    work = [spec.value(w, at) for w in _working_by_layer(spec, cfg, saving)]
    per = len(work) // pp
    stages = [load.activation.xreplace(at) for load in m.loads]
    whole = spec.value(spec.tree.activation_bytes(T, saving), at)
    tables = sum(spec.value(spec.tree.shared_activation(T, saving, tuple(n for _, n in st)), at)
                 for st in m.parallel.stages) - spec.value(spec.tree.shared_activation(T, saving), at)
    assert sum(stages) == whole - max(work) + sum(max(work[i * per:(i + 1) * per]) for i in range(pp)) + tables


@pytest.mark.parametrize("dtype, width", [("bf16", 2), ("fp16", 2), ("fp32", 4)])
@pytest.mark.parametrize("pp", [2, 3, 4])
@pytest.mark.parametrize("name", ["mamba-130m", "mamba2-130m"])
def test_later_stages_take_the_fp32_residual_stream(name, pp, dtype, width):
    """residual_in_fp32: a later stage's first layer input is the previous stage's fp32 residual.

    One micro-batch in flight, so the stages' activations add up to the whole model's
    plus the one layer each later stage recomputes; below fp32 today's first-layer inputs
    at the activation width came (4 - a)*B*T*D short per later stage.
    """
    spec = model(name)
    layers = _layers(name)
    if layers % pp:
        pytest.skip(f"{pp} does not divide {layers}")
    seq, batch = 512, 2
    at = {B: batch, T: seq}
    saving = Saving(width=width, recompute="full", ssm_kernel="torch")
    stack = next(c for c in spec.tree.children() if isinstance(c, Repeat))
    assert stack.fp32_stream
    m = memory(spec, seq=seq, batch=batch, dtype=dtype, recompute="full", ssm_kernel="torch",
               optimizer="adamw", parallel=Parallel(pp=pp))
    whole = spec.value(spec.tree.activation_bytes(T, saving), at)
    working = spec.value(stack.child.activation_bytes(T, saving.inner()), at)
    assert sum(load.activation.xreplace(at) for load in m.loads) == whole + (pp - 1) * working



@pytest.mark.parametrize("model_type", ["cohere2_moe", "gemma3n_text", "rwkv"])
def test_a_learned_family_refuses_pipeline_stages_with_the_reason(model_type, tmp_path, capsys):
    """Learned trees nest their stacks in groups (gemma3n's altup projections are stacks too): refused, not guessed."""
    from symparams.cli import main

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": model_type}))
    assert main(["memory", str(path), "--pp", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "which do not say which stack is the decoder's" in err
    assert main(["memory", str(path)]) == 0


@pytest.mark.parametrize(("name", "change", "dense"), [
    ("llama-4-scout-17b-16e-text", {"interleave_moe_layer_step": 2}, None),
    ("qwen3-next-80b-a3b-instruct", {"mlp_only_layers": [0, 1, 5]}, [0, 1, 5]),
])
def test_layers_split_into_attention_and_feed_forward_halves_count_once(name, change, dense):
    """Both axes vary, so the tree repeats attention and feed-forward halves apart: still L layers, L inputs."""
    from symparams import from_dict
    from symparams.symbols import D

    cfg = {**json.loads(PRESETS[name].read_text()), **change}
    spec = from_dict(cfg)
    halves = [r for r in spec.tree.children() if isinstance(r, Repeat)]
    assert len(halves) == 4
    layers = _layers(name)
    pp = 4
    m = memory(spec, parallel=Parallel(pp=pp))
    assert m.parallel.layers == layers
    per = layers // pp
    for i, stage in enumerate(m.parallel.stages):
        held = [(node, int(spec.value(node.count))) for _, node in stage if isinstance(node, Repeat)]
        assert sum(n for node, n in held if node.layer_inputs) == per
        assert sum(n for node, n in held if not node.layer_inputs) == per
        if dense is not None:
            mine = sum(1 for j in dense if i * per <= j < (i + 1) * per)
            assert sum(n for node, n in held if node.name == "dense_mlp") == mine
    saving = Saving(recompute="full")
    kept = sympy.Add(*(r.kept_bytes(T, saving) for r in halves))
    assert spec.value(kept) == spec.value(saving.width * B * T * D * layers)


@pytest.mark.parametrize("name", ["qwen3.5-9b-text", "qwen3.5-35b-a3b-text"])
@pytest.mark.parametrize("pp", [2, 4, 8])
def test_stages_hold_the_kinds_of_their_own_layers(name, pp):
    """Where the tree knows each layer's index, stage i holds the kinds config.json's layer_types gives its layers."""
    spec = model(name)
    cfg = json.loads(PRESETS[name].read_text())
    types = cfg["layer_types"]
    if len(types) % pp:
        pytest.skip(f"{pp} does not divide {len(types)}")
    m = memory(spec, parallel=Parallel(pp=pp))
    per = len(types) // pp
    for i, stage in enumerate(m.parallel.stages):
        held = {node.name: int(spec.value(node.count)) for _, node in stage if isinstance(node, Repeat)}
        mine = types[i * per:(i + 1) * per]
        expected = {f"{t.split('_')[0]}_layers": mine.count(t) for t in set(mine)}
        assert held == expected


# ---- every family whose tree groups layers by kind: stages hold their own layers ---------

def _sliding(c) -> list[str]:
    return ["sliding_layers" if t == "sliding_attention" else "full_layers" for t in c.layer_types]


def _ernie(c) -> list[str]:
    """Ernie4_5_MoeDecoderLayer: experts where (i+1) % interval == 0 and start <= i <= end."""
    end = c.moe_layer_end_index
    return ["moe_layers" if (i + 1) % c.moe_layer_interval == 0 and c.moe_layer_start_index <= i <= end
            else "dense_layers" for i in range(c.num_hidden_layers)]


_BLOCK_TYPES = {"linear_attention": "mamba_layers", "mamba": "mamba_layers", "full_attention": "attention_layers",
                "attention": "attention_layers", "mlp": "mlp_layers", "moe": "moe_layers", "hybrid": "hybrid_layers"}

# Each decoder layer's Repeat, from the transformers config object (its own layer lists and rules).
LAYER_NAMES = {
    **{t: _sliding for t in ("gemma2", "gemma3_text", "vaultgemma", "cohere2", "exaone4", "gpt_oss", "smollm3",
                             "qwen2", "olmo3")},
    **{t: (lambda c: [_BLOCK_TYPES[k] for k in c.layers_block_type]) for t in ("bamba", "nemotron_h", "zamba2")},
    "gpt_neo": lambda c: [f"{k}_blocks" for k in c.attention_layers],
    **{t: (lambda c: ["moe_layers" if i >= c.first_k_dense_replace else "dense_layers"
                      for i in range(c.num_hidden_layers)]) for t in ("deepseek_v2", "deepseek_v3", "glm4_moe")},
    "deepseek_v32": lambda c: ["moe_layers" if k == "sparse" else "dense_layers" for k in c.mlp_layer_types],
    "ernie4_5_moe": _ernie,
}


def _expected_names(cfg: dict) -> list[str]:
    """Layer by layer, the Repeat that holds it, as transformers' config class lays the layers out."""
    transformers = pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[verify]')")
    fields = {k: v for k, v in cfg.items() if k != "model_type"}
    return LAYER_NAMES[cfg["model_type"]](transformers.CONFIG_MAPPING[cfg["model_type"]](**fields))


def _check_stages(spec, names: list[str], pps) -> None:
    repeats = [r for r in spec.tree.children() if isinstance(r, Repeat)]
    if len(repeats) == 1:  # one kind at this config: every layer is that Repeat's
        names = [repeats[0].name] * len(names)
    assert {r.name for r in repeats} == set(names)
    for pp in pps:
        m = memory(spec, parallel=Parallel(pp=pp))
        per = len(names) // pp
        assert m.parallel.layers == len(names)
        for i, stage in enumerate(m.parallel.stages):
            held = {node.name: int(spec.value(node.count)) for _, node in stage if isinstance(node, Repeat)}
            mine = names[i * per:(i + 1) * per]
            assert held == {n: mine.count(n) for n in set(mine)}, (pp, i)
        assert sum(s.stored() for s in m.parallel.shares(spec)) == spec.total + _restored(spec, names, pp)


def _restored(spec, names: list[str], pp: int) -> int:
    """Zamba2's shared blocks, stored again on each later stage with hybrid layers: min(N_b, its hybrid layers) each."""
    from symparams.components.shared import Shared

    per = len(names) // pp
    extra = 0
    for block in (p for p in spec.tree.children() if isinstance(p, Shared)):
        stored, one = int(spec.value(block.copies)), int(spec.value(block.child.params()))
        held = [min(stored, names[i * per:(i + 1) * per].count("hybrid_layers")) for i in range(pp)]
        extra += (sum(held) - stored) * one
    return extra


def _divisors(n: int, most: int = 8) -> list[int]:
    return [p for p in range(2, min(n, most) + 1) if n % p == 0] + ([n] if n > most else [])


GROUPED_PRESETS = sorted(n for n in PRESETS if json.loads(PRESETS[n].read_text())["model_type"] in LAYER_NAMES)


@pytest.mark.sampled
@pytest.mark.parametrize("name", GROUPED_PRESETS)
def test_preset_stages_hold_the_kinds_of_their_own_layers(name):
    """Bamba, Nemotron-H, Zamba2, the sliding/full decoders, GPT-Neo, DeepSeek, GLM-4.5 and ERNIE: stage i holds
    the kinds transformers' config gives layers i*L/pp .. (i+1)*L/pp - 1 (they were cut in tree order)."""
    cfg = json.loads(PRESETS[name].read_text())
    names = _expected_names(cfg)
    _check_stages(model(name), names, _divisors(len(names)))


def test_zamba2_stages_use_the_shared_blocks_of_their_own_hybrid_layers():
    """zamba2-1.2b's hybrid layers 5, 11, 17 (stage 0 of 2) and 23, 29, 35 (stage 1): each stage holds the shared
    block for its own 3 uses (their activations and caches); at --pp 2 stage 0 held all 6 uses and stage 1 none."""
    from symparams.components.shared import Shared

    spec = model("zamba2-1.2b")
    m = memory(spec, parallel=Parallel(pp=2), seq=4096, batch=1, ssm_kernel="torch", training=False)
    uses = [[int(spec.value(node.uses)) for _, node in st if isinstance(node, Shared)] for st in m.parallel.stages]
    assert uses == [[3], [3]]
    whole = memory(spec, seq=4096, batch=1, ssm_kernel="torch", training=False)
    assert sum(load.kv_cache.xreplace({T: 4096, B: 1}) for load in m.loads) == whole.kv_cache_bytes


def test_bamba_stages_hold_their_own_attention_layers():
    """bamba-9b's attention layers 9, 18 and 27: one on the first of two stages, two on the second."""
    spec = model("bamba-9b")
    first, second = memory(spec, parallel=Parallel(pp=2)).parallel.stages
    held = [{node.name: int(spec.value(node.count)) for _, node in st if isinstance(node, Repeat)} for st in (first, second)]
    assert held == [{"attention_layers": 1, "mamba_layers": 15}, {"attention_layers": 2, "mamba_layers": 14}]


@pytest.mark.parametrize("model_type", sorted(LAYER_NAMES))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_configs_stages_hold_the_kinds_of_their_own_layers(data, model_type):
    """Random configs of the same families, checked against transformers' config class in the same way."""
    from symparams import from_dict
    from symparams.errors import SymparamsError

    from strategies import CONFIGS

    cfg = data.draw(CONFIGS[model_type], label="config")
    try:
        spec = from_dict(cfg)
    except SymparamsError:
        assume(False)
    names = _expected_names(cfg)
    _check_stages(spec, names, _divisors(len(names), 4))


@pytest.mark.parametrize("depth", [2, 3, 4, 6, 8, 12, 24])
def test_nanochat_2026_stages_count_blocks_and_hold_their_own_value_embeddings(depth):
    """The value embeddings are parts of ceil(L/2) layers (i % 2 == (L - 1) % 2), not more layers."""
    from symparams.families.nanochat2026 import nanochat2026

    spec = nanochat2026(depth)
    for pp in [1, *_divisors(depth)]:
        m = memory(spec, parallel=Parallel(pp=pp))
        assert m.parallel.layers == depth
        per = depth // pp
        for i, stage in enumerate(m.parallel.stages):
            held = {node.name: int(spec.value(node.count)) for _, node in stage if isinstance(node, Repeat)}
            valued = sum(1 for j in range(i * per, (i + 1) * per) if j % 2 == (depth - 1) % 2)
            assert held == {"blocks": per, **({"value_embeds": valued} if valued else {})}


@pytest.mark.parametrize("pp", [1, 2, 4])
def test_changed_layer_counts_drop_the_layer_indices_everywhere(pp):
    """jamba-v0.1 at L=16 (L_s=14, L_d=8): the config's 32 layer indices no longer fit, so no Repeat keeps them;
    stages cut in tree order and full recomputation holds the bound, the largest mixer plus the largest feed-forward,
    in the whole model's reading and in the stages' alike (the old indices paired the stages' halves)."""
    spec = model("jamba-v0.1").with_values(L=16, L_s=14, L_d=8)
    repeats = [r for r in spec.tree.children() if isinstance(r, Repeat)]
    assert [r.layers for r in repeats] == [()] * 4
    saving = Saving(recompute="full", ssm_kernel="torch", attention="eager")
    at = {B: 1, T: 16384}
    work = {r.name: spec.value(r.child.activation_bytes(T, saving.inner()), at) for r in repeats}
    bound = max(work["attention_layers"], work["mamba_layers"]) + max(work["dense_ffn"], work["moe_ffn"])
    whole = spec.value(spec.tree.activation_bytes(T, saving), at)
    assert whole == spec.value(_kept(spec, saving), at) + bound
    m = memory(spec, seq=16384, batch=1, recompute="full", ssm_kernel="torch", attention="eager",
               parallel=Parallel(pp=pp))
    assert m.parallel.layers == 16
    for stage in m.parallel.stages:
        held = [node for _, node in stage if isinstance(node, Repeat)]
        assert all(node.layers == () for node in held)
        assert sum(int(spec.value(n.count)) for n in held if n.layer_inputs) == 16 // pp
    if pp == 1:
        assert m.activation_bytes == m.per_gpu_bytes - m.fixed_bytes == int(sympy.ceiling(whole))


def test_values_that_keep_the_layer_counts_keep_the_layer_indices():
    """A new width changes no layer count: the indices still fit, and stages still hold their own layers."""
    spec = model("bamba-9b").with_values(D=2048)
    held = {r.name: r.layers for r in spec.tree.children() if isinstance(r, Repeat)}
    assert held["attention_layers"] == (9, 18, 27)
    names = ["attention_layers" if i in (9, 18, 27) else "mamba_layers" for i in range(32)]
    _check_stages(spec, names, [2, 4])


@pytest.mark.parametrize(("name", "change"), [
    ("qwen2-7b", {"use_sliding_window": True, "max_window_layers": 10, "num_hidden_layers": 28}),
    ("ernie-4.5-21b-a3b-pt", {"moe_layer_interval": 2, "moe_layer_start_index": 3, "moe_layer_end_index": 20}),
    ("deepseek-v3.2", {"num_hidden_layers": 8, "mlp_layer_types": ["sparse", "dense", "dense", "sparse"] * 2}),
])
def test_layer_patterns_that_are_not_a_prefix_put_each_kind_on_its_own_stages(name, change):
    """Qwen2's windowed layers from max_window_layers on (full ones first), ERNIE's experts every other layer in a
    range, V3.2's listed dense layers: stages hold what transformers' config class gives their layers."""
    from symparams import from_dict

    cfg = {**json.loads(PRESETS[name].read_text()), **change}
    names = _expected_names(cfg)
    _check_stages(from_dict(cfg), names, _divisors(len(names)))


@pytest.mark.parametrize("pp", [1, 2])
def test_nanochat_2026_full_recomputation_is_refused_not_guessed(pp):
    """Each value embedding would be one more input its checkpointed layer keeps; nanochat checkpoints nothing to
    measure it on, so the reading refuses (it did before, reading the value embeddings as layers)."""
    from symparams.errors import SymparamsError

    with pytest.raises(SymparamsError, match="full recomputation of nanochat's value embeddings"):
        memory(model("nanochat-2026"), seq=256, batch=1, recompute="full", parallel=Parallel(pp=pp))


_SIZES = sympy.symbols("x y z", positive=True, integer=True)
_TERMS = st.tuples(st.integers(0, 5), st.sampled_from([*_SIZES, sympy.Min(1, _SIZES[0] - 1), sympy.ceiling(_SIZES[1] / 4)]),
                   st.sampled_from([1, *_SIZES]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_TERMS, max_size=4), min_size=1, max_size=4),
       st.lists(st.integers(1, 9), min_size=3, max_size=3))
def test_the_largest_layer_is_the_maximum_of_its_arguments_at_every_point(forms, point):
    """working_set's ``largest`` drops only arguments another bounds term by term: at any sizes it is their max."""
    from symparams.components.composite import largest

    args = [sympy.Add(*(c * a * b for c, a, b in form)) for form in forms]
    at = dict(zip(_SIZES, point))
    assert largest(args).xreplace(at) == max(a.xreplace(at) for a in args)
