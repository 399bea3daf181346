"""Zamba2 (model_type ``zamba2``): Mamba-2 layers, with a weight-shared transformer block at some of them.

transformers' ``Zamba2ForCausalLM``: ``embed_tokens``; one layer per entry of
``layers_block_type``, each an RMSNorm and a Mamba-2 mixer; at the ``hybrid`` entries
the layer first runs a shared transformer block on [hidden state; original
embeddings] (2·D wide) and a D x D ``linear`` on its output; ``final_layernorm``; an
LM head tied to the embedding.

So the tree has L - L_a plain Mamba-2 layers and L_a hybrid layers (their Mamba-2
layer, their ``linear`` and their adapters), beside the shared blocks. Those are
stored ``num_mem_blocks`` times (N_b = min(num_mem_blocks, L_a) copies, used in turn
at the L_a hybrid layers), see :class:`~symparams.components.shared.Shared`. Each holds an RMSNorm over 2D,
attention from 2D inputs (:class:`~symparams.components.concat_attention.ConcatAttention`:
H heads of d_h = 2D/H, H_kv key/value heads, no biases) back to D, an RMSNorm over D
and a gated MLP (``gate_up_proj`` D -> 2F, ``down_proj`` F -> D, biases per
``add_bias_linear``; F = ``intermediate_size`` or 4D). Every hybrid use also has its own
LoRA-style adapters (rank r_a = ``adapter_rank``), stored inside the shared blocks but
one per use: D -> r_a -> 2F on the MLP's gate_up, and, under
``use_shared_attention_adapter``, 2D -> r_a -> 2D on q, k and v. So the tree counts
them with the L_a hybrid layers.

The Mamba-2 mixer is ``mamba_expand`` x D wide (kept as that relation) with
``n_mamba_heads`` heads; its convolution always has a bias (``use_conv_bias`` is not
read by the modeling code) and in_proj/out_proj take ``add_bias_linear``.

Refused: ``layer_types`` (transformers places the adapters by the default pattern before it
reads that alias, so what it builds matches no pattern); ``tie_word_embeddings`` false when some block is used more than once
(transformers 5 then ties nothing at all, not even the shared blocks, and builds one
independent copy per hybrid layer, each with every adapter of its turn: not Zamba2's
sharing); an ``attention_hidden_size`` other than 2D and a ``mamba_headdim`` or
``n_mamba_heads`` that does not divide the mixer's width (transformers builds them, but
their forward pass cannot run); layer kinds other than mamba and hybrid.
Nulls: ``intermediate_size`` null (or 0) is 4D, ``num_key_value_heads`` null is H,
``layers_block_type`` null is transformers' default 54-layer pattern, ``mamba_headdim`` null
changes no weight (transformers builds it; only its forward pass needs the head size); the
other nulls are refused, as transformers refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr, Integer

from ..components import Block, Composite, Embedding, Linear, Model, Norm, Repeat
from ..components.composite import placed
from ..components.concat_attention import ConcatAttention
from ..components.mamba import Mamba2
from ..components.saving import DEFAULT as NO_SETTINGS
from ..components.saving import Saving, activation_saves, not_modelled
from ..components.shared import Shared
from ..config import DERIVED, Config, Field, Fields
from ..spec import AtMost, Divides, Spec
from ..symbols import B, D, F, G, H, H_kv, H_m, K_c, L, L_a, N_b, N_s, Q, V, d_h, d_in, r_a
from ._ssm import read_all, refuse_odd_rope, ssm_spec
from .activations import activation
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config", "DEFAULT_PATTERN"]


@dataclass(frozen=True)
class _Shared(Shared):
    """The shared blocks: each use keeps its own activations, so the reading is ``uses`` times one block's."""

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        if s.recompute != "none":
            raise not_modelled("recomputation of Zamba2's shared blocks (what each use keeps then is not measured)")
        return self.uses * self.child.activation_bytes(T, s)


@dataclass(frozen=True)
class _GatedMLP(Composite):
    """``Zamba2MLP``: act(gate) * up over a fused ``gate_up_proj`` (plus the use's adapter), then ``down_proj``.

    Per token it keeps its input (D), the sum of gate_up and the adapter (2F: the
    activation keeps the gate as a view of it, the product the up half), the activation's
    output and the product (F each), and any further tensors the activation keeps (F each).
    """

    activation: str = "gelu"

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        if s.tp != 1 or s.dropout:
            raise not_modelled("Zamba2's shared MLP under tensor parallelism or dropout")
        _, extra = activation_saves(self.activation)
        return s.width * B * T * (D + (4 + extra) * F)


@dataclass(frozen=True)
class _Adapter(Composite):
    """A use's low-rank adapter beside a projection: its down input is the projection's (counted there), so it keeps
    only the r_a values per token its up projection multiplies."""

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        return s.width * B * T * r_a

GROUPS = {
    "embed_tokens": "embedding", "mamba": "ssm", "norm": "norm", "input_layernorm": "norm",
    "pre_ff_layernorm": "norm", "final_layernorm": "norm", "self_attn": "attention", "feed_forward": "mlp",
    "lm_head": "head",
}

# transformers 5.x Zamba2Config.__post_init__'s default layer pattern (54 layers, 9 hybrid).
DEFAULT_PATTERN = (
    ["mamba"] + (["mamba"] * 5 + ["hybrid"]) * 7 + ["mamba"] * 4 + ["hybrid"] + ["mamba"] * 3 + ["hybrid"]
    + ["mamba"] * 2
)
KINDS = {"mamba": "mamba", "linear_attention": "mamba", "hybrid": "hybrid"}

# transformers 5.x Zamba2Config
FIELDS = Fields(
    Field("vocab_size", 32000),
    Field("hidden_size", 2560),
    Field("num_hidden_layers", 54),
    Field("layers_block_type", DERIVED, null=DERIVED, kind="any"),
    Field("max_position_embeddings", 4096),
    Field("mamba_d_state", 64),
    Field("mamba_d_conv", 4),
    Field("mamba_expand", 2),
    Field("mamba_ngroups", 1),
    Field("n_mamba_heads", 8),
    Field("chunk_size", 256),
    Field("mamba_headdim", DERIVED, null=DERIVED),
    Field("use_conv_bias", True, kind="bool"),
    Field("add_bias_linear", False, kind="bool"),
    Field("intermediate_size", DERIVED, null=DERIVED, minimum=0),
    Field("hidden_act", "gelu", kind="str"),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", DERIVED, null=DERIVED),
    Field("head_dim", DERIVED, aliases=("attention_head_dim",)),
    Field("attention_hidden_size", DERIVED),
    Field("num_mem_blocks", 1),
    Field("use_shared_attention_adapter", False, kind="bool"),
    Field("adapter_rank", 128),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("use_mem_rope", False, kind="bool"),
    groups=GROUPS,
)


def layer_pattern(cfg: Config) -> list[str]:
    """``mamba`` or ``hybrid`` for every layer, as Zamba2Config works them out."""
    if cfg.given("layer_types"):
        raise cfg.error("layer_types", "is read by transformers only after it has placed the shared blocks' adapters "
                                       "by the default pattern, so the model it builds matches neither; "
                                       "write layers_block_type")
    given = cfg.get("layers_block_type")
    if given is DERIVED:
        return list(DEFAULT_PATTERN)
    if not isinstance(given, list) or not all(isinstance(t, str) for t in given):
        raise cfg.error("layers_block_type", "expected a list of layer kinds")
    bad = sorted({t for t in given if t not in KINDS})
    if bad:
        raise cfg.error("layers_block_type",
                        f"{', '.join(map(repr, bad))} is not a Zamba2 layer kind (known: mamba, hybrid)")
    return [KINDS[t] for t in given]


def from_config(cfg: Config) -> Spec:
    pattern = layer_pattern(cfg)
    layers = cfg.get("num_hidden_layers")
    if layers != len(pattern):
        raise cfg.error("num_hidden_layers", f"{layers} is not the {len(pattern)} layers of the layer pattern "
                                             "(transformers insists they agree)")
    hybrids = pattern.count("hybrid")
    # Zamba2Config checks its declared fields' types whatever the pattern; head_dim and
    # attention_hidden_size are set after it, and only a shared block reads them.
    read_all(cfg, FIELDS, () if hybrids else ("head_dim", "attention_hidden_size"))
    width = cfg.get("hidden_size")
    activation(cfg, "hidden_act", cfg.get("hidden_act"))
    expand, heads_m = cfg.get("mamba_expand"), cfg.get("n_mamba_heads")
    inner = expand * width
    if inner % heads_m:
        raise cfg.error("n_mamba_heads", f"{heads_m} does not divide the mixer's width {inner} "
                                         "(transformers builds it, but its forward pass cannot reshape into heads)")
    head_m = cfg.get("mamba_headdim")
    if head_m is not DERIVED and head_m * heads_m != inner:
        raise cfg.error("mamba_headdim", f"{head_m} x n_mamba_heads {heads_m} is not the mixer's width {inner}")
    cfg.get("use_conv_bias")  # read for its type only: the convolution always has a bias
    bias = cfg.get("add_bias_linear")
    mixer = Mamba2("mamba", D, d_in, H_m, G, N_s, K_c, Q, bias=bias, out_bias=bias, conv_bias=True)
    mamba_layer = Block("mamba_layer", (Norm("input_layernorm", D, weight=True), mixer), label="Mamba-2 layer")
    values = {V: cfg.get("vocab_size"), D: width, L: layers, d_in: inner, H_m: heads_m, G: cfg.get("mamba_ngroups"),
              N_s: cfg.get("mamba_d_state"), K_c: cfg.get("mamba_d_conv"), Q: cfg.get("chunk_size")}
    relations = {d_in: expand * D}
    rules: list = [Divides(H_m, d_in, "the mixer's width is heads x head size")]
    tied = cfg.get("tie_word_embeddings")
    parts: list = [Embedding("embed_tokens", V, D)]
    if hybrids:
        parts += _shared(cfg, width, hybrids, tied, bias, values, relations, rules, mamba_layer)
    if hybrids < layers:
        parts.append(Repeat("mamba_layers", L - L_a if hybrids else L, mamba_layer))
    parts += [Norm("final_layernorm", D, weight=True), Linear("lm_head", D, V, tied=tied, group="head")]
    parts = list(placed(parts, [f"{kind}_layers" for kind in pattern]))
    tree = Model("zamba2", tuple(parts), label="Zamba2 hybrid (Mamba-2 with a shared transformer block)")
    counts = (L_a,) if hybrids else ()
    return ssm_spec("zamba2", tree, values, relations, rules, kept=(d_in, d_h, F), counts=counts)


def _shared(cfg: Config, width: int, hybrids: int, tied: bool, bias: bool, values: dict, relations: dict,
            rules: list, mamba_layer: Block) -> list:
    """The shared transformer blocks, and the hybrid layers (their Mamba-2 layer and their own weights).

    The shared blocks lead the tree, so that readings which look at "a block" (per-block
    shares, KV-head variants) find the one with attention.
    """
    copies = min(cfg.get("num_mem_blocks"), hybrids)
    if not tied and copies < hybrids:
        raise cfg.error("tie_word_embeddings", "is false: transformers then ties no weights at all, so the shared "
                                               "blocks become one independent copy per hybrid layer; not modelled")
    attention_width = cfg.get("attention_hidden_size")
    if attention_width is not DERIVED and attention_width != 2 * width:
        raise cfg.error("attention_hidden_size", f"{attention_width} is not 2 x hidden_size = {2 * width}, the width "
                                                 "of the concatenated input (the forward pass cannot run)")
    heads = cfg.get("num_attention_heads")
    kv_heads = cfg.get("num_key_value_heads")
    kv_heads = heads if kv_heads is DERIVED else kv_heads
    if heads % kv_heads:
        raise cfg.error("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
    head_dim = cfg.get("head_dim")
    if head_dim is DERIVED:
        if (2 * width) % heads:
            raise cfg.error("num_attention_heads", f"{heads} does not divide the attention width 2 x hidden_size = "
                                                   f"{2 * width}, and no head_dim says the head size")
        head_dim = 2 * width // heads
        relations[d_h] = 2 * D / H
        rules.append(Divides(H, 2 * D, "head_dim is 2 x hidden_size / num_attention_heads"))
    refuse_odd_rope(cfg, head_dim)
    hidden = cfg.get("intermediate_size")
    if hidden is DERIVED or hidden == 0:
        hidden = 4 * width
        relations[F] = 4 * D
    rank = cfg.get("adapter_rank")
    values.update({L_a: hybrids, N_b: copies, r_a: rank, H: heads, H_kv: kv_heads, d_h: head_dim, F: hidden})
    rules += [Divides(H_kv, H, "each key/value head serves H/H_kv query heads"),
              AtMost(N_b, L_a, "a stored block serves at least one hybrid layer")]

    def adapter(name: str, d_in_: object, d_out: object, group: str) -> Composite:
        return _Adapter(name, (Linear("down", d_in_, r_a, group=group), Linear("up", r_a, d_out, group=group)),
                        group=group, label="low-rank adapter")

    own = [mamba_layer, Linear("linear", D, D), adapter("gate_up_proj_adapter", D, 2 * F, "mlp")]
    if cfg.get("use_shared_attention_adapter"):
        own += [adapter(f"linear_{x}_adapter", 2 * D, 2 * D, "attention") for x in "qkv"]
    block = Block(
        "shared_transformer",
        (
            Norm("input_layernorm", 2 * D, weight=True),
            ConcatAttention("self_attn", 2 * D, H, H_kv, d_h, names=("q_proj", "k_proj", "v_proj", "o_proj"), d_out=D,
                            rotary_dim=None if cfg.get("use_mem_rope") else Integer(0)),
            Norm("pre_ff_layernorm", D, weight=True),
            _GatedMLP("feed_forward", (Linear("gate_up_proj", D, 2 * F, bias, group="mlp"),
                                       Linear("down_proj", F, D, bias, group="mlp")), group="mlp", label="gated MLP",
                      activation=cfg.get("hidden_act")),
        ),
        label="shared transformer block",
    )
    return [
        _Shared("shared_transformer", N_b, L_a, block),
        Repeat("hybrid_layers", L_a, Block("hybrid_layer", tuple(own), label="hybrid layer: its Mamba-2 layer, "
                                                                             "linear and adapters")),
    ]


def _builds_rope(cfg: Config) -> bool:
    """Zamba 2 rotates queries and keys only under ``use_mem_rope``; its class keeps rope parameters either way."""
    return bool(cfg.get("use_mem_rope"))


FAMILY = Family(
    name="zamba2",
    layer_lists="own",
    rope_used=_builds_rope,
    summary="Zamba2: Mamba-2 layers with N_b weight-shared transformer blocks applied at the L_a hybrid layers, "
            "per-use LoRA adapters",
    model_types=("zamba2",),
    fields=FIELDS,
    build=from_config,
    refused="tie_word_embeddings false with a block used twice (transformers then unties the shared blocks); "
            "attention_hidden_size other than 2D; mamba heads that do not divide the mixer width",
)
