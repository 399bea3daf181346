"""A tower beside the language model: weights stored, run once per image, never by a text token.

A vision-language model (Gemma 3's ``Gemma3ForConditionalGeneration``) stores a vision
encoder and a projector next to its decoder. Its parameter count includes them; what one
text token passes through, multiplies or caches does not. The tower's compute is per image
(its patches), not per token, so the per-token readings of the whole model are those of its
language model, and say so in a note rather than mixing two units.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Expr

from .base import ONE, ZERO, Fmt, Leaf, Module
from .composite import Composite
from .saving import Saving

__all__ = ["Tower", "Patches"]

_CHANNELS, _PATCH, _DIM, _FRAMES = sympy.symbols("c p d t", positive=True, integer=True)


@dataclass(frozen=True)
class Tower(Composite):
    """Parts stored with the model that a text token never passes through (a vision encoder, its projector).

    ``in_stack``: its Repeats are layers of the decoder's stack, at their indices among the decoder's
    layers, which a token without an image skips (Mllama's cross-attention layers): pipeline stages
    hold them with the layers around them. Any other tower makes the decoder's input from an image, so
    it sits on the first stage, with the embedding.
    """

    in_stack: bool = False

    def token_children(self) -> tuple[tuple[Expr, Module], ...]:
        return ()

    def cache_elements(self, T: Expr) -> Expr:
        return ZERO

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """Nothing for a step over text: the tower runs on images, whose activations are per image."""
        return ZERO

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        return {}


@dataclass(frozen=True)
class Patches(Leaf):
    """``nn.Conv2d(c, d, kernel_size=p, stride=p)``: each p x p patch of c channels to a d-vector (+ d biases).

    The patch embedding of a vision transformer (SigLIP's ``patch_embedding``): a linear map
    of c*p^2 inputs per patch, written as the convolution PyTorch stores. ``frames`` > 1 is
    ``nn.Conv3d`` over ``frames`` consecutive frames as well (Qwen3.5's temporal patches).
    """

    name: str
    channels: Expr
    patch: Expr
    dim: Expr
    bias: bool = True
    frames: Expr = ONE
    group: str = "vision"

    def params(self) -> Expr:
        return self.matmul() + (self.dim if self.bias else ZERO)

    def matmul(self) -> Expr:
        return self.channels * self.frames * self.patch**2 * self.dim

    def tensor_shapes(self) -> tuple[tuple[Expr, ...], ...]:
        """``weight`` (d, c, p, p) as ``nn.Conv2d`` stores it, (d, c, frames, p, p) as ``nn.Conv3d`` does; ``bias`` (d,)."""
        kernel = (self.patch, self.patch) if self.frames == 1 else (self.frames, self.patch, self.patch)
        return ((self.dim, self.channels, *kernel),) + (((self.dim,),) if self.bias else ())

    def example(self) -> "Patches":
        return Patches("x", _CHANNELS, _PATCH, _DIM, bias=self.bias, frames=ONE if self.frames == 1 else _FRAMES)

    def describe(self, fmt: Fmt = str) -> str:
        kernel = fmt(self.patch) if self.frames == 1 else f"{fmt(self.frames)} x {fmt(self.patch)} x {fmt(self.patch)}"
        kind = "Conv2d" if self.frames == 1 else "Conv3d"
        return f"{kind}({fmt(self.channels)} -> {fmt(self.dim)}, kernel and stride {kernel}, bias={self.bias})"
