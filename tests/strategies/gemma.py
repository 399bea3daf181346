"""Strategies for the Gemma group of #11: Gemma 2/3, VaultGemma, gpt-oss, Cohere, StarCoder2, StableLM and
the Llama-shaped decoders around them (Ministral, Helium, SmolLM3, EXAONE 4, Seed-OSS, Apertus, Arcee,
Nemotron).

Configs are small (a few layers, sizes of a few dozen) so transformers builds them on the meta
device in milliseconds, and valid for a forward pass too: key/value heads divide the query
heads, head sizes are even (and a multiple of 8 where a partial rotary factor applies), and
an output projection of D x D (Helium, StableLM) meets H*d_h = D. Each field is left out at
random, so transformers' defaults are exercised, or set to null where transformers accepts
null. Window patterns vary: ``layer_types`` listed at random, a ``sliding_window`` given,
null or left to its default, and the pattern fields that derive the layer kinds.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import CONFIGS

__all__ = ["gemma_group_configs", "TYPES"]

# model_type -> what the strategy needs to know of transformers' config class:
#   kv: default num_key_value_heads (None: H); hd: default head_dim ("derived": D // H;
#   None: no default, a config must give one); hd_null: head_dim may be null (D // H);
#   divide: hidden_size must be a multiple of H even with a head_dim; square_o: o_proj is
#   D x D, so H*d_h = D; rotary: the head size must be a multiple of this; kv_null: null
#   num_key_value_heads means H; floor: a derived head size is D // H, so H need not divide D;
#   step: D and F are multiples of this.
TYPES: dict[str, dict] = {
    "gemma2": dict(kv=4, hd=256, divide=True, act="hidden_activation", windows="gemma"),
    "gemma3_text": dict(kv=4, hd=256, divide=True, act="hidden_activation", windows="gemma3"),
    "vaultgemma": dict(kv=4, hd=256, divide=True, act="hidden_activation", windows="gemma"),
    # torch's grouped expert matmul on CPU wants rows of a multiple of 16 bytes: D and F multiples of 4
    "gpt_oss": dict(kv=8, hd=64, windows="gemma", step=4),
    "starcoder2": dict(kv=2, hd="derived", hd_null=True, windows="uniform", floor=True),
    "cohere": dict(kv=None, kv_null=True, hd="derived", floor=True),
    "cohere2": dict(kv=None, kv_null=True, hd="derived", windows="cohere2", floor=True),
    "stablelm": dict(kv=32, hd="derived", square_o=True, rotary=8),
    "ministral": dict(kv=8, hd=None, windows="listed"),
    "helium": dict(kv=20, hd=128, square_o=True),
    "smollm3": dict(kv=4, kv_null=True, hd="derived", windows="smollm3", floor=True),
    "exaone4": dict(kv=32, hd="derived", windows="exaone4", floor=True),
    "seed_oss": dict(kv=8, kv_null=True, hd=128, hd_null=True, floor=True),
    "apertus": dict(kv=None, kv_null=True, hd="derived", floor=True),
    "arcee": dict(kv=None, kv_null=True, hd="derived", hd_null=True, divide=True),
    "nemotron": dict(kv="required", hd="derived", hd_null=True, rotary=4, floor=True),
}


def _maybe(draw, cfg: dict, key: str, strategy) -> None:
    """Set ``cfg[key]`` from ``strategy`` half the time (else transformers' default applies)."""
    if draw(st.booleans()):
        cfg[key] = draw(strategy)


def _heads(draw, cfg: dict, info: dict) -> tuple[int, int]:
    """(H, H_kv): the key/value heads given, null, or left to a default that divides H."""
    default = info.get("kv")
    if default == "required":
        how = "given"
    else:
        how = draw(st.sampled_from(["given", "missing", "null"] if info.get("kv_null") else ["given", "missing"]))
    if how == "given":
        kv = draw(st.integers(1, 3))
        cfg["num_key_value_heads"] = kv
        return kv * draw(st.integers(1, 3)), kv
    if how == "null":
        cfg["num_key_value_heads"] = None
        heads = draw(st.integers(1, 6))
        return heads, heads
    if default is None:
        heads = draw(st.integers(1, 6))
        return heads, heads
    return default * draw(st.integers(1, 2)), default


def _sizes(draw, cfg: dict, info: dict, heads: int) -> None:
    """hidden_size and head_dim, keeping every rule of the family."""
    step = info.get("rotary", 2)
    head_dims = [d for d in (2, 4, 6, 8, 12, 16) if d % step == 0]
    hd = info["hd"]
    choices = ["given"]
    if hd is not None:
        choices.append("missing")
    if info.get("hd_null"):
        choices.append("null")
    how = draw(st.sampled_from(choices))
    if how == "given":
        head_dim = cfg["head_dim"] = draw(st.sampled_from(head_dims))
    elif how == "null":
        cfg["head_dim"] = None
        head_dim = None
    else:
        head_dim = None if hd == "derived" else hd
    if info.get("square_o"):
        if head_dim is None:
            head_dim = draw(st.sampled_from(head_dims))
        cfg["hidden_size"] = heads * head_dim
    elif head_dim is None or info.get("divide"):
        cfg["hidden_size"] = heads * draw(st.sampled_from(head_dims))
        if head_dim is None and info.get("floor") and heads > 1 and draw(st.booleans()):
            # transformers sizes heads by floor division: D // H, the remainder of D left over
            cfg["hidden_size"] += draw(st.integers(1, heads - 1))
    else:
        step = info.get("step", 1)
        cfg["hidden_size"] = step * draw(st.integers(max(1, 2 // step), 64 // step))


def _listed(draw, layers: int) -> list[str]:
    return [draw(st.sampled_from(["sliding_attention", "full_attention", "attention"])) for _ in range(layers)]


def _windows(draw, cfg: dict, style: str, layers: int) -> None:
    """Sliding windows: listed layer kinds, a pattern, a window size or a null one."""
    if style == "none":
        return
    patterned = style in ("gemma3", "cohere2", "exaone4")
    how = draw(st.sampled_from(["listed", "default", "pattern"] if patterned else ["listed", "default"]))
    if style == "uniform":
        how = "default"
    if how == "listed":
        cfg["layer_types"] = _listed(draw, layers)
    elif how == "pattern":
        cfg["sliding_window_pattern"] = draw(st.integers(1, 4))
    if style == "smollm3":
        _maybe(draw, cfg, "use_sliding_window", st.booleans())
        if how != "listed" and draw(st.booleans()):
            cfg["no_rope_layers"] = [draw(st.sampled_from([0, 1])) for _ in range(layers + draw(st.integers(0, 1)))]
        else:
            _maybe(draw, cfg, "no_rope_layer_interval", st.integers(1, 4))
    # a null window builds, but only StarCoder2 runs without one, and SmolLM3 while no layer is listed as sliding
    nullable = style == "uniform" or (style == "smollm3" and how != "listed")
    kinds = ["value", "value", "missing", "null"] if nullable else ["value", "value", "missing"]
    if style == "smollm3" and how == "listed":
        kinds = ["value"]  # SmolLM3's default window is null
    window = draw(st.sampled_from(kinds))
    if window == "value":
        cfg["sliding_window"] = draw(st.integers(1, 64))
    elif window == "null":
        cfg["sliding_window"] = None


@st.composite
def gemma_group_configs(draw, model_type: str) -> dict:
    """A small valid config of ``model_type`` (see the module docstring)."""
    info = TYPES[model_type]
    layers = draw(st.integers(1, 6))
    cfg: dict = {"model_type": model_type, "num_hidden_layers": layers, "vocab_size": draw(st.integers(8, 200))}
    heads, _ = _heads(draw, cfg, info)
    cfg["num_attention_heads"] = heads
    _sizes(draw, cfg, info, heads)
    step = info.get("step", 1)
    _maybe(draw, cfg, "intermediate_size", st.integers(1, 48 // step).map(lambda n: n * step))
    _maybe(draw, cfg, "tie_word_embeddings", st.booleans())
    # gpt-oss's experts name their own activation; xIELU is Apertus' default (its two scalars are
    # parameters, its beta and eps buffers that checkpoints store too are not)
    if model_type != "gpt_oss":
        _maybe(draw, cfg, info.get("act", "hidden_act"),
               st.sampled_from(["gelu_pytorch_tanh", "silu", "gelu", "relu2", "prelu"]))
    _windows(draw, cfg, info.get("windows", "none"), layers)
    if model_type in ("gemma2", "gemma3_text", "vaultgemma", "gpt_oss", "cohere", "cohere2", "helium", "smollm3",
                      "seed_oss", "apertus", "arcee", "nemotron"):
        _maybe(draw, cfg, "attention_bias", st.booleans())
    if model_type in ("helium", "smollm3", "seed_oss", "arcee", "nemotron"):
        _maybe(draw, cfg, "mlp_bias", st.booleans())
    if model_type == "seed_oss":
        _maybe(draw, cfg, "attention_out_bias", st.booleans())
    if model_type == "cohere":
        _maybe(draw, cfg, "use_qk_norm", st.sampled_from([True, False, None]))
    if model_type == "stablelm":
        for flag in ("use_qkv_bias", "qk_layernorm", "use_parallel_residual"):
            _maybe(draw, cfg, flag, st.booleans())
    if model_type == "smollm3":
        cfg["pad_token_id"] = draw(st.sampled_from([None, 0, cfg["vocab_size"] - 1]))
    if model_type == "gpt_oss":
        experts = draw(st.integers(1, 4))
        cfg[draw(st.sampled_from(["num_local_experts", "num_experts"]))] = experts
        cfg["num_experts_per_tok"] = draw(st.integers(1, experts))
    if model_type == "starcoder2":
        _maybe(draw, cfg, "use_bias", st.booleans())
    return cfg


CONFIGS.update({model_type: gemma_group_configs(model_type) for model_type in TYPES})
