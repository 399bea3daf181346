"""Memory: bytes by kind, the KV cache's dependence on H_kv, and the inverse (longest context, largest batch)."""

from __future__ import annotations

import json
from math import ceil

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle import nanochat_count
from strategies import nanochat_configs, spec_of
from symparams import SymparamsError, model
from symparams.cli import main
from symparams.memory import DTYPES, OPTIMIZERS, kv_bytes_per_token, max_batch, max_context, memory, parse_bytes
from symparams.symbols import B, T

dtypes = st.sampled_from(list(DTYPES))
BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": sympy.Rational(1, 2)}


@settings(max_examples=60)
@given(nanochat_configs(), dtypes, st.integers(1, 100_000), st.integers(1, 64))
def test_kv_cache_is_two_l_hkv_dh_t_b_bytes(c, dtype, seq, batch):
    """KV cache = 2 * L * H_kv * d_h * T * B * bytes, with the oracle's sizes."""
    got = memory(spec_of(c), dtype, seq=seq, batch=batch, training=False).kv_cache_bytes
    assert got == ceil(2 * c.layers * c.kv_heads * c.head_dim * seq * batch * BYTES[dtype])


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


@settings(max_examples=60)
@given(nanochat_configs())
def test_mixed_precision_adamw_is_sixteen_bytes_per_parameter(c):
    """ZeRO (Rajbhandari et al. 2020): fp16 weights 2 + grads 2 + fp32 master 4 + two fp32 moments 8 = 16 bytes."""
    m = memory(spec_of(c), "fp16", "adamw", master_weights=True)
    assert m.params == nanochat_count(c)
    assert (m.weights_bytes, m.gradients_bytes, m.master_bytes, m.optimizer_bytes) == (
        2 * m.params, 2 * m.params, 4 * m.params, 8 * m.params)
    assert m.total_bytes == 16 * m.params


@settings(max_examples=60)
@given(nanochat_configs(), dtypes, st.sampled_from(list(OPTIMIZERS)), st.booleans())
def test_each_kind_is_parameters_times_its_byte_width(c, dtype, optimizer, training):
    """Weights N*w, gradients N*w (training), states N*k*w; int4 rounds up to whole bytes; no KV without a context."""
    m = memory(spec_of(c), dtype, optimizer, training=training)
    n, w = nanochat_count(c), BYTES[dtype]
    k = {"adamw": 2, "sgd-momentum": 1, "none": 0}[optimizer] if training else 0
    assert m.weights_bytes == ceil(n * w)
    assert m.gradients_bytes == (ceil(n * w) if training else 0)
    assert m.optimizer_bytes == ceil(n * k * w)
    assert m.master_bytes == m.kv_cache_bytes == 0


@settings(max_examples=40)
@given(nanochat_configs(), st.sampled_from(["fp32", "bf16", "fp8"]), st.integers(1, 10_000), st.integers(1, 32), st.booleans())
def test_formula_evaluates_to_the_total(c, dtype, seq, batch, master):
    """The closed form in bytes, at the model's values and T, B, equals the exact total."""
    spec = spec_of(c)
    m = memory(spec, dtype, master_weights=master, seq=seq, batch=batch)
    assert m.formula.xreplace({**spec.env, T: seq, B: batch}) == m.total_bytes


@settings(max_examples=40)
@given(nanochat_configs(), st.integers(1, 10**4), st.booleans())
def test_longest_context_fits_and_one_more_token_does_not(c, headroom_mb, inference):
    spec = spec_of(c)
    fixed = memory(spec, "bf16", training=not inference).total_bytes
    budget = fixed + headroom_mb * 10**6
    if memory(spec, "bf16", training=not inference, seq=1).total_bytes > budget:
        with pytest.raises(SymparamsError):
            max_context(spec, budget, training=not inference)
        return
    t = max_context(spec, budget, training=not inference)
    assert memory(spec, "bf16", training=not inference, seq=t).total_bytes <= budget
    assert memory(spec, "bf16", training=not inference, seq=t + 1).total_bytes > budget


@settings(max_examples=40)
@given(nanochat_configs(), st.integers(1, 4096), st.integers(1, 10**4))
def test_largest_batch_fits_and_one_more_sequence_does_not(c, seq, headroom_mb):
    spec = spec_of(c)
    budget = memory(spec, "bf16", training=False).total_bytes + headroom_mb * 10**6
    if memory(spec, "bf16", training=False, seq=seq).total_bytes > budget:
        return
    b = max_batch(spec, budget, seq, training=False)
    assert memory(spec, "bf16", training=False, seq=seq, batch=b).total_bytes <= budget
    assert memory(spec, "bf16", training=False, seq=seq, batch=b + 1).total_bytes > budget


def test_a_budget_below_the_weights_is_refused():
    with pytest.raises(SymparamsError, match="over the budget"):
        max_context(model("nanochat", depth=20), "1GB")


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
    assert err.count("\n") == 1 and "too large" in err and "not a size" not in err and repr(budget) in err


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


def test_cli_json_has_every_kind(capsys):
    assert main(["memory", "nanochat", "--depth", "20", "--dtype", "bf16", "--optimizer", "adamw",
                 "--seq", "2048", "--batch", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    m = memory(model("nanochat", depth=20), "bf16", "adamw", seq=2048, batch=4)
    for key in ("weights_bytes", "gradients_bytes", "optimizer_bytes", "kv_cache_bytes", "total_bytes"):
        assert out[key] == getattr(m, key)


def test_cli_solves_for_context_and_batch_within_a_budget(capsys):
    d20 = model("nanochat", depth=20)
    assert main(["memory", "nanochat", "--inference", "--budget", "24GiB", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["max_context"] == max_context(d20, 24 * 2**30, training=False) and out["fits"]
    assert main(["memory", "nanochat", "--inference", "--seq", "2048", "--budget", "24GiB", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["max_batch"] == max_batch(d20, 24 * 2**30, 2048, training=False)


@pytest.mark.parametrize("argv", [
    ["memory", "nanochat", "--dtype", "fp64"],
    ["memory", "nanochat", "--budget", "1GB"],
    ["memory", "nanochat", "--budget", "lots"],
    ["memory", "nanochat", "--seq", "0"],
    ["memory", "nanochat", "--optimizer", "lion"],
])
def test_cli_refuses_bad_arguments_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error" in err


def test_llama_2_7b_caches_524288_bytes_per_token_in_bf16():
    """Llama-2-7b (32 layers, 32 KV heads of 128) in bf16: 2 * 32 * 32 * 128 * 2 = 524,288 bytes per token."""
    spec = model("llama-2-7b")
    assert kv_bytes_per_token(spec, "bf16") == 524_288
    assert memory(spec, "bf16", seq=4096, batch=2, training=False).kv_cache_bytes == 524_288 * 4096 * 2
