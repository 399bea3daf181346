"""Composites: named groups of nodes (Block, Model) and ``Repeat``, the L of "L blocks"."""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr

from .base import Fmt, Module

__all__ = ["Composite", "Repeat", "Block", "Model"]


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
class Block(Composite):
    """One transformer block: its norms, attention and MLP (and any extras)."""


@dataclass(frozen=True)
class Model(Composite):
    """The root: embeddings, the repeated blocks, final norm and head."""
