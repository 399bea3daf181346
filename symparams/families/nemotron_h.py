"""Nemotron-H (model_type ``nemotron_h``): blocks of one mixer each, Mamba-2, attention, MLP or MoE.

transformers' ``NemotronHForCausalLM``: ``embeddings``; one block per entry of the
layer pattern, each an RMSNorm and a single mixer: a Mamba-2 mixer (``M``), GQA
attention without RoPE or biases (``*``), a plain MLP with a squared-ReLU (``-``), or a
mixture of E plain experts behind a sigmoid router with one always-on shared expert
(``E``); ``norm_f``; an LM head that is never tied (``NemotronHForCausalLM`` declares no tied
weights, so ``tie_word_embeddings`` changes nothing). So the tree has L_s Mamba-2
blocks, L_a attention blocks, L_d MLP blocks and the rest MoE blocks (the last kind
present takes L minus the others; Nemotron-H-8B: 24 + 4 + 24 of 52).

The pattern is ``layers_block_type`` (alias ``layer_types``; the legacy names
``mamba`` and ``attention`` are read as transformers remaps them), else the string
``hybrid_override_pattern``, else transformers' default ``M E * -``.
``num_hidden_layers`` is ignored, as transformers ignores it: the pattern's length is L.

Sizes as the modeling code reads them: the Mamba-2 width d_in is ``mamba_num_heads`` x
``mamba_head_dim`` (``expand`` is not used); in_proj and out_proj take their bias from
``use_bias`` (``mamba_proj_bias`` is not used); attention's head size is ``head_dim``
(default 128) and it has no bias whatever ``attention_bias`` says. Routed experts are
up (r_e -> F_e) and down (F_e -> r_e) with no bias, where r_e is ``moe_latent_size``
(the experts then sit between two latent projections D -> r_e -> D, whose activations
``_LatentMoE`` reads) or D; the shared
expert is one MLP of F_s = ``moe_shared_expert_intermediate_size`` (``n_shared_experts``
is not used by the modeling code); the router's score-correction bias is a buffer,
not a parameter. Multi-token-prediction layers are not part of the causal LM.
Nulls: ``layers_block_type`` and ``moe_latent_size`` null mean missing; ``layer_types``
null and the other shape fields' nulls are refused, as transformers refuses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, MAX_LAYERS, Config, Field, Fields
from ._ssm_config import kind_counts, read_all
from .activations import activation
from .registry import Family, Reading, by_layer, order

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {
    "embeddings": "embedding", "mixer": "ssm", "q_proj": "attention", "k_proj": "attention", "v_proj": "attention",
    "o_proj": "attention", "up_proj": "mlp", "down_proj": "mlp", "experts": "mlp", "gate": "mlp",
    "shared_experts": "mlp", "fc1_latent_proj": "mlp", "fc2_latent_proj": "mlp", "norm": "norm", "norm_f": "norm",
    "lm_head": "head",
}

# transformers 5.x NemotronHConfig
FIELDS = Fields(
    Field("vocab_size", 131072),
    Field("hidden_size", 4096),
    Field("layers_block_type", DERIVED, aliases=("layer_types",), null=DERIVED, kind="any",
          types=("list",)),
    Field("hybrid_override_pattern", DERIVED, kind="str"),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("num_attention_heads", 32),
    Field("num_key_value_heads", 8),
    Field("head_dim", 128),
    Field("max_position_embeddings", 4096),
    Field("intermediate_size", 21504),
    Field("mlp_hidden_act", "relu2", kind="str"),
    Field("mlp_bias", False, kind="bool"),
    Field("ssm_state_size", 128),
    Field("mamba_num_heads", 128),
    Field("mamba_head_dim", 64),
    Field("mamba_hidden_act", "silu", kind="str"),
    Field("n_groups", 8, aliases=("mamba_n_groups",)),
    Field("conv_kernel", 4, aliases=("mamba_d_conv",)),
    Field("chunk_size", 128, aliases=("mamba_chunk_size",)),
    Field("use_conv_bias", True, kind="bool", aliases=("mamba_conv_bias",)),
    Field("use_bias", False, kind="bool"),
    Field("n_routed_experts", 8, aliases=("num_local_experts",), null=DERIVED),
    Field("num_experts_per_tok", 2),
    Field("moe_intermediate_size", 7688),
    Field("moe_shared_expert_intermediate_size", 7688),
    Field("moe_latent_size", DERIVED, null=DEFAULT),
    Field("norm_topk_prob", True, kind="bool"),
    groups=GROUPS,
)

# transformers' names for the pattern's kinds (NemotronHConfig._pattern_to_list, remap_legacy_layer_types).
PATTERN = {"M": "linear_attention", "E": "moe", "*": "full_attention", "-": "mlp"}
LEGACY = {"mamba": "linear_attention", "attention": "full_attention"}
DEFAULT_PATTERN = ["linear_attention", "moe", "full_attention", "mlp"]


def layer_pattern(cfg: Config) -> list[str]:
    """The kind of every block, as NemotronHConfig works it out (at most ``MAX_LAYERS`` of them, as any config)."""
    kinds_ = _layer_pattern(cfg)
    if len(kinds_) > MAX_LAYERS:
        name = next((n for n in ("layers_block_type", "layer_types") if cfg.has(n)), "hybrid_override_pattern")
        raise cfg.error(name, f"names {len(kinds_):,} layers, too many: symparams lays models out layer by layer "
                              f"and reads at most {MAX_LAYERS:,}")
    return kinds_


def _layer_pattern(cfg: Config) -> list[str]:
    if cfg.is_null("layer_types"):
        raise cfg.error("layer_types", "is null; transformers needs a list of layer kinds here (leave it out)")
    if cfg.is_null("hybrid_override_pattern") and not cfg.has("layers_block_type"):
        # NemotronHConfig pops the pattern and parses it unless layers_block_type itself was given
        # (the layer_types alias is set only afterwards): a null pattern then fails to parse.
        raise cfg.error("hybrid_override_pattern", "is null; transformers parses it here unless layers_block_type "
                                                   "is given (leave it out)")
    given = cfg.get("layers_block_type")
    if given is not DERIVED:
        name = next(n for n in ("layers_block_type", "layer_types") if cfg.has(n))
        if not isinstance(given, list) or not all(isinstance(t, str) for t in given):
            raise cfg.error(name, "expected a list of layer kinds")
        kinds_: list[str] = [LEGACY[t] if t in LEGACY else t for t in given]
        bad = sorted(set(kinds_) - set(PATTERN.values()))
        if bad:
            raise cfg.error(name, f"{', '.join(map(repr, bad))} is not a layer kind (known: "
                                  f"{', '.join(sorted(PATTERN.values()))})")
        if not cfg.has("layers_block_type"):  # the alias is set after the pattern is parsed: it must parse
            _parsed(cfg)
        return kinds_
    return _parsed(cfg)


def _parsed(cfg: Config) -> list[str]:
    """``hybrid_override_pattern`` parsed as NemotronHConfig parses it: its default where it is missing."""
    pattern = cfg.get("hybrid_override_pattern")
    if pattern is DERIVED:
        return list(DEFAULT_PATTERN)
    bad = sorted(set(pattern) - set(PATTERN))
    if bad:
        raise cfg.error("hybrid_override_pattern", f"{', '.join(map(repr, bad))} is not a layer kind "
                                                   "(known: M, E, * and -)")
    return [PATTERN[c] for c in pattern]


# The layout's characters in a shape: hybrid_override_pattern's, one per block.
PATTERN_CHAR = {kind: char for char, kind in PATTERN.items()}


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and block pattern, checked, with no tree built.

    The shape holds the pattern (``M``, ``*``, ``-``, ``E`` per block) and the switches of
    the kinds it has, with whether the experts sit between latent projections.
    """
    pattern = layer_pattern(cfg)
    # NemotronHConfig checks every field's type whatever the pattern; the pattern string is
    # only read (and parsed) when no layer list is given. tie_word_embeddings is read for
    # its type only: the causal LM ties nothing (it declares no tied weights).
    listed = cfg.has("layers_block_type") or cfg.has("layer_types")
    read_all(cfg, FIELDS, ("hybrid_override_pattern",) if listed else ())
    if not pattern:
        raise cfg.error("layers_block_type" if cfg.given("layers_block_type") or cfg.given("layer_types")
                        else "hybrid_override_pattern", "names no layer: a model needs at least one")
    count = {kind: pattern.count(kind) for kind in PATTERN.values()}
    notes = []
    if cfg.has("num_hidden_layers") and cfg.data["num_hidden_layers"] != len(pattern):
        notes.append(f"num_hidden_layers ({cfg.shown('num_hidden_layers')}) is ignored, as transformers ignores it: "
                     f"the layer pattern has {len(pattern)} layers")
    width, heads, kv_heads = cfg.get("hidden_size"), cfg.get("num_attention_heads"), cfg.get("num_key_value_heads")
    values: dict = {"V": cfg.get("vocab_size"), "D": width, "L": len(pattern)}
    shape: list = [("layout", by_layer("".join(PATTERN_CHAR[kind] for kind in pattern))),
                   ("mlp_activation", activation(cfg, "mlp_hidden_act", cfg.get("mlp_hidden_act"))),
                   ("mlp_bias", cfg.get("mlp_bias"))]
    # only the sizes of the kinds the pattern has become symbols
    if count["linear_attention"]:
        shape += [("mamba_activation", activation(cfg, "mamba_hidden_act", cfg.get("mamba_hidden_act"))),
                  ("bias", cfg.get("use_bias")), ("conv_bias", cfg.get("use_conv_bias"))]
        values.update({"d_in": cfg.get("mamba_num_heads") * cfg.get("mamba_head_dim"),
                       "H_m": cfg.get("mamba_num_heads"), "G": cfg.get("n_groups"), "N_s": cfg.get("ssm_state_size"),
                       "K_c": cfg.get("conv_kernel"), "Q": cfg.get("chunk_size")})
    if count["full_attention"]:
        if heads % kv_heads:
            raise cfg.error("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
        values.update({"H": heads, "H_kv": kv_heads, "d_h": cfg.get("head_dim")})
    if count["mlp"]:
        values["F"] = cfg.get("intermediate_size")
    experts = cfg.strict("n_routed_experts", used=bool(count["moe"]))
    if count["moe"]:
        top_k = cfg.get("num_experts_per_tok")
        if top_k > experts:
            raise cfg.error("num_experts_per_tok", f"{top_k} exceeds n_routed_experts {experts}")
        latent = cfg.get("moe_latent_size")
        shape += [("latent", latent is not DERIVED), ("renorm", cfg.get("norm_topk_prob"))]
        values.update({"E": experts, "k": top_k, "F_e": cfg.get("moe_intermediate_size"),
                       "F_s": cfg.get("moe_shared_expert_intermediate_size")})
        if latent is not DERIVED:
            values["r_e"] = latent
    values.update(kind_counts(tuple((sym, count[kind]) for sym, kind in (
        ("L_s", "linear_attention"), ("L_a", "full_attention"), ("L_d", "mlp"), ("L_d", "moe")))))
    return Reading(tuple(shape), tuple(values.items()), f"nemotron_h (D={width}, L={len(pattern)})", tuple(notes))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from functools import partial

    from sympy import Integer

    from ..components import MLP, Attention, Block, Embedding, Linear, Model, MoE
    from ..components.composite import placed
    from ..components.mamba import Mamba2
    from ..components.routing import Routing
    from ..spec import AtMost
    from ..symbols import D, E, F, F_e, F_s, G, H, H_kv, H_m, K_c, L_a, L_d, L_s, N_s, Q, V, d_h, d_in, k, r_e
    from ._nemotron_h_parts import _LatentMoE, _Norm
    from ._ssm import attention_rules, by_symbol, kinds, ssm_spec

    shape = dict(r.shape)
    layout, mlp_act, mlp_bias = order(shape["layout"]), shape["mlp_activation"], shape["mlp_bias"]
    rules: list = []
    mamba = attention = mlp = moe = None
    if PATTERN_CHAR["linear_attention"] in layout:
        mamba = Mamba2("mixer", D, d_in, H_m, G, N_s, K_c, Q, bias=shape["bias"], out_bias=shape["bias"],
                       conv_bias=shape["conv_bias"], activation=shape["mamba_activation"])
    if PATTERN_CHAR["full_attention"] in layout:
        # no positional embedding at all: no rotary tables (rotary_dim 0)
        attention = Attention("mixer", D, H, H_kv, d_h, names=("q_proj", "k_proj", "v_proj", "o_proj"),
                              rotary_dim=Integer(0))
        rules += attention_rules(False)
    if PATTERN_CHAR["mlp"] in layout:
        mlp = MLP("mixer", D, F, bias=mlp_bias, activation=mlp_act, names=("up_proj", "down_proj"))
    if PATTERN_CHAR["moe"] in layout:
        latent = shape["latent"]
        extras = () if not latent else (
            Linear("fc1_latent_proj", D, r_e, mlp_bias, group="mlp"), Linear("fc2_latent_proj", r_e, D, mlp_bias, group="mlp"))
        moe = (partial(_LatentMoE, latent=r_e) if latent else MoE)(
            "mixer", Linear("gate", D, E, group="mlp"),
            MLP("expert", r_e if latent else D, F_e, activation=mlp_act, names=("up_proj", "down_proj")), E, k,
            shared=MLP("shared_experts", D, F_s, bias=mlp_bias, activation=mlp_act, names=("up_proj", "down_proj")),
            extras=extras, routing=Routing(kind="sigmoid_group", renorm=shape["renorm"]),
        )
        rules.append(AtMost(k, E, "a token picks k of the E experts"))

    def block(mixer) -> Block:
        return Block("block", (_Norm("norm", D, weight=True, weight_fp32=True), mixer),
                     label=f"Nemotron-H block ({type(mixer).__name__.lstrip('_')})")

    names = {"linear_attention": "mamba_layers", "full_attention": "attention_layers", "mlp": "mlp_layers",
             "moe": "moe_layers"}
    repeats, counts = kinds(tuple(
        (names[kind], sym, layout.count(PATTERN_CHAR[kind]), block(mixer)) for sym, kind, mixer in (
            (L_s, "linear_attention", mamba), (L_a, "full_attention", attention), (L_d, "mlp", mlp), (L_d, "moe", moe),
        ) if mixer is not None
    ), first="attention_layers")
    repeats = list(placed(repeats, [names[PATTERN[c]] for c in layout]))
    tree = Model(
        "nemotron_h",
        (
            Embedding("embeddings", V, D),
            *repeats,
            _Norm("norm_f", D, weight=True, weight_fp32=True),
            Linear("lm_head", D, V, group="head"),
        ),
        label="Nemotron-H hybrid (Mamba-2, attention, MLP and MoE blocks)",
    )
    return ssm_spec("nemotron_h", tree, by_symbol(r.values), {}, rules, notes=r.notes, counts=counts)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="nemotron_h",
    rotary="none",
    rope_head="given",
    layer_lists="unchecked",
    summary="Nemotron-H: a pattern of single-mixer blocks (Mamba-2, GQA attention, squared-ReLU MLP, "
            "MoE with a shared expert)",
    model_types=("nemotron_h",),
    fields=FIELDS,
    build=from_config,
    read=read,
)
