"""What the Qwen3 / Qwen2-MoE / Qwen3-Next / Llama 4 / Phi-3 families share: a pre-norm decoder whose layers differ.

These decoders are Llama's block (norm -> attention, norm -> MLP, a final norm and an LM
head) with layers of two kinds along one or two axes:

* the token mixer: full or sliding-window attention (Qwen3, Qwen2-MoE), full or chunked
  attention (Llama 4), full attention or Gated DeltaNet (Qwen3-Next, Qwen3.5);
* the feed-forward: a dense MLP or a mixture of experts (``decoder_sparse_step`` and
  ``mlp_only_layers`` in Qwen, ``moe_layers`` / ``interleave_moe_layer_step`` in Llama 4).

Each axis becomes a count symbol so that the closed form stays a polynomial that reads
like the paper's: L_d dense layers and L - L_d MoE layers, L_s sliding (or chunked) layers
and L - L_s full ones, L_a full-attention layers and L - L_a linear-attention ones. A kind
that no layer has leaves no term (and no symbol: every symbol's value is positive).

When only one axis varies, each kind is a ``Repeat`` of whole blocks. When both vary (a
sliding layer may be dense or MoE), the counts of the four combinations are not a
polynomial in the two symbols, so the tree repeats the two halves of a block apart:
(L - L_s) x [norm, full attention] + L_s x [norm, sliding attention] + L_d x [norm, MLP]
+ (L - L_d) x [norm, MoE]. Every reading is a sum over layers, so the halves give the
same totals as the blocks would.

The readers below follow transformers 5's config classes: ``layer_types`` must hold one
known type per layer (``PreTrainedConfig.validate_layer_type``, with its legacy names
``attention`` -> ``full_attention`` and ``mamba`` -> ``linear_attention``), and a head
size left to the model is ``hidden_size // num_attention_heads``, floor division as the
attention classes do it (``getattr(config, "head_dim", D // H)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from sympy import Expr, Integer, Symbol

from ..components import Block, Composite, Embedding, Linear, Model, Module, Norm, Repeat
from ..spec import AtMost, Constraint, Divides, Spec
from ..symbols import SYMBOLS, D, H, H_kv, L, T, V, d_h
from ._qwen_config import (
    GROUPS,
    Core,
    check_padding,
    core_fields,
    core_of,
    int_list,
    layer_types,
    list_field,
    read_core,
    read_experts,
    read_window,
    sparse_layers,
)
from .registry import Reading

__all__ = [
    "GROUPS", "Core", "core_fields", "read_core", "check_padding", "int_list", "read_window", "layer_types",
    "read_experts", "sparse_layers", "Axis", "decoder_tree", "decoder_spec", "rms", "layer_norm", "list_field",
    "reading_spec",
]


@dataclass(frozen=True)
class Axis:
    """One way layers differ: each layer's kind, the module of each kind, and the symbol that counts one kind.

    ``counted`` is the kind whose number of layers is ``symbol``; the other kind has
    L - symbol. ``labels`` name the repeated parts (``moe_layers``, ``sliding_layers``).
    """

    kinds: tuple[str, ...]
    modules: Mapping[str, Module]
    counted: str
    symbol: Symbol

    def counts(self) -> tuple[list[tuple[str, Expr]], dict[Symbol, int]]:
        """(kind, count expression) in order of first appearance, and the symbol's value if it is used."""
        order = list(dict.fromkeys(self.kinds))
        if len(order) == 1:
            return [(order[0], L)], {}
        assert len(order) == 2, order
        n = self.kinds.count(self.counted)
        return [(kind, self.symbol if kind == self.counted else L - self.symbol) for kind in order], {self.symbol: n}


def rms(name: str, dim: Expr = D) -> Norm:
    """``RMSNorm(dim)`` with a learned weight."""
    return Norm(name, dim, "rms", weight=True)


def layer_norm(name: str, dim: Expr = D) -> Norm:
    """``nn.LayerNorm(dim)``: a weight and a bias."""
    return Norm(name, dim, "layer", weight=True, bias=True)


def decoder_tree(name: str, label: str, attention: Axis, mlp: Axis, tied: bool,
                 norm: Callable[[str], Norm] = rms, head_bias: bool = False) -> tuple[Model, dict[Symbol, int]]:
    """embed_tokens; the layers (see the module docstring); norm; lm_head. Also the count symbols' values."""
    attn_counts, attn_values = attention.counts()
    mlp_counts, mlp_values = mlp.counts()
    pre, post = norm("input_layernorm"), norm("post_attention_layernorm")
    parts: list[Module] = []
    if len(attn_counts) == 1 or len(mlp_counts) == 1:
        for a_kind, a_count in attn_counts:
            for m_kind, m_count in mlp_counts:
                count = a_count if len(attn_counts) > 1 else m_count
                varying = a_kind if len(attn_counts) > 1 else m_kind
                block = Block("layer", (pre, attention.modules[a_kind], post, mlp.modules[m_kind]),
                              label="pre-norm decoder block")
                several = len(attn_counts) > 1 or len(mlp_counts) > 1
                axis = attention if len(attn_counts) > 1 else mlp
                parts.append(Repeat(f"{varying}_layers" if several else "layers", count, block,
                                    layers=tuple(i for i, k in enumerate(axis.kinds) if k == varying)))
    else:
        # each half knows its layers (pipeline stages, full recomputation); the input is the attention half's
        for kind, count in attn_counts:
            parts.append(Repeat(f"{kind}_attention", count,
                                Composite("sublayer", (pre, attention.modules[kind]), label="norm, then attention"),
                                layers=tuple(i for i, k in enumerate(attention.kinds) if k == kind)))
        for kind, count in mlp_counts:
            parts.append(Repeat(f"{kind}_mlp", count,
                                Composite("sublayer", (post, mlp.modules[kind]), label="norm, then feed-forward"),
                                layer_inputs=False, layers=tuple(i for i, k in enumerate(mlp.kinds) if k == kind)))
    tree = Model(
        name,
        (Embedding("embed_tokens", V, D), *parts, norm("norm"),
         Linear("lm_head", D, V, bias=head_bias, tied=tied, group="head")),
        label=label,
    )
    return tree, {**attn_values, **mlp_values}


def _symbols(c: Constraint) -> set[Symbol]:
    assert isinstance(c, (Divides, AtMost)), c
    return set(c.small.free_symbols | c.big.free_symbols)


def _used(tree: Module) -> set[Symbol]:
    """The symbols any reading of the tree mentions (a window W appears only in the cache and FLOPs)."""
    exprs = (tree.read("params"), tree.read("active"), tree.read("cache_elements", T),
             tree.attention_flops(T, causal=True))
    return set().union(*(e.free_symbols for e in exprs)) - {T}


def decoder_spec(family: str, tree: Model, core: Core, values: dict[Symbol, int],
                 constraints: Sequence[Constraint] = (), notes: Sequence[str] = ()) -> Spec:
    """The Spec: each used size a free symbol with its value; d_h = D/H when the config leaves the head size.

    Count symbols (L_d, L_s, L_a) may not exceed L, and H_kv must divide H. A rule between sizes that no
    layer has (k <= E with no MoE layer, H_kv | H with no attention) binds nothing, and is left out.
    """
    used = _used(tree)
    every = {**{SYMBOLS[n]: v for n, v in core.values().items()}, **values}
    relations: dict[Symbol, Expr] = {}
    rules: list[Constraint] = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")] if H in used else []
    if core.head_dim_derived:
        del every[d_h]
        relations[d_h] = D / H
        rules.append(Divides(H, D, "head_dim is hidden_size / num_attention_heads"))
    for sym in values:
        if sym in used and sym.name.startswith("L_"):
            rules.append(AtMost(sym, L, "these layers are among the L layers"))
    # a rule between sizes no layer has (k <= E with no MoE layer) holds nothing back
    rules.extend(c for c in constraints if _symbols(c) <= used)
    return Spec(
        name=f"{family} (D={core.width}, L={core.layers})",
        family=family,
        tree=tree,
        values=tuple((s, Integer(v)) for s, v in every.items() if s in used),
        relations=tuple(relations.items()),
        constraints=tuple(rules),
        notes=core.notes + tuple(notes),
        kept=(d_h,),
    )


def reading_spec(family: str, tree: Model, r: Reading, constraints: Sequence[Constraint] = ()) -> Spec:
    """The Spec of a tree built from ``r`` alone: the reading's values are its symbols', in its order."""
    core = core_of(r)
    own = {SYMBOLS[n]: v for n, v in r.values if n not in core.values()}
    return decoder_spec(family, tree, core, own, constraints)
