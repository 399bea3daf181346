"""Strategies for the Qwen group of #11: qwen3, qwen3_moe, qwen2_moe, qwen3_5_text, qwen3_5_moe_text,
qwen3_next, llama4_text, phi3 and phimoe.

Every config is small (a few layers, sizes of a few dozen) so transformers builds it on the
meta device in milliseconds, and valid for its forward pass too (rotary sizes even, key/value
heads dividing query heads, a padding row inside the vocabulary), so the FLOPs tests can run
the same configs. Fields are left out at random so that transformers' defaults apply, set to
null where transformers accepts null, and the per-layer patterns are drawn both ways: from
the config's rules (decoder_sparse_step, max_window_layers, interleave_moe_layer_step,
full_attention_interval) and as explicit lists (mlp_only_layers, layer_types, moe_layers).

transformers' defaults that decide how to draw a valid config (Qwen3-MoE's 4 key/value heads,
PhiMoE's 8, Phi-3's padding row 32,000) are written here, not read from symparams, so a
wrong default table in symparams shows up as a mismatch rather than being drawn around.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import CONFIGS

__all__ = ["QWEN_TYPES", "qwen_configs"]

QWEN_TYPES = ("qwen3", "qwen3_moe", "qwen2_moe", "qwen3_5_text", "qwen3_5_moe_text", "qwen3_next", "llama4_text",
              "phi3", "phimoe")

# transformers 5.x: num_key_value_heads when missing (None: H), and whether its null means H.
KV_DEFAULT = {"qwen3": 32, "qwen3_moe": 4, "qwen2_moe": 16, "qwen3_5_text": 4, "qwen3_5_moe_text": 2,
              "qwen3_next": 2, "llama4_text": 8, "phi3": None, "phimoe": 8, "qwen3_vl_text": 32,
              "qwen3_vl_moe_text": 16}
KV_NULL_OK = ("qwen3", "phi3", "qwen3_vl_text")
# head_dim when missing: a number, or None where it is D // H (not a config field)
HEAD_DIM_DEFAULT = {"qwen3": 128, "qwen3_5_text": 256, "qwen3_5_moe_text": 256, "qwen3_next": 256,
                    "llama4_text": 128, "qwen3_vl_text": 128}
# families whose RoPE turns a quarter of the head: head_dim / 4 must be even
QUARTER_ROTARY = ("qwen3_5_text", "qwen3_5_moe_text", "qwen3_next")
HYBRID = QUARTER_ROTARY
EXPERTS_FIELD = {"qwen3_moe": "num_experts", "qwen2_moe": "num_experts", "qwen3_5_moe_text": "num_experts",
                 "qwen3_next": "num_experts", "llama4_text": "num_local_experts", "phimoe": "num_local_experts",
                 "qwen3_vl_moe_text": "num_experts"}
SPARSE_STEP = ("qwen3_moe", "qwen2_moe", "qwen3_next", "qwen3_vl_moe_text")
# text configs that only a vision-language wrapper reads (tests/strategies/vision.py), whose sliding-window fields
# their attention ignores
VL_TEXT = ("qwen3_vl_text", "qwen3_vl_moe_text")
SHARED = ("qwen2_moe", "qwen3_5_moe_text", "qwen3_next")
ATTENTION_BIAS = ("qwen3", "qwen3_moe", "qwen3_5_text", "qwen3_5_moe_text", "qwen3_next", "llama4_text", "phimoe",
                  *VL_TEXT)
FLAG = st.booleans()


def _maybe(draw, cfg: dict, key: str, strategy: st.SearchStrategy) -> None:
    """Set ``cfg[key]`` from ``strategy`` half the time (else transformers' default applies)."""
    if draw(st.booleans()):
        cfg[key] = draw(strategy)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _head_dims(model_type: str) -> st.SearchStrategy[int]:
    return st.sampled_from([8, 16, 24]) if model_type in QUARTER_ROTARY else st.sampled_from([2, 4, 6, 8, 10, 12])


@st.composite
def _heads(draw, cfg: dict, model_type: str) -> None:
    """Heads, key/value heads, width and head size, valid for transformers' forward pass."""
    kv_default = KV_DEFAULT[model_type]
    kv_drawn = draw(st.sampled_from(["default", "given", "null"] if model_type in KV_NULL_OK else ["default", "given"]))
    if kv_drawn == "default" and kv_default is not None:
        heads = kv_default * draw(st.integers(1, 2))
    else:
        heads = draw(st.integers(1, 6))
    if kv_drawn == "given":
        cfg["num_key_value_heads"] = draw(st.sampled_from(_divisors(heads)))
    elif kv_drawn == "null":
        cfg["num_key_value_heads"] = None
    cfg["num_attention_heads"] = heads
    # grouped expert matmuls need rows of whole 16-byte units (4 fp32 values) to run on CPU
    moe = model_type in EXPERTS_FIELD
    widths = st.sampled_from(range(4, 49, 4)) if moe else st.integers(2, 48)
    default_head_dim = HEAD_DIM_DEFAULT.get(model_type)
    if draw(st.booleans()) or (default_head_dim is not None and default_head_dim * heads > 2048):
        cfg["head_dim"] = draw(_head_dims(model_type))
        cfg["hidden_size"] = draw(widths)
    elif default_head_dim is None:
        # the head size is D // H: an even one, and (now and then) a width H does not divide
        head_dim = draw(st.sampled_from([4, 8] if moe else [2, 4, 6, 8]))
        ragged = heads > 1 and not moe
        cfg["hidden_size"] = heads * head_dim + draw(st.sampled_from([0, 0, 0, 1]) if ragged else st.just(0))
    else:
        cfg["hidden_size"] = draw(widths)


@st.composite
def _layer_types(draw, layers: int, kinds: tuple[str, str]) -> list[str]:
    return [draw(st.sampled_from(kinds)) for _ in range(layers)]


@st.composite
def qwen_configs(draw, model_type: str) -> dict:
    """A small config of ``model_type`` from the Qwen group, any field possibly left to its default."""
    layers = draw(st.integers(1, 4))
    cfg: dict = {"model_type": model_type, "num_hidden_layers": layers}
    draw(_heads(cfg, model_type))
    cfg["vocab_size"] = draw(st.integers(2, 300))
    if model_type == "phi3":
        # the default padding row 32,000 is not in a small vocabulary
        cfg["pad_token_id"] = draw(st.sampled_from([None, 0, cfg["vocab_size"] - 1]))
    if model_type not in ("qwen3_5_moe_text", "llama4_text", "phimoe"):
        _maybe(draw, cfg, "intermediate_size", st.integers(1, 40))
    _maybe(draw, cfg, "tie_word_embeddings", FLAG)
    if model_type in ATTENTION_BIAS:
        _maybe(draw, cfg, "attention_bias", FLAG)
    if model_type == "qwen2_moe":
        _maybe(draw, cfg, "qkv_bias", FLAG)
    if model_type in EXPERTS_FIELD:
        _experts(draw, cfg, model_type, layers)
    if model_type in HYBRID:
        _hybrid(draw, cfg, layers)
    if model_type in ("qwen3", "qwen3_moe", "qwen2_moe", *VL_TEXT):
        _sliding(draw, cfg, model_type, layers)
    if model_type == "qwen3_vl_moe_text":
        _maybe(draw, cfg, "norm_topk_prob", FLAG)
        if "head_dim" not in cfg and draw(st.booleans()):
            cfg["head_dim"] = draw(st.sampled_from([None, 0]))
    if model_type in ("phi3", "phimoe"):
        _maybe(draw, cfg, "sliding_window", st.one_of(st.none(), st.integers(1, 12)))
    if model_type == "llama4_text":
        _llama4(draw, cfg, layers)
    if model_type == "phimoe":
        _maybe(draw, cfg, "lm_head_bias", FLAG)
    return cfg


def _experts(draw, cfg: dict, model_type: str, layers: int) -> None:
    name = EXPERTS_FIELD[model_type]
    if model_type in ("qwen3_moe", "qwen3_vl_moe_text") and draw(st.booleans()):
        name = "num_local_experts"  # the config's attribute_map
    low = 0 if model_type in SPARSE_STEP and draw(st.integers(0, 5)) == 0 else 2
    experts = cfg[name] = draw(st.integers(low, 6))
    if model_type == "phimoe":
        _maybe(draw, cfg, "num_experts_per_tok", st.just(2))
    else:
        cfg["num_experts_per_tok"] = draw(st.integers(1, max(experts, 1)))
    expert_sizes = st.sampled_from(range(4, 25, 4))  # whole 16-byte rows, as the widths above
    if model_type == "llama4_text":
        _maybe(draw, cfg, "intermediate_size_mlp", st.integers(1, 40))
        _maybe(draw, cfg, "intermediate_size", expert_sizes)
    elif model_type == "phimoe":
        _maybe(draw, cfg, "intermediate_size", expert_sizes)
    else:
        _maybe(draw, cfg, "moe_intermediate_size", expert_sizes)
    if model_type in SHARED:
        _maybe(draw, cfg, "shared_expert_intermediate_size", st.integers(1, 24))
    if model_type in SPARSE_STEP:
        _maybe(draw, cfg, "decoder_sparse_step", st.integers(1, 3))
        _maybe(draw, cfg, "mlp_only_layers", st.one_of(st.none(), st.lists(st.integers(0, layers), max_size=3)))


def _hybrid(draw, cfg: dict, layers: int) -> None:
    """Gated DeltaNet sizes and the pattern of linear and full-attention layers."""
    key_heads = draw(st.integers(1, 3))
    _maybe(draw, cfg, "linear_num_key_heads", st.just(key_heads))
    if "linear_num_key_heads" in cfg:
        _maybe(draw, cfg, "linear_num_value_heads", st.sampled_from([key_heads, 2 * key_heads]))
        if "linear_num_value_heads" not in cfg and 32 % key_heads:
            cfg["linear_num_value_heads"] = key_heads
    _maybe(draw, cfg, "linear_key_head_dim", st.integers(1, 8))
    _maybe(draw, cfg, "linear_value_head_dim", st.integers(1, 8))
    _maybe(draw, cfg, "linear_conv_kernel_dim", st.integers(1, 4))
    # at least one full-attention layer: transformers' cache cannot run a stack of linear layers alone
    pattern = draw(st.sampled_from(["default", "interval", "types", "null"] if layers == 4 else ["interval", "types"]))
    if pattern == "interval":
        cfg["full_attention_interval"] = draw(st.integers(1, layers))
    elif pattern == "types":
        types = draw(_layer_types(layers, ("linear_attention", "full_attention")))
        types[draw(st.integers(0, layers - 1))] = "full_attention"
        cfg["layer_types"] = types
    elif pattern == "null":
        cfg["layer_types"] = None


def _sliding(draw, cfg: dict, model_type: str, layers: int) -> None:
    """Qwen's sliding windows: off, on from max_window_layers, or on the layers layer_types names."""
    if not draw(st.booleans()):
        return
    cfg["use_sliding_window"] = draw(FLAG)
    _maybe(draw, cfg, "sliding_window", st.integers(1, 12))
    if model_type not in ("qwen3_moe", "qwen3_vl_moe_text"):
        _maybe(draw, cfg, "max_window_layers", st.integers(0, layers))
    if model_type == "qwen3" and cfg["use_sliding_window"] and draw(st.booleans()):
        cfg["layer_types"] = draw(_layer_types(layers, ("full_attention", "sliding_attention")))
    if model_type == "qwen2_moe" and cfg["use_sliding_window"] and draw(st.booleans()):
        cfg["layer_types"] = draw(_layer_types(layers, ("full_attention", "sliding_attention")))


def _llama4(draw, cfg: dict, layers: int) -> None:
    """Llama 4's interleaving: a step or a list of MoE layers; RoPE and chunked layers."""
    if draw(st.booleans()):
        _maybe(draw, cfg, "interleave_moe_layer_step", st.integers(1, 3))
    else:
        cfg["moe_layers"] = draw(st.one_of(st.none(), st.lists(st.integers(0, layers), max_size=4)))
    _maybe(draw, cfg, "no_rope_layer_interval", st.integers(1, 3))
    if draw(st.booleans()):
        cfg["no_rope_layers"] = draw(st.one_of(st.just([]), st.lists(st.sampled_from([0, 1]), min_size=layers,
                                                                        max_size=layers)))
    _maybe(draw, cfg, "attention_chunk_size", st.one_of(st.none(), st.integers(1, 16)))
    _maybe(draw, cfg, "use_qk_norm", FLAG)


CONFIGS.update({t: qwen_configs(t) for t in QWEN_TYPES})
