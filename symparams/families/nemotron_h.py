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

from dataclasses import dataclass, replace
from functools import partial

from sympy import Expr, Integer

from ..components import MLP, Attention, Block, Embedding, Linear, Model, MoE, Norm
from ..components.base import ZERO
from ..components.composite import placed
from ..components.mamba import Mamba2
from ..components.routing import Routing
from ..components.saving import DEFAULT as NO_SETTINGS
from ..components.saving import FP32, Saving
from ..config import DEFAULT, DERIVED, MAX_LAYERS, Config, Field, Fields
from ..spec import AtMost, Spec
from ..symbols import B, D, E, F, F_e, F_s, G, H, H_kv, H_m, K_c, L, L_a, L_d, L_s, N_s, Q, V, d_h, d_in, k, r_e
from ._ssm import attention_rules, kinds, read_all, ssm_spec
from .activations import activation
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

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
    Field("layers_block_type", DERIVED, aliases=("layer_types",), null=DERIVED, kind="any"),
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
        return kinds_
    pattern = cfg.get("hybrid_override_pattern")
    if pattern is DERIVED:
        return list(DEFAULT_PATTERN)
    bad = sorted(set(pattern) - set(PATTERN))
    if bad:
        raise cfg.error("hybrid_override_pattern", f"{', '.join(map(repr, bad))} is not a layer kind "
                                                   "(known: M, E, * and -)")
    return [PATTERN[c] for c in pattern]


@dataclass(frozen=True)
class _Norm(Norm):
    """Nemotron-H's RMSNorm: (weight.to(fp32) * x).to(dtype), so below fp32 each norm also keeps an fp32 copy of
    its weight (``dim`` values, whatever B and T) beside the fp32 product Norm's ``weight_fp32`` reads."""

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        return super().activation_bytes(T, s) + (ZERO if s.width == FP32 else FP32 * self.dim)


@dataclass(frozen=True)
class _LatentMoE(MoE):
    """Nemotron-H's mixture of experts between two latent projections (``moe_latent_size``): D -> r_e -> D.

    ``fc1_latent_proj`` takes the block's normalised input, which the shared expert keeps
    already, and its output is what the experts gather rows from (kept as their input, r_e
    wide); each routed token keeps the expert's output at r_e (not D) for the product with
    its weight; ``fc2_latent_proj`` keeps its input, the experts' sum, a*r_e per token.
    """

    latent: Expr = ZERO

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or NO_SETTINGS
        plain = MoE.activation_bytes(replace(self, extras=()), T, s)
        n, width = B * T, self.router.d_in
        return plain + s.stream(s.width * n * (self.top_k * (self.latent - width) + self.latent))


def from_config(cfg: Config) -> Spec:
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
    values: dict = {V: cfg.get("vocab_size"), D: width, L: len(pattern)}
    rules: list = []
    mlp_act = activation(cfg, "mlp_hidden_act", cfg.get("mlp_hidden_act"))
    mlp_bias = cfg.get("mlp_bias")
    # each kind's layer is built only if the pattern has one, and only its sizes become symbols
    mamba = attention = mlp = moe = None
    if count["linear_attention"]:
        mamba_act = activation(cfg, "mamba_hidden_act", cfg.get("mamba_hidden_act"))
        bias = cfg.get("use_bias")
        mamba = Mamba2("mixer", D, d_in, H_m, G, N_s, K_c, Q, bias=bias, out_bias=bias,
                       conv_bias=cfg.get("use_conv_bias"), activation=mamba_act)
        values.update({d_in: cfg.get("mamba_num_heads") * cfg.get("mamba_head_dim"), H_m: cfg.get("mamba_num_heads"),
                       G: cfg.get("n_groups"), N_s: cfg.get("ssm_state_size"), K_c: cfg.get("conv_kernel"),
                       Q: cfg.get("chunk_size")})
    if count["full_attention"]:
        if heads % kv_heads:
            raise cfg.error("num_key_value_heads", f"{kv_heads} does not divide num_attention_heads {heads}")
        # no positional embedding at all: no rotary tables (rotary_dim 0)
        attention = Attention("mixer", D, H, H_kv, d_h, names=("q_proj", "k_proj", "v_proj", "o_proj"),
                              rotary_dim=Integer(0))
        values.update({H: heads, H_kv: kv_heads, d_h: cfg.get("head_dim")})
        rules += attention_rules(False)
    if count["mlp"]:
        mlp = MLP("mixer", D, F, bias=mlp_bias, activation=mlp_act, names=("up_proj", "down_proj"))
        values[F] = cfg.get("intermediate_size")
    experts = cfg.strict("n_routed_experts", used=bool(count["moe"]))
    if count["moe"]:
        top_k = cfg.get("num_experts_per_tok")
        if top_k > experts:
            raise cfg.error("num_experts_per_tok", f"{top_k} exceeds n_routed_experts {experts}")
        latent = cfg.get("moe_latent_size")
        inner = D if latent is DERIVED else r_e
        extras = () if latent is DERIVED else (
            Linear("fc1_latent_proj", D, r_e, mlp_bias, group="mlp"), Linear("fc2_latent_proj", r_e, D, mlp_bias, group="mlp"))
        moe = (MoE if latent is DERIVED else partial(_LatentMoE, latent=r_e))(
            "mixer", Linear("gate", D, E, group="mlp"),
            MLP("expert", inner, F_e, activation=mlp_act, names=("up_proj", "down_proj")), E, k,
            shared=MLP("shared_experts", D, F_s, bias=mlp_bias, activation=mlp_act, names=("up_proj", "down_proj")),
            extras=extras, routing=Routing(kind="sigmoid_group", renorm=cfg.get("norm_topk_prob")),
        )
        values.update({E: experts, k: top_k, F_e: cfg.get("moe_intermediate_size"),
                       F_s: cfg.get("moe_shared_expert_intermediate_size")})
        if latent is not DERIVED:
            values[r_e] = latent
        rules.append(AtMost(k, E, "a token picks k of the E experts"))

    def block(mixer) -> Block:
        return Block("block", (_Norm("norm", D, weight=True, weight_fp32=True), mixer),
                     label=f"Nemotron-H block ({type(mixer).__name__})")

    repeats, counts = kinds(tuple(
        (name, sym, count[kind], block(mixer)) for name, sym, kind, mixer in (
            ("mamba_layers", L_s, "linear_attention", mamba), ("attention_layers", L_a, "full_attention", attention),
            ("mlp_layers", L_d, "mlp", mlp), ("moe_layers", L_d, "moe", moe),
        ) if mixer is not None
    ), first="attention_layers")
    names = {"linear_attention": "mamba_layers", "full_attention": "attention_layers", "mlp": "mlp_layers",
             "moe": "moe_layers"}
    repeats = list(placed(repeats, [names[kind] for kind in pattern]))
    values.update(counts)
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
    return ssm_spec("nemotron_h", tree, values, {}, rules, notes=notes, counts=counts)


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
)
