"""The node types of the module tree.

A model is a tree of small frozen nodes. Leaves know their own weight shapes
(``Linear``, ``Embedding``, ``Norm``, ``Parameter``); composites only add up their
children, and ``Repeat`` multiplies. Every reading of a model (total, breakdown,
active parameters, FLOPs, derivations) is a walk of the same tree, so they can
never disagree with one another.

Each node answers four questions, all as SymPy expressions in the symbols of
:mod:`symparams.symbols`:

* ``params``: the weights it stores;
* ``active``: the weights a single token passes through (differs only under MoE);
* ``matmul``: the multiply-accumulate weights a token uses, i.e. forward FLOPs / 2
  of its dense layers (a tied LM head stores nothing but still multiplies);
* ``attention_flops(T)``: forward FLOPs per token of the score and value matmuls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import sympy
from sympy import Expr, Integer

__all__ = [
    "Module", "Leaf", "Linear", "Embedding", "Norm", "Parameter", "Composite", "Repeat",
    "Attention", "MLP", "MoE", "Block", "Model", "Fmt", "GROUPS",
]

Fmt = Callable[[Expr], str]
ZERO = Integer(0)

GROUPS = ("embedding", "attention", "mlp", "norm", "head", "other")


def _sympy(x) -> Expr:
    return sympy.sympify(x) if not isinstance(x, sympy.Basic) else x


class Module:
    """Base of every node: composites sum their children, leaves override."""

    name: str
    group: str = "other"

    def children(self) -> tuple["Module", ...]:
        return ()

    def multiplier(self) -> Expr:
        """How many copies of each child this node holds (``Repeat`` says L)."""
        return Integer(1)

    def params(self) -> Expr:
        return self.multiplier() * sympy.Add(*(c.params() for c in self.children()))

    def active(self) -> Expr:
        return self.multiplier() * sympy.Add(*(c.active() for c in self.children()))

    def matmul(self) -> Expr:
        return self.multiplier() * sympy.Add(*(c.matmul() for c in self.children()))

    def attention_flops(self, T: Expr) -> Expr:
        return self.multiplier() * sympy.Add(*(c.attention_flops(T) for c in self.children()))

    def describe(self, fmt: Fmt = str) -> str:
        return type(self).__name__

    def walk(self, depth: int = 0, times: Expr = Integer(1)) -> Iterator[tuple[int, Expr, "Module"]]:
        """Yield ``(depth, copies, node)`` for this node and every node below it."""
        yield depth, times, self
        inner = times * self.multiplier()
        for child in self.children():
            yield from child.walk(depth + 1, inner)


class Leaf(Module):
    """A node that holds weights itself: active = stored, and no matmul unless it says so."""

    def active(self) -> Expr:
        return self.params()

    def matmul(self) -> Expr:
        return ZERO

    def attention_flops(self, T: Expr) -> Expr:
        return ZERO


@dataclass(frozen=True)
class Linear(Leaf):
    """``nn.Linear(d_in, d_out, bias)``: d_in*d_out weights (+ d_out biases).

    ``tied`` marks an output layer that reuses the embedding matrix: it stores no
    weight of its own (only its bias, if any) but still costs a full matmul.
    """

    name: str
    d_in: Expr
    d_out: Expr
    bias: bool = False
    tied: bool = False
    group: str = "other"

    def params(self) -> Expr:
        weight = ZERO if self.tied else self.d_in * self.d_out
        return weight + (self.d_out if self.bias else ZERO)

    def matmul(self) -> Expr:
        return self.d_in * self.d_out

    def describe(self, fmt: Fmt = str) -> str:
        tied = ", tied to the embedding" if self.tied else ""
        return f"Linear({fmt(self.d_in)} -> {fmt(self.d_out)}, bias={self.bias}{tied})"


@dataclass(frozen=True)
class Embedding(Leaf):
    """``nn.Embedding(rows, dim)``: a lookup table, rows*dim weights and no matmul."""

    name: str
    rows: Expr
    dim: Expr
    group: str = "embedding"

    def params(self) -> Expr:
        return self.rows * self.dim

    def describe(self, fmt: Fmt = str) -> str:
        return f"Embedding({fmt(self.rows)}, {fmt(self.dim)})"


@dataclass(frozen=True)
class Norm(Leaf):
    """RMSNorm or LayerNorm over ``dim``: a weight and/or a bias vector, or nothing.

    nanochat's ``F.rms_norm`` has neither (0 parameters); Llama's RMSNorm has a
    weight (D); LayerNorm usually has both (2D).
    """

    name: str
    dim: Expr
    kind: str = "rms"
    weight: bool = False
    bias: bool = False
    group: str = "norm"

    def params(self) -> Expr:
        return self.dim * (int(self.weight) + int(self.bias))

    def describe(self, fmt: Fmt = str) -> str:
        kind = {"rms": "RMSNorm", "layer": "LayerNorm"}.get(self.kind, self.kind)
        parts = [p for p, on in (("weight", self.weight), ("bias", self.bias)) if on]
        learned = "+".join(parts) if parts else "no learnable parameters"
        return f"{kind}({fmt(self.dim)}, {learned})"


@dataclass(frozen=True)
class Parameter(Leaf):
    """A bare tensor of learned values (scalars, gates) that is not a layer."""

    name: str
    shape: tuple[Expr, ...]
    group: str = "other"

    def params(self) -> Expr:
        return sympy.Mul(*self.shape) if self.shape else Integer(1)

    def describe(self, fmt: Fmt = str) -> str:
        return f"Parameter({', '.join(fmt(s) for s in self.shape)})"


@dataclass(frozen=True)
class Composite(Module):
    """A named group of children whose readings are the sums of theirs."""

    name: str
    parts: tuple[Module, ...]
    group: str = "other"
    label: str = ""

    def children(self) -> tuple[Module, ...]:
        return self.parts

    def describe(self, fmt: Fmt = str) -> str:
        return self.label or type(self).__name__


@dataclass(frozen=True)
class Repeat(Module):
    """``count`` identical copies of ``child``: the L of "L blocks"."""

    name: str
    count: Expr
    child: Module
    group: str = "other"

    def children(self) -> tuple[Module, ...]:
        return (self.child,)

    def multiplier(self) -> Expr:
        return self.count

    def describe(self, fmt: Fmt = str) -> str:
        return f"{fmt(self.count)} x {self.child.describe(fmt)}"


@dataclass(frozen=True)
class Attention(Module):
    """Multi-head attention with ``kv_heads`` key/value heads (MHA, GQA or MQA).

    Q: D -> H*d_h; K, V: D -> H_kv*d_h; output: H*d_h -> D. The score (QK^T) and
    value (AV) matmuls add 2*T*H*d_h FLOPs each per token and layer, forward, with
    no weights.
    """

    name: str
    d_model: Expr
    heads: Expr
    kv_heads: Expr
    head_dim: Expr
    qkv_bias: bool = False
    out_bias: bool = False
    group: str = "attention"
    names: tuple[str, str, str, str] = ("q", "k", "v", "o")

    def children(self) -> tuple[Module, ...]:
        q, k, v, o = self.names
        inner, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        g = self.group
        return (
            Linear(q, self.d_model, inner, self.qkv_bias, group=g),
            Linear(k, self.d_model, kv, self.qkv_bias, group=g),
            Linear(v, self.d_model, kv, self.qkv_bias, group=g),
            Linear(o, inner, self.d_model, self.out_bias, group=g),
        )

    def attention_flops(self, T: Expr) -> Expr:
        return 2 * 2 * T * self.heads * self.head_dim

    def describe(self, fmt: Fmt = str) -> str:
        return f"Attention(heads={fmt(self.heads)}, kv_heads={fmt(self.kv_heads)}, head_dim={fmt(self.head_dim)})"


@dataclass(frozen=True)
class MLP(Module):
    """Feed-forward: up D -> F, activation, down F -> D; gated adds a second D -> F.

    ``gated`` is SwiGLU/GeGLU (three matrices); plain is GELU/ReLU^2 (two).
    """

    name: str
    d_model: Expr
    hidden: Expr
    gated: bool = False
    bias: bool = False
    activation: str = "relu2"
    group: str = "mlp"
    names: tuple[str, ...] = ()

    def children(self) -> tuple[Module, ...]:
        g, b = self.group, self.bias
        if self.gated:
            gate, up, down = self.names or ("gate", "up", "down")
            return (
                Linear(gate, self.d_model, self.hidden, b, group=g),
                Linear(up, self.d_model, self.hidden, b, group=g),
                Linear(down, self.hidden, self.d_model, b, group=g),
            )
        up, down = self.names or ("fc", "proj")
        return (
            Linear(up, self.d_model, self.hidden, b, group=g),
            Linear(down, self.hidden, self.d_model, b, group=g),
        )

    def describe(self, fmt: Fmt = str) -> str:
        kind = "gated" if self.gated else "plain"
        return f"MLP({kind}, {self.activation}, hidden={fmt(self.hidden)})"


@dataclass(frozen=True)
class MoE(Module):
    """Mixture of experts: a router D -> E and E experts, of which k run per token."""

    name: str
    router: Linear
    expert: Module
    experts: Expr
    top_k: Expr
    group: str = "mlp"

    def children(self) -> tuple[Module, ...]:
        return (self.router, Repeat("experts", self.experts, self.expert, group=self.group))

    def active(self) -> Expr:
        return self.router.active() + self.top_k * self.expert.active()

    def matmul(self) -> Expr:
        return self.router.matmul() + self.top_k * self.expert.matmul()

    def describe(self, fmt: Fmt = str) -> str:
        return f"MoE(experts={fmt(self.experts)}, top_k={fmt(self.top_k)})"


@dataclass(frozen=True)
class Block(Composite):
    """One transformer block: its norms, attention and MLP (and any extras)."""

    def describe(self, fmt: Fmt = str) -> str:
        return self.label or "Block"


@dataclass(frozen=True)
class Model(Composite):
    """The root: embeddings, the repeated blocks, final norm and head."""

    def describe(self, fmt: Fmt = str) -> str:
        return self.label or "Model"
