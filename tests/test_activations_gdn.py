"""Activation memory of Gated DeltaNet hybrids (Qwen3-Next, Qwen3.5) under ``ssm_kernel="torch"``, against autograd.

On CPU transformers runs the DeltaNet's torch fallback (``causal_conv1d_fn`` and
``torch_chunk_gated_delta_rule``, which pads T up to whole chunks of 64), which is what
``ssm_kernel="torch"`` reads; under ``"cuda"`` (flash-linear-attention), the default, the
layers refuse. Checked to the byte in fp32 and bf16: the layer alone over drawn sizes and
lengths (T on both sides of multiples of 64, one sequence and one token included), whole
drawn models of the three families under eager and SDPA attention (gated attention with
(1 + weight) q/k norms, the decoder's (1 + weight) RMSNorms, Qwen3.5's rotary tables made
per sequence), and the real fixture configs cut down to small sizes, also under selective
and full recomputation. Whole models run one to three sequences (with one, the loss keeps
its shifted labels as a view of T + 1, and eager attention with one key head keeps keys and
values before they are repeated: the readings carry both).

Measured as tests/test_activations.py measures it, with one difference: the pack hook keeps
a detached tensor. A hook that keeps the tensor itself ties a node that saves its own output
(``exp``) into a cycle (node -> box -> output -> node) that the collector cannot break, so
nodes the forward pass drops stay alive until the backward pass: the chunk rule's key decay
and chunk decay, whose only use is the last chunk's state update, which the rule drops.
A training step without hooks frees them at once, and so does this measure.
"""

from __future__ import annotations

import json
import weakref
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_activations import NO_SHRINK, build, checkpoint_core, predicted

from symparams import SymparamsError
from symparams.cli import main
from symparams.components.gated_delta import GatedDeltaNet
from symparams.components.saving import Saving
from symparams.families import FAMILIES
from symparams.memory import memory
from symparams.symbols import B, T

from strategies import CONFIGS

torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[verify]')")
transformers = pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[verify]')")

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
DTYPES = [(torch.float32, 4), (torch.bfloat16, 2)]
TYPES = ("qwen3_next", "qwen3_5_text", "qwen3_5_moe_text")
REAL = ("qwen3-next-80b-a3b-instruct", "qwen3-coder-next", "qwen3.5-9b-text", "qwen3.5-27b-text",
        "qwen3.5-35b-a3b-text", "qwen3.6-35b-a3b-text")
# Lengths on both sides of the chunk (64): one chunk, a whole chunk, two chunks, two whole chunks.
LENGTHS = (2, 7, 63, 64, 65, 100, 128)


class _Held:
    __slots__ = ("tensor", "__weakref__")

    def __init__(self, tensor):
        self.tensor = tensor


def saved_bytes(run, params) -> int:
    """Bytes of the distinct storages autograd holds for backward when ``run()`` returns, ``params`` left out."""
    skip = {p.untyped_storage().data_ptr() for p in params}
    held: list = []

    def pack(t):
        box = _Held(t.detach())  # not t: see the module docstring
        held.append(weakref.ref(box))
        return box

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda box: box.tensor):
        out = run()
    live = {}
    for ref in held:
        box = ref()
        if box is not None:
            storage = box.tensor.untyped_storage()
            if storage.data_ptr() not in skip:
                live[storage.data_ptr()] = storage.nbytes()
    out.float().sum().backward()
    return sum(live.values())


def model_bytes(config: dict, attention: str, torch_dtype, batch: int, seq: int) -> int:
    """One training step of transformers' model for ``config`` (forward with labels, then backward)."""
    model = build(config, attention, torch_dtype)
    model.config.use_cache = False
    model.train()
    torch.manual_seed(0)
    ids = torch.randint(0, model.config.get_text_config().vocab_size, (batch, seq))
    return saved_bytes(lambda: model(input_ids=ids, labels=ids).loss, model.parameters())


def check(config: dict, attention: str, dtype, batch: int, seq: int) -> None:
    torch_dtype, width = dtype
    expected = predicted(config, batch, seq, Saving(width=width, attention=attention, ssm_kernel="torch"))
    measured = model_bytes(config, attention, torch_dtype, batch, seq)
    assert measured == expected, f"{config['model_type']} {attention} {torch_dtype} B={batch} T={seq}: " \
                                 f"measured {measured}, reading {expected}"


def layer_bytes(fused: bool, key_heads: int, repeat: int, key_dim: int, value_dim: int, kernel: int, width: int,
                act: str, dtype, batch: int, seq: int) -> tuple[int, int]:
    """Qwen3-Next's (fused) or Qwen3.5's layer alone: what autograd keeps, and the reading."""
    from transformers.models.qwen3_5.modeling_qwen3_5 import Qwen3_5GatedDeltaNet
    from transformers.models.qwen3_next.modeling_qwen3_next import Qwen3NextGatedDeltaNet

    torch_dtype, a = dtype
    sizes = dict(hidden_size=width, linear_num_key_heads=key_heads, linear_num_value_heads=key_heads * repeat,
                 linear_key_head_dim=key_dim, linear_value_head_dim=value_dim, linear_conv_kernel_dim=kernel,
                 num_hidden_layers=1, layer_types=["linear_attention"], hidden_act=act)
    layer_class, config_class = ((Qwen3NextGatedDeltaNet, transformers.Qwen3NextConfig) if fused
                                 else (Qwen3_5GatedDeltaNet, transformers.Qwen3_5TextConfig))
    torch.manual_seed(0)
    layer = layer_class(config_class(**sizes), 0).to(torch_dtype)
    x = torch.randn(batch, seq, width, dtype=torch_dtype, requires_grad=True)
    measured = saved_bytes(lambda: layer(x), layer.parameters())
    node = GatedDeltaNet("linear_attn", width, key_heads, key_heads * repeat, key_dim, value_dim, kernel,
                         fused=fused, activation=act)
    reading = node.activation_bytes(T, Saving(width=a, ssm_kernel="torch")).xreplace({B: batch, T: seq})
    return measured, int(reading)


@settings(max_examples=20, deadline=None, phases=NO_SHRINK)
@given(st.booleans(), st.integers(1, 3), st.sampled_from([1, 2]), st.integers(1, 5), st.integers(1, 5),
       st.integers(1, 4), st.integers(2, 9), st.sampled_from(["silu", "gelu", "relu"]), st.sampled_from(DTYPES),
       st.integers(1, 3), st.sampled_from((1, *LENGTHS)))
def test_the_layer_saves_what_the_reading_says(fused, key_heads, repeat, key_dim, value_dim, kernel, width, act,
                                               dtype, batch, seq):
    """Every head size, repeated heads or not, padded or not, one sequence or more, one token or more."""
    measured, reading = layer_bytes(fused, key_heads, repeat, key_dim, value_dim, kernel, width, act, dtype,
                                    batch, seq)
    assert measured == reading


@pytest.mark.parametrize("seq", [64, 128])
@pytest.mark.parametrize("repeat", [1, 2])
@pytest.mark.parametrize("fused", [False, True], ids=["qwen3_5", "qwen3_next"])
def test_one_sequence_in_fp32_over_whole_chunks(fused, repeat, seq):
    """B = 1, fp32, T a multiple of 64: repeated heads keep what unrepeated ones keep, not what they keep at B >= 2.

    The reading at B = 2 is checked too, so the case cannot pass by both batches reading alike.
    """
    for batch in (1, 2):
        measured, reading = layer_bytes(fused, 2, repeat, 4, 3, 4, 8, "silu", DTYPES[0], batch, seq)
        assert measured == reading, f"B={batch}"


@pytest.mark.parametrize("batch, seq", [(1, 1), (1, 5), (1, 64), (1, 128), (1, 130), (2, 1), (3, 1), (2, 128)])
@pytest.mark.parametrize("dtype", DTYPES, ids=["fp32", "bf16"])
@pytest.mark.parametrize("fused", [False, True], ids=["qwen3_5", "qwen3_next"])
def test_one_value_head(fused, dtype, batch, seq):
    """H_lk = H_lv = 1: in fp32 one sequence (or one token) makes the rule's padded output a view the norm keeps."""
    measured, reading = layer_bytes(fused, 1, 1, 3, 2, 3, 8, "silu", dtype, batch, seq)
    assert measured == reading


@pytest.mark.parametrize("key_dim, value_dim", [(1, 1), (1, 3), (3, 1)])
@pytest.mark.parametrize("key_heads, repeat", [(1, 1), (2, 1), (1, 2)])
def test_head_sizes_of_one(key_heads, repeat, key_dim, value_dim):
    """d_k = 1 or d_v = 1 in fp32: unrepeated keys of one element take views; so do one head's outputs of one."""
    for batch, seq in ((1, 1), (1, 65), (2, 1), (2, 128)):
        measured, reading = layer_bytes(False, key_heads, repeat, key_dim, value_dim, 2, 3, "silu", DTYPES[0],
                                        batch, seq)
        assert measured == reading, f"B={batch} T={seq}"


@pytest.mark.parametrize("key_heads, repeat", [(1, 2), (1, 3), (2, 2)])
@pytest.mark.parametrize("fused", [False, True], ids=["qwen3_5", "qwen3_next"])
def test_one_token_of_one_sequence_with_repeated_heads(fused, key_heads, repeat):
    """B = T = 1 in fp32: with Qwen3-Next's fused projection and one key head, z is a view of the whole output."""
    measured, reading = layer_bytes(fused, key_heads, repeat, 5, 4, 2, 6, "silu", DTYPES[0], 1, 1)
    assert measured == reading


def _small(config: dict) -> bool:
    return FAMILIES.from_dict(dict(config)).total <= 2_000_000


@pytest.mark.parametrize("model_type", TYPES)
@settings(max_examples=4, deadline=None, phases=NO_SHRINK,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data(), st.sampled_from(DTYPES), st.sampled_from(["eager", "sdpa"]), st.integers(1, 3),
       st.sampled_from(LENGTHS))
def test_drawn_hybrids_save_what_the_reading_says(model_type, data, dtype, attention, batch, seq):
    """Drawn configs of each family: DeltaNet and gated attention layers, dense and MoE feed-forwards."""
    config = data.draw(CONFIGS[model_type], label="config")
    assume(_small(config))
    try:
        check(config, attention, dtype, batch, seq)
    except RuntimeError as err:  # grouped-mm experts want rows of whole 16-byte units
        assert "16 bytes" in str(err)
        assume(False)


def _cut_down(name: str) -> dict:
    """A real fixture with its sizes cut down; its flags, activation, rope parameters and head ratios kept."""
    config = json.loads((FIXTURES / f"{name}.json").read_text())
    ratio = config["linear_num_value_heads"] // config["linear_num_key_heads"]
    config.update(hidden_size=16, num_attention_heads=2, num_key_value_heads=1, head_dim=16, vocab_size=61,
                  linear_num_key_heads=2, linear_num_value_heads=2 * ratio, linear_key_head_dim=4,
                  linear_value_head_dim=3, num_hidden_layers=4)
    if "layer_types" in config:
        config["layer_types"] = config["layer_types"][:4]
    if "intermediate_size" in config:
        config["intermediate_size"] = 12
    if "num_experts" in config:
        config.update(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=8, shared_expert_intermediate_size=8)
    return config


# Each fixture under two of the four settings (dtype, kernel), each family under all four.
SETTINGS = [("eager", DTYPES[0]), ("sdpa", DTYPES[1]), ("sdpa", DTYPES[0]), ("eager", DTYPES[1])]


@pytest.mark.sampled
@pytest.mark.parametrize("name, attention, dtype", [
    (name, *SETTINGS[2 * (i % 2) + j]) for i, name in enumerate(REAL) for j in range(2)])
def test_real_configs_cut_down_save_what_the_reading_says(name, attention, dtype):
    """Each real fixture cut down, over two chunks of which the last is partial (T = 70)."""
    check(_cut_down(name), attention, dtype, batch=2, seq=70)


@pytest.mark.parametrize("name", REAL)
def test_cuda_kernels_refuse_in_one_line_with_the_reason(name):
    """The default kernel is flash-linear-attention's, which keeps other tensors and is not measured here."""
    spec = FAMILIES.from_dict(json.loads((FIXTURES / f"{name}.json").read_text()))
    with pytest.raises(SymparamsError) as err:
        memory(spec, seq=1024)
    text = str(err.value)
    assert "\n" not in text and "Gated DeltaNet layers under the CUDA kernels" in text and "--ssm-kernel torch" in text
    assert memory(spec, seq=1024, ssm_kernel="torch").activation_bytes > 0


def test_the_command_line_reads_the_torch_fallback(capsys):
    """--ssm-kernel torch gives the reading; lengths that are not whole chunks cost what their padding says."""
    path = str(FIXTURES / "qwen3.5-9b-text.json")
    spec = FAMILIES.from_dict(json.loads(Path(path).read_text()))
    for seq in (4000, 4096):
        assert main(["memory", path, "--seq", str(seq), "--ssm-kernel", "torch", "--format", "json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["activation_bytes"] == memory(spec, seq=seq, ssm_kernel="torch").activation_bytes
    # 4000 tokens are padded to 4096 in the DeltaNet layers, so they keep more than 4000/4096 of 4096's figure
    small, whole = (memory(spec, seq=s, ssm_kernel="torch").activation_bytes for s in (4000, 4096))
    assert small * 4096 > whole * 4000


@pytest.mark.parametrize("name, dtype", [("qwen3-next-80b-a3b-instruct", DTYPES[0]), ("qwen3.5-9b-text", DTYPES[1]),
                                         ("qwen3.5-35b-a3b-text", DTYPES[0])], ids=["next-fp32", "3.5-bf16", "moe-fp32"])
def test_selective_recomputation_keeps_the_deltanet_layers(name, dtype, monkeypatch):
    """Eager attention's core checkpointed (Megatron-LM's ``core_attn``): the DeltaNet layers keep what they kept.

    The checkpoint keeps the core's inputs, keys and values before ``repeat_kv`` (H_kv heads)
    and the causal mask, B x 1 x T x T in the activation dtype, one tensor all layers share,
    as the selective reading has it: what is measured is the reading.
    """
    torch_dtype, width = dtype
    batch, seq = 2, 70
    config = _cut_down(name)
    checkpoint_core(monkeypatch, config["model_type"].removesuffix("_text"))
    measured = model_bytes(config, "eager", torch_dtype, batch, seq)
    reading = predicted(config, batch, seq, Saving(width=width, attention="eager", ssm_kernel="torch",
                                                   recompute="selective"))
    assert measured == reading


@pytest.mark.sampled
@pytest.mark.parametrize("attention", ["eager", "sdpa"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["fp32", "bf16"])
@pytest.mark.parametrize("name", ["qwen3-next-80b-a3b-instruct", "qwen3.5-9b-text", "qwen3.5-35b-a3b-text"])
def test_full_recomputation_keeps_each_layers_input(name, dtype, attention):
    """transformers' gradient checkpointing of each decoder layer, DeltaNet and full-attention layers alike.

    Each layer keeps its input only. Not seen by the hooks, and left out as in
    tests/test_activations_ssm.py: the working set of the layer recomputed in the backward
    pass (the reading adds the largest layer's) and the rotary tables, which the checkpoint
    keeps alive as arguments rather than as saved tensors. Over two chunks, the last partial.
    """
    from symparams.components.composite import working_set

    torch_dtype, width = dtype
    batch, seq = 2, 70
    config = _cut_down(name)
    spec = FAMILIES.from_dict(dict(config))
    model = build(config, attention, torch_dtype)
    model.config.use_cache = False
    model.train()
    model.gradient_checkpointing_enable()
    torch.manual_seed(0)
    ids = torch.randint(0, model.config.get_text_config().vocab_size, (batch, seq))
    measured = saved_bytes(lambda: model(input_ids=ids, labels=ids).loss, model.parameters())
    saving = Saving(width=width, attention=attention, recompute="full", ssm_kernel="torch")
    at = {B: batch, T: seq}
    full = spec.value(spec.tree.activation_bytes(T, saving), at)
    working = spec.value(working_set(spec.tree.children(), T, saving), at)
    tables = spec.value(spec.tree.shared_activation(T, saving), at)
    assert working > 0 and measured + tables == full - working
