"""Falcon-H1 (model_type ``falcon_h1``): attention and a Mamba-2 mixer side by side in every layer.

transformers' ``FalconH1ForCausalLM``: ``embed_tokens``; L identical layers, each an
RMSNorm feeding a Mamba-2 mixer and GQA attention in parallel (their outputs added),
then an RMSNorm and a SwiGLU MLP; ``final_layernorm``; an LM head, untied by default.

The mixer (:class:`~symparams.components.mamba.Mamba2`) differs from Mamba-2's in
three switches: its width d_in is ``mamba_d_ssm`` (default 1024; a null means
``mamba_expand`` x D, kept as that relation), its gated RMSNorm exists only under
``mamba_rms_norm``, and its in_proj and out_proj take their biases from two fields
(``mamba_proj_bias``, ``projectors_bias``). Attention's head size is ``head_dim``
when the file carries it (Falcon-H1's configs do), else D / H.

Nulls, as transformers 5 reads them: ``num_key_value_heads`` null is H;
``mamba_d_ssm`` null is expand x D; ``mamba_conv_bias`` null builds the convolution
without a bias; ``mamba_proj_bias``, ``projectors_bias``, ``mamba_rms_norm`` null are
false, as by default; ``mamba_expand`` may be null when ``mamba_d_ssm`` gives the width.
The other shape fields refuse null, as transformers does. A null ``mamba_chunk_size``
(the scan's chunk length Q, which shapes no weight but sets the scan's FLOPs) builds in
transformers though its forward pass cannot run: it is counted, and its FLOPs are not. ``time_step_limit`` is
``[0.0, Infinity]`` in real configs: it shapes nothing and is not read. The
``μP`` multipliers scale activations only, and are not read either, but the model is built
only with two MLP multipliers (gate and down) and at least five SSM ones (z, x, B, C, dt):
other lengths are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, REFUSE, Config, Field
from ._layered_config import check_padding
from ._ssm_config import MAMBA2_FIELDS, mamba2_head, read_chunk, refuse_layer_types, refuse_odd_rope
from .decoder_sizes import decoder_fields, read_sizes
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {
    "embed_tokens": "embedding", "self_attn": "attention", "mamba": "ssm", "feed_forward": "mlp",
    "norm": "norm", "input_layernorm": "norm", "pre_ff_layernorm": "norm", "final_layernorm": "norm",
    "lm_head": "head",
}

# transformers 5.x FalconH1Config
FIELDS = decoder_fields(
    vocab_size=128000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, kv_null=DERIVED, head_dim_null=REFUSE,
    max_position_embeddings=8192,
    extra=(
        Field("mamba_d_ssm", 1024, null=DERIVED),
        Field("mamba_expand", 2, null=DERIVED),
        *MAMBA2_FIELDS[1:],  # Bamba's, from the heads on
        Field("projectors_bias", False, kind="bool", null=DEFAULT),
        Field("mamba_rms_norm", False, kind="bool", null=DEFAULT),
    ),
    groups=GROUPS,
)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built.

    The shape holds ``mamba_expand`` where it gives the mixer's width (d_in = expand*D,
    ``mamba_d_ssm`` null), and whether the config knows the scan's chunk length Q.
    """
    refuse_layer_types(cfg, "layer_types", "layers_block_type")
    for name, least, most in (("mlp_multipliers", 2, 2), ("ssm_multipliers", 5, None)):
        listed = cfg.data.get(name)
        if isinstance(listed, list) and not (least <= len(listed) <= (most or len(listed))):
            wanted = f"{least}" if least == most else f"at least {least}"
            plural = "" if len(listed) == 1 else "s"
            raise cfg.error(name, f"holds {len(listed)} multiplier{plural}; transformers builds a Falcon-H1 model "
                                  f"with {wanted}")
    sizes = read_sizes(cfg)
    if not sizes.head_dim_derived:
        refuse_odd_rope(cfg, sizes.head_dim)
    width = sizes.width
    expand = cfg.get("mamba_expand")
    inner = cfg.get("mamba_d_ssm")
    source = "mamba_d_ssm"
    derived = inner is DERIVED
    if derived:
        source = "expand x hidden_size, as mamba_d_ssm is null"
        if expand is DERIVED:
            raise cfg.error("mamba_expand", "is null, and so is mamba_d_ssm: nothing gives the mixer's width")
        inner = expand * width
    heads = cfg.get("mamba_n_heads")
    mamba2_head(cfg, "mamba_n_heads", "mamba_d_head", inner, source)
    shape = [("tied", sizes.tied), ("activation", sizes.activation), ("head_dim_derived", sizes.head_dim_derived),
             ("expand", expand if derived else None), ("conv_bias", cfg.get("mamba_conv_bias") is True),
             ("proj_bias", cfg.get("mamba_proj_bias")), ("projectors_bias", cfg.get("projectors_bias")),
             ("rms_norm", cfg.get("mamba_rms_norm")), ("attention_bias", cfg.get("attention_bias")),
             ("mlp_bias", cfg.get("mlp_bias"))]
    values = {"V": sizes.vocab, "D": width, "L": sizes.layers, "H": sizes.heads, "H_kv": sizes.kv_heads,
              "d_h": sizes.head_dim, "F": sizes.hidden, "d_in": inner, "H_m": heads, "G": cfg.get("mamba_n_groups"),
              "N_s": cfg.get("mamba_d_state"), "K_c": cfg.get("mamba_d_conv")}
    chunk, chunk_notes = read_chunk(cfg, "mamba_chunk_size")
    values.update(chunk)
    shape.append(("chunk", bool(chunk)))
    for name, relation in (("d_in", derived), ("d_h", sizes.head_dim_derived)):
        if relation:
            del values[name]
    check_padding(cfg, 0, sizes.vocab)
    return Reading(tuple(shape), tuple(values.items()), sizes.name("falcon_h1"), sizes.notes + chunk_notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Block, Embedding, Linear, Model, Norm, Repeat
    from ..components.mamba import Mamba2
    from ..spec import Divides
    from ..symbols import D, G, H, H_m, K_c, L, N_s, Q, V, d_h, d_in
    from . import decoder
    from ._ssm import attention_rules, by_symbol, ssm_spec

    shape = dict(r.shape)
    act = shape["activation"]
    mixer = Mamba2("mamba", D, d_in, H_m, G, N_s, K_c, Q, bias=shape["proj_bias"], out_bias=shape["projectors_bias"],
                   conv_bias=shape["conv_bias"], gated_norm=shape["rms_norm"], activation=act, mup=True)
    attn = decoder.attention(qkv_bias=shape["attention_bias"], out_bias=shape["attention_bias"])
    mlp = decoder.gated_mlp(act, bias=shape["mlp_bias"], name="feed_forward")
    block = Block("layer", (Norm("input_layernorm", D, weight=True), mixer, attn,
                            Norm("pre_ff_layernorm", D, weight=True), mlp),
                  label="Falcon-H1 layer: Mamba-2 and attention in parallel, then an MLP")
    tree = Model(
        "falcon_h1",
        (
            Embedding("embed_tokens", V, D),
            Repeat("layers", L, block),
            Norm("final_layernorm", D, weight=True),
            Linear("lm_head", D, V, tied=shape["tied"], group="head"),
        ),
        label="Falcon-H1 hybrid (parallel attention and Mamba-2)",
    )
    relations = {}
    if shape["expand"] is not None:
        relations[d_in] = shape["expand"] * D
    if shape["head_dim_derived"]:
        relations[d_h] = D / H
    rules = [*attention_rules(shape["head_dim_derived"]), Divides(H_m, d_in, "the mixer's width is heads x head size")]
    return ssm_spec("falcon_h1", tree, by_symbol(r.values), relations, rules, kept=(d_h, d_in), notes=r.notes)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="falcon_h1",
    layer_lists="read-only",
    summary="Falcon-H1: every layer runs a Mamba-2 mixer and GQA attention in parallel, then a SwiGLU MLP",
    model_types=("falcon_h1",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="layer_types / layers_block_type (transformers cannot set them: every Falcon-H1 layer is hybrid)",
)
