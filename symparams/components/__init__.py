"""The node types of the module tree.

A model is a tree of small frozen nodes. Leaves know their own weight shapes
(``Linear``, ``Embedding``, ``Norm``, ``Parameter``); composites only add up their
children, and ``Repeat`` multiplies. Every reading of a model (total, breakdown,
active parameters, FLOPs, KV cache, derivations) is a walk of the same tree, so they can
never disagree with one another. Each kind of node lives in a small module of its own
and answers every reading in :data:`~symparams.components.base.READINGS` itself.
"""

from __future__ import annotations

from .attention import Attention
from .base import GROUPS, READINGS, Fmt, Leaf, Module, reading
from .composite import Block, Composite, Model, Repeat
from .leaves import Embedding, Linear, Norm, Parameter
from .mlp import MLP, MoE

__all__ = [
    "Module", "Leaf", "Linear", "Embedding", "Norm", "Parameter", "Composite", "Repeat",
    "Attention", "MLP", "MoE", "Block", "Model", "Fmt", "GROUPS", "READINGS", "reading",
]
