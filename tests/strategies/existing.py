"""Strategies for the families symparams first read: the RMSNorm decoders (llama, mistral, mixtral,
qwen2, gemma, nanochat) and the LayerNorm-era ones (gpt2, opt, gpt_neox, gptj, bloom, falcon, phi).

Every config is small (a few layers, sizes of a few dozen) so transformers builds it on the
meta device in milliseconds. Fields are left out at random so that transformers' defaults
are exercised, set to null at random where transformers accepts a null (and derives the
value), and spelled by any of the names transformers reads (``n_embd`` or ``hidden_size``).
Sizes keep the rules transformers checks when it reads a config: heads divide the width
where the head size is derived, key/value heads divide heads, rotary head sizes are even.

transformers' defaults that decide how to draw a valid config (Mistral's 8 key/value heads,
Gemma's head_dim of 256) are written here, not read from symparams, so a wrong default
table in symparams shows up as a mismatch rather than being drawn around.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import CONFIGS

__all__ = [
    "RMS_TYPES", "LAYERNORM_TYPES", "rms_configs", "gpt2_configs", "opt_configs", "gpt_neox_configs",
    "gptj_configs", "bloom_configs", "falcon_configs", "phi_configs", "divisors",
]

RMS_TYPES = ("llama", "mistral", "mixtral", "qwen2", "gemma", "nanochat")
LAYERNORM_TYPES = ("gpt2", "opt", "gpt_neox", "gptj", "bloom", "falcon", "phi")

# transformers 5.x: a missing num_key_value_heads (None: H), a missing head_dim (None: D/H),
# and whether a null num_key_value_heads / head_dim is accepted (and derived) or refused.
KV_DEFAULT = {"llama": None, "mistral": 8, "mixtral": 8, "qwen2": 32, "gemma": 16, "nanochat": None}
HEAD_DIM_DEFAULT = {"gemma": 256}
KV_NULL_OK = ("llama", "qwen2", "nanochat")
HEAD_DIM_NULL_OK = ("llama", "mistral", "mixtral")
FLOOR_HEAD_DIM = ("mistral", "mixtral", "qwen2", "nanochat")  # no check that H divides D: head_dim = D // H
MIXTRAL_EXPERTS, MIXTRAL_TOP_K = 8, 2


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def maybe(draw, field: str, values: st.SearchStrategy, out: dict, absent: bool = True) -> None:
    """Set ``field`` to a drawn value, or (when ``absent``) sometimes leave it out to use the default."""
    if absent and draw(st.booleans()):
        return
    out[field] = draw(values)


HEAD_DIMS = st.integers(1, 12)


@st.composite
def heads_and_width(draw, max_heads: int = 8, head_dims: st.SearchStrategy = HEAD_DIMS) -> tuple[int, int]:
    heads = draw(st.integers(1, max_heads))
    return heads, heads * draw(head_dims)


# transformers refuses fully rotary heads of odd size above 4 when it reads the config
ROTARY_HEAD_DIMS = st.sampled_from([1, 2, 3, 4, 6, 8, 10, 12])
SMALL = st.integers(1, 64)
VOCAB = st.integers(4, 300)  # OPT pads with token 1, so a vocabulary needs a few rows
LAYERS = st.integers(1, 3)
FLAG = st.booleans()


# ---- RMSNorm decoders --------------------------------------------------------------------


@st.composite
def rms_configs(draw, model_type: str, windowed: bool = False) -> dict:
    """A small valid config of ``model_type``; any field may be left to transformers' default, or null where
    transformers derives it. ``windowed``: always a sliding window (Mistral, Mixtral, Qwen2), else at random.

    Heads, GQA ratio and head_dim (explicit or derived, even for RoPE) are drawn so that
    H_kv divides H, and H divides D whenever head_dim is derived (always for llama, whose
    config class insists on it).
    """
    cfg: dict = {"model_type": model_type, "num_hidden_layers": draw(st.integers(1, 3))}
    kv_default = KV_DEFAULT[model_type]
    kv_choice = draw(st.sampled_from(["default", "given", "null"] if model_type in KV_NULL_OK else ["default", "given"]))
    if kv_choice == "given":
        kv = draw(st.integers(1, 4))
        heads = kv * draw(st.integers(1, 4))
        cfg["num_key_value_heads"] = kv
    else:
        heads = draw(st.integers(1, 8)) if kv_default is None or kv_choice == "null" else kv_default * draw(st.integers(1, 2))
        if kv_choice == "null":
            cfg["num_key_value_heads"] = None
    cfg["num_attention_heads"] = heads
    head_dim = draw(st.sampled_from(["given", "default", "null"] if model_type in HEAD_DIM_NULL_OK else ["given", "default"]))
    if head_dim == "given":
        cfg["head_dim"] = draw(st.sampled_from([2, 4, 6, 8, 12, 16]))
        width = heads * draw(st.integers(1, 8)) if model_type == "llama" else draw(st.integers(2, 96))
    elif model_type in HEAD_DIM_DEFAULT:
        width = draw(st.integers(2, 96))
    else:  # where transformers rounds D // H down, heads need not divide the width
        width = heads * draw(st.sampled_from([2, 4, 6, 8, 10, 16]))
        if model_type in FLOOR_HEAD_DIM:
            width += draw(st.integers(0, heads - 1))
        if head_dim == "null":
            cfg["head_dim"] = None
    cfg["hidden_size"] = width
    maybe(draw, "vocab_size", st.integers(2, 512), cfg)  # nanochat's default pad token id 1 must be a row
    maybe(draw, "intermediate_size", st.integers(1, 64), cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    if model_type in ("llama", "gemma", "nanochat"):
        maybe(draw, "attention_bias", FLAG, cfg)
    if model_type == "llama":
        maybe(draw, "mlp_bias", FLAG, cfg)
    if model_type == "gemma":
        maybe(draw, "hidden_act", st.sampled_from(["gelu", "gelu_pytorch_tanh", "silu"]), cfg)
    if model_type == "mixtral":
        experts = MIXTRAL_EXPERTS
        if draw(st.booleans()):
            experts = draw(st.integers(1, 6))
            cfg[draw(st.sampled_from(["num_local_experts", "num_experts"]))] = experts
        if experts < MIXTRAL_TOP_K or draw(st.booleans()):
            cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
    if model_type in WINDOW_TYPES:
        _window(draw, cfg, model_type, windowed)
    return cfg


WINDOW_TYPES = ("mistral", "mixtral", "qwen2")
WINDOW_DEFAULT = {"mistral": 4096, "mixtral": None, "qwen2": 4096}  # transformers 5.x: a missing sliding_window


def _window(draw, cfg: dict, model_type: str, windowed: bool) -> None:
    """Sliding windows: a window given, null or left to the default (Mistral's 4,096, Mixtral's none); Qwen2's
    only under ``use_sliding_window``, on the layers from ``max_window_layers`` on, or those ``layer_types`` lists.

    Layers are listed only where a window exists (transformers' cache cannot hold a sliding layer without one);
    Mistral and Mixtral keep a listing their config classes do not define, and their caches follow it.
    """
    layers = cfg["num_hidden_layers"]
    sizes = st.integers(1, 12)
    if windowed:
        cfg["sliding_window"] = draw(sizes)
    else:
        maybe(draw, "sliding_window", st.none() | sizes, cfg)
    if model_type == "qwen2":
        if windowed:
            cfg["use_sliding_window"] = True
        else:
            maybe(draw, "use_sliding_window", FLAG, cfg)
        maybe(draw, "max_window_layers", st.integers(-1, layers + 1), cfg)
        on = cfg.get("use_sliding_window", False)
    else:
        on = True
    window = cfg.get("sliding_window", WINDOW_DEFAULT[model_type])
    if on and window is not None and draw(st.booleans()):
        cfg["layer_types"] = draw(st.lists(st.sampled_from(["sliding_attention", "full_attention"]),
                                           min_size=layers, max_size=layers))


# ---- LayerNorm-era families ---------------------------------------------------------------


@st.composite
def gpt2_configs(draw) -> dict:
    heads, width = draw(heads_and_width())
    names = draw(st.sampled_from([("n_embd", "n_head", "n_layer", "n_positions"),
                                  ("hidden_size", "num_attention_heads", "num_hidden_layers", "max_position_embeddings")]))
    cfg = {"model_type": "gpt2", names[0]: width, names[1]: heads, names[2]: draw(LAYERS), "vocab_size": draw(VOCAB)}
    maybe(draw, names[3], SMALL, cfg)
    maybe(draw, "n_inner", st.one_of(st.none(), SMALL), cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    maybe(draw, "add_cross_attention", st.just(False), cfg)
    return cfg


@st.composite
def opt_configs(draw) -> dict:
    """OPT, with a token embedding of its own width (``word_embed_proj_dim``, OPT-350m's layout) at random."""
    heads, width = draw(heads_and_width())
    cfg = {"model_type": "opt", "hidden_size": width, "num_attention_heads": heads,
           "num_hidden_layers": draw(LAYERS), "vocab_size": draw(VOCAB)}
    maybe(draw, "ffn_dim", SMALL, cfg)
    maybe(draw, "max_position_embeddings", SMALL, cfg)
    maybe(draw, "enable_bias", FLAG, cfg)
    maybe(draw, "layer_norm_elementwise_affine", FLAG, cfg)
    maybe(draw, "do_layer_norm_before", FLAG, cfg)
    maybe(draw, "word_embed_proj_dim", st.sampled_from([None, width]) | st.integers(1, 48), cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    return cfg


@st.composite
def gpt_neox_configs(draw) -> dict:
    heads, width = draw(heads_and_width())
    cfg = {"model_type": "gpt_neox", "hidden_size": width, "num_attention_heads": heads,
           "num_hidden_layers": draw(LAYERS), "vocab_size": draw(VOCAB), "intermediate_size": draw(SMALL)}
    maybe(draw, "attention_bias", FLAG, cfg)
    maybe(draw, "use_parallel_residual", FLAG, cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    return cfg


@st.composite
def gptj_configs(draw) -> dict:
    heads, width = draw(heads_and_width())
    names = draw(st.sampled_from([("n_embd", "n_head", "n_layer", "n_positions"),
                                  ("hidden_size", "num_attention_heads", "num_hidden_layers", "max_position_embeddings")]))
    cfg = {"model_type": "gptj", names[0]: width, names[1]: heads, names[2]: draw(LAYERS),
           "vocab_size": draw(VOCAB), "rotary_dim": draw(st.integers(1, width)), names[3]: draw(SMALL)}
    maybe(draw, "n_inner", st.one_of(st.none(), SMALL), cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    return cfg


@st.composite
def bloom_configs(draw) -> dict:
    heads, width = draw(heads_and_width())
    cfg = {"model_type": "bloom", draw(st.sampled_from(["hidden_size", "n_embed"])): width,
           draw(st.sampled_from(["n_head", "num_attention_heads"])): heads,
           draw(st.sampled_from(["n_layer", "num_hidden_layers"])): draw(LAYERS), "vocab_size": draw(VOCAB)}
    if "hidden_size" in cfg:
        maybe(draw, "n_embed", st.none(), cfg)  # a popped keyword: null there is "not given"
    maybe(draw, "n_inner", st.one_of(st.none(), SMALL), cfg)  # ignored by transformers, so by us
    maybe(draw, "apply_residual_connection_post_layernorm", FLAG, cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    return cfg


@st.composite
def falcon_configs(draw) -> dict:
    heads, width = draw(heads_and_width(head_dims=ROTARY_HEAD_DIMS))
    switch = st.sampled_from([True, False, None])
    cfg = {"model_type": "falcon", draw(st.sampled_from(["hidden_size", "n_embed"])): width,
           "num_attention_heads": heads, "num_hidden_layers": draw(LAYERS), "vocab_size": draw(VOCAB)}
    for name in ("new_decoder_architecture", "multi_query", "parallel_attn", "bias", "alibi"):
        maybe(draw, name, switch, cfg)
    maybe(draw, "num_kv_heads", st.sampled_from([None, *divisors(heads)]), cfg)
    maybe(draw, "num_ln_in_parallel_attn", st.sampled_from([None, 1, 2]), cfg)
    maybe(draw, "ffn_hidden_size", st.one_of(st.none(), SMALL), cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    return cfg


@st.composite
def phi_configs(draw) -> dict:
    heads, width = draw(heads_and_width())
    cfg = {"model_type": "phi", "num_attention_heads": heads, "num_hidden_layers": draw(LAYERS),
           "vocab_size": draw(VOCAB), "intermediate_size": draw(SMALL)}
    layout = draw(st.sampled_from(["derived head_dim", "explicit head_dim", "explicit head_dim, q/k norms"]))
    if layout == "derived head_dim":  # without q/k norms, transformers rounds D // H down
        cfg["hidden_size"] = width
        maybe(draw, "qk_layernorm", FLAG, cfg)
        if not cfg.get("qk_layernorm"):
            cfg["hidden_size"] += draw(st.integers(0, heads - 1))
    elif layout == "explicit head_dim":  # the width need not be a multiple of the heads
        cfg["hidden_size"] = draw(st.integers(1, 96))
        cfg["head_dim"] = draw(st.integers(1, 12))
    else:  # q/k LayerNorms stay D/H wide even when head_dim differs
        cfg.update(hidden_size=width, head_dim=draw(st.integers(1, 12)), qk_layernorm=True)
    maybe(draw, "num_key_value_heads", st.sampled_from([None, *divisors(heads)]), cfg)
    maybe(draw, "tie_word_embeddings", FLAG, cfg)
    return cfg


CONFIGS.update({t: rms_configs(t) for t in RMS_TYPES})
CONFIGS.update({
    "gpt2": gpt2_configs(), "opt": opt_configs(), "gpt_neox": gpt_neox_configs(), "gptj": gptj_configs(),
    "bloom": bloom_configs(), "falcon": falcon_configs(), "phi": phi_configs(),
})
