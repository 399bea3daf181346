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

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layered_config import check_padding
from ._ssm_config import read_all, refuse_odd_rope
from .activations import activation
from .registry import Family, Reading, by_layer, order

if TYPE_CHECKING:
    from ..components import Block
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "DEFAULT_PATTERN"]

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
    Field("layers_block_type", DERIVED, null=DERIVED, kind="any", types=("list",)),
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


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and layer pattern, checked, with no tree built.

    The shape holds the pattern (``m`` Mamba-2, ``h`` hybrid, one per layer),
    ``mamba_expand`` (d_in = expand*D) and, with hybrid layers, which of d_h = 2D/H and
    F = 4D are relations and the shared block's switches.
    """
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
    shape: list = [("layout", by_layer("".join(kind[0] for kind in pattern))), ("expand", expand),
                   ("bias", cfg.get("add_bias_linear"))]
    values = {"V": cfg.get("vocab_size"), "D": width, "L": layers, "H_m": heads_m, "G": cfg.get("mamba_ngroups"),
              "N_s": cfg.get("mamba_d_state"), "K_c": cfg.get("mamba_d_conv"), "Q": cfg.get("chunk_size")}
    tied = cfg.get("tie_word_embeddings")
    shape.append(("tied", tied))
    if hybrids:
        shape += _read_shared(cfg, width, hybrids, tied, values)
    check_padding(cfg, 0, values["V"])
    return Reading(tuple(shape), tuple(values.items()), f"zamba2 (D={width}, L={layers})")


def _read_shared(cfg: Config, width: int, hybrids: int, tied: bool, values: dict) -> list:
    """The shared blocks' sizes (into ``values``) and switches (returned, for the shape), checked."""
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
    head_derived = head_dim is DERIVED
    if head_derived:
        if (2 * width) % heads:
            raise cfg.error("num_attention_heads", f"{heads} does not divide the attention width 2 x hidden_size = "
                                                   f"{2 * width}, and no head_dim says the head size")
        head_dim = 2 * width // heads
    refuse_odd_rope(cfg, head_dim)
    hidden = cfg.get("intermediate_size")
    hidden_derived = hidden is DERIVED or hidden == 0
    values.update({"L_a": hybrids, "N_b": copies, "r_a": cfg.get("adapter_rank"), "H": heads, "H_kv": kv_heads})
    if not head_derived:
        values["d_h"] = head_dim
    if not hidden_derived:
        values["F"] = hidden
    return [("head_dim_derived", head_derived), ("hidden_derived", hidden_derived),
            ("attention_adapter", cfg.get("use_shared_attention_adapter")), ("mem_rope", cfg.get("use_mem_rope")),
            ("activation", cfg.get("hidden_act"))]


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Block, Embedding, Linear, Model, Norm, Repeat
    from ..components.composite import placed
    from ..components.mamba import Mamba2
    from ..spec import Divides
    from ..symbols import D, F, G, H_m, K_c, L, L_a, N_s, Q, V, d_h, d_in
    from ._ssm import by_symbol, ssm_spec

    shape = dict(r.shape)
    layout, bias = order(shape["layout"]), shape["bias"]
    mixer = Mamba2("mamba", D, d_in, H_m, G, N_s, K_c, Q, bias=bias, out_bias=bias, conv_bias=True)
    mamba_layer = Block("mamba_layer", (Norm("input_layernorm", D, weight=True), mixer), label="Mamba-2 layer")
    relations = {d_in: shape["expand"] * D}
    rules: list = [Divides(H_m, d_in, "the mixer's width is heads x head size")]
    parts: list = [Embedding("embed_tokens", V, D)]
    hybrid = "h" in layout
    if hybrid:
        parts += _shared(shape, relations, rules, mamba_layer)
    if "m" in layout:
        parts.append(Repeat("mamba_layers", L - L_a if hybrid else L, mamba_layer))
    parts += [Norm("final_layernorm", D, weight=True), Linear("lm_head", D, V, tied=shape["tied"], group="head")]
    parts = list(placed(parts, ["hybrid_layers" if c == "h" else "mamba_layers" for c in layout]))
    tree = Model("zamba2", tuple(parts), label="Zamba2 hybrid (Mamba-2 with a shared transformer block)")
    return ssm_spec("zamba2", tree, by_symbol(r.values), relations, rules, kept=(d_in, d_h, F),
                    counts=(L_a,) if hybrid else ())


def _shared(shape: dict, relations: dict, rules: list, mamba_layer: Block) -> list:
    """The shared transformer blocks, and the hybrid layers (their Mamba-2 layer and their own weights).

    The shared blocks lead the tree, so that readings which look at "a block" (per-block
    shares, KV-head variants) find the one with attention.
    """
    from sympy import Integer

    from ..components import Block, Composite, Linear, Norm, Repeat
    from ..components.concat_attention import ConcatAttention
    from ..spec import AtMost, Divides
    from ..symbols import D, F, H, H_kv, L_a, N_b, d_h, r_a
    from ._zamba2_parts import _Adapter, _GatedMLP, _Shared

    if shape["head_dim_derived"]:
        relations[d_h] = 2 * D / H
        rules.append(Divides(H, 2 * D, "head_dim is 2 x hidden_size / num_attention_heads"))
    if shape["hidden_derived"]:
        relations[F] = 4 * D
    rules += [Divides(H_kv, H, "each key/value head serves H/H_kv query heads"),
              AtMost(N_b, L_a, "a stored block serves at least one hybrid layer")]
    bias = shape["bias"]

    def adapter(name: str, d_in_: object, d_out: object, group: str) -> Composite:
        return _Adapter(name, (Linear("down", d_in_, r_a, group=group), Linear("up", r_a, d_out, group=group)),
                        group=group, label="low-rank adapter")

    own = [mamba_layer, Linear("linear", D, D), adapter("gate_up_proj_adapter", D, 2 * F, "mlp")]
    if shape["attention_adapter"]:
        own += [adapter(f"linear_{x}_adapter", 2 * D, 2 * D, "attention") for x in "qkv"]
    block = Block(
        "shared_transformer",
        (
            Norm("input_layernorm", 2 * D, weight=True),
            ConcatAttention("self_attn", 2 * D, H, H_kv, d_h, names=("q_proj", "k_proj", "v_proj", "o_proj"), d_out=D,
                            rotary_dim=None if shape["mem_rope"] else Integer(0)),
            Norm("pre_ff_layernorm", D, weight=True),
            _GatedMLP("feed_forward", (Linear("gate_up_proj", D, 2 * F, bias, group="mlp"),
                                       Linear("down_proj", F, D, bias, group="mlp")), group="mlp", label="gated MLP",
                      activation=shape["activation"]),
        ),
        label="shared transformer block",
    )
    return [
        _Shared("shared_transformer", N_b, L_a, block),
        Repeat("hybrid_layers", L_a, Block("hybrid_layer", tuple(own), label="hybrid layer: its Mamba-2 layer, "
                                                                             "linear and adapters")),
    ]


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


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
    read=read,
    refused="tie_word_embeddings false with a block used twice (transformers then unties the shared blocks); "
            "attention_hidden_size other than 2D; mamba heads that do not divide the mixer width",
)
