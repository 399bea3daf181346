"""Strategies for the DeepSeek group: latent attention and shared-expert MoE, and the other families of #11
this group covers (OLMo, GLM, Granite, ERNIE, Hunyuan, DBRX, JetMoE, MPT, CodeGen, GPT-Neo, GPT-BigCode).

Every config is small (a few layers; sizes of a few dozen) so transformers builds it on
the meta device in milliseconds, and valid for transformers' forward pass too (rotary
sizes even, key/value heads dividing query heads, expert groups of at least two), so the
FLOPs tests can run the same configs. Fields are left out at random so that
transformers' defaults are exercised, and set to null where transformers accepts null.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import CONFIGS

__all__ = ["deepseek_configs"]


def _maybe(draw, cfg: dict, key: str, strategy) -> None:
    """Set ``cfg[key]`` from ``strategy`` half the time (else transformers' default applies)."""
    if draw(st.booleans()):
        cfg[key] = draw(strategy)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def deepseek_configs(draw, model_type: str) -> dict:
    """A small DeepSeek-V2, V3, V3.2 or Mistral 4 config: MLA sizes, routed and shared experts, dense layers.

    The big sizes (width, heads, layers, vocabulary, experts) are always small; the latent
    sizes are left to their defaults at random, q_lora_rank is null at random (a plain
    query projection; V3.2 needs the latent query), and first_k_dense_replace (or V3.2's
    mlp_layer_types) ranges over none, some and all layers.
    """
    v2, v32 = model_type == "deepseek_v2", model_type == "deepseek_v32"
    layers = draw(st.integers(1, 4))
    heads = draw(st.integers(1, 4))
    cfg: dict = {"model_type": model_type, "num_hidden_layers": layers, "num_attention_heads": heads}
    # V2's config class insists that H divide D; V3's does not
    # widths and expert sizes are multiples of 4 (CPU grouped matmuls need rows of 16 bytes)
    if v2:
        cfg["hidden_size"] = heads * 4 * draw(st.integers(1, 3))
    else:
        cfg["hidden_size"] = 4 * draw(st.integers(1, 12))
    # only H_kv = H runs (the latent keys are expanded to H heads before repeat_kv)
    if not v2 or draw(st.booleans()):
        cfg["num_key_value_heads"] = heads
    elif draw(st.booleans()):
        cfg["num_key_value_heads"] = None
    cfg["vocab_size"] = draw(st.integers(2, 300))
    q = draw(st.sampled_from(["default", "rank"] if v32 else ["default", "null", "rank"]))
    if q == "null":
        cfg["q_lora_rank"] = None
    elif q == "rank":
        cfg["q_lora_rank"] = draw(st.integers(1, 24))
    # V2 rotates through complex numbers, which need the rotary slices at even offsets
    _maybe(draw, cfg, "kv_lora_rank", st.integers(1, 12).map(lambda n: 2 * n) if v2 else st.integers(1, 24))
    _maybe(draw, cfg, "qk_nope_head_dim", st.integers(1, 8).map(lambda n: 2 * n) if v2 else st.integers(1, 16))
    rope = draw(st.sampled_from([2, 4, 8]))
    if v32 or draw(st.booleans()):  # V3.2's indexer heads must be at least the rotary size, whose default is 64
        cfg["qk_rope_head_dim"] = rope
    _maybe(draw, cfg, "v_head_dim", st.integers(1, 16))
    _maybe(draw, cfg, "intermediate_size", st.integers(1, 40))
    if v2 or draw(st.booleans()):  # V2's default expert size, 1407, is no multiple of 4
        cfg["moe_intermediate_size"] = draw(_aligned())
    experts = draw(st.integers(2, 8))
    alias = draw(st.sampled_from({"deepseek_v2": ["num_experts"], "deepseek_v3": ["num_local_experts"],
                                  "deepseek_v32": ["num_local_experts", "num_experts"],
                                  "mistral4": ["num_local_experts"]}[model_type]))
    cfg[draw(st.sampled_from(["n_routed_experts", alias]))] = experts
    cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
    if not v2:
        # the sigmoid router keeps the two best of each group: groups of at least two experts
        groups = draw(st.sampled_from([d for d in _divisors(experts) if experts // d >= 2]))
        cfg["n_group"] = groups
        cfg["topk_group"] = draw(st.integers(1, groups))
    _maybe(draw, cfg, "n_shared_experts", st.integers(0, 3))
    _maybe(draw, cfg, "first_k_dense_replace", st.integers(0, layers + 1))
    if v32:
        if draw(st.booleans()):
            cfg["mlp_layer_types"] = draw(st.lists(st.sampled_from(["dense", "sparse"]), min_size=layers,
                                                   max_size=layers))
        _maybe(draw, cfg, "index_n_heads", st.integers(1, 4))
        cfg["index_head_dim"] = rope + draw(st.sampled_from([0, 2, 4]))
        _maybe(draw, cfg, "index_topk", st.integers(1, 16))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    _maybe(draw, cfg, "attention_bias", st.booleans())
    if v2:
        _maybe(draw, cfg, "mlp_bias", st.booleans())
    if draw(st.integers(0, 4)) == 0:
        cfg["moe_layer_freq"] = 1
    if model_type == "mistral4":  # its default padding row, 11, is past these small vocabularies
        cfg["pad_token_id"] = draw(st.one_of(st.none(), st.integers(0, cfg["vocab_size"] - 1)))
    return cfg


@st.composite
def heads_and_width(draw, cfg: dict, *, explicit_head_dim: bool = True, kv_null: bool = True, floor: bool = False,
                    kv_missing: bool = True, multiple: int = 1,
                    sizes: tuple[int, ...] = (2, 4, 6, 8), kv_key: str = "num_key_value_heads",
                    heads_key: str = "num_attention_heads", width_key: str = "hidden_size") -> dict:
    """H, H_kv (dividing H; left out or null at random) and D, with an explicit head_dim at random.

    Without a head_dim, H divides D, or (``floor``: families whose attention reads
    ``getattr(config, "head_dim", D // H)``) does not, so that transformers floors D/H;
    with one, D is free. Head sizes come from ``sizes``, even so that rotary embeddings run.
    D is a ``multiple`` of 4 for mixtures of experts, whose grouped matmuls on CPU need
    rows of 16 bytes.
    """
    kv = draw(st.integers(1, 3))
    heads = kv * draw(st.integers(1, 3))
    cfg[heads_key] = heads
    modes = ["given"] + (["missing"] if kv_missing else []) + (["null"] if kv_null else [])
    mode = draw(st.sampled_from(modes))
    if mode == "given":
        cfg[kv_key] = kv
    elif mode == "null":
        cfg[kv_key] = None
    if explicit_head_dim and draw(st.booleans()):
        cfg["head_dim"] = draw(st.sampled_from(sizes))
        cfg[width_key] = multiple * draw(st.integers(max(1, 2 // multiple), 40 // multiple))
    else:
        size = draw(st.sampled_from([h for h in sizes if (heads * h) % multiple == 0]))
        extras = [e for e in range(1, heads) if e % multiple == 0] if floor else []
        extra = draw(st.sampled_from(extras)) if extras and draw(st.booleans()) else 0
        cfg[width_key] = heads * size + extra
    return cfg


def _aligned(multiple: int = 4, top: int = 24):
    """Sizes of expert matrices: multiples of 4, as CPU grouped matmuls need."""
    return st.integers(1, top // multiple).map(lambda n: n * multiple)


@st.composite
def olmo_configs(draw, model_type: str) -> dict:
    """OLMo, OLMo 2, OLMo 3 and OLMoE: biases, tied heads, head_dim, layer kinds, windows, experts."""
    layers = draw(st.integers(1, 5))
    # OLMoE's q_norm is D wide whatever the head size: a head size other than D/H cannot run
    olmoe = model_type == "olmoe"
    cfg = draw(heads_and_width({"model_type": model_type, "num_hidden_layers": layers},
                               explicit_head_dim=not olmoe, floor=not olmoe, multiple=4 if olmoe else 1))
    cfg["vocab_size"] = draw(st.integers(2, 300))
    _maybe(draw, cfg, "intermediate_size", _aligned() if olmoe else st.integers(1, 40))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    _maybe(draw, cfg, "attention_bias", st.booleans())
    if model_type in ("olmo", "olmoe"):
        _maybe(draw, cfg, "clip_qkv", st.sampled_from([None, 8.0]))
    if model_type == "olmo3":
        _maybe(draw, cfg, "sliding_window", st.sampled_from([None, 2, 16]))
        if draw(st.booleans()):
            cfg["layer_types"] = draw(st.lists(st.sampled_from(["sliding_attention", "full_attention"]),
                                               min_size=layers, max_size=layers))
    if model_type == "olmoe":
        experts = draw(st.integers(1, 6))
        cfg[draw(st.sampled_from(["num_experts", "num_local_experts"]))] = experts
        cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
    return cfg


@st.composite
def granite_configs(draw, model_type: str) -> dict:
    """Granite, Granite MoE and Granite MoE with a shared expert: biases, multipliers, experts, shared width."""
    moe = model_type != "granite"
    cfg = draw(heads_and_width({"model_type": model_type, "num_hidden_layers": draw(st.integers(1, 3))}, floor=True,
                               multiple=4 if moe else 1))
    cfg["vocab_size"] = draw(st.integers(2, 300))
    _maybe(draw, cfg, "intermediate_size", _aligned() if moe else st.integers(1, 40))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    _maybe(draw, cfg, "attention_bias", st.booleans())
    _maybe(draw, cfg, "embedding_multiplier", st.sampled_from([1.0, 12.0]))
    _maybe(draw, cfg, "residual_multiplier", st.sampled_from([0.22, 1.0]))
    if model_type == "granite":
        _maybe(draw, cfg, "mlp_bias", st.booleans())
    else:
        experts = draw(st.integers(1, 6))
        cfg["num_local_experts"] = experts
        cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
    if model_type == "granitemoeshared":
        _maybe(draw, cfg, "shared_intermediate_size", st.integers(0, 24))
    return cfg


@st.composite
def glm_configs(draw, model_type: str) -> dict:
    """GLM, GLM-4-0414 and GLM-4.5: q/k/v biases, head_dim given or GLM's 128, experts and dense-first layers.

    GLM rotates half of each head (``partial_rotary_factor`` 0.5), so head sizes are
    multiples of 4; GLM and GLM-4's default of two key/value heads needs an even H.
    """
    layers = draw(st.integers(1, 4))
    cfg: dict = {"model_type": model_type, "num_hidden_layers": layers}
    if model_type == "glm4_moe":
        cfg = draw(heads_and_width(cfg, kv_null=False, floor=True, sizes=(4, 8), multiple=4))
        if "num_key_value_heads" not in cfg:  # GLM-4.5's default is 8 key/value heads
            cfg["num_key_value_heads"] = cfg["num_attention_heads"]
    else:
        kv = draw(st.integers(1, 3))
        heads = kv * draw(st.integers(1, 3))
        if draw(st.booleans()):
            cfg["num_key_value_heads"] = kv
        else:
            heads = 2 * draw(st.integers(1, 3))
        cfg["num_attention_heads"] = heads
        if draw(st.booleans()):
            cfg["head_dim"] = draw(st.sampled_from([4, 8, 12]))
        cfg["hidden_size"] = draw(st.integers(2, 40))
    cfg["vocab_size"] = draw(st.integers(2, 300))
    if model_type != "glm4_moe":  # GLM's default pad_token_id, 151329, must be a row of the embedding
        cfg["pad_token_id"] = draw(st.sampled_from([None, 0, 1]))
    _maybe(draw, cfg, "intermediate_size", st.integers(1, 40))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    _maybe(draw, cfg, "attention_bias", st.booleans())
    if model_type == "glm4_moe":
        _maybe(draw, cfg, "moe_intermediate_size", _aligned())
        _maybe(draw, cfg, "use_qk_norm", st.booleans())
        experts = draw(st.integers(2, 8))
        cfg[draw(st.sampled_from(["n_routed_experts", "num_local_experts"]))] = experts
        cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
        _maybe(draw, cfg, "n_shared_experts", st.integers(0, 3))
        _maybe(draw, cfg, "first_k_dense_replace", st.integers(0, layers + 1))
    return cfg


@st.composite
def ernie_hunyuan_configs(draw, model_type: str) -> dict:
    """ERNIE 4.5 (dense and MoE, MoE layers by start, end and interval) and Hunyuan dense (head_dim always given)."""
    layers = draw(st.integers(1, 5))
    cfg: dict = {"model_type": model_type, "num_hidden_layers": layers}
    if model_type == "hunyuan_v1_dense":
        cfg = draw(heads_and_width(cfg))
        cfg.setdefault("head_dim", draw(st.sampled_from([2, 4, 8])))
    elif model_type == "ernie4_5":
        # ERNIE's default is 2 key/value heads: given, or null (H)
        cfg = draw(heads_and_width(cfg, explicit_head_dim=False, floor=True, kv_missing=False))
        # ERNIE's head_dim: 128 when missing, D // H when null
        cfg["head_dim"] = draw(st.sampled_from([None, None, 4, 8]))
    else:
        cfg = draw(heads_and_width(cfg, kv_null=False, floor=True, multiple=4))
        if "num_key_value_heads" not in cfg:  # ERNIE 4.5 MoE's default is 4 key/value heads
            cfg["num_key_value_heads"] = cfg["num_attention_heads"]
    cfg["vocab_size"] = draw(st.integers(2, 300))
    _maybe(draw, cfg, "intermediate_size", st.integers(1, 40))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    if model_type == "hunyuan_v1_dense":
        _maybe(draw, cfg, "attention_bias", st.booleans())
    else:
        _maybe(draw, cfg, "use_bias", st.sampled_from([True, False, None]))
    if model_type == "ernie4_5_moe":
        experts = draw(st.integers(1, 6))
        cfg[draw(st.sampled_from(["moe_num_experts", "num_experts"]))] = experts
        cfg[draw(st.sampled_from(["moe_k", "num_experts_per_tok"]))] = draw(st.integers(1, experts))
        _maybe(draw, cfg, "moe_intermediate_size", _aligned())
        _maybe(draw, cfg, "moe_num_shared_experts", st.integers(0, 2))
        _maybe(draw, cfg, "moe_layer_start_index", st.integers(0, layers))
        _maybe(draw, cfg, "moe_layer_end_index", st.sampled_from([-1, 0, 1, layers - 1, layers + 2]))
        _maybe(draw, cfg, "moe_layer_interval", st.integers(1, 3))
    return cfg


@st.composite
def dbrx_configs(draw) -> dict:
    """DBRX: sizes under their own names or their aliases, nested attention and FFN objects left out at random."""
    kv = draw(st.integers(1, 3))
    heads = kv * draw(st.integers(1, 3))
    cfg: dict = {"model_type": "dbrx", draw(st.sampled_from(["n_layers", "num_hidden_layers"])): draw(st.integers(1, 3)),
                 draw(st.sampled_from(["n_heads", "num_attention_heads"])): heads,
                 "d_model": heads * draw(st.sampled_from([2, 4, 8])),
                 "vocab_size": draw(st.integers(2, 300))}
    # transformers' DBRX attention clamps by clip_qkv in its forward pass and fails without one
    attn: dict = {"rope_theta": 10000, "clip_qkv": 8}
    if heads == 1 or draw(st.booleans()):
        attn["kv_n_heads"] = kv
    cfg["attn_config"] = attn
    if draw(st.booleans()):
        experts = draw(st.integers(1, 5))
        ffn = {"moe_num_experts": experts, "moe_top_k": draw(st.integers(1, experts))}
        _maybe(draw, ffn, "ffn_hidden_size", st.integers(1, 24))
        _maybe(draw, ffn, "ffn_act_fn", st.sampled_from([{"name": "silu"}, {"name": "gelu"}, None]))
        cfg["ffn_config"] = ffn
    return cfg


@st.composite
def jetmoe_configs(draw) -> dict:
    """JetMoE: key/value heads and their size (``kv_channels`` or its alias ``head_dim``), experts, tied or not."""
    experts = draw(st.integers(1, 5))
    cfg: dict = {"model_type": "jetmoe", "num_hidden_layers": draw(st.integers(1, 3)),
                 "hidden_size": draw(st.integers(2, 40)), "num_key_value_heads": draw(st.integers(1, 3)),
                 draw(st.sampled_from(["kv_channels", "head_dim"])): draw(st.sampled_from([2, 4, 8])),
                 "num_local_experts": experts, "num_experts_per_tok": draw(st.integers(1, experts)),
                 "vocab_size": draw(st.integers(2, 300))}
    _maybe(draw, cfg, "intermediate_size", st.integers(1, 40))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    _maybe(draw, cfg, "activation_function", st.sampled_from(["silu", "gelu"]))
    return cfg


@st.composite
def gpt_style_configs(draw, model_type: str) -> dict:
    """MPT, CodeGen, GPT-Neo and GPT-BigCode: sizes under either name, inner sizes, layer kinds, multi-query."""
    heads = draw(st.integers(1, 4))
    # CodeGen splits its fused projection into 4 shards: D a multiple of 4
    head = draw(st.sampled_from([4, 8] if model_type == "codegen" else [2, 4, 8]))
    layers = draw(st.integers(1, 4))
    names = {
        "mpt": ("d_model", "n_heads", "n_layers"), "codegen": ("n_embd", "n_head", "n_layer"),
        "gpt_neo": ("hidden_size", "num_heads", "num_layers"), "gpt_bigcode": ("n_embd", "n_head", "n_layer"),
    }[model_type]
    aliases = ("hidden_size", "num_attention_heads", "num_hidden_layers")
    cfg: dict = {"model_type": model_type, "vocab_size": draw(st.integers(2, 300))}
    for name, alias, value in zip(names, aliases, (heads * head, heads, layers)):
        cfg[draw(st.sampled_from([name, alias]))] = value
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    if model_type == "mpt":
        _maybe(draw, cfg, "expansion_ratio", st.just(4))
        _maybe(draw, cfg, "no_bias", st.just(True))
        if draw(st.booleans()):
            cfg["attn_config"] = {"alibi": True, "attn_type": "multihead_attention", "qk_ln": False,
                                  "clip_qkv": draw(st.sampled_from([None, 6.0]))}
    elif model_type == "codegen":
        cfg["rotary_dim"] = draw(st.sampled_from([r for r in (2, 4, 8) if r <= head]))
        _maybe(draw, cfg, "n_inner", st.sampled_from([None, 4, 12, 30]))
    elif model_type == "gpt_neo":
        cfg["max_position_embeddings"] = draw(st.integers(64, 128))
        _maybe(draw, cfg, "window_size", st.integers(1, 16))
        _maybe(draw, cfg, "intermediate_size", st.sampled_from([None, 4, 12, 30]))
        kinds = draw(st.lists(st.sampled_from(["global", "local"]), min_size=layers, max_size=layers))
        cfg["attention_types"] = [[[k], 1] for k in kinds] if draw(st.booleans()) else [[kinds, 1]]
    else:
        cfg["n_positions"] = draw(st.integers(64, 128))
        _maybe(draw, cfg, "multi_query", st.booleans())
        _maybe(draw, cfg, "n_inner", st.sampled_from([None, 4, 12, 30]))
    return cfg


CONFIGS.update({
    "dbrx": dbrx_configs(),
    "jetmoe": jetmoe_configs(),
    **{t: gpt_style_configs(t) for t in ("mpt", "codegen", "gpt_neo", "gpt_bigcode")},
    **{t: ernie_hunyuan_configs(t) for t in ("ernie4_5", "ernie4_5_moe", "hunyuan_v1_dense")},
    **{t: glm_configs(t) for t in ("glm", "glm4", "glm4_moe")},
    **{t: granite_configs(t) for t in ("granite", "granitemoe", "granitemoeshared")},
    "deepseek_v2": deepseek_configs("deepseek_v2"),
    "deepseek_v3": deepseek_configs("deepseek_v3"),
    "deepseek_v32": deepseek_configs("deepseek_v32"),
    "mistral4": deepseek_configs("mistral4"),
    **{t: olmo_configs(t) for t in ("olmo", "olmo2", "olmo3", "olmoe")},
})
