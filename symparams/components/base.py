"""The two shapes every node takes: a leaf that holds weights, a composite that sums its parts.

Every reading of a model is a method here, so that a new kind of node is one class that
answers each of them for itself; no reading elsewhere switches on node types. The readings
form an explicit set (:data:`READINGS`): callers name one of them, never an arbitrary
attribute. All values are SymPy expressions in the symbols of :mod:`symparams.symbols`.

Two walks exist because storage and compute differ under a mixture of experts: ``children``
are what the model *stores* (E experts), ``token_children`` what one token *passes through*
(the router and k experts).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Iterator

import sympy
from sympy import Expr, Integer

from .saving import Saving, not_modelled

__all__ = ["Module", "Leaf", "READINGS", "TOKEN_READINGS", "Fmt", "GROUPS", "ZERO", "ONE", "reading", "least"]

Fmt = Callable[[Expr], str]
ZERO = Integer(0)
ONE = Integer(1)


def least(*args: Expr | int) -> Expr:
    """``sympy.Min`` of ``args``, evaluated only where they are all numbers.

    The readings build flags such as ``1 - Min(1, B - 1)`` (one sequence). Over symbols sympy
    searches its assumptions for the smallest argument, some milliseconds a call, and for these
    ends undecided; left unevaluated, the Min evaluates once values replace the symbols.
    """
    exprs = [Integer(a) if isinstance(a, int) else a for a in args]
    return sympy.Min(*exprs, evaluate=all(a.is_number for a in exprs))


GROUPS = ("embedding", "attention", "mlp", "norm", "head", "other")

# name -> what it means. Readings that take the context T are called with it.
READINGS: dict[str, str] = {
    "params": "weights stored",
    "active": "weights one token passes through (differs under a mixture of experts)",
    "matmul": "multiply-accumulate weights per token: forward matmul FLOPs / 2 (a tied head multiplies too)",
    "onehot": "weights of the token embedding read as a one-hot matmul (Chinchilla's convention)",
    "palm": "PaLM's N': active weights but the embedding tables, tied heads' matrices counted",
    "attention_flops": "forward FLOPs per token of the weight-free score and value matmuls at context T, as eager "
                       "attention executes them (full T x T scores, masked); causal=True: a kernel that skips the "
                       "masked blocks (position i meets i + 1 keys; see components.attention.attended)",
    "softmax_flops": "forward FLOPs per token of the attention softmax at context T (Chinchilla's convention)",
    "cache_elements": "values kept per sequence of T tokens for generation (KV cache, recurrent state)",
    "activation_bytes": "bytes a training step saves for the backward pass over B sequences of T tokens "
                        "(see components.saving: element width, attention kernel, dropout, recomputation)",
}
TOKEN_READINGS = frozenset(READINGS) - {"params", "cache_elements", "activation_bytes"}
CONTEXT_READINGS = frozenset({"attention_flops", "softmax_flops", "cache_elements", "activation_bytes"})


def reading(name: str) -> str:
    """``name`` if it is one of the readings, else an error naming them."""
    if name not in READINGS:
        from ..errors import SymparamsError

        raise SymparamsError(f"unknown reading {name!r} (known: {', '.join(READINGS)})")
    return name


@functools.lru_cache(maxsize=2048)
def _read(node: "Module", name: str, T: Expr | None) -> Expr:
    method = getattr(node, name)
    return method(T) if name in CONTEXT_READINGS else method()


class Module:
    """Base of every node: composites sum their children's readings, leaves override."""

    name: str
    group: str = "other"
    # A plain holder of other modules (a learned tree's ``model``), opened where the total is written as a sum of parts.
    holder: bool = False

    def children(self) -> tuple["Module", ...]:
        return ()

    def multiplier(self) -> Expr:
        """How many copies of each child this node holds (``Repeat`` says L)."""
        return ONE

    def token_children(self) -> tuple[tuple[Expr, "Module"], ...]:
        """``(copies one token uses, child)``: all stored copies unless a router picks some."""
        return tuple((self.multiplier(), c) for c in self.children())

    def read(self, name: str, T: Expr | None = None) -> Expr:
        """The reading ``name`` of this node (the context ``T`` for those that need it).

        Kept per node: nodes are frozen values, so models of one structure (two Llama
        configs, whatever their sizes) share their trees' readings.
        """
        try:
            return _read(self, reading(name), T)
        except TypeError as err:  # a node holding something unhashable
            if "unhashable" not in str(err):
                raise
            return _read.__wrapped__(self, name, T)

    def _stored(self, name: str, *args) -> Expr:
        return self.multiplier() * sympy.Add(*(getattr(c, name)(*args) for c in self.children()))

    def _used(self, name: str, *args) -> Expr:
        return sympy.Add(*(n * getattr(c, name)(*args) for n, c in self.token_children()))

    def params(self) -> Expr:
        return self._stored("params")

    def cache_elements(self, T: Expr) -> Expr:
        return self._stored("cache_elements", T)

    def active(self) -> Expr:
        return self._used("active")

    def matmul(self) -> Expr:
        return self._used("matmul")

    def onehot(self) -> Expr:
        return self._used("onehot")

    def palm(self) -> Expr:
        return self._used("palm")

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return sympy.Add(*(n * c.attention_flops(T, causal) for n, c in self.token_children()))

    def softmax_flops(self, T: Expr) -> Expr:
        return self._used("softmax_flops", T)

    def activation_bytes(self, T: Expr, saving: "Saving | None" = None) -> Expr:
        """Bytes saved for backward over B sequences of T tokens (see :mod:`.saving`).

        A node kind that does not say refuses: activation memory is never guessed.
        Composites (:mod:`.composite`) sum their children.
        """
        raise not_modelled(f"{type(self).__name__} nodes")

    def activation_shared(self, T: Expr, saving: "Saving | None" = None) -> dict:
        """Saved tensors several nodes share (rotary tables), by key: the root counts each key once."""
        out: dict = {}
        for _, child in self.token_children():
            out.update(child.activation_shared(T, saving))
        return out

    def input_width(self) -> Expr:
        """Elements per token of the tensor this node takes in (what full recomputation keeps of it)."""
        for child in self.children():
            return child.input_width()
        raise not_modelled(f"full recomputation of {type(self).__name__} nodes")

    def with_bias(self) -> "Module":
        """The same node with a bias on every linear layer in it (what adding biases costs)."""
        changes: dict[str, object] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, Module):
                changes[f.name] = value.with_bias()
            elif isinstance(value, tuple) and value and all(isinstance(v, Module) for v in value):
                changes[f.name] = tuple(v.with_bias() for v in value)
            elif f.name in ("bias", "qkv_bias", "out_bias") and value is False:
                changes[f.name] = True
        return dataclasses.replace(self, **changes) if changes else self  # type: ignore[type-var]

    def describe(self, fmt: Fmt = str) -> str:
        return type(self).__name__

    def walk(self, depth: int = 0, times: Expr = ONE) -> Iterator[tuple[int, Expr, "Module"]]:
        """Yield ``(depth, copies, node)`` for this node and every node it stores."""
        yield depth, times, self
        inner = times * self.multiplier()
        for child in self.children():
            yield from child.walk(depth + 1, inner)

    def token_walk(self, times: Expr = ONE) -> Iterator[tuple[Expr, "Module"]]:
        """Yield ``(copies one token uses, node)``: experts counted top-k times, not E."""
        yield times, self
        for n, child in self.token_children():
            yield from child.token_walk(times * n)


class Leaf(Module):
    """A node that holds weights itself: active = stored, and nothing else unless it says so."""

    def params(self) -> Expr:  # pragma: no cover - every leaf says
        raise NotImplementedError

    def active(self) -> Expr:
        return self.params()

    def matmul(self) -> Expr:
        return ZERO

    def onehot(self) -> Expr:
        return ZERO

    def palm(self) -> Expr:
        return self.active()

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        return ZERO

    def softmax_flops(self, T: Expr) -> Expr:
        return ZERO

    def cache_elements(self, T: Expr) -> Expr:
        return ZERO

    def example(self) -> "Leaf":
        """This kind of leaf on placeholder sizes, so a document can state its rule once."""
        return self

    def tensor_shapes(self) -> tuple[tuple[Expr, ...], ...]:
        """The shapes of the tensors this leaf stores (what optimizers that factor or split by shape read).

        One vector of all its values unless the leaf says (a weight matrix and a bias vector).
        """
        return ((self.params(),),)

    def rule_note(self) -> str:
        """A word on this kind of leaf beside its rule, where the formula alone would puzzle (a tied head)."""
        return ""

    def sized_product(self, size: Callable[[Expr], Expr]) -> Expr | None:
        """The count as a product of this leaf's sizes, each given by ``size``, left unmultiplied.

        A derivation shows it as the substitution line (``1,280 × 5,120``), the way one
        writes a layer's shape; None where the formula with numbers put in reads as well.
        """
        return None
