"""What a training step keeps for the backward pass: the settings and rules behind ``activation_bytes``.

Activation memory is the set of tensors autograd saves during the forward pass so that
the backward pass can use them, counted once per storage (several ops saving the same
tensor keep one copy) and leaving the parameters out. Which tensors those are is decided
by the implementation, so the nodes' readings follow one reference: transformers 5's
modelling code for Llama (RMSNorm, rotary positions, eager or SDPA attention, a gated
MLP) and GPT-2 (LayerNorm, learned positions, a plain MLP, dropout), op by op, each op
keeping what its backward formula needs (``tools/autograd/derivatives.yaml`` in PyTorch).

Attribution: every saved tensor is counted by exactly one node. A node counts the
tensor it takes in when its own first op saves it (a norm its input, an attention or MLP
layer the input its projections multiply, a lone linear layer its input) and the
tensors it makes inside; what it hands on is counted by whoever saves it next. A
tensor several layers share (the rotary cos and sin tables) is reported under a key by
:meth:`~.base.Module.activation_shared` and counted once at the root.

The settings (:class:`Saving`) say what the tree cannot: the bytes of one activation
element, the attention kernel, dropout and recomputation:

* ``attention="eager"`` keeps the B*H*T^2 attention probabilities (with ``softmax_fp32``
  the softmax runs in fp32 and its output is cast back, as Llama's code does, so 4 + a
  bytes per probability below fp32; without it, in the activation dtype, as GPT-2's code
  and Korthikanti et al. count it); ``"sdpa"`` and ``"flash"`` keep none of them, only the
  output and a log-sum-exp of 4 bytes per query row and head, and take grouped keys and
  values as they are (H_kv heads) instead of repeated to H;
* ``dropout``: the sites with a dropout probability above 0 (``"embedding"``,
  ``"attention"`` for the probabilities, ``"residual"`` after each layer's output
  projection); each keeps a mask of ``mask_width`` bytes per element (1: the boolean
  mask of PyTorch's fused CUDA kernel; the activation width on CPU, whose dropout keeps
  the scaled noise) and the dropped-out probabilities are kept as well;
* ``recompute``: ``"none"``; ``"selective"`` (Korthikanti et al. 2022, "Reducing
  Activation Recomputation in Large Transformer Models", section 4.2) recomputes the
  attention core, so nothing of size T^2 is kept; ``"full"`` keeps each repeated
  block's input only and recomputes the block in the backward pass, which then holds
  one block's activations at a time;
* ``ssm_kernel``: what runs a state-space or linear-attention layer's scan. ``"torch"`` is
  transformers' own code (what runs on CPU, and on GPU without mamba_ssm,
  causal-conv1d or flash-linear-attention), whose saved tensors the readings follow;
  ``"cuda"`` (the default: what a GPU training run uses when those kernels are
  installed) keeps only its inputs and recomputes the rest in the backward pass, which
  is not measured here, so those layers refuse under it;
* ``tp`` (tensor parallelism, Megatron-LM's layout): what is split by heads, by the MLP's
  hidden size or by the vocabulary (the loss's logits) is divided by tp on each GPU;
  what has the model's width per token (norms, layer inputs, dropout masks) is whole on
  every GPU unless ``sp`` (sequence parallelism, Korthikanti et al. section 4.2.2)
  splits it by tp as well. Token ids, labels and rotary tables stay whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy
from sympy import Expr, Integer

__all__ = [
    "Saving", "ATTENTION_KINDS", "RECOMPUTE", "DROPOUT_SITES", "ACTIVATION_SAVES", "ACTIVATION_MASKS", "FP32", "INDEX",
    "not_modelled", "activation_saves", "WHY_NOT", "SSM_KERNELS",
]

ATTENTION_KINDS = ("eager", "sdpa", "flash")
RECOMPUTE = ("none", "selective", "full")
DROPOUT_SITES = ("embedding", "attention", "residual")
SSM_KERNELS = ("cuda", "torch")
FP32 = Integer(4)
INDEX = Integer(8)  # token ids, labels and positions are int64

# transformers 5 ``ACT2FN`` name -> (the activation keeps its input, further tensors of the
# same size it keeps). Its output is kept by the next matmul in every MLP here, so it is
# counted there. Read from transformers' activations.py, op by op: e.g. ``gelu_new`` is
# 0.5*x*(1 + tanh(c*(x + 0.044715*x^3))): pow keeps x, tanh its output t, and the last
# product its two factors 0.5*x and 1 + t; ``relu2`` keeps relu(x) for the square.
ACTIVATION_SAVES: dict[str, tuple[bool, int]] = {
    "gelu": (True, 0), "gelu_pytorch_tanh": (True, 0), "silu": (True, 0), "swish": (True, 0),
    "mish": (True, 0), "hardswish": (True, 0), "leaky_relu": (True, 0), "relu6": (True, 0),
    "relu": (False, 0), "sigmoid": (False, 0), "tanh": (False, 0), "linear": (False, 0),
    "relu2": (False, 1), "quick_gelu": (True, 1), "gelu_10": (True, 1), "laplace": (False, 1),
    "gelu_new": (True, 3), "gelu_accurate": (True, 3), "gelu_python_tanh": (True, 3), "gelu_python": (False, 3),
    "gelu_fast": (True, 6),
    "xielu": (True, 3),
    # gpt-oss's clamped SwiGLU on a fused, interleaved gate_up output (grouped-mm experts): the
    # gate_up output (kept by the clamps of its strided halves: gate and up), the clamped gate,
    # sigmoid(alpha*gate), their product glu, up + 1, and (up + 1)*glu: 7*F per token, which the
    # gated-MLP rule gives with the input kept and 3 further tensors.
    "swiglu (clamped)": (True, 3),
}

# Activations that keep more than full-size tensors: (bytes of a mask per element, tensors of one
# element per layer). xIELU as transformers runs it without its CUDA wheel (``_xielu_python``):
# where(x > 0, alpha_p*x*x + beta*x, (expm1(min(x, eps)) - x)*alpha_n + beta*x) keeps x, alpha_p*x,
# the expm1 output and expm1(...) - x, the boolean x > 0, and the scalars alpha_p and alpha_n
# (softplus outputs) and the buffers beta and eps.
ACTIVATION_MASKS: dict[str, tuple[int, int]] = {"xielu": (1, 4)}


# Why a node kind refuses, keyed by the ``what`` its refusal names: what decides the saved
# tensors there and why no reading checked against PyTorch can be given for it yet.
WHY_NOT: dict[str, str] = {
    "Mamba layers under the CUDA kernels": "mamba_ssm's selective scan and causal-conv1d keep the scan's inputs "
                                           "(x, dt, B, C, z) and recompute its states in the backward pass, where "
                                           "transformers' torch path keeps exp(dt*A) and dt*B*x for every token and "
                                           "the state after every step; those kernels do not run on CPU, so their "
                                           "figure is not measured (--ssm-kernel torch reads the torch path)",
    "Mamba-2 layers under the CUDA kernels": "mamba_ssm's fused chunked scan (Triton) keeps its inputs and "
                                             "recomputes the chunk intermediates in the backward pass, where "
                                             "transformers' torch path keeps them (a chunk_size x chunk_size decay "
                                             "matrix per chunk and head, the states at every chunk boundary); those "
                                             "kernels do not run on CPU, so their figure is not measured "
                                             "(--ssm-kernel torch reads the torch path)",
    "Gated DeltaNet layers under the CUDA kernels": "flash-linear-attention's chunked kernels keep their inputs and "
                                                    "recompute the chunk intermediates in the backward pass, where "
                                                    "transformers' torch fallback keeps them; those kernels do not "
                                                    "run on CPU, so their figure is not measured (--ssm-kernel torch "
                                                    "reads the torch path where it is measured)",
    "Mamba2 nodes": "transformers' torch chunked scan keeps its chunk-by-chunk intermediates (a chunk_size x "
                    "chunk_size decay matrix per chunk and head, the states at every chunk boundary, einsum "
                    "operands copied into batched-matmul layout), which are not measured yet",
    "GatedDeltaNet nodes": "transformers' torch fallback (torch_chunk_gated_delta_rule) keeps its chunk-by-chunk "
                           "intermediates (64 x 64 matrices per chunk and head, the state at every chunk boundary), "
                           "which are not measured yet",
    "MPT's attention under SDPA or flash kernels": "transformers' MPT adds ALiBi to explicit scores and has no "
                                                   "other kernel, so only --attention eager is measured",
    "attention sinks under SDPA or flash kernels": "transformers runs gpt-oss's sinks only in eager attention "
                                                   "(flash and flex through kernels CPU does not run), so only "
                                                   "--attention eager is measured",
    "Llama 4 layers of one attention kind with and without RoPE": "RoPE layers keep a normalised fp32 copy of q and "
                                                                   "k and NoPE layers a temperature vector, and the "
                                                                   "tree counts layers by attention kind (full or "
                                                                   "chunked) only",
    "Shared nodes": "each use of a weight-shared block keeps its own activations, and what they are depends on "
                    "the block's code; Zamba2's are read (families.zamba2), no other is measured",
    "attention with a fused qkv projection": "what autograd keeps depends on how each family splits the fused "
                                             "output (views or copies); GPT-BigCode's, MPT's, CodeGen's and DBRX's "
                                             "splits are measured, DBRX's only with clip_qkv (without it "
                                             "transformers' clamp fails)",
    "mixture-of-experts layers with extra parts (gates, router biases)": "the extras measured are Qwen2-MoE's "
                                                                         "shared-expert gate, a router's bias vector "
                                                                         "and JetMoE's output bias (its own layer); "
                                                                         "others are not yet",
}


def not_modelled(what: str):
    """The error a node raises for a reading it cannot yet give faithfully (never a guess), with the reason."""
    from ..errors import SymparamsError

    why = WHY_NOT.get(what)
    return SymparamsError(f"activation memory is not modelled for {what}" + (f": {why}" if why else ""))


def activation_saves(name: str) -> tuple[bool, int]:
    """``(keeps its input, further tensors kept)`` for the activation ``name``."""
    try:
        return ACTIVATION_SAVES[name]
    except KeyError:
        raise not_modelled(f"the {name!r} activation") from None


def _choice(value: str, known: tuple[str, ...], what: str) -> str:
    if value not in known:
        from ..errors import SymparamsError

        raise SymparamsError(f"unknown {what} {value!r} (known: {', '.join(known)})")
    return value


@dataclass(frozen=True)
class Saving:
    """How one training step keeps activations: element width, attention kernel, dropout, recomputation."""

    width: Expr = Integer(2)
    attention: str = "sdpa"
    recompute: str = "none"
    dropout: frozenset[str] = field(default_factory=frozenset)
    mask_width: Expr = Integer(1)
    tp: Expr = Integer(1)
    sp: bool = False
    softmax_fp32: bool = True
    ssm_kernel: str = "cuda"

    def __post_init__(self) -> None:
        _choice(self.attention, ATTENTION_KINDS, "attention implementation")
        _choice(self.ssm_kernel, SSM_KERNELS, "state-space kernel")
        _choice(self.recompute, RECOMPUTE, "recomputation")
        for site in self.dropout:
            _choice(site, DROPOUT_SITES, "dropout site")
        object.__setattr__(self, "dropout", frozenset(self.dropout))
        object.__setattr__(self, "width", sympy.nsimplify(self.width))
        object.__setattr__(self, "mask_width", sympy.nsimplify(self.mask_width))
        object.__setattr__(self, "tp", sympy.nsimplify(self.tp))

    def split(self, x: Expr) -> Expr:
        """A tensor split by heads, hidden size or vocabulary: its share on one tensor-parallel GPU."""
        return x / self.tp

    def stream(self, x: Expr) -> Expr:
        """A tensor of the model's width per token: split by tp only under sequence parallelism."""
        return x / self.tp if self.sp else x

    @property
    def eager(self) -> bool:
        return self.attention == "eager"

    def drops(self, site: str) -> bool:
        return site in self.dropout

    def inner(self) -> "Saving":
        """The settings inside a block that full recomputation re-runs: the same, without recomputation."""
        from dataclasses import replace

        return replace(self, recompute="none") if self.recompute == "full" else self


DEFAULT = Saving()
