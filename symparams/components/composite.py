"""Composites: named groups of nodes (Block, Model) and ``Repeat``, the L of "L blocks"."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

import sympy
from sympy import Expr

from ..symbols import B
from .base import ZERO, Fmt, Module, least
from .saving import DEFAULT, FP32, INDEX, Saving, not_modelled

__all__ = ["Composite", "Repeat", "Block", "Model", "recomputed", "working_set", "largest", "placed", "layers_hold", "unplaced",
           "stack"]


@dataclass(frozen=True)
class Composite(Module):
    """A named group of children whose readings are the sums of theirs."""

    name: str
    parts: tuple[Module, ...]
    group: str = "other"
    label: str = ""

    def children(self) -> tuple[Module, ...]:
        return self.parts

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """The sum of the parts' (each saved tensor is counted by one node; see :mod:`.saving`)."""
        return sympy.Add(*(n * c.activation_bytes(T, saving) for n, c in self.token_children()))

    def describe(self, fmt: Fmt = str) -> str:
        return self.label or type(self).__name__


@dataclass(frozen=True)
class Repeat(Module):
    """``count`` identical copies of ``child``: the L of "L blocks".

    ``fp32_stream``: the copies hand each other an fp32 residual stream whatever the
    activation dtype (Mamba's ``residual_in_fp32``), so each copy's input after the first
    is 4 bytes per element; only full recomputation, which keeps those inputs, sees it.
    ``continued``: the first copy too takes that fp32 stream, from copies before it (a
    later pipeline stage's share of the layers).
    ``layer_inputs`` false: the copies are parts of layers whose inputs another Repeat
    counts (Jamba's feed-forward halves, repeated apart from their mixers), so full
    recomputation keeps no input of theirs, and pipeline stages do not count them as layers.
    ``layers``: the decoder-layer indices of the copies, where the family knows them
    (empty: unknown); pipeline stages and the recomputed layer's working set follow them.
    """

    name: str
    count: Expr
    child: Module
    group: str = "other"
    fp32_stream: bool = False
    layer_inputs: bool = True
    continued: bool = False
    layers: tuple[int, ...] = ()

    def children(self) -> tuple[Module, ...]:
        return (self.child,)

    def multiplier(self) -> Expr:
        return self.count

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """``count`` copies; under full recomputation each keeps only its input (:meth:`kept_bytes`),
        and the backward pass re-runs one copy at a time, holding that copy's activations while it
        does (Korthikanti et al. 2022 leave this working set out of their 2*s*b*h*L; it is counted
        here, as it is part of the peak).
        """
        s = saving or DEFAULT
        if s.recompute == "full":
            return self.kept_bytes(T, s) + self.child.activation_bytes(T, s.inner())
        return self.count * self.child.activation_bytes(T, s)

    def kept_bytes(self, T: Expr, saving: Saving) -> Expr:
        """The layer inputs full recomputation keeps: a*B*T per input element and copy (with
        ``fp32_stream`` 4*B*T for every copy after the first, and for the first too if ``continued``)."""
        if not self.layer_inputs:
            return ZERO
        s = saving
        if not self.fp32_stream:
            per_copy = self.count * s.width
        elif self.continued:
            per_copy = self.count * FP32
        else:
            per_copy = s.width + (self.count - 1) * FP32
        return s.stream(per_copy * B * T * self.child.input_width())

    def describe(self, fmt: Fmt = str) -> str:
        count = fmt(self.count)
        if isinstance(self.count, sympy.Add) and any(c in count for c in "+-− "):
            count = f"({count})"  # (L - L_s) x block, not L - (L_s x block)
        return f"{count} x {self.child.describe(fmt)}"


def placed(parts: Sequence[Module], pattern: Sequence[str]) -> tuple[Module, ...]:
    """``parts`` with each Repeat that ``pattern`` names given its layers' indices.

    ``pattern`` names, layer by layer, the Repeat that holds that layer (a family reads it
    from its config's layer pattern), so pipeline stages hold their own layers' kinds.
    """
    return tuple(replace(p, layers=tuple(i for i, k in enumerate(pattern) if k == p.name))
                 if isinstance(p, Repeat) and p.name in pattern else p for p in parts)


def stack(parts: Sequence[Module]) -> list[Repeat]:
    """The Repeats of the decoder's stack among ``parts``: the top-level ones, then those of a part whose layers sit
    among the decoder's (``in_stack``: Mllama's cross-attention layers, kept apart as a token without an image skips
    them)."""
    return [p for p in parts if isinstance(p, Repeat)] + [
        r for p in parts if getattr(p, "in_stack", False) for r in p.children() if isinstance(r, Repeat)]


def layers_hold(parts: Sequence[Module], count: Callable[[Expr], int]) -> bool:
    """Whether every Repeat's layer indices still fit its count (``count`` values it): one index per copy,
    and the layer-input Repeats together hold layers 0 .. L-1 once each. Changed values (a new L) break them."""
    repeats = stack(parts)
    if not repeats or not all(len(r.layers) == count(r.count) for r in repeats):
        return False
    heads = sorted(i for r in repeats if r.layer_inputs for i in r.layers)
    return heads == list(range(len(heads))) and all(set(r.layers) <= set(heads) for r in repeats)


def unplaced(parts: Sequence[Module]) -> tuple[Module, ...]:
    """``parts`` with no Repeat's layer indices (stages then cut in tree order, and recomputation takes the bound)."""
    def bare(p: Module) -> Module:
        if isinstance(p, Repeat) and p.layers:
            return replace(p, layers=())
        if isinstance(p, Composite) and getattr(p, "in_stack", False):
            return replace(p, parts=tuple(bare(r) for r in p.parts))
        return p
    return tuple(bare(p) for p in parts)


def recomputed(parts: tuple[Module, ...], T: Expr, saving: Saving) -> Expr:
    """What full recomputation holds at once for ``parts`` (a model's or a pipeline stage's top-level
    parts): every Repeat's kept inputs, the other parts' own activations, and the working set of the
    one layer the backward pass re-runs at a time, the largest of the layers' (:func:`working_set`).
    """
    body = sympy.Add(*(c.kept_bytes(T, saving) if isinstance(c, Repeat) else c.activation_bytes(T, saving)
                       for c in parts))
    return body + working_set(parts, T, saving)


def working_set(parts: tuple[Module, ...], T: Expr, saving: Saving) -> Expr:
    """The largest activations one recomputed decoder layer holds, over the layers in ``parts``.

    Only one layer is re-run at a time, so the peak takes the largest, not the sum. A layer
    split over several Repeats (a mixer Repeat carrying its input, a feed-forward Repeat with
    ``layer_inputs`` false) holds both halves: where every Repeat knows its layer indices the
    halves are paired layer by layer, else the largest of each track are added (a bound that
    is reached when those two halves meet in one layer).
    """
    repeats = [c for c in parts if isinstance(c, Repeat)]
    if not repeats:
        return ZERO
    inner = saving.inner()
    work = {id(r): r.child.activation_bytes(T, inner) for r in repeats}
    heads = [r for r in repeats if r.layer_inputs]
    halves = [r for r in repeats if not r.layer_inputs]
    if halves and all(r.layers for r in repeats):
        combos = {tuple(id(r) for r in repeats if i in r.layers) for h in heads for i in h.layers}
        return largest(sympy.Add(*(work[k] for k in combo)) for combo in combos)
    return sympy.Add(*(largest(work[id(r)] for r in track) for track in (heads, halves) if track))


def largest(exprs: Iterable[Expr]) -> Expr:
    """``sympy.Max`` of ``exprs``, without its search through the assumptions for which one wins.

    For two layers' working sets (hundreds of terms under ceilings and Mins) that search runs
    about a second and ends undecided. Here an argument is dropped where another is at least
    as large term by term: their difference, expanded, has only nonnegative coefficients over
    nonnegative atoms (of two equal ones, the first in sympy's order stays). What remains is
    left unevaluated, and evaluates once values replace the symbols.
    """
    args = sorted(set(exprs), key=sympy.default_sort_key)
    if len(args) < 2 or all(a.is_number for a in args):
        return sympy.Max(*args)
    kept = [a for i, a in enumerate(args)
            if not any(j != i and _at_least(b, a) and (j < i or not _at_least(a, b)) for j, b in enumerate(args))]
    return kept[0] if len(kept) == 1 else sympy.Max(*kept, evaluate=False)


def _at_least(a: Expr, b: Expr) -> bool:
    """Whether ``a >= b`` for every value of the symbols, read term by term (False where unsure)."""
    terms = sympy.Add.make_args(sympy.expand(a - b))
    return all(t.as_coeff_Mul()[0] >= 0 and all(f.is_nonnegative for f in sympy.Mul.make_args(t.as_coeff_Mul()[1]))
               for t in terms if t != 0)


@dataclass(frozen=True)
class Block(Composite):
    """One transformer block: its norms, attention and MLP (and any extras)."""


@dataclass(frozen=True)
class Model(Composite):
    """The root: embeddings, the repeated blocks, final norm and head.

    ``logit_softcap``: the logits pass through cap * tanh(logits / cap) before the loss (Gemma 2's
    ``final_logit_softcapping``), whose tanh keeps its output.
    """

    logit_softcap: bool = False

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        """The parts', the tensors layers share (counted once), and the loss.

        Under full recomputation the layers keep their inputs and one layer's working set,
        the largest (:func:`recomputed`).

        Shared: rotary cos and sin tables, unless the model stores a position table (learned
        positions). The loss: see :meth:`loss_activation`.
        """
        s = saving or DEFAULT
        body = recomputed(self.children(), T, s) if s.recompute == "full" else super().activation_bytes(T, s)
        return body + self.shared_activation(T, s) + self.loss_activation(T, s)

    def shared_activation(self, T: Expr, saving: Saving | None = None, parts: tuple[Module, ...] | None = None) -> Expr:
        """Tensors several layers share, each counted once: the rotary tables of ``parts`` (default: all),
        and the causal mask a checkpointed attention core keeps (``core_shared``).

        A model that stores a position table has learned positions, and no rotary tables.
        """
        s = saving or DEFAULT
        learned = ("positions", "learned") in self.activation_shared(T, s)
        shared: dict = {}
        for part in self.children() if parts is None else parts:
            shared.update(part.activation_shared(T, s))
            for _, _, node in part.walk():
                core = getattr(node, "core_shared", None)
                if callable(core):
                    shared.update(core(T, s))
        return sympy.Add(*(v for key, v in shared.items() if not (learned and key[:2] == ("positions", "rotary"))))

    def loss_activation(self, T: Expr, saving: Saving | None = None) -> Expr:
        """What the loss keeps (transformers' ``ForCausalLMLoss``: cross-entropy over the logits cast to fp32).

        The log-softmax of the logits (4*V bytes per token; split by the vocabulary under
        tensor parallelism), the shifted labels (int64 per token) and the count of labelled
        tokens (one fp32 scalar). With one sequence the shifted labels
        (``labels[..., 1:].contiguous()`` of the labels padded to T + 1) are already
        contiguous, so they stay a view and the padded T + 1 values are kept: one more.
        Projections before the head (OPT-350m's ``project_out``) are read as the layers they are.
        A ``logit_softcap`` keeps the tanh of the logits, in the activation dtype (a*V per token).
        """
        s = saving or DEFAULT
        heads = [c for c in self.children() if c.group == "head"]
        if not heads or not _chained(heads):
            raise not_modelled("a model without one LM head (the loss is read from its output width)")
        vocab = _output_width(heads[-1])
        single = 1 - least(1, B - 1)  # one sequence: the padded labels stay a view
        capped = s.width if self.logit_softcap else ZERO
        return s.split((FP32 + capped) * B * T * vocab) + INDEX * (B * T + single) + FP32


def _chained(heads: list[Module]) -> bool:
    """One LM head, or projections that feed it one into the next (OPT-350m's ``project_out``, then ``lm_head``)."""
    widths = [(getattr(h, "d_in", None), getattr(h, "d_out", None)) for h in heads]
    return all(out is not None and out == nxt for (_, out), (nxt, _) in zip(widths, widths[1:]))


def _output_width(head: Module) -> Expr:
    width = getattr(head, "d_out", None)
    if width is None:
        raise not_modelled(f"an LM head of kind {type(head).__name__}")
    return width
