"""Memory: bytes for weights, gradients, optimizer state, activations and the KV cache.

Every figure is an exact reading of the model's tree times exact byte widths:

* **weights**: N x bytes(dtype), dtypes fp32 4, bf16 2, fp16 2, fp8 1, int8 1, int4 1/2
  (two values per byte; a total with an odd count rounds up to the next whole byte);
* **gradients** (training): N x bytes(dtype);
* **optimizer state** (training), per stored tensor of the tree, so optimizers that
  factor or split by shape follow the model (see :data:`OPTIMIZERS`). The default,
  ``mixed-adamw``, is mixed-precision AdamW: bf16 weights and gradients, an fp32 master
  copy and two fp32 moments, the 2 + 2 + 4 + 8 = 16 bytes per parameter of ZeRO
  (Rajbhandari et al. 2020, section 3.1); the master copy counts as optimizer state,
  as ZeRO counts it;
* **activations** (training, given a context T and batch B): the tree's
  ``activation_bytes`` reading (:mod:`symparams.components.saving`): the bytes autograd
  keeps for the backward pass, for an attention kernel, dropout and recomputation, and
  for state-space and linear-attention layers the kernel that runs their scan
  (``ssm_kernel``: ``"cuda"``, the default, what a GPU run with mamba_ssm,
  causal-conv1d or flash-linear-attention uses, is not measured and refuses;
  ``"torch"`` reads transformers' own code, measured on CPU);
* **KV cache** (inference, given T and B): the tree's ``cache_elements`` reading times
  the cache dtype (bf16, fp16, fp32, or quantised fp8 and int8): keys and values of
  every attention layer (GQA and MQA shrink it by H/H_kv, multi-head latent attention
  keeps its latent), plus the constant state a state-space layer keeps per sequence,
  whatever T. Training keeps no KV cache. A sliding window of W keeps min(T, W) tokens
  per layer at context T, the keys and values the layer attends over at that step: what
  transformers' ``StaticCache`` allocates, and what its ``DynamicCache`` holds in storage
  while decoding (it keeps the last W - 1 tokens as a view of the step's W, so one
  token fewer per windowed layer in shape, the same in memory; tests/test_memory.py
  measures both). The reading is what the layers need, as the FLOPs readings are: two
  of transformers' implementations cache more, GPT-Neo's local layers keep every token
  (its config names them to no cache class), and Falcon's new decoder architecture
  broadcasts its H_kv key and value heads to the H query heads before it caches them.
  Their Specs say so (:class:`.spec.CachedOtherwise`), and ``transformers_kv_cache_bytes``
  gives what transformers' cache then holds, from the same tree, with a warning;
  tests/test_kv_cache_torch.py compares both figures with the cache transformers fills.

Parallelism (:mod:`symparams.parallel`) splits each of them over GPUs; ``per_gpu_bytes``
is the most loaded GPU's total.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping

import sympy
from sympy import Expr, Integer, Rational

from .components import Model
from .components.saving import Saving
from .config import short
from .errors import SymparamsError
from .parallel import Load, Parallel, Plan, most_loaded, plan
from .spec import Spec, pretty
from .symbols import B, T

__all__ = [
    "DTYPES", "KV_DTYPES", "TRAIN_DTYPES", "OPTIMIZERS", "Optimizer", "DEFAULT_OPTIMIZER", "Memory", "memory",
    "kv_elements", "kv_bytes_per_token", "kv_state_bytes", "max_context", "max_batch", "parse_bytes", "gib",
    "context_warning", "kv_width",
]

DTYPES: dict[str, Rational] = {
    "fp32": Integer(4), "bf16": Integer(2), "fp16": Integer(2),
    "fp8": Integer(1), "int8": Integer(1), "int4": Rational(1, 2),
}
TRAIN_DTYPES = ("fp32", "bf16", "fp16")
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8")
FP32 = Integer(4)

_DECIMAL = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE](?P<exp>[+-]?\d+))?")
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}

Shape = tuple[Expr, ...]


# ---- optimizers ----------------------------------------------------------------------

def _numel(shape: Shape) -> Expr:
    return sympy.Mul(*shape)


def _adam(shape: Shape, group: str, width: Expr) -> Expr:
    return 2 * _numel(shape) * width


def _sgd_momentum(shape: Shape, group: str, width: Expr) -> Expr:
    return _numel(shape) * width


def _none(shape: Shape, group: str, width: Expr) -> Expr:
    return Integer(0)


def _adafactor(shape: Shape, group: str, width: Expr) -> Expr:
    """Factored second moments: a tensor of two or more dimensions keeps row and column means.

    transformers' ``Adafactor`` (beta1=None, its default, so no first moment) keeps
    ``exp_avg_sq_row`` of shape[:-1] and ``exp_avg_sq_col`` of shape[:-2] + shape[-1:]
    (r + c values for an r x c matrix); a vector keeps a full second moment.
    """
    if len(shape) >= 2:
        return (_numel(shape[:-1]) + _numel(shape[:-2] + shape[-1:])) * width
    return _numel(shape) * width


def _adamw_8bit(shape: Shape, group: str, width: Expr) -> Expr:
    """bitsandbytes' 8-bit AdamW: two uint8 states plus one fp32 absmax per block of 256 values each.

    Tensors under 4,096 values (``min_8bit_size``) keep two fp32 states instead. The
    choice is per tensor, so it is made on each tensor's numbers (see :func:`_per_tensor`).
    """
    n = _numel(shape)
    return sympy.Piecewise((2 * n * FP32, n < 4096), (2 * n + 2 * FP32 * sympy.ceiling(n / 256), True))


def _muon(shape: Shape, group: str, width: Expr) -> Expr:
    """Muon (Jordan et al. 2024) for the matrices inside the blocks, AdamW for everything else.

    nanochat's split: every tensor of two or more dimensions outside the embedding and
    the LM head takes Muon (one momentum buffer); embeddings, the head and vectors
    (norms, biases, scalars) take AdamW (two moments).
    """
    if len(shape) >= 2 and group not in ("embedding", "head"):
        return _numel(shape) * width
    return 2 * _numel(shape) * width


@dataclass(frozen=True)
class Optimizer:
    """An optimizer: the state it keeps per stored tensor, and whether it keeps an fp32 master copy."""

    name: str
    summary: str
    state: Callable[[Shape, str, Expr], Expr]
    master: bool = False
    fixed_width: bool = False  # the states' width is the optimizer's own (8-bit), not --state-dtype


OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("mixed-adamw", "mixed-precision AdamW: weights and gradients in --dtype, fp32 master copy and two "
              "fp32 moments (16 bytes per parameter with bf16)", _adam, master=True),
    Optimizer("adamw", "AdamW: two moments in fp32 (--state-dtype)", _adam),
    Optimizer("adamw-8bit", "bitsandbytes 8-bit AdamW: two uint8 moments and an fp32 scale per 256 values "
              "(fp32 moments for tensors under 4,096 values)", _adamw_8bit, fixed_width=True),
    Optimizer("adafactor", "Adafactor: factored second moments, rows + columns per matrix, no first moment",
              _adafactor),
    Optimizer("sgd-momentum", "SGD with momentum: one buffer", _sgd_momentum),
    Optimizer("muon", "Muon for the blocks' matrices (one buffer), AdamW for embeddings, head and vectors (two)",
              _muon),
    Optimizer("none", "no optimizer state (plain SGD)", _none),
)}
DEFAULT_OPTIMIZER = "mixed-adamw"


def _choice(table: Mapping, name: str, what: str):
    try:
        return table[name]
    except (KeyError, TypeError):
        raise SymparamsError(f"unknown {what} {name!r} (known: {', '.join(table)})") from None


def _width(dtype: str) -> Rational:
    return _choice(DTYPES, dtype, "dtype")


def _whole_bytes(x: Expr) -> int:
    return int(sympy.ceiling(x))


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Integer)) or value <= 0:
        raise SymparamsError(f"{what} must be a positive whole number, got {value!r}")
    return int(value)


def _tensors(tree: Model):
    """``(copies stored, group, shape)`` for every tensor the tree stores."""
    for _, copies, node in tree.walk():
        if not node.children():
            for shape in node.tensor_shapes():  # type: ignore[attr-defined]
                yield copies, node.group, tuple(sympy.sympify(x) for x in shape)


def optimizer_form(spec: Spec, optimizer: str, state_width: Expr) -> Expr:
    """The optimizer's state in bytes, summed over the tree's tensors (no master copy), in closed form."""
    opt = _choice(OPTIMIZERS, optimizer, "optimizer")
    terms = [copies * opt.state(shape, group, state_width) for copies, group, shape in _tensors(spec.tree)]
    return sympy.Add(*terms)


def _per_tensor(spec: Spec, optimizer: str, state_width: Expr) -> Expr:
    """The optimizer's state in bytes at the model's values, tensor by tensor (for per-tensor rules)."""
    opt = _choice(OPTIMIZERS, optimizer, "optimizer")
    total = Integer(0)
    for copies, group, shape in _tensors(spec.tree):
        values = tuple(spec.value(s) for s in shape)
        total += spec.value(copies) * opt.state(values, group, state_width)
    return total


# ---- KV cache ------------------------------------------------------------------------

def kv_elements(tree: Model) -> Expr:
    """Cached values per token of one sequence where the cache grows with T (windows not yet full).

    The constant part (a state-space layer's state) is left out: see :func:`kv_state_bytes`.
    """
    grow = tree.cache_elements(T)
    return sympy.expand(grow.subs(T, 1) - grow.subs(T, 0))


def kv_bytes_per_token(spec: Spec, dtype: str = "bf16") -> int:
    """KV-cache bytes one more token of one sequence adds, until a window fills (Llama-2-7b in bf16: 524,288)."""
    return _whole_bytes(spec.value(kv_elements(spec.tree)) * _kv_width(dtype))


def kv_state_bytes(spec: Spec, dtype: str = "bf16") -> int:
    """Bytes a sequence keeps whatever its length: the state of state-space and linear-attention layers.

    Per sequence, not per token: dividing it by T gives a figure that shrinks as the
    context grows and describes nothing real.
    """
    return _whole_bytes(spec.value(spec.tree.cache_elements(T).subs(T, 0)) * _kv_width(dtype))


def kv_width(dtype: str) -> Rational:
    """Bytes per cached value in ``dtype``: fp32, bf16, fp16, or a quantised fp8 or int8 cache."""
    return _kv_width(dtype)


def _kv_width(dtype: str) -> Rational:
    if dtype not in KV_DTYPES:
        if dtype in DTYPES:
            raise SymparamsError(f"a KV cache in {dtype} is not modelled (cache dtypes: {', '.join(KV_DTYPES)})")
        _width(dtype)
    return DTYPES[dtype]


# ---- the reading ----------------------------------------------------------------------

KINDS = ("weights", "gradients", "optimizer", "activation", "kv_cache")


@dataclass(frozen=True)
class Memory:
    """Bytes a model needs, by kind, for one precision, optimizer, context, batch and parallel layout.

    ``activation_bytes`` is None when training without a context (``seq``): activations
    need one, and are then left out of the totals (the output says so).
    """

    model: str
    training: bool
    dtype: str
    optimizer: str
    master_weights: bool
    state_dtype: str
    kv_dtype: str
    activation_dtype: str
    saving: Saving
    seq: int | None
    batch: int
    params: int
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    master_bytes: int
    activation_bytes: int | None
    kv_cache_bytes: int
    kv_state_bytes: int
    per_gpu_bytes: int
    forms: dict[str, Expr] = field(repr=False)
    parallel: Plan
    per_gpu_stage: int = 0
    model_context: int | None = None
    warnings: tuple[str, ...] = field(default=())
    transformers_kv_cache_bytes: int | None = None
    loads: tuple[Load, ...] = field(default=(), repr=False, compare=False)

    @cached_property
    def formulas(self) -> dict[str, Expr]:
        """Each kind's closed form in bytes (``total`` and ``per_gpu`` too), in the model's symbols and T, B."""
        return {k: pretty(v) for k, v in self.forms.items()}

    @property
    def total_bytes(self) -> int:
        return (self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + (self.activation_bytes or 0)
                + self.kv_cache_bytes)

    @property
    def fixed_bytes(self) -> int:
        """What does not grow with context or batch: weights and training state."""
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes

    @property
    def formula(self) -> Expr:
        """The closed form of the total, in bytes."""
        return self.formulas["total"]

    @property
    def context_exceeded(self) -> bool:
        return self.seq is not None and self.model_context is not None and self.seq > self.model_context

    def to_json(self) -> dict:
        out = {
            "model": self.model, "training": self.training, "dtype": self.dtype,
            "optimizer": self.optimizer, "master_weights": self.master_weights, "state_dtype": self.state_dtype,
            "kv_dtype": self.kv_dtype, "activation_dtype": self.activation_dtype,
            "attention": self.saving.attention, "ssm_kernel": self.saving.ssm_kernel,
            "recompute": self.saving.recompute,
            "dropout": sorted(self.saving.dropout), "seq": self.seq, "batch": self.batch, "params": self.params,
            "weights_bytes": self.weights_bytes, "gradients_bytes": self.gradients_bytes,
            "optimizer_bytes": self.optimizer_bytes, "master_bytes": self.master_bytes,
            "activation_bytes": self.activation_bytes, "kv_cache_bytes": self.kv_cache_bytes,
            "kv_state_bytes": self.kv_state_bytes, "transformers_kv_cache_bytes": self.transformers_kv_cache_bytes,
            "total_bytes": self.total_bytes,
            "per_gpu_bytes": self.per_gpu_bytes,
            "formulas": {f"{k}_bytes": None if k == "activation" and self.activation_bytes is None else str(v)
                         for k, v in self.formulas.items()},
            "formula": str(self.formula),
            "parallel": self.parallel.to_json(),
            "model_context": self.model_context, "context_exceeded": self.context_exceeded,
            "warnings": list(self.warnings),
        }
        return out


def context_warning(spec: Spec, seq: int | None) -> str | None:
    """A warning when ``seq`` exceeds the model's own context (its config's max_position_embeddings or the like)."""
    if seq is None or spec.context is None or seq <= spec.context:
        return None
    from .families import FAMILIES

    family = FAMILIES.of(spec)
    field = family.context if family is not None and family.context else None
    where = f"its config's {field}" if field else "its family's sequence length"
    return (f"a context of {seq:,} tokens exceeds {spec.name}'s own context of {spec.context:,} "
            f"({where}); the figures are for {seq:,} all the same")


def _activation_reading(spec: Spec, saving: Saving) -> Expr:
    """The tree's activation bytes; a refusal says which figures can still be had without a context."""
    try:
        return spec.tree.activation_bytes(T, saving)
    except SymparamsError as err:
        raise SymparamsError(f"{spec.name}: {err} (without a context, --seq, weights, gradients and optimizer "
                             "state are read)") from None


def _training_precision(dtype: str, opt: Optimizer, master: bool | None) -> bool:
    if dtype not in TRAIN_DTYPES:
        raise SymparamsError(f"training with {dtype} weights is not modelled: training keeps fp32, bf16 or fp16 "
                             f"weights (give --inference for {dtype} weights)")
    master = opt.master if master is None else bool(master)
    if master and dtype == "fp32":
        raise SymparamsError(f"{opt.name if opt.master else 'master weights'}: an fp32 master copy beside fp32 weights "
                             "duplicates them; with --dtype fp32 use --optimizer adamw")
    return master


def memory(
    spec: Spec,
    dtype: str = "bf16",
    optimizer: str | None = None,
    *,
    training: bool = True,
    seq: int | None = None,
    batch: int = 1,
    master_weights: bool | None = None,
    state_dtype: str | None = None,
    kv_dtype: str | None = None,
    activation_dtype: str | None = None,
    attention: str = "sdpa",
    ssm_kernel: str = "cuda",
    recompute: str = "none",
    dropout: tuple[str, ...] | frozenset[str] = (),
    mask_width: int | None = None,
    parallel: Parallel | None = None,
) -> Memory:
    """Bytes for ``spec``: weights; for training gradients, optimizer state and (given ``seq``) activations;
    for inference (given ``seq``) the KV cache of ``batch`` sequences.

    ``optimizer`` defaults to mixed-precision AdamW (``mixed-adamw``) for training;
    ``master_weights`` adds (or, False, drops) the fp32 master copy; ``state_dtype``
    defaults to fp32; ``kv_dtype`` to ``dtype`` (bf16 for weights quantised below
    16 bits); ``activation_dtype`` to ``dtype``.

    >>> from symparams import model
    >>> m = memory(model("nanochat", depth=20))
    >>> m.total_bytes == 16 * m.params
    True
    """
    if not training:
        for stated, what in ((optimizer is not None, "--optimizer"), (recompute != "none", "--recompute"),
                             (bool(dropout), "--dropout"), (mask_width is not None, "--mask-bytes")):
            if stated:
                raise SymparamsError(f"{what} applies to training, not to --inference (which keeps weights and the KV "
                                     "cache alone)")
    optimizer = optimizer or DEFAULT_OPTIMIZER
    opt: Optimizer = _choice(OPTIMIZERS, optimizer, "optimizer")
    w = _width(dtype)
    batch = _positive_int(batch, "batch size")
    if seq is not None:
        seq = _positive_int(seq, "context length")
    parallel = parallel or Parallel()
    layout = plan(spec, parallel, training=training, batch=batch, seq=seq)
    if training and optimizer == "adafactor" and parallel.tp > 1:
        raise SymparamsError("Adafactor's factored state depends on which dimension tensor parallelism splits; "
                             "it is not modelled with --tp > 1")
    if parallel.cp > 1 and attention == "eager":
        raise SymparamsError("context parallelism runs a flash or sdpa kernel over its share of the keys; "
                             "give --attention sdpa or flash with --cp")
    if training:
        master = _training_precision(dtype, opt, master_weights)
        if opt.fixed_width and state_dtype is not None:
            raise SymparamsError(f"{opt.name} keeps its states in its own 8-bit format; --state-dtype does not apply")
        state_dtype = state_dtype or "fp32"
        act_dtype = activation_dtype or dtype
        if act_dtype not in TRAIN_DTYPES:
            raise SymparamsError(f"activations in {act_dtype} are not modelled (fp32, bf16 or fp16)")
        if kv_dtype is not None:
            raise SymparamsError("training keeps no KV cache; --kv-dtype applies to --inference")
        kv_dtype = "none"
    else:
        for given, what in ((master_weights, "master weights"), (state_dtype, "--state-dtype"),
                            (activation_dtype, "--activation-dtype")):
            if given:
                raise SymparamsError(f"{what} apply to training, not to --inference")
        master, state_dtype, act_dtype = False, "none", "none"
        kv_dtype = kv_dtype or (dtype if dtype in ("fp32", "bf16", "fp16") else "bf16")
        _kv_width(kv_dtype)
    s = _width(state_dtype) if training and not opt.fixed_width else Integer(1)
    saving = Saving(width=_width(act_dtype) if training else Integer(2), attention=attention, ssm_kernel=ssm_kernel,
                    recompute=recompute,
                    dropout=frozenset(dropout),
                    mask_width=Integer(mask_width) if mask_width is not None else Integer(1))
    n = spec.total
    forms: dict[str, Expr] = {}
    forms["weights"] = spec.closed_form * w
    grad = w if training else Integer(0)
    forms["gradients"] = spec.closed_form * grad
    master_form = spec.closed_form * FP32 if master else Integer(0)
    if training:
        states = spec.substitute(optimizer_form(spec, optimizer, s))
        state_bytes = _whole_bytes(_per_tensor(spec, optimizer, s))
    else:
        states, state_bytes = Integer(0), 0
    forms["optimizer"] = master_form + states
    activation: int | None = None
    act_form: Expr = Integer(0)
    if training and seq is not None:
        act_form = spec.substitute(_activation_reading(spec, saving))
        activation = _whole_bytes(spec.value(act_form, {T: seq, B: batch}))
    forms["activation"] = act_form
    kv_form: Expr = Integer(0)
    kv_bytes = kv_state = 0
    theirs = None
    if not training and seq is not None:
        kvw = _kv_width(kv_dtype)
        kv_form = spec.substitute(spec.tree.cache_elements(T)) * B * kvw
        kv_bytes = _whole_bytes(spec.value(kv_form, {T: seq, B: batch}))
        kv_state = kv_state_bytes(spec, kv_dtype) * batch
        theirs = _cached_otherwise(spec, seq, batch, kvw, kv_bytes)
    forms["kv_cache"] = kv_form
    if theirs:
        forms["transformers_kv_cache"] = theirs[2]
    forms["total"] = sympy.Add(*(forms[k] for k in KINDS))
    master_bytes = _whole_bytes(n * FP32) if master else 0
    weights, grads = _whole_bytes(n * w), _whole_bytes(n * grad)
    loads = layout.loads(spec, weight_width=w, grad_width=grad, master=master, optimizer=opt, state_width=s,
                         saving=saving, batch=batch, kv_width=_kv_width(kv_dtype) if not training else None,
                         activations=seq is not None)
    per_gpu = most_loaded(loads, seq, batch)
    forms["per_gpu"] = per_gpu.formula
    warnings = tuple(w for w in (context_warning(spec, seq), theirs and theirs[1]) if w)
    return Memory(
        model=spec.name, training=training, dtype=dtype, optimizer=optimizer if training else "none",
        master_weights=master, state_dtype=state_dtype, kv_dtype=kv_dtype, activation_dtype=act_dtype,
        saving=saving, seq=seq, batch=batch, params=n,
        weights_bytes=weights, gradients_bytes=grads, optimizer_bytes=state_bytes + master_bytes,
        master_bytes=master_bytes, activation_bytes=activation, kv_cache_bytes=kv_bytes, kv_state_bytes=kv_state,
        per_gpu_bytes=per_gpu.bytes, forms=forms, parallel=layout, per_gpu_stage=per_gpu.stage, loads=loads,
        model_context=spec.context, warnings=warnings, transformers_kv_cache_bytes=theirs and theirs[0],
    )


def _cached_otherwise(spec: Spec, seq: int, batch: int, width: Rational,
                      needed: int) -> tuple[int, str, Expr] | None:
    """What transformers' cache holds where it keeps more than the layers need, a warning saying so, and its form."""
    other = spec.cached_otherwise
    if other is None:
        return None
    form = spec.substitute(spec.tree.cache_elements(T).xreplace(dict(other.swap))) * B * width
    held = _whole_bytes(spec.value(form, {T: seq, B: batch}))
    if held == needed:
        return None
    times = f" ({held // needed:,} times)" if needed and held % needed == 0 else ""
    env = {T: seq, B: batch}
    read = "; ".join(f"{a} = {int(spec.value(a, env)):,} read as {b} = {int(spec.value(b, env)):,}"
                    for a, b in other.swap)
    return held, (f"transformers' {spec.family} {other.why} ({read}): its cache holds {held:,} bytes here{times}, "
                  f"against the {needed:,} its layers need"), form


# ---- limits ---------------------------------------------------------------------------

def _budget(budget: object) -> int:
    if isinstance(budget, str):
        return parse_bytes(budget)
    return _positive_int(budget, "memory budget")


# No search goes past 2**MAX_DOUBLINGS: a limit beyond it is reported as unbounded, never capped.
MAX_DOUBLINGS = 200


def max_context(spec: Spec, budget: object, batch: int = 1, **options) -> int:
    """The longest context T whose memory (``memory(..., seq=T, batch=batch)``) fits ``budget`` bytes.

    What grows with T is the KV cache (inference) or the activations (training); the
    answer may exceed the model's own context, which :func:`context_warning` says.
    """
    return _largest(spec, _budget(budget), lambda x: dict(seq=x, batch=batch), "context", options)


def max_batch(spec: Spec, budget: object, seq: int, **options) -> int:
    """The largest batch B whose memory at context ``seq`` fits ``budget`` bytes."""
    return _largest(spec, _budget(budget), lambda x: dict(seq=seq, batch=x), "batch", options)


def _largest(spec: Spec, budget: int, at: Callable[[int], dict], what: str, options: Mapping) -> int:
    """The largest x >= 1 with the most loaded GPU's memory at(x) within budget (memory grows with x).

    Doubling, then bisection, over the per-stage closed forms: exact, and bounded by
    2 x MAX_DOUBLINGS evaluations.
    """
    one = memory(spec, **options, **at(1))
    parallel = options.get("parallel")
    if what == "batch" and parallel is not None and parallel.microbatch is not None:
        raise SymparamsError("with --microbatch, give --batch: the batch is not solved for in whole micro-batches")

    def used(x: int) -> int:
        point = at(x)
        if what == "batch" and parallel is not None and parallel.pp > 1:
            return memory(spec, **options, **point).per_gpu_bytes  # the micro-batches in flight follow the batch
        return most_loaded(one.loads, point["seq"], point["batch"]).bytes

    fixed = max(load.fixed for load in one.loads)
    if fixed > budget:
        raise SymparamsError(f"{spec.name}: weights and training state alone need {fixed:,} bytes on the most "
                             f"loaded GPU, over the budget of {budget:,}")
    if one.per_gpu_bytes > budget:
        raise SymparamsError(f"{spec.name}: a {what} of 1 needs {one.per_gpu_bytes:,} bytes, over the budget of {budget:,}")
    if used(2) == one.per_gpu_bytes and used(2**MAX_DOUBLINGS) == one.per_gpu_bytes:
        raise SymparamsError(f"{spec.name}: nothing grows with the {what} (no KV cache or activations that do), "
                             "so it is not limited by memory")
    lo, hi = 1, 2
    for _ in range(MAX_DOUBLINGS):
        if used(hi) > budget:
            break
        lo, hi = hi, hi * 2
    else:
        raise SymparamsError(f"{spec.name}: the {what} is not limited by memory up to 2^{MAX_DOUBLINGS} "
                             "(what grows with it stops growing: a window or a constant state)")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if used(mid) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


def _growing(m: Memory) -> int:
    return (m.activation_bytes or 0) + m.kv_cache_bytes


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
            raise SymparamsError(f"memory budget {short(text)} is too large (at most {MAX_DIGITS} digits "
                                 f"and an exponent of at most {MAX_DIGITS})") from None
        raise SymparamsError(f"memory budget {short(text)} is not a size such as 80GB, 24GiB or 1e9") from None
    if not value.is_Integer or value <= 0:
        raise SymparamsError(f"memory budget {short(text)} must be a positive whole number of bytes")
    return int(value)


def gib(n: int) -> str:
    """Bytes for people: 17,179,869,184 -> '16.00 GiB'.

    Rounded in integers (half to even, as float formatting rounds), never through a
    float: a byte count past 10^308 GiB, which the exact readings allow, still prints.

    >>> gib(17_179_869_184), gib(2**100)
    ('16.00 GiB', '1180591620717411303424.00 GiB')
    """
    from fractions import Fraction

    hundredths = round(Fraction(n * 100, 2**30))
    return f"{hundredths // 100}.{hundredths % 100:02d} GiB"


def warn(m: Memory) -> None:
    """Print the reading's warnings on stderr (the command line does; the JSON carries them too)."""
    for text in m.warnings:
        print(f"symparams: warning: {text}", file=sys.stderr)
