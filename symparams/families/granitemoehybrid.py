"""IBM Granite 4.0 (model_type ``granitemoehybrid``): Mamba-2 or attention layers, each with experts and a shared MLP.

transformers' ``GraniteMoeHybridForCausalLM``: ``embed_tokens``; L layers, each an
RMSNorm, a token mixer, an RMSNorm and the channel mixer; ``norm``; an LM head, untied by
default (Granite 4.0's releases tie it). The token mixer is a Mamba-2 mixer (Bamba's,
:class:`~symparams.components.mamba.Mamba2`) on the layers ``layer_types`` calls
``linear_attention`` (legacy name ``mamba``), and GQA attention on every other (legacy
``attention``); with no list, every layer is Mamba-2. The channel mixer is Granite MoE's:
E gated experts of width F (``intermediate_size``, fused ``gate_up_proj`` and
``down_proj``) behind an E x D router, k per token, plus a ``shared_mlp`` of width F_s
(``shared_intermediate_size``) every token passes through. ``num_local_experts`` 0
leaves only the shared MLP (Granite-4.0-H-Micro, Granite-4.0-Micro); ``shared_intermediate_size``
0 builds a shared MLP of no weights, which is left out of the tree beside experts (the router keeps the
same input) and kept, of width 0, without them (its input is kept for the backward pass).

Sizes as the modeling code reads them: the Mamba-2 width is ``mamba_expand`` x D (kept
as that relation), in ``mamba_n_heads`` heads of ``mamba_d_head`` (``"auto"``: the width
over the heads); the config checks them on every file, Mamba-2 layers or not. Attention's
head size is a ``head_dim`` the file states, else D // H, floored. Only
``position_embedding_type: "rope"`` builds a rotary embedding (Granite-4.0-H's ``"nope"``
builds none); the scaling multipliers hold no weights.

Nulls, as transformers 5 reads them: ``num_key_value_heads`` null is H; ``layer_types``
null is every layer Mamba-2, but a null under its other name ``layers_block_type`` is set
after the class fills the list in, and is refused; ``mamba_conv_bias`` null builds the convolution without a
bias, ``mamba_proj_bias`` null is false; a null ``mamba_chunk_size`` is counted, its FLOPs
are not (as Bamba's). The Mamba-2 sizes only its layers read may be null where there is
no such layer; a null ``num_experts_per_tok`` beside experts is refused (the router
cannot pick them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field
from . import _deepseek_heads as heads
from ._layered_config import check_padding
from ._ssm_config import MAMBA2_FIELDS, MAMBA2_ONLY, kind_counts, mamba2_head, read_all, read_chunk
from .activations import activation
from .decoder_sizes import decoder_fields
from .layer_lists import ATTENTION_KINDS, LEGACY_NAMES, check_list
from .registry import Family, Reading, by_layer, order

if TYPE_CHECKING:
    from ..components import Module
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {
    "embed_tokens": "embedding", "self_attn": "attention", "mamba": "ssm", "block_sparse_moe": "mlp",
    "shared_mlp": "mlp", "norm": "norm", "input_layernorm": "norm", "post_attention_layernorm": "norm",
    "lm_head": "head",
}

MAMBA = "linear_attention"

# transformers 5.x GraniteMoeHybridConfig
FIELDS = decoder_fields(
    vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, kv_null=DERIVED, head_dim_null=REFUSE, max_position_embeddings=2048, mlp_bias=None,
    groups=GROUPS,
    extra=(
        Field("num_local_experts", 8, minimum=0),
        Field("num_experts_per_tok", 2, null=DERIVED, minimum=0),
        Field("shared_intermediate_size", 1024, minimum=0),
        Field("position_embedding_type", DERIVED, kind="str", null=DERIVED),
        Field("layer_types", DERIVED, aliases=("layers_block_type",), null=DERIVED, kind="any", types=("list",)),
        *MAMBA2_FIELDS,
    ),
)


def layer_kinds(cfg: Config, layers: int) -> list[str]:
    """Each layer's kind as transformers reads ``layer_types`` (or its other name): legacy names renamed, every
    layer Mamba-2 where the list is missing or null."""
    if "layers_block_type" in cfg.data and cfg.data["layers_block_type"] is None:
        raise cfg.error("layers_block_type", "is null: transformers sets this other name of layer_types after its "
                                             "config class has filled the list in, so no layer has a kind to build")
    listed = cfg.get("layer_types")
    if listed is DERIVED:
        return [MAMBA] * layers
    name = next(n for n in FIELDS["layer_types"].names if cfg.has(n))
    check_list(cfg, name, listed, ATTENTION_KINDS, layers, legacy=True)
    return [LEGACY_NAMES.get(kind, kind) for kind in listed]


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and layer layout, checked, with no tree built.

    The shape holds the layout, one character per layer (``a`` attention, ``m`` Mamba-2),
    whether there are experts and a shared MLP, whether attention rotates, and how its
    head size is made.
    """
    layers = cfg.get("num_hidden_layers")
    kinds = layer_kinds(cfg, layers)
    mambas = kinds.count(MAMBA)
    attention = layers - mambas
    read_all(cfg, FIELDS, ("head_dim",) + (() if mambas else MAMBA2_ONLY))
    width, expand = cfg.get("hidden_size"), cfg.get("mamba_expand")
    mamba2_head(cfg, "mamba_n_heads", "mamba_d_head", expand * width, "mamba_expand x hidden_size")
    experts, top_k = cfg.get("num_local_experts"), cfg.get("num_experts_per_tok")
    if experts and top_k is DERIVED:
        raise cfg.error("num_experts_per_tok", "is null; transformers then builds a router that cannot pick experts, "
                                               "so the experts per token must be stated")
    if experts and top_k < 1:
        raise cfg.error("num_experts_per_tok", f"must be at least 1 beside {experts} experts, got {top_k}")
    if experts and top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds num_local_experts {experts}")
    shared = cfg.get("shared_intermediate_size")
    vocab = cfg.get("vocab_size")
    check_padding(cfg, None, vocab)
    act = activation(cfg, "hidden_act", cfg.get("hidden_act"))
    shape: list = [("layout", by_layer("".join("m" if kind == MAMBA else "a" for kind in kinds))),
                   ("activation", act), ("experts", bool(experts)), ("shared", bool(shared)),
                   ("tied", cfg.get("tie_word_embeddings"))]
    values: dict = {"V": vocab, "D": width, "L": layers, **kind_counts((("L_s", mambas), ("L_s", attention)))}
    notes: list[str] = []
    if experts:
        values.update({"E": experts, "k": top_k, "F": cfg.get("intermediate_size")})
    if shared:
        values["F_s"] = shared
    if mambas:
        values.update({"H_m": cfg.get("mamba_n_heads"), "G": cfg.get("mamba_n_groups"),
                       "N_s": cfg.get("mamba_d_state"), "K_c": cfg.get("mamba_d_conv")})
        chunk, chunk_notes = read_chunk(cfg, "mamba_chunk_size")
        values.update(chunk)
        notes += chunk_notes
        shape += [("expand", expand), ("chunk", bool(chunk)), ("proj_bias", cfg.get("mamba_proj_bias")),
                  ("conv_bias", cfg.get("mamba_conv_bias") is True)]
    if attention:
        sizes, floored = heads.read_sizes(cfg)
        values.update({"H": sizes.heads, "H_kv": sizes.kv_heads, "d_h": sizes.head_dim})
        if sizes.head_dim_derived or floored:
            del values["d_h"]
        other = sorted({kind for kind in kinds if kind not in (MAMBA, "full_attention")})
        if other:
            notes.append(f"layer_types {', '.join(other)}: transformers builds a full attention layer for each, "
                         "though its forward pass has no mask for them")
        shape += [("head_dim_derived", sizes.head_dim_derived), ("floored", floored),
                  ("rope", cfg.get("position_embedding_type") == "rope"),
                  ("attention_bias", cfg.get("attention_bias"))]
        notes = list(sizes.notes) + notes
    return Reading(tuple(shape), tuple(values.items()), f"granitemoehybrid (D={width}, L={layers})", tuple(notes))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from sympy import Integer, floor

    from ..components import MLP, Block, Embedding, Linear, Model, MoE, Norm
    from ..components.composite import placed
    from ..components.decoder_attention import DecoderAttention
    from ..components.mamba import Mamba2
    from ..components.routing import Routing
    from ..spec import AtMost, Constraint, Divides
    from ..symbols import D, E, F, G, H, H_kv, H_m, K_c, L_s, N_s, Q, V, d_h, d_in, k
    from . import decoder
    from ._ssm import attention_rules, by_symbol, kinds, ssm_spec
    from .granitemoe import _shared_mlp

    shape = dict(r.shape)
    layout, act = order(shape["layout"]), shape["activation"]
    shared = _shared_mlp(act) if shape["shared"] else None
    channel = shared
    rules: list[Constraint] = []
    if shape["experts"]:
        expert = MLP("expert", D, F, gated=True, activation=act, names=("gate", "up", "down"))
        # Granite MoE's router: top-k of the logits cast to fp32, then a softmax over those k
        channel = MoE("block_sparse_moe", Linear("router", D, E, group="mlp"), expert, E, k, shared=shared,
                      routing=Routing(kind="topk_softmax", renorm=False, cast=True, softmax_fp32=True))
        rules.append(AtMost(k, E, "a token picks k of the E experts"))
    elif channel is None:
        from ..components.fused_mlp import FusedMLP

        # no experts and F_s = 0: transformers still runs the shared MLP, of no width, and keeps its input
        channel = FusedMLP("shared_mlp", D, Integer(0), activation=act, names=("input_linear", "output_linear"))
    relations: dict = {}
    mixers: dict[str, Module] = {}
    if "m" in layout:
        bias = shape["proj_bias"]
        mixers["m"] = Mamba2("mamba", D, d_in, H_m, G, N_s, K_c, Q, bias=bias, out_bias=bias,
                             conv_bias=shape["conv_bias"], activation=act)
        relations[d_in] = shape["expand"] * D
        rules.append(Divides(H_m, d_in, "the mixer's width is heads x head size"))
    if "a" in layout:
        bias = shape["attention_bias"]
        mixers["a"] = DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias,
                                       names=decoder.LLAMA_ATTENTION,
                                       rotary_dim=None if shape["rope"] else Integer(0))
        if shape["head_dim_derived"]:
            relations[d_h] = D / H
        elif shape["floored"]:
            relations[d_h] = floor(D / H)
        rules += attention_rules(shape["head_dim_derived"])

    def layer(mix) -> Block:
        return Block("layer", (Norm("input_layernorm", D, weight=True), mix,
                               Norm("post_attention_layernorm", D, weight=True), *([channel] if channel else [])),
                     label=f"Granite 4.0 layer ({mix.name})")

    repeats, counts = kinds(tuple(
        (name, L_s, layout.count(char), layer(mixers[char]))
        for name, char in (("mamba_layers", "m"), ("attention_layers", "a")) if char in mixers
    ), first="attention_layers")
    repeats = list(placed(repeats, ["attention_layers" if c == "a" else "mamba_layers" for c in layout]))
    tree = Model(
        "granitemoehybrid",
        (
            Embedding("embed_tokens", V, D),
            *repeats,
            Norm("norm", D, weight=True),
            Linear("lm_head", D, V, tied=shape["tied"], group="head"),
        ),
        label="Granite 4.0 hybrid (Mamba-2 and attention layers, experts and a shared MLP)",
    )
    return ssm_spec("granitemoehybrid", tree, by_symbol(r.values), relations, rules, kept=(d_h, d_in),
                    notes=r.notes, counts=counts)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


def _builds_rope(cfg: Config) -> bool:
    """Only ``position_embedding_type: "rope"`` builds a rotary embedding; the class keeps rope parameters either way."""
    return cfg.get("position_embedding_type") == "rope"


FAMILY = Family(
    name="granitemoehybrid",
    summary="IBM Granite 4.0: Mamba-2 or GQA attention layers, each with Granite MoE experts and a shared MLP",
    model_types=("granitemoehybrid",),
    rope_head="given",
    rope_used=_builds_rope,
    layer_lists="own",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim; a null num_experts_per_tok beside experts (the router cannot pick them)",
)
