"""Memory: bytes by kind, optimizers by tensor shape, KV caches of every kind, limits, parallel layouts, refusals.

Expected figures come from sources that share nothing with the tree: the hand-written
nanochat shapes of ``oracle.py``, the byte widths and optimizer rules written out here
from their papers and libraries, and (where torch is installed) transformers' models on
the meta device.
"""

from __future__ import annotations

import json
from math import ceil, prod

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams import SymparamsError, model
from symparams.cli import main
from symparams.memory import (
    DTYPES,
    KV_DTYPES,
    OPTIMIZERS,
    kv_bytes_per_token,
    kv_state_bytes,
    max_batch,
    max_context,
    memory,
    parse_bytes,
)
from symparams.parallel import Parallel, split
from symparams.symbols import B, T

from oracle import nanochat_count, nanochat_shapes
from strategies import CONFIGS, nanochat_configs, spec_of

BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": sympy.Rational(1, 2)}
TRAIN = ["fp32", "bf16", "fp16"]


# ---- optimizer state, tensor by tensor, from the oracle's shapes ---------------------------

def _expected_state(c, optimizer: str) -> int:
    """The optimizer's state for nanochat, from the oracle's shapes and each optimizer's published rule."""
    total = 0
    for name, shape in nanochat_shapes(c):
        n = prod(shape)
        matrix = len(shape) == 2
        if optimizer in ("adamw", "mixed-adamw"):
            total += 8 * n
        elif optimizer == "sgd-momentum":
            total += 4 * n
        elif optimizer == "none":
            pass
        elif optimizer == "adafactor":  # transformers' Adafactor: row and column means of a matrix
            total += 4 * (shape[0] + shape[1]) if matrix else 4 * n
        elif optimizer == "muon":  # nanochat: Muon for the blocks' matrices, AdamW for wte, lm_head and vectors
            total += 4 * n if matrix and name.startswith("h.") else 8 * n
        elif optimizer == "adamw-8bit":  # bitsandbytes: uint8 states + fp32 absmax per 256; fp32 under 4096
            total += 8 * n if n < 4096 else 2 * n + 2 * 4 * ceil(n / 256)
    return total


@settings(max_examples=40)
@given(nanochat_configs(max_width=512), st.sampled_from(list(OPTIMIZERS)), st.sampled_from(TRAIN))
def test_optimizer_state_follows_each_tensor(c, optimizer, dtype):
    """Each optimizer's bytes, tensor by tensor: Adafactor's rows + columns, Muon's split, 8-bit's blocks."""
    if optimizer == "mixed-adamw" and dtype == "fp32":
        with pytest.raises(SymparamsError, match="fp32 master"):
            memory(spec_of(c), dtype, optimizer)
        return
    m = memory(spec_of(c), dtype, optimizer)
    master = 4 * nanochat_count(c) if optimizer == "mixed-adamw" else 0
    assert m.optimizer_bytes == _expected_state(c, optimizer) + master
    assert m.master_bytes == master
    assert m.formulas["optimizer"].xreplace(spec_of(c).env) == m.optimizer_bytes or optimizer == "adamw-8bit"


@settings(max_examples=60)
@given(nanochat_configs())
def test_default_training_is_mixed_precision_adamw_at_sixteen_bytes_per_parameter(c):
    """ZeRO (Rajbhandari et al. 2020): bf16 weights 2 + grads 2 + fp32 master 4 + two fp32 moments 8 = 16 bytes."""
    m = memory(spec_of(c))
    assert m.optimizer == "mixed-adamw" and m.master_weights
    assert m.params == nanochat_count(c)
    assert (m.weights_bytes, m.gradients_bytes, m.master_bytes, m.optimizer_bytes) == (
        2 * m.params, 2 * m.params, 4 * m.params, 12 * m.params)
    assert m.total_bytes == 16 * m.params and m.activation_bytes is None


@pytest.mark.parametrize("optimizer", [o for o in OPTIMIZERS if o != "mixed-adamw"])
def test_scalar_parameters_take_each_optimizer(optimizer):
    """nanochat-2026's per-layer scalars are tensors of one value: AdamW's under Muon, fp32 states under 8-bit AdamW."""
    spec = model("nanochat-2026")
    m = memory(spec, "fp32", optimizer)
    assert m.optimizer_bytes > 0 or optimizer == "none"
    assert m.formulas["optimizer"].xreplace(spec.env) == m.optimizer_bytes or optimizer == "adamw-8bit"


def test_the_command_line_says_the_default_optimizer(capsys):
    assert main(["memory", "nanochat", "--depth", "4"]) == 0
    out = capsys.readouterr().out
    assert "mixed-adamw" in out and "16 bytes per parameter" in out and "fp32 master copy" in out
    assert "two fp32 moments" in out


@settings(max_examples=60)
@given(nanochat_configs(), st.sampled_from(list(DTYPES)), st.sampled_from(["adamw", "sgd-momentum", "none"]),
       st.booleans())
def test_each_kind_is_parameters_times_its_byte_width(c, dtype, optimizer, training):
    """Weights N*w, gradients N*w (training), fp32 states; int4 rounds up to whole bytes; no KV without a context.
    Inference keeps no optimizer state, and naming an optimizer for it is refused, not ignored."""
    n, w = nanochat_count(c), BYTES[dtype]
    if training and dtype not in TRAIN:
        with pytest.raises(SymparamsError, match="training with"):
            memory(spec_of(c), dtype, optimizer, training=training)
        return
    if not training:
        with pytest.raises(SymparamsError, match="applies to training"):
            memory(spec_of(c), dtype, optimizer, training=training)
    m = memory(spec_of(c), dtype, optimizer if training else None, training=training)
    k = {"adamw": 2, "sgd-momentum": 1, "none": 0}[optimizer] if training else 0
    assert m.weights_bytes == ceil(n * w)
    assert m.gradients_bytes == (ceil(n * w) if training else 0)
    assert m.optimizer_bytes == n * k * 4
    assert m.master_bytes == m.kv_cache_bytes == 0


# ---- the KV cache ----------------------------------------------------------------------------

@settings(max_examples=60)
@given(nanochat_configs(), st.sampled_from(KV_DTYPES), st.integers(1, 100_000), st.integers(1, 64))
def test_kv_cache_is_two_l_hkv_dh_t_b_bytes(c, kv_dtype, seq, batch):
    """KV cache = 2 * L * H_kv * d_h * T * B * bytes, with the oracle's sizes, fp8 and int8 caches included."""
    got = memory(spec_of(c), "bf16", seq=seq, batch=batch, training=False, kv_dtype=kv_dtype).kv_cache_bytes
    assert got == 2 * c.layers * c.kv_heads * c.head_dim * seq * batch * BYTES[kv_dtype]


@settings(max_examples=60)
@given(nanochat_configs(), st.data())
def test_kv_cache_follows_kv_heads_and_ignores_query_heads(c, data):
    """With d_h (and F) held, changing H (H_kv fixed) leaves the cache alone; it is proportional to H_kv."""
    spec = spec_of(c).with_values(d_h=c.head_dim, F=c.hidden)
    per_kv_head = kv_bytes_per_token(spec, "fp32") // c.kv_heads
    assert per_kv_head * c.kv_heads == kv_bytes_per_token(spec, "fp32")
    multiple = data.draw(st.integers(1, 8))
    heads = c.kv_heads * multiple
    wider = spec.with_values(H=heads, D=heads * c.head_dim)
    assert kv_bytes_per_token(wider, "fp32") == kv_bytes_per_token(spec, "fp32")
    kv = data.draw(st.sampled_from([d for d in range(1, c.heads + 1) if c.heads % d == 0]))
    assert kv_bytes_per_token(spec.with_values(H_kv=kv), "fp32") == per_kv_head * kv


@settings(max_examples=30)
@given(nanochat_configs(max_width=1024), st.integers(1, 4096), st.integers(1, 8))
def test_training_keeps_no_kv_cache(c, seq, batch):
    m = memory(spec_of(c), seq=seq, batch=batch)
    assert m.kv_cache_bytes == 0 and m.activation_bytes > 0
    assert m.total_bytes == m.weights_bytes + m.gradients_bytes + m.optimizer_bytes + m.activation_bytes


def test_int4_weights_with_an_int4_cache_are_refused():
    with pytest.raises(SymparamsError, match="KV cache in int4"):
        memory(model("llama-2-7b"), "int4", training=False, seq=16, kv_dtype="int4")
    m = memory(model("llama-2-7b"), "int4", training=False, seq=16)
    assert m.kv_dtype == "bf16" and m.weights_bytes == model("llama-2-7b").total // 2


def _as_transformers_caches(config: dict) -> dict:
    """A config whose layers need what transformers' cache keeps for ``config``: Falcon's new decoder architecture
    with a key/value head per query head, GPT-Neo with every layer global."""
    if config["model_type"] == "falcon":
        if not config.get("new_decoder_architecture"):
            return config
        return {**config, "num_kv_heads": config["num_attention_heads"]}
    layers = config.get("num_layers", config.get("num_hidden_layers"))
    return {**{k: v for k, v in config.items() if k not in ("attention_layers", "attention_types")},
            "attention_types": [[["global"], layers]]}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["falcon", "gpt_neo"]).flatmap(lambda t: CONFIGS[t]), st.integers(1, 300),
       st.integers(1, 4), st.sampled_from(KV_DTYPES))
def test_where_transformers_caches_more_it_is_said_with_the_bytes_of_the_config_that_needs_that(config, seq, batch,
                                                                                               kv_dtype):
    """Where transformers' cache keeps more than the layers need, the reading gives that cache's bytes and warns; the
    bytes are those a config whose layers need what transformers keeps is read to need; elsewhere it says nothing."""
    from symparams.families import from_dict

    m = memory(from_dict(config), "bf16", training=False, seq=seq, batch=batch, kv_dtype=kv_dtype)
    theirs = memory(from_dict(_as_transformers_caches(config)), "bf16", training=False, seq=seq, batch=batch,
                    kv_dtype=kv_dtype).kv_cache_bytes
    if theirs == m.kv_cache_bytes:
        assert m.transformers_kv_cache_bytes is None
        assert not any("transformers'" in w for w in m.warnings)
    else:
        assert m.kv_cache_bytes < theirs == m.transformers_kv_cache_bytes
        assert any(f"holds {theirs:,} bytes" in w and f"the {m.kv_cache_bytes:,} its layers need" in w
                   for w in m.warnings)
    assert json.loads(json.dumps(m.to_json()))["transformers_kv_cache_bytes"] == m.transformers_kv_cache_bytes
    training = memory(from_dict(config), "bf16", training=True, seq=seq, batch=batch)
    assert training.transformers_kv_cache_bytes is None


def test_llama_2_7b_caches_524288_bytes_per_token_in_bf16():
    """Llama-2-7b (32 layers, 32 KV heads of 128) in bf16: 2 * 32 * 32 * 128 * 2 = 524,288 bytes per token."""
    spec = model("llama-2-7b")
    assert kv_bytes_per_token(spec, "bf16") == 524_288
    assert memory(spec, "bf16", seq=4096, batch=2, training=False).kv_cache_bytes == 524_288 * 4096 * 2
    assert memory(spec, "bf16", seq=4096, training=False, kv_dtype="fp8").kv_cache_bytes == 524_288 * 4096 // 2


def _deepseek_v3_like() -> dict:
    """A DeepSeek-V3-shaped config, small: MLA with kv_lora_rank 64 and a rotary key of 16."""
    return {"model_type": "deepseek_v3", "vocab_size": 1000, "hidden_size": 256, "intermediate_size": 512,
            "moe_intermediate_size": 64, "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 8,
            "n_routed_experts": 8, "n_shared_experts": 1, "num_experts_per_tok": 2, "first_k_dense_replace": 1,
            "q_lora_rank": 96, "kv_lora_rank": 64, "qk_nope_head_dim": 32, "qk_rope_head_dim": 16,
            "v_head_dim": 32, "n_group": 1, "topk_group": 1}


def test_latent_attention_caches_its_latent_and_rotary_key():
    """MLA keeps kv_lora_rank + qk_rope_head_dim values per token and layer (DeepSeek-V2, section 2.1)."""
    from symparams.families import FAMILIES

    spec = FAMILIES.from_dict(_deepseek_v3_like())
    assert kv_bytes_per_token(spec, "bf16") == 4 * (64 + 16) * 2
    assert kv_state_bytes(spec) == 0


def _mamba() -> dict:
    return {"model_type": "mamba", "vocab_size": 1000, "hidden_size": 64, "state_size": 16, "num_hidden_layers": 3,
            "expand": 2, "conv_kernel": 4}


@pytest.mark.parametrize("seq", [1, 100, 10_000])
def test_a_state_space_model_keeps_a_constant_state_per_sequence(seq, capsys):
    """Mamba keeps conv_kernel inputs per channel and a d_in x N_s state per layer, whatever T: per sequence."""
    from symparams.families import FAMILIES

    spec = FAMILIES.from_dict(_mamba())
    inner = 2 * 64
    per_sequence = 3 * (inner * 4 + inner * 16) * 2
    m = memory(spec, training=False, seq=seq, batch=3)
    assert m.kv_cache_bytes == m.kv_state_bytes == 3 * per_sequence
    assert kv_bytes_per_token(spec) == 0
    with pytest.raises(SymparamsError, match="not limited by memory"):
        max_context(spec, "1GB", training=False)


WINDOWED = {"starcoder2": {}, "phi3": {}, "ministral": {}, "gemma2": {}, "gemma3_text": {}, "cohere2": {},
            "olmo3": {}, "smollm3": {}, "exaone4": {}, "vaultgemma": {}, "phimoe": {"num_local_experts": 2},
            "gpt_oss": {"num_local_experts": 4, "num_experts_per_tok": 2},
            "qwen3": {"use_sliding_window": True, "max_window_layers": 2},
            "qwen2_moe": {"use_sliding_window": True, "max_window_layers": 2},
            "mistral": {}, "mixtral": {"num_local_experts": 2},
            "qwen2": {"use_sliding_window": True, "max_window_layers": 2}}


def _windowed(model_type: str, extra: dict) -> dict:
    return {"model_type": model_type, "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
            "head_dim": 16, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
            "sliding_window": 8, "pad_token_id": 0, **extra}


@pytest.mark.sampled
@pytest.mark.parametrize("model_type, extra", WINDOWED.items())
def test_a_sliding_window_caps_the_cache_as_transformers_allocates_it(model_type, extra):
    """A windowed layer's cache at context T is min(T, W) tokens: what the layer attends over at that step.

    That is what transformers allocates: ``StaticCache`` gives a sliding layer
    min(max_cache_len, W) rows; ``DynamicCache`` keeps the last W - 1 tokens between steps,
    but as a view of the step's concatenation of W, so the storage of W tokens stays alive
    (logically one token fewer per windowed layer, in memory the same). Both are measured
    here, by storage, against the reading, at contexts below, at and past the window.
    """
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[verify]')")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    import logging
    import warnings

    from symparams.families import FAMILIES

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    cfg = _windowed(model_type, extra)
    spec = FAMILIES.from_dict(cfg)
    torch.manual_seed(0)
    net = transformers.AutoModelForCausalLM.from_config(transformers.AutoConfig.for_model(**cfg)).to(torch.bfloat16)
    net.eval()

    def held(cache) -> int:
        return sum(t.untyped_storage().nbytes() for layer in cache.layers for t in (layer.keys, layer.values)
                   if t is not None and t.numel())

    for seq in (5, 8, 9, 20):
        static = transformers.StaticCache(config=net.config, max_cache_len=seq)
        with torch.no_grad():
            net(input_ids=torch.randint(0, 1000, (1, seq)), past_key_values=static, use_cache=True)
        assert held(static) == memory(spec, training=False, seq=seq).kv_cache_bytes, seq
    with torch.no_grad():
        cache = net(input_ids=torch.randint(0, 1000, (1, 5)), use_cache=True).past_key_values
        for seq in range(6, 11):  # decoding one token at a time, through the window's edge
            cache = net(input_ids=torch.randint(0, 1000, (1, 1)), past_key_values=cache, use_cache=True).past_key_values
            assert held(cache) == memory(spec, training=False, seq=seq).kv_cache_bytes, seq


def _drawn_windowed(model_type: str):
    """Small windowed configs of a family that has one window for its sliding layers (kept small to run)."""
    from strategies.existing import rms_configs

    return rms_configs(model_type, windowed=True).map(lambda c: {
        **{k: v for k, v in c.items() if k not in ("num_local_experts", "num_experts", "num_experts_per_tok")},
        "vocab_size": 64, "intermediate_size": 8, **({"num_local_experts": 2, "num_experts_per_tok": 1}
                                                     if model_type == "mixtral" else {})})


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["mistral", "mixtral", "qwen2"]).flatmap(_drawn_windowed), st.integers(1, 16))
def test_a_drawn_window_caps_the_cache_as_static_cache_allocates_it(cfg, seq):
    """Any window, any layer listing, any max_window_layers: the reading at T is what StaticCache allocates at T."""
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[verify]')")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    import logging
    import warnings

    from symparams.families import FAMILIES

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    spec = FAMILIES.from_dict(cfg)
    torch.manual_seed(0)
    # eager experts: the grouped matmul kernel wants 16-byte strides, which sizes this small rarely give
    net = transformers.AutoModelForCausalLM.from_config(transformers.AutoConfig.for_model(**cfg),
                                                        experts_implementation="eager").to(torch.bfloat16)
    static = transformers.StaticCache(config=net.config, max_cache_len=seq)
    with torch.no_grad():
        net(input_ids=torch.randint(0, 64, (1, seq)), past_key_values=static, use_cache=True)
    held = sum(t.untyped_storage().nbytes() for layer in static.layers for t in (layer.keys, layer.values))
    assert held == memory(spec, training=False, seq=seq).kv_cache_bytes, cfg


@pytest.mark.parametrize("config", ["mamba-130m-hf", "mamba2-130m-hf", "qwen3.5-9b-text", "zamba2-1.2b",
                                    "gpt-oss-20b"])
def test_activations_a_model_cannot_be_read_for_are_refused_with_the_reason(config, capsys):
    """One line, exit 2, saying what is not modelled, why, and what can be had without --seq; inference still reads."""
    from pathlib import Path

    path = str(Path(__file__).parent / "fixtures" / "configs" / f"{config}.json")
    assert main(["memory", path, "--seq", "1024"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "activation memory is not modelled for" in err
    what = err.split("not modelled for ", 1)[1]
    assert ": " in what and "without a context" in err, err
    assert main(["memory", path, "--inference", "--seq", "1024"]) == 0


# ---- activations in the totals, closed forms ---------------------------------------------------

@settings(max_examples=40)
@given(nanochat_configs(max_width=1024), st.sampled_from(TRAIN), st.integers(1, 10_000), st.integers(1, 32),
       st.sampled_from(["eager", "sdpa"]), st.sampled_from(["none", "selective", "full"]))
def test_each_formula_evaluates_to_its_figure(c, dtype, seq, batch, attention, recompute):
    """Every closed form under ``formulas``, at the model's values and T, B, equals its exact figure."""
    spec = spec_of(c)
    m = memory(spec, dtype, "adamw" if dtype == "fp32" else "mixed-adamw", seq=seq, batch=batch,
               attention=attention, recompute=recompute)
    at = {**spec.env, T: seq, B: batch}
    for kind in ("weights", "gradients", "optimizer", "activation", "kv_cache"):
        assert m.formulas[kind].xreplace(at) == (getattr(m, f"{kind}_bytes") or 0), kind
    assert m.formula.xreplace(at) == m.total_bytes == m.per_gpu_bytes
    assert m.formulas["per_gpu"].xreplace(at) == m.per_gpu_bytes


def test_json_has_every_kind_and_its_formula(capsys):
    assert main(["memory", "nanochat", "--depth", "20", "--seq", "2048", "--batch", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    m = memory(model("nanochat", depth=20), seq=2048, batch=4)
    for key in ("weights_bytes", "gradients_bytes", "optimizer_bytes", "activation_bytes", "kv_cache_bytes",
                "total_bytes", "per_gpu_bytes"):
        assert out[key] == getattr(m, key)
        assert key in out["formulas"]
    assert out["optimizer"] == "mixed-adamw" and out["attention"] == "sdpa" and out["context_exceeded"] is False


# ---- the model's own context -------------------------------------------------------------------

def test_a_context_beyond_the_models_own_is_warned_about_never_capped(capsys):
    """Llama-2-7b's limit is 4,096 tokens: 126,882 fit on an 80 GB card, said with a warning and a JSON field."""
    llama = model("llama-2-7b")
    t = max_context(llama, "80GB", training=False)
    assert t == 126_882
    m = memory(llama, training=False, seq=t)
    assert m.context_exceeded and m.model_context == 4096 and "4,096" in m.warnings[0]
    assert main(["memory", "llama-2-7b", "--inference", "--budget", "80GB", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["max_context"] == 126_882 and out["context_exceeded"] is True and out["model_context"] == 4096
    assert captured.err.count("\n") == 1 and "warning" in captured.err and "126,882" in captured.err
    assert main(["memory", "llama-2-7b", "--inference", "--seq", "4096", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["context_exceeded"] is False and captured.err == ""


# ---- limits ------------------------------------------------------------------------------------

@settings(max_examples=40)
@given(nanochat_configs(max_width=2048), st.integers(1, 10**4), st.booleans(), st.sampled_from(["eager", "sdpa"]))
def test_longest_context_fits_and_one_more_token_does_not(c, headroom_mb, inference, attention):
    """Exact for the KV cache (inference) and for activations (training), eager's T^2 included."""
    spec = spec_of(c)
    opts = dict(training=not inference, attention=attention)
    fixed = memory(spec, **opts).total_bytes
    budget = fixed + headroom_mb * 10**6
    if memory(spec, seq=1, **opts).total_bytes > budget:
        with pytest.raises(SymparamsError):
            max_context(spec, budget, **opts)
        return
    t = max_context(spec, budget, **opts)
    assert memory(spec, seq=t, **opts).total_bytes <= budget
    assert memory(spec, seq=t + 1, **opts).total_bytes > budget


@settings(max_examples=40)
@given(nanochat_configs(max_width=2048), st.integers(1, 4096), st.integers(1, 10**4), st.booleans())
def test_largest_batch_fits_and_one_more_sequence_does_not(c, seq, headroom_mb, inference):
    spec = spec_of(c)
    opts = dict(training=not inference)
    budget = memory(spec, **opts).total_bytes + headroom_mb * 10**6
    if memory(spec, seq=seq, **opts).total_bytes > budget:
        return
    b = max_batch(spec, budget, seq, **opts)
    assert memory(spec, seq=seq, batch=b, **opts).total_bytes <= budget
    assert memory(spec, seq=seq, batch=b + 1, **opts).total_bytes > budget


def test_a_budget_below_the_weights_is_refused():
    with pytest.raises(SymparamsError, match="over the budget"):
        max_context(model("nanochat", depth=20), "1GB")


def test_cli_solves_for_context_and_batch_within_a_budget(capsys):
    d20 = model("nanochat", depth=20)
    assert main(["memory", "nanochat", "--inference", "--budget", "24GiB", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["max_context"] == max_context(d20, 24 * 2**30, training=False) and out["fits"]
    assert main(["memory", "nanochat", "--inference", "--seq", "2048", "--budget", "24GiB", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["max_batch"] == max_batch(d20, 24 * 2**30, 2048, training=False)
    assert main(["memory", "nanochat", "--budget", "80GB", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["max_context"] == max_context(d20, 80 * 10**9, attention="sdpa") and out["activation_bytes"] > 0


# ---- parallel layouts --------------------------------------------------------------------------

def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def layouts(draw):
    c = draw(nanochat_configs(max_width=1024))
    spec = spec_of(c)
    tp = draw(st.sampled_from([d for d in _divisors(c.kv_heads) if all(
        spec.value(sympy.Mul(*sh)) % d == 0 for _, _, n in spec.tree.walk() if not n.children()
        for sh in n.tensor_shapes() if len(sh) >= 2)]))
    pp = draw(st.sampled_from(_divisors(c.layers)))
    dp = draw(st.integers(1, 8))
    return c, spec, Parallel(tp=tp, pp=pp, dp=dp, zero=draw(st.integers(0, 3)))


@settings(max_examples=40)
@given(layouts())
def test_the_parts_over_all_gpus_add_up_to_the_whole(layout):
    """Pipeline stages partition the parameters; tensor-parallel shards and whole vectors rebuild each stage."""
    c, spec, p = layout
    m = memory(spec, parallel=p)
    shares = m.parallel.shares(spec)
    assert len(shares) == p.pp
    assert sum(s.stored() for s in shares) == nanochat_count(c)
    for s in shares:
        assert p.tp * s.held(p) - (p.tp - 1) * s.whole == s.stored()


@settings(max_examples=40)
@given(nanochat_configs(max_width=1024), st.integers(1, 16), st.sampled_from([0, 1, 2, 3]))
def test_zero_divides_each_state_by_dp(c, dp, stage):
    """ZeRO stage 1 splits optimizer state, 2 gradients too, 3 weights too: each GPU holds ceil(1/dp) of each."""
    spec = spec_of(c)
    whole = memory(spec)
    m = memory(spec, parallel=Parallel(dp=dp, zero=stage))
    w, g, o = whole.weights_bytes, whole.gradients_bytes, whole.optimizer_bytes
    expected = ((-(-w // dp) if stage >= 3 else w) + (-(-g // dp) if stage >= 2 else g)
                + (-(-o // dp) if stage >= 1 else o))
    assert m.per_gpu_bytes == expected
    if stage == 3 and (16 * nanochat_count(c)) % dp == 0 and all(x % dp == 0 for x in (w, g, o)):
        assert m.per_gpu_bytes * dp == whole.total_bytes
    assert sum(split(o, dp)) == o and max(split(o, dp)) == -(-o // dp)


def test_tensor_and_sequence_parallelism_split_activations():
    """Korthikanti et al.: tensor parallelism splits what heads and hidden sizes carry; with sp, everything."""
    spec = model("llama-2-7b")
    one = memory(spec, seq=2048, attention="sdpa", recompute="none")
    tp = memory(spec, seq=2048, parallel=Parallel(tp=8))
    sp = memory(spec, seq=2048, parallel=Parallel(tp=8, sp=True))
    assert sp.per_gpu_bytes < tp.per_gpu_bytes < one.per_gpu_bytes


def test_the_first_pipeline_stage_holds_pp_microbatches_in_flight():
    spec = model("llama-2-7b")
    m = memory(spec, seq=1024, batch=16, parallel=Parallel(pp=4, microbatch=1))
    assert m.parallel.microbatches == 16 and [m.parallel.in_flight(i) for i in range(4)] == [4, 3, 2, 1]
    assert m.per_gpu_stage == 0


@pytest.mark.parametrize("argv, reason", [
    (["--tp", "3"], "does not divide H=32"),
    (["--pp", "5"], "does not divide the 32 layers"),
    (["--ep", "2", "--dp", "2"], "no mixture-of-experts"),
    (["--ep", "2"], "does not divide --dp"),
    (["--sp"], "give --tp"),
    (["--cp", "2", "--seq", "1024", "--attention", "eager"], "flash or sdpa"),
    (["--cp", "3", "--seq", "1024"], "does not divide the context"),
    (["--microbatch", "3", "--batch", "8", "--seq", "16"], "does not divide the batch"),
    (["--inference", "--zero", "1"], "does not apply to --inference"),
    (["--optimizer", "adafactor", "--tp", "2"], "Adafactor"),
])
def test_layouts_that_do_not_divide_are_refused_with_the_reason(argv, reason, capsys):
    assert main(["memory", "llama-2-7b", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err


def test_experts_must_divide_over_ep(capsys):
    assert main(["memory", "mixtral-8x7b", "--ep", "3", "--dp", "3"]) == 2
    assert "does not divide the 8 experts" in capsys.readouterr().err
    assert main(["memory", "mixtral-8x7b", "--ep", "8", "--dp", "8", "--zero", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["per_gpu_bytes"] < out["total_bytes"] // 8


# ---- bad input ---------------------------------------------------------------------------------

@given(st.integers(1, 10**6), st.sampled_from([("B", 1), ("KB", 10**3), ("MB", 10**6), ("GB", 10**9), ("TB", 10**12),
                                              ("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40), ("", 1)]))
def test_sizes_parse_exactly_with_their_units(n, unit):
    name, scale = unit
    assert parse_bytes(f"{n}{name}") == n * scale
    assert parse_bytes(f"{n} {name.lower()}") == n * scale


@pytest.mark.parametrize("bad", ["", "GB", "-1GB", "0", "1.5B", "1e3XB", "__import__('os')", "1e999"])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(SymparamsError):
        parse_bytes(bad)


@pytest.mark.parametrize("budget", ["1e120", "1e61GB", "9" * 61, "2.5e999 GiB"])
def test_a_budget_too_large_to_read_is_refused_as_too_large(budget, capsys):
    """A well-formed number beyond what can be read is called too large, not "not a size"; one line, exit 2."""
    assert main(["memory", "nanochat", "--budget", budget]) == 2
    err = capsys.readouterr().err
    from symparams.config import short

    assert err.count("\n") == 1 and "too large" in err and "not a size" not in err and short(budget) in err


@pytest.mark.parametrize("budget", ["abc", "1e3XB", "1e-100", "GB"])
def test_a_budget_that_is_no_number_is_still_not_a_size(budget):
    with pytest.raises(SymparamsError, match="not a size"):
        parse_bytes(budget)


def test_unknown_dtype_and_optimizer_are_refused():
    d20 = model("nanochat", depth=20)
    with pytest.raises(SymparamsError, match="dtype"):
        memory(d20, "fp64")
    with pytest.raises(SymparamsError, match="optimizer"):
        memory(d20, "bf16", "lion")
    with pytest.raises(SymparamsError, match="8-bit"):
        memory(d20, "bf16", "adamw-8bit", state_dtype="bf16")
    with pytest.raises(SymparamsError, match="batch size"):
        memory(d20, batch=0)
    with pytest.raises(SymparamsError, match="context length"):
        memory(d20, seq=-3)


@pytest.mark.parametrize("argv", [
    ["memory", "nanochat", "--dtype", "fp64"],
    ["memory", "nanochat", "--budget", "1GB"],
    ["memory", "nanochat", "--budget", "lots"],
    ["memory", "nanochat", "--seq", "0"],
    ["memory", "nanochat", "--batch", "-2"],
    ["memory", "nanochat", "--tp", "0"],
    ["memory", "nanochat", "--zero", "4"],
    ["memory", "nanochat", "--optimizer", "lion"],
    ["memory", "nanochat", "--dtype", "int8"],
    ["memory", "nanochat", "--dtype", "fp32"],
    ["memory", "nanochat", "--kv-dtype", "fp8"],
    ["memory", "nanochat", "--inference", "--master-weights"],
    ["memory", "nanochat", "--dropout", "everywhere"],
    ["memory", "nanochat", "--inference", "--training"],
    ["memory", "nanochat", "--inference", "--optimizer", "adamw"],
    ["memory", "nanochat", "--inference", "--optimizer", "mixed-adamw"],
    ["memory", "nanochat", "--inference", "--recompute", "full"],
    ["memory", "nanochat", "--inference", "--dropout", "attention"],
    ["memory", "nanochat", "--inference", "--mask-bytes", "2"],
])
def test_cli_refuses_bad_arguments_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error" in err


MAMBA2_TYPES = {"mamba2", "bamba", "nemotron_h", "zamba2", "falcon_h1", "granitemoehybrid"}


def _mamba2_configs() -> list:
    from pathlib import Path

    from budget import sample

    paths = sorted((Path(__file__).parent / "fixtures" / "configs").glob("*.json"))
    return sample([p for p in paths if json.loads(p.read_text()).get("model_type") in MAMBA2_TYPES], "mamba2 flags")


@pytest.mark.parametrize("path", _mamba2_configs(), ids=lambda p: p.stem)
def test_every_max_of_a_mamba2_reading_is_the_one_sympy_makes(path):
    """A Mamba-2 layer's flags are kept as an unevaluated Max (``either``): evaluating it changes nothing."""
    from symparams.components.mamba import Mamba2
    from symparams.components.saving import Saving

    mixers = {node for _, _, node in model(str(path)).tree.walk() if isinstance(node, Mamba2)}
    assert mixers
    for mixer in mixers:
        for width in (2, 4):
            for node in mixer.activation_bytes(T, Saving(width=width, ssm_kernel="torch")).atoms(sympy.Max):
                assert sympy.Max(*node.args) == node
