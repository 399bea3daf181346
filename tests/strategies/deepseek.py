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
    """A small DeepSeek-V2 or V3 config: MLA sizes, routed and shared experts, dense-first layers.

    The big sizes (width, heads, layers, vocabulary, experts) are always small; the latent
    sizes are left to their defaults at random, q_lora_rank is null at random (a plain
    query projection), and first_k_dense_replace ranges over none, some and all layers.
    """
    layers = draw(st.integers(1, 4))
    heads = draw(st.integers(1, 4))
    cfg: dict = {"model_type": model_type, "num_hidden_layers": layers, "num_attention_heads": heads}
    # V2's config class insists that H divide D; V3's does not
    if model_type == "deepseek_v2":
        cfg["hidden_size"] = heads * draw(st.integers(1, 12))
    else:
        cfg["hidden_size"] = draw(st.integers(2, 48))
    # only H_kv = H runs (the latent keys are expanded to H heads before repeat_kv)
    if model_type == "deepseek_v3" or draw(st.booleans()):
        cfg["num_key_value_heads"] = heads
    elif draw(st.booleans()):
        cfg["num_key_value_heads"] = None
    cfg["vocab_size"] = draw(st.integers(2, 300))
    q = draw(st.sampled_from(["default", "null", "rank"]))
    if q == "null":
        cfg["q_lora_rank"] = None
    elif q == "rank":
        cfg["q_lora_rank"] = draw(st.integers(1, 24))
    _maybe(draw, cfg, "kv_lora_rank", st.integers(1, 24))
    _maybe(draw, cfg, "qk_nope_head_dim", st.integers(1, 16))
    _maybe(draw, cfg, "qk_rope_head_dim", st.sampled_from([2, 4, 8]))
    _maybe(draw, cfg, "v_head_dim", st.integers(1, 16))
    _maybe(draw, cfg, "intermediate_size", st.integers(1, 40))
    _maybe(draw, cfg, "moe_intermediate_size", st.integers(1, 24))
    experts = draw(st.integers(2, 8))
    cfg[draw(st.sampled_from(["n_routed_experts", "num_local_experts" if model_type == "deepseek_v3" else "num_experts"]))] = experts
    cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
    if model_type == "deepseek_v3":
        # the sigmoid router keeps the two best of each group: groups of at least two experts
        groups = draw(st.sampled_from([d for d in _divisors(experts) if experts // d >= 2]))
        cfg["n_group"] = groups
        cfg["topk_group"] = draw(st.integers(1, groups))
    _maybe(draw, cfg, "n_shared_experts", st.integers(0, 3))
    _maybe(draw, cfg, "first_k_dense_replace", st.integers(0, layers + 1))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    _maybe(draw, cfg, "attention_bias", st.booleans())
    if model_type == "deepseek_v2":
        _maybe(draw, cfg, "mlp_bias", st.booleans())
    if draw(st.integers(0, 4)) == 0:
        cfg["moe_layer_freq"] = 1
    return cfg


CONFIGS.update({
    "deepseek_v2": deepseek_configs("deepseek_v2"),
    "deepseek_v3": deepseek_configs("deepseek_v3"),
})
