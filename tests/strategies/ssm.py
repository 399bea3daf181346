"""Strategies for the state-space and hybrid families: mamba, mamba2, jamba, falcon_h1, bamba, granitemoehybrid,
nemotron_h, zamba2.

Every config is small (a few layers, widths of a few dozen) so transformers builds it on
the meta device quickly, and valid for transformers' forward pass too (B/C groups
dividing the Mamba-2 heads, key/value heads dividing query heads, rotary head sizes
even, Nemotron-H's router with at least two experts), so a FLOPs test can run the same
configs. Fields are left out at random so that transformers' defaults apply, set to
null where transformers accepts null, and written under their other names (aliases,
legacy layer-kind names) where transformers reads those.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from . import CONFIGS

__all__ = [
    "mamba_configs", "mamba2_configs", "jamba_configs", "falcon_h1_configs", "bamba_configs", "granitemoehybrid_configs",
    "nemotron_h_configs", "zamba2_configs", "INF", "eager_extra_flops",
]

INF = math.inf  # what transformers' own config files hold in time_step_limit


def _maybe(draw, cfg: dict, key: str, strategy) -> None:
    """Set ``cfg[key]`` from ``strategy`` half the time (else transformers' default applies)."""
    if draw(st.booleans()):
        cfg[key] = draw(strategy)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _even_head(draw) -> int:
    """A head size RoPE accepts: even, or at most 4."""
    return draw(st.sampled_from([1, 2, 3, 4, 6, 8, 10]))


def _attention(draw, cfg: dict, *, kv_null: bool, rope: bool, explicit_head_dim: bool = True) -> None:
    """Query and key/value heads (H_kv dividing H), a width, and sometimes an explicit head_dim."""
    kv = draw(st.integers(1, 3))
    heads = kv * draw(st.integers(1, 3))
    cfg["num_attention_heads"] = heads
    choice = draw(st.sampled_from(["kv", "kv", "null", "H"] if kv_null else ["kv", "H"]))
    if choice == "kv":
        cfg["num_key_value_heads"] = kv
    elif choice == "null":
        cfg["num_key_value_heads"] = None
    else:
        cfg["num_key_value_heads"] = heads
    if explicit_head_dim and draw(st.booleans()):
        cfg["head_dim"] = _even_head(draw) if rope else draw(st.integers(1, 9))
        cfg["hidden_size"] = draw(st.integers(4, 40))
    else:
        cfg["hidden_size"] = heads * (_even_head(draw) if rope else draw(st.integers(1, 9)))


@st.composite
def mamba_configs(draw) -> dict:
    """Mamba-1: width, inner width (expand or an explicit intermediate_size), state, kernel, dt rank, biases."""
    cfg: dict = {"model_type": "mamba", "hidden_size": draw(st.integers(1, 48)),
                 "num_hidden_layers": draw(st.integers(1, 3)), "vocab_size": draw(st.integers(2, 300))}
    _maybe(draw, cfg, "state_size", st.integers(1, 16))
    _maybe(draw, cfg, "expand", st.integers(1, 3))
    _maybe(draw, cfg, "intermediate_size", st.integers(1, 80))
    _maybe(draw, cfg, "conv_kernel", st.integers(1, 4))
    _maybe(draw, cfg, "time_step_rank", st.one_of(st.just("auto"), st.integers(1, 8),
                                                  st.integers(1, 8).map(str)))
    for flag in ("use_bias", "use_conv_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    _maybe(draw, cfg, "hidden_act", st.sampled_from(["silu", "gelu", "relu"]))
    return cfg


def _mamba2_heads(draw, inner: int) -> tuple[int, int]:
    """(heads, groups): heads dividing the inner width, groups dividing the heads."""
    heads = draw(st.sampled_from(_divisors(inner)))
    return heads, draw(st.sampled_from(_divisors(heads)))


@st.composite
def mamba2_configs(draw) -> dict:
    """Mamba-2: num_heads x head_dim = expand x D always, groups, state, kernel, biases, the Infinity limit."""
    width = draw(st.integers(1, 32))
    cfg: dict = {"model_type": "mamba2", "hidden_size": width, "num_hidden_layers": draw(st.integers(1, 3)),
                 "vocab_size": draw(st.integers(2, 300))}
    expand = 2
    if draw(st.booleans()):
        expand = cfg["expand"] = draw(st.integers(1, 3))
    heads, groups = _mamba2_heads(draw, expand * width)
    cfg.update(num_heads=heads, head_dim=expand * width // heads, n_groups=groups)
    _maybe(draw, cfg, "state_size", st.integers(1, 16))
    _maybe(draw, cfg, "conv_kernel", st.integers(1, 4))
    _maybe(draw, cfg, "time_step_rank", st.one_of(st.just("auto"), st.integers(1, 8)))
    _maybe(draw, cfg, "time_step_limit", st.just([0.0, INF]))
    _maybe(draw, cfg, "chunk_size", st.integers(1, 64))
    for flag in ("use_bias", "use_conv_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    return cfg


@st.composite
def jamba_configs(draw) -> dict:
    """Jamba: attention and expert periods and offsets over a few layers, E experts (1: no MoE), top-k."""
    cfg: dict = {"model_type": "jamba", "num_hidden_layers": draw(st.integers(1, 6)),
                 "vocab_size": draw(st.integers(2, 300)), "intermediate_size": draw(st.integers(1, 24))}
    _attention(draw, cfg, kv_null=False, rope=False)
    for what in ("attn", "expert"):
        period = draw(st.integers(1, 4))
        cfg[f"{what}_layer_period"] = period
        cfg[f"{what}_layer_offset"] = draw(st.integers(0, period - 1))
    experts = draw(st.integers(1, 5))
    cfg[draw(st.sampled_from(["num_experts", "num_local_experts"]))] = experts
    cfg["num_experts_per_tok"] = draw(st.integers(1, max(experts, 1)))
    _maybe(draw, cfg, "mamba_d_state", st.integers(1, 8))
    _maybe(draw, cfg, "mamba_d_conv", st.integers(1, 4))
    _maybe(draw, cfg, "mamba_expand", st.integers(1, 3))
    _maybe(draw, cfg, "mamba_dt_rank", st.one_of(st.just("auto"), st.integers(1, 8)))
    for flag in ("mamba_conv_bias", "mamba_proj_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    return cfg


@st.composite
def falcon_h1_configs(draw) -> dict:
    """Falcon-H1: attention beside a Mamba-2 mixer whose width is mamba_d_ssm, or expand x D when that is null."""
    cfg: dict = {"model_type": "falcon_h1", "num_hidden_layers": draw(st.integers(1, 3)),
                 "vocab_size": draw(st.integers(2, 300)), "intermediate_size": draw(st.integers(1, 24))}
    _attention(draw, cfg, kv_null=True, rope=True)
    width = cfg["hidden_size"]
    choice = draw(st.sampled_from(["given", "null", "default"]))
    if choice == "given":
        inner = cfg["mamba_d_ssm"] = draw(st.integers(1, 48))
        _maybe(draw, cfg, "mamba_expand", st.one_of(st.none(), st.integers(1, 3)))
    elif choice == "null":
        cfg["mamba_d_ssm"] = None
        expand = cfg["mamba_expand"] = draw(st.integers(1, 3))
        inner = expand * width
    else:
        inner = 1024
    heads = draw(st.sampled_from([d for d in _divisors(inner) if d <= 64]))
    cfg["mamba_n_heads"] = heads
    if draw(st.booleans()):
        cfg["mamba_d_head"] = draw(st.sampled_from(["auto", inner // heads]))
    cfg["mamba_n_groups"] = draw(st.sampled_from(_divisors(heads)))
    cfg["mamba_d_state"] = draw(st.integers(1, 8))
    _maybe(draw, cfg, "mamba_d_conv", st.integers(1, 4))
    for flag in ("mamba_conv_bias", "mamba_proj_bias", "projectors_bias", "mamba_rms_norm"):
        _maybe(draw, cfg, flag, st.one_of(st.none(), st.booleans()))
    for flag in ("attention_bias", "mlp_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    _maybe(draw, cfg, "time_step_limit", st.just([0.0, INF]))
    return cfg


def _bamba_mixer(draw, cfg: dict) -> None:
    """Bamba's Mamba-2 fields (Granite 4.0's too): heads x head size = expand x D, groups dividing the heads."""
    expand = 2
    if draw(st.booleans()):
        expand = cfg["mamba_expand"] = draw(st.integers(1, 3))
    inner = expand * cfg["hidden_size"]
    heads, groups = _mamba2_heads(draw, inner)
    cfg["mamba_n_heads"], cfg["mamba_n_groups"] = heads, groups
    if draw(st.booleans()):
        cfg["mamba_d_head"] = draw(st.sampled_from(["auto", inner // heads]))
    cfg["mamba_d_state"] = draw(st.integers(1, 8))
    _maybe(draw, cfg, "mamba_d_conv", st.integers(1, 4))


@st.composite
def bamba_configs(draw) -> dict:
    """Bamba: attention on the layers attn_layer_indices names (some outside the model, or none), Mamba-2 elsewhere."""
    layers = draw(st.integers(1, 5))
    cfg: dict = {"model_type": "bamba", "num_hidden_layers": layers, "vocab_size": draw(st.integers(2, 300)),
                 "intermediate_size": draw(st.integers(1, 24))}
    _attention(draw, cfg, kv_null=True, rope=False)
    choice = draw(st.sampled_from(["list", "list", "null", "missing"]))
    if choice == "list":
        cfg["attn_layer_indices"] = draw(st.lists(st.integers(-1, layers + 1), max_size=layers + 1))
    elif choice == "null":
        cfg["attn_layer_indices"] = None
    _bamba_mixer(draw, cfg)
    for flag in ("mamba_conv_bias", "mamba_proj_bias"):
        _maybe(draw, cfg, flag, st.one_of(st.none(), st.booleans()))
    for flag in ("attention_bias", "mlp_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    _maybe(draw, cfg, "time_step_limit", st.just([0.0, INF]))
    return cfg


_NEMOTRON_LEGACY = {"linear_attention": "mamba", "full_attention": "attention"}


@st.composite
def granitemoehybrid_configs(draw) -> dict:
    """Granite 4.0: Mamba-2 and attention layers listed under either name (or not at all), experts or none, a shared
    MLP of any width (0 included), RoPE or none, a head size floored where H does not divide D."""
    layers = draw(st.integers(1, 5))
    cfg: dict = {"model_type": "granitemoehybrid", "num_hidden_layers": layers,
                 "vocab_size": draw(st.integers(2, 300)), "intermediate_size": draw(st.integers(1, 24))}
    rope = draw(st.sampled_from([None, "rope", "nope", "missing"]))
    if rope != "missing":
        cfg["position_embedding_type"] = rope
    _attention(draw, cfg, kv_null=True, rope=True)  # transformers checks a stated head_dim for RoPE whatever the type
    if rope != "rope" and "head_dim" not in cfg and draw(st.booleans()):
        cfg["hidden_size"] += draw(st.integers(1, cfg["num_attention_heads"] - 1)) if cfg["num_attention_heads"] > 1 else 0
    how = draw(st.sampled_from(["layer_types", "layers_block_type", "legacy", "null", "missing"]))
    kinds = draw(st.lists(st.sampled_from(["linear_attention", "full_attention"]), min_size=layers, max_size=layers))
    if how in ("layer_types", "layers_block_type"):
        cfg[how] = kinds
    elif how == "legacy":
        cfg["layer_types"] = [_NEMOTRON_LEGACY[k] for k in kinds]
    elif how == "null":
        cfg["layer_types"] = None
    experts = draw(st.integers(0, 4))
    if experts or draw(st.booleans()):
        cfg["num_local_experts"] = experts
    if experts or "num_local_experts" not in cfg:
        cfg["num_experts_per_tok"] = draw(st.integers(1, experts or 8))
    _maybe(draw, cfg, "shared_intermediate_size", st.integers(0, 24))
    _bamba_mixer(draw, cfg)
    _maybe(draw, cfg, "mamba_chunk_size", st.integers(1, 64))
    for flag in ("mamba_conv_bias", "mamba_proj_bias"):
        _maybe(draw, cfg, flag, st.one_of(st.none(), st.booleans()))
    for flag in ("attention_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    _maybe(draw, cfg, "hidden_act", st.sampled_from(["silu", "gelu", "relu"]))
    _maybe(draw, cfg, "time_step_limit", st.just([0.0, INF]))
    return cfg


@st.composite
def nemotron_h_configs(draw) -> dict:
    """Nemotron-H: a pattern of M / * / - / E blocks given as a list (new or legacy names) or a pattern string."""
    kinds = draw(st.lists(st.sampled_from("M*-E"), min_size=1, max_size=6))
    cfg: dict = {"model_type": "nemotron_h", "vocab_size": draw(st.integers(2, 300))}
    names = {"M": "linear_attention", "*": "full_attention", "-": "mlp", "E": "moe"}
    how = draw(st.sampled_from(["pattern", "list", "legacy", "alias"]))
    if how == "pattern":
        cfg["hybrid_override_pattern"] = "".join(kinds)
    else:
        listed = [names[c] for c in kinds]
        if how == "legacy":
            listed = [_NEMOTRON_LEGACY.get(t, t) for t in listed]
        cfg["layer_types" if how == "alias" else "layers_block_type"] = listed
    if draw(st.booleans()):
        cfg["num_hidden_layers"] = draw(st.sampled_from([len(kinds), len(kinds) + 1]))
    _attention(draw, cfg, kv_null=False, rope=False)
    if "head_dim" not in cfg:
        cfg["head_dim"] = draw(st.integers(1, 9))  # the default (128) would dwarf the rest
    cfg["intermediate_size"] = draw(st.integers(1, 24))
    heads = draw(st.integers(1, 4))
    cfg["mamba_num_heads"] = heads
    cfg["mamba_head_dim"] = draw(st.integers(1, 8))
    cfg[draw(st.sampled_from(["n_groups", "mamba_n_groups"]))] = draw(st.sampled_from(_divisors(heads)))
    cfg["ssm_state_size"] = draw(st.integers(1, 8))
    _maybe(draw, cfg, draw(st.sampled_from(["conv_kernel", "mamba_d_conv"])), st.integers(1, 4))
    experts = draw(st.integers(2, 5))
    cfg[draw(st.sampled_from(["n_routed_experts", "num_local_experts"]))] = experts
    cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
    cfg["moe_intermediate_size"] = draw(st.integers(1, 16))
    cfg["moe_shared_expert_intermediate_size"] = draw(st.integers(1, 16))
    _maybe(draw, cfg, "moe_latent_size", st.one_of(st.none(), st.integers(1, 12)))
    for flag in ("mlp_bias", "use_bias", "use_conv_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    _maybe(draw, cfg, "mlp_hidden_act", st.sampled_from(["relu2", "silu", "gelu"]))
    _maybe(draw, cfg, "time_step_limit", st.just([0.0, INF]))
    return cfg


@st.composite
def zamba2_configs(draw) -> dict:
    """Zamba2: mamba and hybrid layers, shared blocks (more, fewer or as many as the hybrid layers), adapters."""
    kinds = draw(st.lists(st.sampled_from(["mamba", "mamba", "hybrid", "linear_attention"]), min_size=1, max_size=6))
    hybrids = kinds.count("hybrid")
    cfg: dict = {"model_type": "zamba2", "num_hidden_layers": len(kinds), "vocab_size": draw(st.integers(2, 300))}
    cfg["layers_block_type"] = kinds
    adapters = draw(st.booleans())
    heads = draw(st.integers(1, 4))
    cfg["num_attention_heads"] = heads
    if adapters:  # q/k/v adapters add 2D outputs to each projection: H_kv = H and H x d_h = 2D
        cfg["use_shared_attention_adapter"] = True
        cfg["num_key_value_heads"] = draw(st.sampled_from([heads, None]))
        width = heads * draw(st.sampled_from([1, 2, 3, 4, 5]))
    else:
        cfg["num_key_value_heads"] = draw(st.sampled_from(_divisors(heads) + [None]))
        width = heads * draw(st.sampled_from([1, 2, 3, 4, 5]))
        if draw(st.booleans()):
            cfg["head_dim"] = _even_head(draw)
    cfg["hidden_size"] = width
    _maybe(draw, cfg, "intermediate_size", st.one_of(st.none(), st.just(0), st.integers(1, 24)))
    blocks = draw(st.integers(1, 3))
    cfg["num_mem_blocks"] = blocks
    cfg["adapter_rank"] = draw(st.integers(1, 6))
    if hybrids <= blocks or draw(st.booleans()):
        _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    if hybrids > blocks and cfg.get("tie_word_embeddings") is False:
        del cfg["tie_word_embeddings"]
    expand = 2
    if draw(st.booleans()):
        expand = cfg["mamba_expand"] = draw(st.integers(1, 3))
    mheads, groups = _mamba2_heads(draw, expand * width)
    cfg["n_mamba_heads"], cfg["mamba_ngroups"] = mheads, groups
    cfg["mamba_d_state"] = draw(st.integers(1, 8))
    _maybe(draw, cfg, "mamba_d_conv", st.integers(1, 4))
    for flag in ("add_bias_linear", "use_conv_bias"):
        _maybe(draw, cfg, flag, st.booleans())
    _maybe(draw, cfg, "hidden_act", st.sampled_from(["gelu", "silu", "relu2"]))
    return cfg


def eager_extra_flops(spec, seq: int, cache: bool = False) -> int:
    """Per-sequence FLOPs transformers' eager forward pass adds to T x the ``exact`` per-token reading.

    The reading counts what a token costs; the eager code also runs, once per sequence
    and layer (each term read off transformers' modelling code):

    * ``causal_conv1d_fn``: ``F.conv1d(..., padding=K - 1)`` computes K - 1 outputs more
      than the T it keeps, 2·c·K·(K - 1) FLOPs for c channels; with a generation cache
      (``cache=True``, transformers' default) a prompt shorter than K is first
      left-padded to K columns, so the convolution sees max(T, K) inputs;
    * ``mamba2_chunk_scan`` pads T up to c = ceil(T/Q) whole chunks (the padded tokens
      cost the per-token scan, nothing else: the projections ran before) and passes the
      states between chunks with one (c+1) x (c+1) einsum, 2·(c+1)²·d_in·N_s.

    So FlopCounterMode's count of a forward pass is ``T x exact + eager_extra_flops``.
    """
    from symparams.components.mamba import Mamba, Mamba2

    total = 0
    for copies, node in spec.tree.token_walk():
        if not isinstance(node, (Mamba, Mamba2)):
            continue
        n = int(spec.value(copies))
        inner, state, kernel = (int(spec.value(getattr(node, a))) for a in ("inner", "state", "kernel"))
        channels = int(spec.value(node.conv_channels()))
        columns = max(seq, kernel) if cache else seq
        extra = 2 * channels * kernel * (columns + kernel - 1 - seq)
        if isinstance(node, Mamba2):
            chunk, heads = int(spec.value(node.chunk)), int(spec.value(node.heads))
            chunks = -(-seq // chunk)
            per_token = 2 * chunk * heads * state + 2 * chunk * inner + 4 * inner * state
            extra += (chunks * chunk - seq) * per_token + 2 * (chunks + 1) ** 2 * inner * state
        total += n * extra
    return total


CONFIGS.update({
    "mamba": mamba_configs(),
    "mamba2": mamba2_configs(),
    "jamba": jamba_configs(),
    "falcon_h1": falcon_h1_configs(),
    "bamba": bamba_configs(),
    "granitemoehybrid": granitemoehybrid_configs(),
    "nemotron_h": nemotron_h_configs(),
    "zamba2": zamba2_configs(),
})
