"""Memory: bytes for weights, gradients, optimizer state and the KV cache.

Every figure is an exact count of the model's tree times an exact byte width:

* weights: N x bytes(dtype); gradients (training): N x bytes(dtype);
* optimizer state: N x states x bytes(state dtype), with adamw keeping 2 states
  (first and second moments), sgd-momentum 1 and none 0;
* mixed precision keeps an fp32 master copy (4 bytes per parameter) and fp32
  states, which gives the 16 bytes per parameter of ZeRO (Rajbhandari et al.
  2020) for bf16 AdamW;
* KV cache: 2 x (keys and values) x L x H_kv x d_h x T x B x bytes, read from
  the attention nodes of the tree, so GQA and MQA shrink it by H/H_kv.

Under mixture of experts every expert is stored, so weights count all of them.
int4 packs two values per byte; a tensor total with an odd count rounds up to the
next whole byte. Activation memory is not modelled: it depends on the
implementation (checkpointing, fused kernels), not on the tree alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

import sympy
from sympy import Expr, Integer, Rational

from .components import Model
from .errors import SymparamsError
from .spec import Spec, pretty
from .symbols import B, T

__all__ = [
    "DTYPES", "OPTIMIZERS", "Memory", "memory", "kv_elements", "kv_bytes_per_token",
    "max_context", "max_batch", "parse_bytes", "gib",
]

DTYPES: dict[str, Rational] = {
    "fp32": Integer(4), "bf16": Integer(2), "fp16": Integer(2),
    "fp8": Integer(1), "int8": Integer(1), "int4": Rational(1, 2),
}
OPTIMIZERS: dict[str, int] = {"adamw": 2, "sgd-momentum": 1, "none": 0}
MASTER_DTYPE = "fp32"

_DECIMAL = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE](?P<exp>[+-]?\d+))?")
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _width(dtype: str) -> Rational:
    try:
        return DTYPES[dtype]
    except KeyError:
        raise SymparamsError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPES)})") from None


def _states(optimizer: str) -> int:
    try:
        return OPTIMIZERS[optimizer]
    except KeyError:
        raise SymparamsError(f"unknown optimizer {optimizer!r} (known: {', '.join(OPTIMIZERS)})") from None


def _whole_bytes(x: Expr) -> int:
    return int(sympy.ceiling(x))


def kv_elements(tree: Model) -> Expr:
    """Cached values per token of one sequence: 2 (K and V) x H_kv x d_h, summed over attention layers."""
    return sympy.expand(tree.cache_elements(T) / T)


def kv_bytes_per_token(spec: Spec, dtype: str = "bf16") -> int:
    """KV-cache bytes one token of one sequence adds (Llama-2-7b in bf16: 524,288)."""
    return _whole_bytes(spec.value(kv_elements(spec.tree)) * _width(dtype))


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Integer)) or value <= 0:
        raise SymparamsError(f"{what} must be a positive whole number, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Memory:
    """Bytes a model needs, by kind, for one dtype, optimizer and (optionally) context."""

    model: str
    dtype: str
    optimizer: str
    state_dtype: str
    kv_dtype: str
    master_weights: bool
    training: bool
    seq: int | None
    batch: int
    params: int
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    master_bytes: int
    kv_cache_bytes: int
    formula: Expr

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.master_bytes + self.kv_cache_bytes

    @property
    def fixed_bytes(self) -> int:
        """Everything but the KV cache: what does not grow with context or batch."""
        return self.total_bytes - self.kv_cache_bytes

    def to_json(self) -> dict:
        return {
            "model": self.model, "dtype": self.dtype, "optimizer": self.optimizer,
            "state_dtype": self.state_dtype, "kv_dtype": self.kv_dtype,
            "master_weights": self.master_weights, "training": self.training,
            "seq": self.seq, "batch": self.batch, "params": self.params,
            "weights_bytes": self.weights_bytes, "gradients_bytes": self.gradients_bytes,
            "optimizer_bytes": self.optimizer_bytes, "master_bytes": self.master_bytes,
            "kv_cache_bytes": self.kv_cache_bytes, "total_bytes": self.total_bytes,
            "formula": str(self.formula),
        }


def memory(
    spec: Spec,
    dtype: str = "bf16",
    optimizer: str = "adamw",
    *,
    master_weights: bool = False,
    training: bool = True,
    seq: int | None = None,
    batch: int = 1,
    state_dtype: str | None = None,
    kv_dtype: str | None = None,
) -> Memory:
    """Bytes for ``spec``: weights, and for training gradients and optimizer state; KV cache if ``seq``.

    ``state_dtype`` defaults to fp32 under ``master_weights`` (mixed precision) and
    to ``dtype`` otherwise; ``kv_dtype`` defaults to ``dtype``.

    >>> from symparams import model
    >>> m = memory(model("nanochat", depth=20), "bf16", "adamw", master_weights=True)
    >>> m.total_bytes == 16 * m.params
    True
    """
    w = _width(dtype)
    state_dtype = state_dtype or (MASTER_DTYPE if master_weights else dtype)
    kv_dtype = kv_dtype or dtype
    s, kv = _width(state_dtype), _width(kv_dtype)
    k = _states(optimizer) if training else 0
    batch = _positive_int(batch, "batch size")
    if seq is not None:
        seq = _positive_int(seq, "context length")
    n = spec.total
    grad = w if training else 0
    master = _width(MASTER_DTYPE) if master_weights and training else 0
    kv_form = kv_elements(spec.tree) * T * B * kv if seq is not None else Integer(0)
    formula = pretty(spec.closed_form * (w + grad + k * s + master) + spec.substitute(kv_form))
    kv_bytes = 0
    if seq is not None:
        kv_bytes = _whole_bytes(spec.value(kv_elements(spec.tree)) * kv * seq * batch)
    return Memory(
        spec.name, dtype, optimizer if training else "none", state_dtype, kv_dtype, bool(master_weights) and training,
        training, seq, batch, n,
        _whole_bytes(n * w), _whole_bytes(n * grad), _whole_bytes(n * k * s), _whole_bytes(n * master),
        kv_bytes, formula,
    )


def _budget(budget: object) -> int:
    if isinstance(budget, str):
        return parse_bytes(budget)
    return _positive_int(budget, "memory budget")


def max_context(spec: Spec, budget: object, batch: int = 1, **options) -> int:
    """The longest context T whose memory (``memory(..., seq=T, batch=batch)``) fits ``budget`` bytes."""
    return _largest(spec, _budget(budget), lambda x: dict(seq=x, batch=batch), "context", options)


def max_batch(spec: Spec, budget: object, seq: int, **options) -> int:
    """The largest batch B whose memory at context ``seq`` fits ``budget`` bytes."""
    return _largest(spec, _budget(budget), lambda x: dict(seq=seq, batch=x), "batch", options)


def _largest(spec: Spec, budget: int, at, what: str, options: Mapping) -> int:
    one = memory(spec, **options, **at(1))
    if one.fixed_bytes > budget:
        raise SymparamsError(f"{spec.name}: weights and training state alone need {one.fixed_bytes:,} bytes, over the budget of {budget:,}")
    if one.kv_cache_bytes == 0:
        raise SymparamsError(f"{spec.name}: has no KV cache, so the {what} is not limited by memory")
    if one.total_bytes > budget:
        raise SymparamsError(f"{spec.name}: a {what} of 1 needs {one.total_bytes:,} bytes, over the budget of {budget:,}")
    guess = max((budget - one.fixed_bytes) // one.kv_cache_bytes, 1)
    while memory(spec, **options, **at(guess + 1)).total_bytes <= budget:
        guess += 1
    while guess > 1 and memory(spec, **options, **at(guess)).total_bytes > budget:
        guess -= 1
    return guess


def parse_bytes(text: str) -> int:
    """'80GB' (10^9), '80GiB' (2^30), '1.5e9' or '1e9B' -> exact whole bytes."""
    from .parse import MAX_DIGITS, parse_number

    m = re.fullmatch(r"\s*(.*?)\s*([KkMmGgTt]i?[Bb]|[Bb])?\s*", text or "")
    number, unit = (m.group(1), m.group(2) or "") if m else (text, "")
    try:
        value = parse_number(number) * _UNITS[unit.lower()]
    except (SymparamsError, KeyError):
        decimal = _DECIMAL.fullmatch(number)
        if unit.lower() in _UNITS and decimal and int(decimal.group("exp") or 0) >= -MAX_DIGITS:
            # A plain number the reader refuses is one with too many digits or too large an exponent.
            raise SymparamsError(f"memory budget {text!r} is too large (at most {MAX_DIGITS} digits "
                                 f"and an exponent of at most {MAX_DIGITS})") from None
        raise SymparamsError(f"memory budget {text!r} is not a size such as 80GB, 24GiB or 1e9") from None
    if not value.is_Integer or value <= 0:
        raise SymparamsError(f"memory budget {text!r} must be a positive whole number of bytes")
    return int(value)


def gib(n: int) -> str:
    """Bytes for people: 17,179,869,184 -> '16.00 GiB'."""
    from fractions import Fraction

    return f"{float(Fraction(n, 2**30)):.2f} GiB"
