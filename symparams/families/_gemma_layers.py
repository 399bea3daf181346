"""Shared reading and building for the decoders of issue #11 that mix layer kinds or shapes.

Gemma 2/3, VaultGemma, gpt-oss, Cohere 2, EXAONE 4, Ministral, SmolLM3 and StarCoder2 give
some of their L layers a sliding window of W tokens and the rest full attention. The
weights of the two kinds are the same; their attention FLOPs and KV cache are not. So the
layers become two :class:`~symparams.components.Repeat` nodes, L_s windowed blocks and
L - L_s full ones, and the closed form stays a polynomial in L and L_s:

* where the config lists ``layer_types``, L_s is the number of ``sliding_attention``
  entries, a free value (at most L);
* where transformers derives the list from a pattern (every p-th layer full, Gemma 3's
  ``sliding_window_pattern``), L_s is that rule as a relation of L, ``L - floor(L/p)``,
  kept as the symbol L_s in closed forms, so ``--set L=...`` moves it as transformers
  would.

Attention is :class:`~symparams.components.decoder_attention.DecoderAttention`, whose
``window`` caps what a layer caches and what a causal kernel attends to. The module
also reads the sizes these families share (their own field names for the
activation, head_dim rules that differ from Llama's), activations with learned weights
(xIELU's two scalars per MLP, PReLU's one), and the padding row transformers checks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from sympy import Expr, Integer

from ..components import MLP, Block, Embedding, Linear, Model, Module, Norm, Parameter, Repeat
from ..components.composite import placed
from ..components.decoder_attention import DecoderAttention
from ..spec import AtMost, Spec
from ..symbols import D, H, H_kv, L, L_s, V, W, d_h
from . import decoder
from ._layered_config import check_padding, read_activation, read_sizes
from .activations import ACTIVATIONS
from .decoder import LLAMA_ATTENTION, Sizes
from .layer_kinds import (
    FULL,
    NO_WINDOW,
    SLIDING,
    Layers,
    every_pth_full,
    read_layers,
    read_pattern,
    read_window,
    uniform_layers,
)

__all__ = [
    "SLIDING", "FULL", "Layers", "read_layers", "read_window", "read_pattern", "NO_WINDOW", "uniform_layers",
    "every_pth_full", "read_sizes", "read_activation", "check_padding", "mlp_with_activation", "attention",
    "layer_stack", "decoder_model", "layered_spec", "per_head_norms", "pre_norm_block", "window_label",
]

def mlp_with_activation(mlp: MLP, activation: str, name: str = "act_fn") -> tuple[Module, ...]:
    """``mlp``, and beside it the learned scalars of its activation where it has some (xIELU: 2, PReLU: 1).

    transformers builds one activation module per MLP (``ACT2FN[name]`` makes a new
    instance each time), so each block stores its own. They stay a leaf of their own
    beside the MLP node, which keeps answering for the MLP's FLOPs and saved tensors.
    """
    learned = ACTIVATIONS.get(activation, 0)
    if not learned:
        return (mlp,)
    return (mlp, Parameter(name, (Integer(learned),), group=mlp.group))


def attention(window: Expr | None, *, qkv_bias: bool = False, out_bias: bool = False, qk_norm: bool = False,
              names: tuple[str, str, str, str] = LLAMA_ATTENTION) -> DecoderAttention:
    """GQA attention (q/k/v/o named as Llama's), with RMSNorm over each q and k head and a window where asked."""
    return DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=qkv_bias, out_bias=out_bias, names=names,
                            qk_norm=qk_norm, window=window)


def layer_stack(block: Callable[[Expr | None], Block], layers: Layers) -> tuple[Module, ...]:
    """One Repeat of L blocks, or L_s windowed blocks and L - L_s full ones.

    ``block(window)`` builds one block whose attention has that window (None: full
    attention); the weights of the two kinds are the same, their FLOPs and cache differ.
    """
    if layers.mixed:
        stack = (Repeat("sliding_layers", L_s, block(W)), Repeat("full_layers", L - L_s, block(None)))
        if len(layers.pattern) != layers.layers:
            return stack
        return placed(stack, ["sliding_layers" if x else "full_layers" for x in layers.pattern])
    return (Repeat("layers", L, block(W if layers.all_sliding else None)),)


def decoder_model(name: str, label: str, stack: tuple[Module, ...], final_norm: Module | None, tied: bool,
                  embed: Module | None = None) -> Model:
    """embed_tokens; the layer stack(s); the final norm; lm_head (tied to the embedding or not)."""
    parts: list[Module] = [embed or Embedding("embed_tokens", V, D), *stack]
    if final_norm is not None:
        parts.append(final_norm)
    parts.append(Linear("lm_head", D, V, tied=tied, group="head"))
    return Model(name, tuple(parts), label=label)


def layered_spec(family: str, tree: Model, sizes: Sizes, layers: Layers | None = None,
                 experts: tuple[int, int] | None = None, notes: tuple[str, ...] = ()) -> Spec:
    """:func:`decoder.decoder_spec` plus W and L_s where some layers are windowed (W alone where every layer is
    full but handed the window's mask, ``Layers.masked``).

    L_s is a free value (at most L) when the config lists the layers, and the relation
    of its pattern when transformers derives them; either way closed forms keep L_s.
    """
    notes = notes + (layers.notes if layers is not None else ())
    spec = decoder.decoder_spec(family, tree, sizes, experts=experts, notes=tuple(dict.fromkeys(notes)))
    if layers is None or layers.window is None or not layers.has_window:
        return spec
    values = dict(spec.values)
    relations = dict(spec.relations)
    constraints = list(spec.constraints)
    values[W] = Integer(layers.window)
    if layers.mixed:
        if layers.rule is not None:
            relations[L_s] = layers.rule.expr()
        else:
            values[L_s] = Integer(layers.sliding)
            constraints.append(AtMost(L_s, L, "the sliding layers are some of the L layers"))
    return replace(spec, values=tuple(values.items()), relations=tuple(relations.items()),
                   constraints=tuple(constraints), kept=(*spec.kept, L_s))


def per_head_norms(names: tuple[str, str] = ("q_norm", "k_norm")) -> tuple[Norm, Norm]:
    """LayerNorm weights of a shape per head: H*d_h over the queries, H_kv*d_h over the keys, each head normalised
    alone (StableLM's ``StableLmLayerNormPerHead``: one bias-free LayerNorm(d_h) per head). They sit inside
    ``self_attn``, so they count as attention."""
    return (Norm(names[0], H * d_h, kind="layer", weight=True, group="attention", vectors=H, width=d_h),
            Norm(names[1], H_kv * d_h, kind="layer", weight=True, group="attention", vectors=H_kv, width=d_h))


def pre_norm_block(attn: Module, mlp: tuple[Module, ...], norm: Callable[[str], Norm],
                   names: tuple[str, str] = ("input_layernorm", "post_attention_layernorm"),
                   extra: tuple[Module, ...] = (), label: str = "pre-norm decoder block") -> Block:
    """norm -> attention (and anything beside it), norm -> MLP: Llama's block with the family's norm and names."""
    return Block("layer", (norm(names[0]), attn, *extra, norm(names[1]), *mlp), label=label)


def window_label(label: str, window: Expr | None) -> str:
    return f"{label}, sliding window" if window is not None else label
