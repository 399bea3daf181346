"""Jamba (model_type ``jamba``): Mamba layers interleaved with attention, MoE on every other layer.

transformers' ``JambaForCausalLM``: ``embed_tokens``; L layers, each an RMSNorm and a
token mixer (attention on layers i with i mod ``attn_layer_period`` =
``attn_layer_offset``, a Mamba-1 mixer on the rest), then an RMSNorm and a feed-forward
(a mixture of E gated experts behind a router on layers i with
i mod ``expert_layer_period`` = ``expert_layer_offset``, when E > 1; a gated MLP on the
rest); ``final_layernorm``; an LM head, untied by default.

Every reading of a layer is the sum of its mixer half and its feed-forward half, so
the tree counts the halves by kind: L_s Mamba mixers and L - L_s attention mixers,
L_d dense MLPs and L - L_d MoE feed-forwards. The counts come from the periods and
offsets (Jamba-v0.1: L_s = 28 of 32 layers, L_d = 16). Each Repeat carries its layers'
indices, so pipeline stages hold the halves of their own layers, and full recomputation
pairs each layer's mixer with its feed-forward.

Jamba's Mamba mixer (:class:`~symparams.components.mamba.Mamba`) carries RMSNorms over
Δ, B and C; its d_in is ``mamba_expand`` x D and R_Δ = ``mamba_dt_rank`` or ceil(D/16).
Attention has no biases (Jamba has no bias switches); ``head_dim`` is not a Jamba field
but a config.json that carries one is honoured (else D / H), and only an attention layer
reads it. Every field is a strict dataclass field, so
transformers refuses a null in any of them, and so does symparams (a null
``num_key_value_heads`` included: the dataclass check runs before the rule that would
make it H).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field
from ._layered_config import check_padding
from ._ssm_config import kind_counts, read_all, read_dt_rank
from .activations import activation
from .decoder_sizes import decoder_fields, read_sizes
from .registry import Family, Reading, by_layer, order

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {
    "embed_tokens": "embedding", "self_attn": "attention", "mamba": "ssm", "feed_forward": "mlp",
    "input_layernorm": "norm", "pre_ff_layernorm": "norm", "final_layernorm": "norm",
    "dt_layernorm": "norm", "b_layernorm": "norm", "c_layernorm": "norm", "lm_head": "head",
}

# transformers 5.x JambaConfig
FIELDS = decoder_fields(
    vocab_size=65536, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, kv_null=REFUSE, head_dim_null=REFUSE,
    max_position_embeddings=262144, attention_bias=None, mlp_bias=None,
    extra=(
        Field("num_experts", 16, aliases=("num_local_experts",), null=DERIVED),
        Field("num_experts_per_tok", 2),
        Field("expert_layer_period", 2),
        Field("expert_layer_offset", 1, minimum=0),
        Field("attn_layer_period", 8),
        Field("attn_layer_offset", 4, minimum=0),
        Field("mamba_d_state", 16),
        Field("mamba_d_conv", 4),
        Field("mamba_expand", 2),
        Field("mamba_dt_rank", "auto", kind="any", types=("int", "str")),
        Field("mamba_conv_bias", True, kind="bool"),
        Field("mamba_proj_bias", False, kind="bool"),
    ),
    groups=GROUPS,
)


def _period(cfg: Config, what: str) -> tuple[int, int]:
    period, offset = cfg.get(f"{what}_layer_period"), cfg.get(f"{what}_layer_offset")
    if offset >= period:
        raise cfg.error(f"{what}_layer_offset", f"{offset} must be smaller than {what}_layer_period {period}")
    return period, offset


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and layer layout, checked, with no tree built.

    The shape holds each layer's mixer (``a`` attention, ``m`` Mamba) and feed-forward
    (``e`` MoE, ``d`` dense), one character per layer, ``mamba_expand`` (d_in = expand*D)
    and whether R_Δ is ``"auto"`` (ceil(D/16)).
    """
    layers = cfg.get("num_hidden_layers")
    attn_period, attn_offset = _period(cfg, "attn")
    expert_period, expert_offset = _period(cfg, "expert")
    top_k = cfg.get("num_experts_per_tok")
    attention_layers = sum(1 for i in range(layers) if i % attn_period == attn_offset)
    expert_layers = sum(1 for i in range(layers) if i % expert_period == expert_offset)
    experts = cfg.strict("num_experts", used=bool(expert_layers))
    if experts is None:
        experts = 1  # a null alias that no layer reads
    moe_layers = expert_layers if experts > 1 else 0
    # head_dim is no JambaConfig field: only an attention layer reads it, so without one a null is harmless
    read_all(cfg, FIELDS, () if attention_layers else ("head_dim",))
    # attention's sizes are checked only where a layer has attention, as transformers builds them only there
    sizes = read_sizes(cfg) if attention_layers else None
    width = cfg.get("hidden_size")
    act = activation(cfg, "hidden_act", cfg.get("hidden_act"))
    if moe_layers and top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds num_experts {experts}")
    rank, auto = read_dt_rank(cfg, "mamba_dt_rank", width, digits=False)
    expand = cfg.get("mamba_expand")
    shape: list = [
        ("mixers", by_layer("".join("a" if i % attn_period == attn_offset else "m" for i in range(layers)))),
        ("ffns", by_layer("".join("e" if moe_layers and i % expert_period == expert_offset else "d"
                                  for i in range(layers)))),
        ("activation", act), ("proj_bias", cfg.get("mamba_proj_bias")), ("conv_bias", cfg.get("mamba_conv_bias")),
        ("tied", cfg.get("tie_word_embeddings")), ("expand", expand), ("rank_auto", auto),
    ]
    values = {"V": cfg.get("vocab_size"), "D": width, "L": layers,
              **kind_counts((("L_s", layers - attention_layers), ("L_s", attention_layers))),
              **kind_counts((("L_d", layers - moe_layers), ("L_d", moe_layers))),
              "F": cfg.get("intermediate_size"), "N_s": cfg.get("mamba_d_state"), "K_c": cfg.get("mamba_d_conv"),
              "R_dt": rank}
    if auto:
        del values["R_dt"]
    if sizes is not None:
        values.update({"H": sizes.heads, "H_kv": sizes.kv_heads, "d_h": sizes.head_dim})
        if sizes.head_dim_derived:
            del values["d_h"]
        shape.append(("head_dim_derived", sizes.head_dim_derived))
    if moe_layers:
        values.update({"E": experts, "k": top_k})
    check_padding(cfg, 0, values["V"])
    return Reading(tuple(shape), tuple(values.items()), f"jamba (D={width}, L={layers})",
                   sizes.notes if sizes is not None else ())


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from dataclasses import replace

    from sympy import Integer

    from ..components import Block, Embedding, Linear, Model, MoE, Norm, Repeat
    from ..components.mamba import Mamba
    from ..components.routing import Routing
    from ..spec import AtMost
    from ..symbols import D, E, H, K_c, L_d, L_s, N_s, R_dt, V, d_h, d_in, k
    from . import decoder
    from ._ssm import AUTO_RANK, attention_rules, by_symbol, kinds, ssm_spec

    shape = dict(r.shape)
    mixers_at, ffns_at, act = order(shape["mixers"]), order(shape["ffns"]), shape["activation"]

    def layer(name: str, norm: str, part) -> Block:
        return Block(name, (Norm(norm, D, weight=True), part), label=f"{name} half of a Jamba layer")

    mamba = Mamba("mamba", D, d_in, N_s, K_c, R_dt, bias=shape["proj_bias"], conv_bias=shape["conv_bias"],
                  inner_norms=True, activation=act)
    expert = decoder.gated_mlp(act, name="expert")
    moe = MoE("feed_forward", Linear("router", D, E, group="mlp"), expert, E, k,
              routing=Routing(renorm=False, cast=True))
    mixers, mixer_counts = kinds((
        ("mamba_layers", L_s, mixers_at.count("m"), layer("mixer", "input_layernorm", mamba)),
        ("attention_layers", L_s, mixers_at.count("a"),
         layer("mixer", "input_layernorm", replace(decoder.attention(), rotary_dim=Integer(0)))),  # no positions
    ), first="attention_layers")
    ffns, ffn_counts = kinds((
        ("dense_ffn", L_d, ffns_at.count("d"),
         layer("ffn", "pre_ff_layernorm", decoder.gated_mlp(act, name="feed_forward"))),
        ("moe_ffn", L_d, ffns_at.count("e"), layer("ffn", "pre_ff_layernorm", moe)),
    ))
    ffns = [replace(r, layer_inputs=False) if isinstance(r, Repeat) else r for r in ffns]  # inputs: the mixers'
    where = {name: tuple(i for i, c in enumerate(at) if c == kind) for name, at, kind in (
        ("attention_layers", mixers_at, "a"), ("mamba_layers", mixers_at, "m"), ("moe_ffn", ffns_at, "e"),
        ("dense_ffn", ffns_at, "d"))}
    mixers, ffns = ([replace(r, layers=where[r.name]) if isinstance(r, Repeat) else r for r in rs]
                    for rs in (mixers, ffns))
    tree = Model(
        "jamba",
        (
            Embedding("embed_tokens", V, D),
            *mixers,
            *ffns,
            Norm("final_layernorm", D, weight=True),
            Linear("lm_head", D, V, tied=shape["tied"], group="head"),
        ),
        label="Jamba hybrid (Mamba + attention, MoE)",
    )
    relations = {d_in: shape["expand"] * D}
    if shape["rank_auto"]:
        relations[R_dt] = AUTO_RANK
    constraints: list = []
    if "head_dim_derived" in shape:
        if shape["head_dim_derived"]:
            relations[d_h] = D / H
        constraints += attention_rules(shape["head_dim_derived"])
    if "e" in ffns_at:
        constraints.append(AtMost(k, E, "a token picks k of the E experts"))
    return ssm_spec("jamba", tree, by_symbol(r.values), relations, constraints, kept=(d_h, d_in, R_dt),
                    notes=r.notes, counts=(*mixer_counts, *ffn_counts))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="jamba",
    rotary="none",
    layer_lists="read-only",
    summary="Jamba: Mamba-1 layers with one attention layer in attn_layer_period, MoE feed-forwards every "
            "expert_layer_period layers",
    model_types=("jamba",),
    fields=FIELDS,
    build=from_config,
    read=read,
)
