"""Strategies for vision-language wrappers: Gemma 3 as released (``gemma3``), a Gemma 3 decoder beside a SigLIP tower.

The text part is drawn by the ``gemma3_text`` strategy (its ``model_type`` kept, dropped or
another: transformers does not read it there). The tower is small but runs: heads divide
its width, the patch fits the image, and the projector's pooled side fits the patches a
side. Each part, and each field of the tower and the top level, is left out at random
(transformers' defaults, some of them large) or set to null where transformers reads null.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import CONFIGS

__all__ = ["siglip_configs", "gemma3_configs"]


@st.composite
def siglip_configs(draw) -> dict:
    """A small SigLIP vision config whose tower transformers builds and runs."""
    heads = draw(st.integers(1, 4))
    patch = draw(st.integers(1, 6))
    cfg: dict = {"hidden_size": heads * draw(st.integers(1, 8)), "num_attention_heads": heads,
                 "num_hidden_layers": draw(st.integers(1, 3)), "patch_size": patch,
                 "image_size": patch * draw(st.integers(1, 6)) + draw(st.integers(0, patch - 1))}
    if draw(st.booleans()):
        cfg["intermediate_size"] = draw(st.integers(1, 40))
    if draw(st.booleans()):
        cfg["num_channels"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        cfg["vision_use_head"] = draw(st.booleans())
    if draw(st.booleans()):
        cfg["hidden_act"] = draw(st.sampled_from(["gelu_pytorch_tanh", "gelu", "silu", "quick_gelu"]))
    if draw(st.booleans()):
        cfg["model_type"] = "siglip_vision_model"
    return cfg


@st.composite
def gemma3_configs(draw) -> dict:
    """A small ``gemma3`` config (see the module docstring); a missing part is transformers' default, which is large."""
    text = dict(draw(CONFIGS["gemma3_text"]))
    how = draw(st.sampled_from(["gemma3_text", "dropped", "llama"]))
    if how == "dropped":
        del text["model_type"]
    else:
        text["model_type"] = how
    vision = draw(siglip_configs())
    cfg: dict = {"model_type": "gemma3", "text_config": text, "vision_config": vision}
    patches = vision["image_size"] // vision["patch_size"]
    cfg["mm_tokens_per_image"] = draw(st.integers(1, (patches + 1) ** 2 - 1))
    tie = draw(st.sampled_from(["missing", True, False, None]))
    if tie != "missing":
        cfg["tie_word_embeddings"] = tie
    if draw(st.integers(0, 9)) == 0:
        cfg["architectures"] = ["Gemma3ForConditionalGeneration"]
    return cfg


CONFIGS["gemma3"] = gemma3_configs()
