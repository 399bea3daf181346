"""Bamba (model_type ``bamba``): Mamba-2 layers with attention on a few named layers.

transformers' ``BambaForCausalLM``: ``embed_tokens``; L layers, each an RMSNorm and a
token mixer (GQA attention on the layers listed in ``attn_layer_indices``, a Mamba-2
mixer on every other), then an RMSNorm and a SwiGLU MLP; ``final_layernorm``; an LM
head, untied by default. So the tree has L_s Mamba-2 layers and L - L_s attention
layers (Bamba-9B: L_s = 29 of 32).

The mixer (:class:`~symparams.components.mamba.Mamba2`) is ``mamba_expand`` x D wide
(kept as that relation), with ``mamba_n_heads`` heads of ``mamba_d_head`` (``"auto"``:
the width over the heads; the config insists they multiply to the width).
Attention's head size is ``head_dim`` when the file carries it, else D / H; its RoPE
turns half of each head (``partial_rotary_factor`` is fixed at 0.5), so any head size
builds.

Nulls, as transformers 5 reads them: ``num_key_value_heads`` null is H;
``attn_layer_indices`` null names no layer (all Mamba-2); ``mamba_conv_bias`` null
builds the convolution without a bias; ``mamba_proj_bias`` null is false, as by
default; a null ``mamba_chunk_size`` (the scan's chunk length Q, which sets its FLOPs but
no weight) builds in transformers though its forward pass cannot run: it is counted, its
FLOPs are not. Fields of a kind of layer the config does not have (``head_dim`` without
attention layers, the Mamba-2 sizes without Mamba-2 layers) may be null, as transformers
builds no such layer; the other shape fields refuse null, as transformers' strict config
does. ``layer_types`` is a read-only property
in transformers' BambaConfig, so a file that sets it cannot be built, and is refused.
``time_step_limit`` may hold Infinity; it shapes nothing and is not read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config
from ._layered_config import check_padding
from ._ssm_config import (
    MAMBA2_FIELDS,
    MAMBA2_ONLY,
    kind_counts,
    layer_indices,
    mamba2_head,
    read_all,
    read_chunk,
    refuse_layer_types,
)
from .activations import activation
from .decoder_sizes import decoder_fields, read_sizes
from .registry import Family, Reading, by_layer, order

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {
    "embed_tokens": "embedding", "self_attn": "attention", "mamba": "ssm", "feed_forward": "mlp",
    "norm": "norm", "input_layernorm": "norm", "pre_ff_layernorm": "norm", "final_layernorm": "norm",
    "lm_head": "head",
}

# transformers 5.x BambaConfig
FIELDS = decoder_fields(
    vocab_size=128000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, kv_null=DERIVED, head_dim_null=REFUSE,
    max_position_embeddings=262144,
    extra=MAMBA2_FIELDS,
    groups=GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and layer layout, checked, with no tree built.

    The shape holds the layout, one character per layer (``a`` attention, ``m`` Mamba-2),
    ``mamba_expand`` where Mamba-2 layers make d_in = expand*D, and whether their chunk
    length Q is known.
    """
    refuse_layer_types(cfg, "layer_types", "layers_block_type")
    layers = cfg.get("num_hidden_layers")
    attention = layer_indices(cfg, "attn_layer_indices", layers)
    mambas = layers - len(attention)
    unused = (() if attention else ("head_dim",)) + (() if mambas else MAMBA2_ONLY)
    read_all(cfg, FIELDS, unused)
    width = cfg.get("hidden_size")
    expand = cfg.get("mamba_expand")
    inner = expand * width
    mamba2_head(cfg, "mamba_n_heads", "mamba_d_head", inner, "mamba_expand x hidden_size")
    # attention's sizes are checked only where a layer has attention, as transformers builds them only there
    sizes = read_sizes(cfg) if attention else None
    act = activation(cfg, "hidden_act", cfg.get("hidden_act"))
    shape: list = [("layout", by_layer("".join("a" if i in attention else "m" for i in range(layers)))),
                   ("activation", act),
                   ("proj_bias", cfg.get("mamba_proj_bias")), ("conv_bias", cfg.get("mamba_conv_bias") is True),
                   ("attention_bias", cfg.get("attention_bias")), ("mlp_bias", cfg.get("mlp_bias")),
                   ("tied", cfg.get("tie_word_embeddings"))]
    values = {"V": cfg.get("vocab_size"), "D": width, "L": layers,
              **kind_counts((("L_s", mambas), ("L_s", len(attention)))), "F": cfg.get("intermediate_size")}
    notes: tuple[str, ...] = ()
    if mambas:
        values.update({"H_m": cfg.get("mamba_n_heads"), "G": cfg.get("mamba_n_groups"),
                       "N_s": cfg.get("mamba_d_state"), "K_c": cfg.get("mamba_d_conv")})
        chunk, notes = read_chunk(cfg, "mamba_chunk_size")
        values.update(chunk)
        shape += [("expand", expand), ("chunk", bool(chunk))]
    if sizes is not None:
        values.update({"H": sizes.heads, "H_kv": sizes.kv_heads, "d_h": sizes.head_dim})
        if sizes.head_dim_derived:
            del values["d_h"]
        shape.append(("head_dim_derived", sizes.head_dim_derived))
        notes = sizes.notes + notes
    check_padding(cfg, 0, values["V"])
    return Reading(tuple(shape), tuple(values.items()), f"bamba (D={width}, L={layers})", notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from sympy import ceiling, floor

    from ..components import Block, Embedding, Linear, Model, Norm
    from ..components.composite import placed
    from ..components.decoder_attention import DecoderAttention
    from ..components.mamba import Mamba2
    from ..spec import Constraint, Divides
    from ..symbols import D, G, H, H_kv, H_m, K_c, L_s, N_s, Q, V, d_h, d_in
    from . import decoder
    from ._ssm import attention_rules, by_symbol, kinds, ssm_spec

    shape = dict(r.shape)
    layout, act = order(shape["layout"]), shape["activation"]
    bias = shape["proj_bias"]
    mixer = Mamba2("mamba", D, d_in, H_m, G, N_s, K_c, Q, bias=bias, out_bias=bias, conv_bias=shape["conv_bias"],
                   activation=act)
    attention_bias = shape["attention_bias"]
    # transformers' Bamba rotates half of each head (partial_rotary_factor 0.5, fixed): tables of 2*ceil(int(d_h/2)/2),
    # and concatenates the halves back (head-major q and k: under SDPA o_proj keeps a copy of the output)
    attn = DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=attention_bias, out_bias=attention_bias,
                            names=decoder.LLAMA_ATTENTION, rotary_dim=2 * ceiling(floor(d_h / 2) / 2),
                            rotary_concat=True)

    def layer(mix) -> Block:
        mlp = decoder.gated_mlp(act, bias=shape["mlp_bias"], name="feed_forward")
        return Block("layer", (Norm("input_layernorm", D, weight=True), mix, Norm("pre_ff_layernorm", D, weight=True),
                               mlp), label=f"Bamba layer ({mix.name})")

    repeats, counts = kinds((
        ("mamba_layers", L_s, layout.count("m"), layer(mixer)),
        ("attention_layers", L_s, layout.count("a"), layer(attn)),
    ), first="attention_layers")
    repeats = list(placed(repeats, ["attention_layers" if c == "a" else "mamba_layers" for c in layout]))
    tree = Model(
        "bamba",
        (
            Embedding("embed_tokens", V, D),
            *repeats,
            Norm("final_layernorm", D, weight=True),
            Linear("lm_head", D, V, tied=shape["tied"], group="head"),
        ),
        label="Bamba hybrid (Mamba-2 with a few attention layers)",
    )
    relations = {}
    rules: list[Constraint] = []
    if "expand" in shape:
        relations[d_in] = shape["expand"] * D
        rules.append(Divides(H_m, d_in, "the mixer's width is heads x head size"))
    if "head_dim_derived" in shape:
        if shape["head_dim_derived"]:
            relations[d_h] = D / H
        rules += attention_rules(shape["head_dim_derived"])
    return ssm_spec("bamba", tree, by_symbol(r.values), relations, rules, kept=(d_h, d_in), notes=r.notes,
                    counts=counts)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="bamba",
    rope_default=(("partial_rotary_factor", 0.5),),
    rope_share=True,
    rope_share_field=None,
    layer_lists="read-only",
    summary="Bamba: Mamba-2 layers with GQA attention on the layers attn_layer_indices names, SwiGLU MLPs",
    model_types=("bamba",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="layer_types / layers_block_type (read-only in transformers: attn_layer_indices says the pattern)",
)
