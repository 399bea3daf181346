"""Time: training time from the FLOPs reading, inference on a roofline, the GPU table, a published figure."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from symparams import SymparamsError, model
from symparams.cli import main
from symparams.families import FAMILIES
from symparams.flops import flops
from symparams.gpus import GPUS, gpu
from symparams.timing import hardware, inference_time, training_time

from strategies import nanochat_configs, spec_of


def test_gpt3_175b_took_3640_petaflop_s_days():
    """GPT-3 (Brown et al. 2020), Table D.1: 175B, 300 billion tokens, 3.64E+03 petaflop/s-days (3.14E+23 FLOPs).

    Their count is 6*N*D, attention left out ("6n" here), with N = 174.6 billion. The GPT-3
    175B shape (96 layers of width 12,288, 96 heads, GPT-2's vocabulary of 50,257 and 2,048
    positions) counts 174,604,259,328 parameters here: 12*L*D^2 + 13*L*D (biases and
    LayerNorms) + (V + P)*D + 2*D, their 174,600M. A petaflop/s-day is what a machine at
    10^15 FLOP/s does in a day, so: one "GPU" of 10^15 FLOP/s at full utilisation, 300e9
    tokens: 6 x 174,604,259,328 x 300e9 = 3.1429e23 FLOPs, / 10^15 / 86,400 s = 3,637.6 days,
    which is 3.64E+03 to the three figures the table gives; the FLOPs are 3.14E+23 likewise.
    """
    gpt3 = FAMILIES.from_dict({"model_type": "gpt2", "vocab_size": 50257, "n_embd": 12288, "n_layer": 96,
                               "n_head": 96, "n_positions": 2048})
    assert gpt3.total == 174_604_259_328
    t = training_time(gpt3, 300 * 10**9, hardware(peak_flops=10**15, bandwidth=1), seq=2048, mfu=1,
                      convention="6n")
    assert f"{float(t.days):.2e}" == "3.64e+03"
    assert f"{t.training_flops:.2e}" == "3.14e+23"


@settings(max_examples=30)
@given(nanochat_configs(max_width=2048), st.integers(1, 10**13), st.integers(1, 4096),
       st.sampled_from(list(GPUS)), st.integers(1, 10), st.sampled_from(["palm", "6n", "exact", "kaplan"]))
def test_training_time_is_compute_over_gpus_peak_and_utilisation(c, tokens, gpus, name, tenths, convention):
    spec = spec_of(c)
    mfu = Fraction(tenths, 10)
    t = training_time(spec, tokens, hardware(gpu(name)), seq=2048, gpus=gpus, mfu=mfu, convention=convention)
    assert t.training_flops == flops(spec, 2048, convention).train * tokens
    assert t.seconds == Fraction(t.training_flops) / (gpus * GPUS[name].bf16_flops * mfu)
    assert t.gpu_hours == t.seconds * gpus / 3600 and t.days == t.seconds / 86400


def test_decode_reads_the_weights_and_the_cache_every_step():
    """Llama-2-7b in bf16 at context 4,096: 2 x 6,738,415,616 weight bytes + 524,288 x 4,096 cache bytes per step."""
    hw = hardware(gpu("h100-sxm"))
    i = inference_time(model("llama-2-7b"), hw, prompt=4096, context=4096)
    assert (i.weights_read_bytes, i.kv_read_bytes) == (2 * 6_738_415_616, 524_288 * 4096)
    assert i.decode_bound == "bandwidth" and i.prefill_bound == "compute"
    assert i.step_seconds == Fraction(2 * 6_738_415_616 + 524_288 * 4096, 3_350 * 10**9)
    assert i.decode_tokens_per_second == 1 / i.step_seconds
    eight = inference_time(model("llama-2-7b"), hw, prompt=4096, context=4096, batch=8)
    assert eight.kv_read_bytes == 8 * i.kv_read_bytes and eight.weights_read_bytes == i.weights_read_bytes
    assert eight.step_seconds == Fraction(2 * 6_738_415_616 + 8 * 524_288 * 4096, 3_350 * 10**9)
    assert eight.decode_tokens_per_second == 8 / eight.step_seconds


@settings(max_examples=20)
@given(prompt=st.integers(1, 3 * 4096), batch=st.integers(1, 8))
def test_prefill_past_a_sliding_window_is_the_whole_prompts_flops(prompt, batch):
    """Gemma-2's sliding layers meet at most their window's keys, so a prompt longer than the window has a
    fractional FLOPs average per token; the prefill figure is the prompt's own whole total, times the batch."""
    spec = model("gemma-2-2b")
    i = inference_time(spec, hardware(gpu("h100-sxm")), prompt=prompt, context=prompt, batch=batch)
    causal = flops(spec, prompt, "exact", causal=True)
    assert i.prefill_flops == causal.forward * prompt * batch == causal.forward_per_sequence * batch
    assert isinstance(i.prefill_flops, int)


def test_a_mixture_of_experts_decoding_one_sequence_reads_only_its_experts():
    """Mixtral 8x7B uses 12.9B of its 46.7B parameters per token (Mistral AI, 2023): one sequence reads those."""
    i = inference_time(model("mixtral-8x7b"), hardware(gpu("h100-sxm")), prompt=16, context=16)
    assert round(i.weights_read_bytes / 2 / 1e9, 1) == 12.9
    many = inference_time(model("mixtral-8x7b"), hardware(gpu("h100-sxm")), prompt=16, context=16, batch=4)
    assert many.weights_read_bytes == 2 * model("mixtral-8x7b").total


def test_the_gpu_table_gives_dense_figures_half_of_the_sparse_ones_it_cites():
    for g in GPUS.values():
        assert g.source and g.bf16_flops > 0 and g.bandwidth > 0 and g.memory > 0
        sparse = re.search(r"([\d,.]+) (T|P)FLOPS with sparsity", g.source)
        if sparse:
            scale = 10**12 if sparse.group(2) == "T" else 10**15
            assert Fraction(sparse.group(1).replace(",", "")) * scale == 2 * g.bf16_flops, g.name


def test_overrides_replace_the_table():
    hw = hardware(gpu("a100-80g"), peak_flops="1e15")
    assert hw.peak_flops == 10**15 and hw.bandwidth == GPUS["a100-80g"].bandwidth and "overridden" in hw.source


def test_json_has_the_figures_and_the_inputs(capsys):
    assert main(["time", "nanochat", "--depth", "20", "--tokens", "11.22e9", "--gpu", "h100-sxm", "--gpus", "8",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("training_seconds", "training_days", "gpu_hours", "prefill_seconds", "decode_tokens_per_second",
                "tokens", "gpu", "gpus", "mfu", "peak_flops", "bandwidth", "seq", "convention", "flops_per_token"):
        assert key in out, key
    assert out["gpus"] == 8 and out["mfu"] == 0.4 and out["tokens"] == 11_220_000_000
    assert abs(out["training_seconds"] * 8 / 3600 - out["gpu_hours"]) < 1e-6


@pytest.mark.parametrize("argv, reason", [
    (["--gpu", "tpu-v5"], "unknown GPU"),
    (["--gpu", "h100"], "did you mean h100-sxm or h100-pcie?"),
    ([], "give --gpu"),
    (["--gpu", "h100-sxm", "--tokens", "0"], "positive"),
    (["--gpu", "h100-sxm", "--tokens", "-5"], "positive"),
    (["--gpu", "h100-sxm", "--tokens", "1e9", "--mfu", "1.5"], "at most 1"),
    (["--gpu", "h100-sxm", "--mfu", "0.5"], "give --tokens"),
    (["--gpu", "h100-sxm", "--gpus", "0"], "positive"),
    (["--peak-flops", "1e15"], "give --gpu"),
    (["--gpu", "h100-sxm", "--bandwidth", "-1"], "positive"),
    (["--gpu", "h100-sxm", "--kv-dtype", "int4"], "KV cache in int4"),
])
def test_bad_input_is_one_line_and_exit_2(argv, reason, capsys):
    assert main(["time", "llama-2-7b", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err


def test_a_float_utilisation_is_refused_in_python():
    with pytest.raises(SymparamsError, match="exact"):
        training_time(model("nanochat", depth=4), 10**9, hardware(gpu("h100-sxm")), seq=2048, mfu=0.4)


def test_a_context_beyond_the_models_own_is_warned_about(capsys):
    assert main(["time", "gpt2", "--gpu", "h100-sxm", "--context", "2048", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["context_exceeded"] is True
    assert captured.err.count("\n") == 1 and "n_positions" in captured.err and "1,024" in captured.err


# ---- figures at any magnitude: exact to the digits shown, or one line on exit 2 ---------------------------

def _agrees(text: str, exact: Fraction) -> bool:
    """``text`` is ``exact`` rounded to the last digit it shows, and shows no non-zero value as zero."""
    mantissa, _, exp = text.replace(",", "").partition("e")
    unit = Fraction(10) ** (int(exp or 0) - len(mantissa.partition(".")[2]))
    shown = Fraction(mantissa) * Fraction(10) ** int(exp or 0)
    return abs(shown - exact) <= unit / 2 and (shown != 0 or exact == 0)


def _magnitudes(lo: int, hi: int):
    return st.builds(lambda m, k: f"{m}e{k}", st.integers(1, 999), st.integers(lo, hi))


def _json_holds(value, exact: Fraction) -> bool:
    """A JSON figure is the float nearest the exact value where a float holds it in full, else the exact value."""
    if isinstance(value, float):
        return value == float(exact) and (value != 0 or exact == 0) and abs(value) >= 2.2250738585072014e-308
    return Fraction(value) == exact


TIME_INPUTS = dict(width=st.integers(1, 99), width_exp=st.integers(0, 48), layers=_magnitudes(0, 47),
                   tokens=_magnitudes(0, 47), peak=_magnitudes(-60, 60), bandwidth=_magnitudes(-60, 60),
                   mfu=st.builds(lambda m, k: f"{m}e{k}", st.integers(1, 9), st.integers(-60, -1)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**TIME_INPUTS)
@example(width=2, width_exp=48, layers="1e50", tokens="1e50", peak="1e-60", bandwidth="1e-60", mfu="1e-60")
@example(width=64, width_exp=0, layers="12", tokens="1e12", peak="1e-60", bandwidth="1e-60", mfu="4e-1")
@example(width=64, width_exp=0, layers="12", tokens="1e12", peak="1e60", bandwidth="1e60", mfu="4e-1")
def test_any_inputs_within_the_limits_give_figures_exact_to_their_last_digit_or_one_line_on_exit_2(
        width, width_exp, layers, tokens, peak, bandwidth, mfu, capsys):
    """Symbols up to 10^50 and hardware from 10^-60 to 10^60 make times far beyond a float's range. Every
    figure printed is then the exact time or rate rounded to the last digit it shows (no binary noise, no
    0.0 for what is not zero), JSON carries each one as its nearest float or exactly, and an input refused is
    refused in one line on exit 2 before anything is printed."""
    width = f"{12 * width}e{width_exp}"
    argv = ["time", "gpt2", "--set", f"D={width}", "--set", f"L={layers}", "--tokens", tokens,
            "--peak-flops", peak, "--bandwidth", bandwidth, "--mfu", mfu]
    code = main(argv)
    out, err = capsys.readouterr()
    if code == 2:
        assert out == "" and err.count("\n") == 1, err
        return
    assert code == 0, err
    from symparams.parse import to_exact

    spec = model("gpt2", D=to_exact(width), L=to_exact(layers))
    hw = hardware(peak_flops=peak, bandwidth=bandwidth)
    t = training_time(spec, int(to_exact(tokens)), hw, seq=1024, mfu=mfu)
    i = inference_time(spec, hw, prompt=1024, context=1024)
    head = re.search(r": (\S+) TFLOP/s dense, (\S+) TB/s each", out)
    train = re.search(r"at MFU \S+: (\S+) s(?: = (\S+) (days|h))?; (\S+) GPU-hours", out)
    fill = re.search(r"sequences: (\S+) s(?: = (\S+) (days|h))? \(", out)
    decode = re.search(r"batch 1: (\S+) tokens/s", out)
    assert head and train and fill and decode, out
    checks = [(head[1], hw.peak_flops / 10**12), (head[2], hw.bandwidth / 10**12), (train[1], t.seconds),
              (train[4], t.gpu_hours), (fill[1], i.prefill_seconds), (decode[1], i.decode_tokens_per_second)]
    for match, seconds in ((train, t.seconds), (fill, i.prefill_seconds)):
        if match[2]:
            checks.append((match[2], seconds / (86400 if match[3] == "days" else 3600)))
    for text, exact in checks:
        assert _agrees(text, exact), (text, float(exact))
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key, exact in (("training_seconds", t.seconds), ("training_days", t.days), ("gpu_hours", t.gpu_hours),
                       ("prefill_seconds", i.prefill_seconds), ("decode_step_seconds", i.step_seconds),
                       ("decode_tokens_per_second", i.decode_tokens_per_second), ("peak_flops", hw.peak_flops),
                       ("bandwidth", hw.bandwidth), ("mfu", t.mfu)):
        assert _json_holds(doc[key], exact), (key, doc[key], float(exact))


@given(st.floats(1e-300, 1e300), st.integers(0, 3), st.integers(1, 8))
def test_figures_rounded_from_the_exact_value_are_pythons_own_where_a_float_holds_it_exactly(x, places, digits):
    """A float is an exact binary fraction, which Python formats by exact rounding: the time command's own
    rounding of exact fractions gives the same text for it, at any size, in fixed decimals and in 'g' form."""
    from symparams.format import fixed, significant

    assert significant(Fraction(x), digits) == format(x, f",.{digits}g")
    if x < 1e20:
        assert fixed(Fraction(x), places) == format(x, f",.{places}f")


def test_ordinary_figures_are_printed_as_before(capsys):
    """Within a float's range and at everyday sizes, the figures are the ones the command always printed."""
    assert main(["time", "nanochat", "--depth", "20", "--tokens", "11.22e9", "--gpu", "h100-sxm", "--gpus", "8"]) == 0
    out = capsys.readouterr().out
    assert "989.5 TFLOP/s dense, 3.35 TB/s each" in out
    assert "at MFU 0.4: 12,373 s = 3.44 h; 27.5 GPU-hours" in out
    assert "sequences: 0.000274 s (compute-bound)" in out and "batch 1: 20,124.8 tokens/s" in out
    assert main(["time", "gpt2", "--tokens", "1e12", "--gpu", "h100-sxm"]) == 0
    assert "at MFU 0.4: 2,160,602 s = 25.0 days; 600.2 GPU-hours" in capsys.readouterr().out


@example(-60, -60, 50, True)
@example(60, 60, 1, False)
@given(st.integers(-60, 60), st.integers(-60, 60), st.integers(1, 50), st.booleans())
def test_a_notebooks_view_of_any_time_is_its_exact_value_rounded_never_a_float_overflow(flops_exp, bytes_exp, tokens_exp,
                                                                                      huge):
    """Hardware of 10^-60 FLOP/s at an MFU of 10^-60, training a model of 10^50 layers, takes past 10^308 s, which a
    float cannot hold: the Markdown and LaTeX a notebook shows round the exact times, as the command line does,
    whatever their size."""
    from symparams.display import _seconds
    from symparams.format import display, significant
    from symparams.timing import hardware, inference_time, training_time

    spec = model("gpt2", D=24 * 10**48, L=10**50) if huge else model("gpt2")
    hw = hardware(peak_flops=f"1e{flops_exp}", bandwidth=f"1e{bytes_exp}")
    train = training_time(spec, 10**tokens_exp, hw, seq=1024, mfu="1e-60" if huge else "0.4")
    infer = inference_time(spec, hw, prompt=64, context=128)
    for shown in (display(train, "markdown"), display(train, "latex"), display(infer, "markdown")):
        assert shown and "inf" not in shown and "nan" not in shown
    assert _seconds(train.seconds) in display(train, "markdown")
    assert significant(train.gpu_hours, 4) in display(train, "markdown")
    value, unit = _seconds(train.seconds).split(" ")
    size = {"days": 86400, "hours": 3600, "s": 1, "ms": Fraction(1, 1000)}[unit]
    assert value == significant(train.seconds / size, 3)
