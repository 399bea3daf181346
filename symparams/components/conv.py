"""A depthwise causal convolution over time: the short filter in front of a state-space scan."""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from .base import ZERO, Fmt, Leaf

__all__ = ["Conv1d"]

_CHANNELS, _KERNEL = sympy.symbols("c K", positive=True, integer=True)


@dataclass(frozen=True)
class Conv1d(Leaf):
    """``nn.Conv1d(c, c, kernel_size=K, groups=c, bias)``: one K-tap filter per channel.

    Mamba and Mamba-2 mix each channel with its own recent past (transformers'
    ``MambaMixer.conv1d``, ``groups=intermediate_size``): c*K weights (+ c biases).
    Every weight multiplies one input per output position, so it costs c*K
    multiply-adds per token, as a linear layer costs its weights; the bias is an
    addition, not a multiply-accumulate.

    The left padding that makes the filter causal adds no weights. transformers' eager
    path (``causal_conv1d_fn``) runs ``F.conv1d(..., padding=K - 1)``, which computes
    T + K - 1 outputs and keeps the first T: 2*c*K*(K - 1) FLOPs more per layer and
    sequence, whatever T. That is a per-sequence constant of one implementation (the
    fused ``causal_conv1d`` kernel computes only the T outputs), so the per-token
    reading leaves it out; the tests add it back when they compare with an executed
    eager forward pass.
    """

    name: str
    channels: Expr
    kernel: Expr
    bias: bool = True
    group: str = "ssm"

    def params(self) -> Expr:
        return self.channels * self.kernel + (self.channels if self.bias else ZERO)

    def matmul(self) -> Expr:
        return self.channels * self.kernel

    def tensor_shapes(self) -> tuple[tuple[Expr, ...], ...]:
        """``weight`` (c, 1, K) as ``nn.Conv1d`` with groups=c stores it; ``bias`` (c,)."""
        return ((self.channels, sympy.Integer(1), self.kernel),) + (((self.channels,),) if self.bias else ())

    def example(self) -> "Conv1d":
        return Conv1d("x", _CHANNELS, _KERNEL, bias=self.bias)

    def describe(self, fmt: Fmt = str) -> str:
        return f"Conv1d(depthwise, channels={fmt(self.channels)}, kernel={fmt(self.kernel)}, bias={self.bias})"
