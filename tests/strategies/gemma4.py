"""Strategies for Gemma 4 text (``gemma4_text``): small configs transformers builds and runs.

The class's defaults are a 5-billion-parameter model, so every size is stated small: the
vocabularies, widths, depth, per-layer embedding width (0 turns the path off) and both head
sizes (even, so the rotary tables fit the heads). Layer kinds are listed or left to the five-to-one
default; the shared layers are a number transformers accepts (every kind among them has an earlier
layer of its kind, so not all of them are shared); the full-attention layers' head size and key/value heads come from
``global_head_dim`` / ``num_global_key_value_heads`` or from a ``per_layer_config`` written as
transformers writes it (zero-padded keys); the expert block, key-as-value attention, double-wide
MLPs, biases, tying and the activation (PReLU's learned scalar included) are drawn.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import CONFIGS

__all__ = ["gemma4_configs"]

SLIDING, FULL = "sliding_attention", "full_attention"


def _maybe(draw, cfg: dict, key: str, strategy) -> None:
    if draw(st.booleans()):
        cfg[key] = draw(strategy)


def _divisor(draw, n: int) -> int:
    return draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))


@st.composite
def gemma4_configs(draw) -> dict:
    layers = draw(st.integers(1, 7))
    heads = draw(st.integers(1, 4))
    cfg: dict = {
        "model_type": "gemma4_text", "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": _divisor(draw, heads), "vocab_size": draw(st.integers(8, 80)),
        "hidden_size": draw(st.integers(1, 12).map(lambda n: 2 * n)), "intermediate_size": draw(st.integers(1, 24)),
        "head_dim": draw(st.integers(1, 6).map(lambda n: 2 * n)),
        "hidden_size_per_layer_input": draw(st.sampled_from([0, 1, 2, 3, 4])),
        "vocab_size_per_layer_input": draw(st.integers(8, 80)),
    }
    if draw(st.booleans()):
        cfg["layer_types"] = draw(st.lists(st.sampled_from([SLIDING, FULL]), min_size=layers, max_size=layers))
    kinds = list(cfg.get("layer_types") or [SLIDING if (i + 1) % 6 else FULL for i in range(layers)])
    kinds[-1] = FULL
    valid = [s for s in range(layers) if set(kinds[:layers - s]) == set(kinds)]  # all shared: built, cannot run
    _maybe(draw, cfg, "num_kv_shared_layers", st.sampled_from(valid))
    for flag in ("attention_k_eq_v", "use_double_wide_mlp", "attention_bias", "tie_word_embeddings"):
        _maybe(draw, cfg, flag, st.booleans())
    _maybe(draw, cfg, "sliding_window", st.integers(1, 16))
    _maybe(draw, cfg, "hidden_activation", st.sampled_from(["gelu_pytorch_tanh", "silu", "relu", "prelu"]))
    full_head = draw(st.integers(1, 8).map(lambda n: 2 * n))
    full_kv = _divisor(draw, heads)
    how = draw(st.sampled_from(["global", "table", "none"]))
    if how == "global":
        cfg["global_head_dim"] = full_head
        _maybe(draw, cfg, "num_global_key_value_heads", st.just(full_kv))
    elif how == "table":
        override: dict = {"head_dim": full_head}
        if draw(st.booleans()):
            override["num_key_value_heads"] = full_kv
        width = len(str(layers - 1))
        cfg["per_layer_config"] = {str(i).zfill(width): dict(override) for i, k in enumerate(kinds) if k == FULL}
    else:
        cfg["global_head_dim"] = cfg["head_dim"]
    if draw(st.booleans()):
        experts = draw(st.integers(1, 4))
        cfg.update(enable_moe_block=True, num_experts=experts, top_k_experts=draw(st.integers(1, experts)),
                   moe_intermediate_size=draw(st.integers(1, 8)))
    return cfg


CONFIGS["gemma4_text"] = gemma4_configs()
