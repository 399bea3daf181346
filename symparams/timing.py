"""Time: training time from the FLOPs reading, and inference on a roofline.

* **Training.** C = tokens x training FLOPs per token (:func:`symparams.flops.flops`, the
  ``palm`` convention by default, as MFU is usually reported), run by K GPUs at a
  model FLOPs utilisation (MFU) of their peak: seconds = C / (K x peak x MFU). GPU-hours
  are K x seconds / 3600.
* **Prefill** of a prompt of P tokens for B sequences: its forward FLOPs (every matmul,
  and attention with causal masking skipped) against reading the weights once; the
  slower of the two on K GPUs' peak and bandwidth (a roofline: the best the hardware
  allows, no utilisation factor).
* **Decode** of one token for each of B sequences at context T: every step reads the
  weights and the B sequences' KV cache and does a forward pass of B tokens; steps take
  the longer of bytes / bandwidth and FLOPs / peak, and the throughput is B tokens per
  step. Under a mixture of experts a step reads the experts its tokens pick, at most
  min(E, B*k) per layer (taken here, the most it can read), not all E.

Every input is exact (MFU 0.4 is 2/5); times are exact fractions of seconds until printed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy import Integer

from .errors import SymparamsError
from .flops import flops
from .format import json_number
from .gpus import GPU
from .memory import DTYPES, kv_width
from .spec import Spec
from .symbols import T

__all__ = ["Hardware", "Training", "Inference", "hardware", "training_time", "inference_time"]

HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class Hardware:
    """What one accelerator does at best: dense FLOP/s and memory bandwidth (bytes/s), and where that comes from."""

    name: str
    peak_flops: Fraction
    bandwidth: Fraction
    source: str

    def to_json(self) -> dict:
        return {"gpu": self.name, "peak_flops": _number(self.peak_flops), "bandwidth": _number(self.bandwidth),
                "hardware_source": self.source}


def _positive(value: object, what: str) -> Fraction:
    from .parse import to_exact

    if isinstance(value, float):
        raise SymparamsError(f"{what} must be exact (text such as '0.4' or a Fraction), got the float {value!r}")
    number = value if isinstance(value, Fraction) else to_exact(value, what=what)
    number = Fraction(str(number)) if not isinstance(number, Fraction) else number
    if number <= 0:
        raise SymparamsError(f"{what} must be positive, got {value!r}")
    return number


def hardware(gpu: GPU | None = None, peak_flops: object = None, bandwidth: object = None) -> Hardware:
    """A table GPU, with its peak or bandwidth overridden where given; or both given outright."""
    if gpu is None and (peak_flops is None or bandwidth is None):
        raise SymparamsError("give a GPU (--gpu) or both --peak-flops and --bandwidth")
    peak = _positive(peak_flops, "peak FLOP/s") if peak_flops is not None else Fraction(gpu.bf16_flops)  # type: ignore[union-attr]
    bw = _positive(bandwidth, "bandwidth") if bandwidth is not None else Fraction(gpu.bandwidth)  # type: ignore[union-attr]
    name = gpu.name if gpu is not None else "custom"
    source = gpu.source if gpu is not None else "given"
    if gpu is not None and (peak_flops is not None or bandwidth is not None):
        source += "; overridden: " + ", ".join(w for w, v in (("peak", peak_flops), ("bandwidth", bandwidth)) if v is not None)
    return Hardware(name, peak, bw, source)


def _number(x: Fraction) -> int | float | str:
    return int(x) if x.denominator == 1 else _real(x)


def _real(x: Fraction) -> int | float | str:
    """``x`` for JSON: its nearest float where a float holds it to full precision, else the exact value.

    Times run from far below a float's smallest normal value to far beyond its largest
    (10^-60 FLOP/s hardware, 10^50-wide models), where ``float`` would raise or give a
    0.0 or a few-digit subnormal; those stay exact, an int or ``"p/q"`` as the counts are.
    """
    try:
        value = float(x)
    except OverflowError:
        return json_number(x)
    if x and abs(value) < sys.float_info.min:
        return json_number(x)
    return value


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Integer)) or value <= 0:
        raise SymparamsError(f"{what} must be a positive whole number, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Training:
    """Training time for a token budget: compute, GPUs, utilisation, seconds."""

    model: str
    tokens: int
    seq: int
    convention: str
    flops_per_token: int
    training_flops: int
    gpus: int
    mfu: Fraction
    hardware: Hardware
    seconds: Fraction

    @property
    def days(self) -> Fraction:
        return self.seconds / DAY

    @property
    def gpu_hours(self) -> Fraction:
        return self.seconds * self.gpus / HOUR

    def to_json(self) -> dict:
        return {"model": self.model, "tokens": self.tokens, "seq": self.seq, "convention": self.convention,
                "flops_per_token": self.flops_per_token, "training_flops": self.training_flops, "gpus": self.gpus,
                "mfu": _number(self.mfu), **self.hardware.to_json(),
                "training_seconds": _real(self.seconds), "training_days": _real(self.days),
                "gpu_hours": _real(self.gpu_hours)}


def training_time(spec: Spec, tokens: int, hw: Hardware, *, seq: int, gpus: int = 1, mfu: object = "0.4",
                  convention: str = "palm") -> Training:
    """Seconds to train ``spec`` on ``tokens`` tokens of context ``seq`` on ``gpus`` accelerators at ``mfu``.

    >>> from symparams import model
    >>> from symparams.gpus import GPUS
    >>> t = training_time(model("nanochat", depth=20), 11_220_000_000, hardware(GPUS["h100-sxm"]), seq=2048, gpus=8)
    >>> round(float(t.seconds) / 3600, 2)   # nanochat's d20 speedrun budget on 8 x H100 at 40% MFU
    3.44
    """
    tokens = _count(tokens, "token count")
    gpus = _count(gpus, "GPU count")
    utilisation = _positive(mfu, "MFU")
    if utilisation > 1:
        raise SymparamsError(f"MFU is a fraction of the peak, at most 1; got {mfu!r}")
    f = flops(spec, seq, convention)
    per_token = _whole(f.train, f"{spec.name}: training FLOPs per token")
    total = per_token * tokens
    seconds = Fraction(total) / (gpus * hw.peak_flops * utilisation)
    return Training(spec.name, tokens, int(seq), f.convention.name, per_token, total, gpus, utilisation, hw, seconds)


@dataclass(frozen=True)
class Inference:
    """Prefill and decode on a roofline: FLOPs and bytes per step, the bound that holds, throughput."""

    model: str
    gpus: int
    hardware: Hardware
    dtype: str
    kv_dtype: str
    batch: int
    prompt: int
    prefill_flops: int
    prefill_bytes: int
    prefill_seconds: Fraction
    context: int
    decode_flops: int
    weights_read_bytes: int
    kv_read_bytes: int
    step_seconds: Fraction

    @property
    def prefill_bound(self) -> str:
        return _bound(self.prefill_flops, self.prefill_bytes, self.hardware)

    @property
    def decode_bound(self) -> str:
        return _bound(self.decode_flops, self.weights_read_bytes + self.kv_read_bytes, self.hardware)

    @property
    def decode_tokens_per_second(self) -> Fraction:
        return self.batch / self.step_seconds

    def to_json(self) -> dict:
        return {"gpus": self.gpus, **self.hardware.to_json(), "dtype": self.dtype, "kv_dtype": self.kv_dtype,
                "batch": self.batch, "prompt": self.prompt, "prefill_flops": self.prefill_flops,
                "prefill_bytes": self.prefill_bytes, "prefill_seconds": _real(self.prefill_seconds),
                "prefill_bound": self.prefill_bound, "decode_context": self.context,
                "decode_flops_per_step": self.decode_flops, "weights_read_bytes": self.weights_read_bytes,
                "kv_read_bytes": self.kv_read_bytes, "decode_step_seconds": _real(self.step_seconds),
                "decode_bound": self.decode_bound,
                "decode_tokens_per_second": _real(self.decode_tokens_per_second)}


def _bound(flop: int, byte: int, hw: Hardware) -> str:
    return "compute" if Fraction(flop) / hw.peak_flops >= Fraction(byte) / hw.bandwidth else "bandwidth"


def _weights_read(spec: Spec, batch: int) -> Fraction:
    """Parameters a decode step reads: all but the experts no token of the batch picks (at most min(E, B*k) read)."""
    unread = Integer(0)
    for _, copies, node in spec.tree.walk():
        routed = getattr(node, "routed", None)
        if callable(routed):
            experts = routed()
            e, k = spec.value(experts.count), spec.value(node.top_k)  # type: ignore[attr-defined]
            read = min(e, batch * k)
            unread += spec.value(copies) * (e - read) * spec.value(experts.child.params())
    return Fraction(int(spec.total - unread))


def _whole(x: int | Fraction, what: str) -> int:
    """A per-token figure that no causal window averages: whole, or an error rather than a truncation."""
    if isinstance(x, Fraction):
        raise SymparamsError(f"{what} = {x} is not a whole number")
    return x


def inference_time(spec: Spec, hw: Hardware, *, gpus: int = 1, batch: int = 1, prompt: int, context: int,
                   dtype: str = "bf16", kv_dtype: str | None = None) -> Inference:
    """Prefill of ``prompt`` tokens and decode at ``context`` for ``batch`` sequences on ``gpus`` accelerators."""
    gpus = _count(gpus, "GPU count")
    batch = _count(batch, "batch size")
    prompt = _count(prompt, "prompt length")
    context = _count(context, "decode context")
    if dtype not in DTYPES:
        raise SymparamsError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPES)})")
    kv_dtype = kv_dtype or (dtype if dtype in ("fp32", "bf16", "fp16") else "bf16")
    w, kvw = Fraction(str(DTYPES[dtype])), Fraction(str(kv_width(kv_dtype)))
    peak, bw = gpus * hw.peak_flops, gpus * hw.bandwidth
    weights = Fraction(spec.total) * w
    fill = flops(spec, prompt, "exact", causal=True).forward_per_sequence * batch
    fill_bytes = int(sympy.ceiling(weights))
    prefill = max(Fraction(fill) / peak, Fraction(fill_bytes) / bw)
    step_flops = _whole(flops(spec, context, "exact").forward, f"{spec.name}: decode FLOPs") * batch
    read = _weights_read(spec, batch) * w
    cache = Fraction(str(spec.value(spec.tree.cache_elements(T), {T: context}))) * kvw * batch
    read_bytes, kv_bytes = int(sympy.ceiling(read)), int(sympy.ceiling(cache))
    step = max(Fraction(step_flops) / peak, Fraction(read_bytes + kv_bytes) / bw)
    return Inference(spec.name, gpus, hw, dtype, kv_dtype, batch, prompt, fill, fill_bytes, prefill, context,
                     step_flops, read_bytes, kv_bytes, step)

