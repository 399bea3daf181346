"""Strategies for vision-language wrappers: Gemma 3 (``gemma3``: a Gemma 3 decoder beside a SigLIP tower),
Qwen3.5 (``qwen3_5``, ``qwen3_5_moe``: the hybrid decoders beside Qwen3.5's tower), Qwen3-VL (``qwen3_vl``,
``qwen3_vl_moe``: Qwen3's and Qwen3-MoE's decoders beside a tower with deepstack mergers), Llama 4 (``llama4``: the
mixture-of-experts decoder beside its tower and projector) and Mistral 3 (``mistral3``: a Mistral or Llama decoder
beside Pixtral's tower), as released.

The text part is drawn by its text model type's strategy (its ``model_type`` kept, dropped or
another where transformers does not read it there; Mistral 3 reads it). The tower is small but runs: heads divide
its width, the patch fits the image, the projector's pooled side fits the patches a side,
and a merger ends at the decoder's width. Fields of the tower and the top level are left
out at random (transformers' defaults) or set to null where transformers reads null.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import CONFIGS
from .existing import rms_configs
from .qwen import qwen_configs

__all__ = ["pixtral_configs", "mistral3_configs", "siglip_configs", "clip_configs", "gemma3_configs",
           "qwen_vision_configs", "qwen3_5_configs", "qwen3_vl_configs", "qwen2_vl_configs", "llava_configs",
           "paligemma_configs", "idefics3_configs", "aya_vision_configs", "cohere2_vision_configs", "mllama_configs",
           "internvl_configs", "llama4_vision_configs", "llama4_configs", "gemma4_vision_configs",
           "gemma4_audio_configs", "gemma4_vlm_configs", "idefics2_configs"]

# the decoder's width where a text strategy leaves hidden_size out (transformers' defaults)
TEXT_WIDTH = {"qwen3_5_text": 4096, "qwen3_5_moe_text": 2048}


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
    text = _text(draw, "gemma3_text")
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


def _text(draw, model_type: str) -> dict:
    """A decoder config drawn by ``model_type``'s strategy, its own model_type kept, dropped or another."""
    text = dict(draw(CONFIGS[model_type]))
    how = draw(st.sampled_from([model_type, "dropped", "llama"]))
    if how == "dropped":
        del text["model_type"]
    else:
        text["model_type"] = how
    return text


@st.composite
def qwen_vision_configs(draw, width: int) -> dict:
    """A small Qwen3.5 vision config whose merger ends at ``width``, its fields left out or under their aliases."""
    heads = draw(st.integers(1, 4))
    cfg: dict = {"hidden_size": heads * draw(st.integers(1, 6)), "out_hidden_size": width,
                 draw(st.sampled_from(["num_heads", "num_attention_heads"])): heads,
                 draw(st.sampled_from(["depth", "num_hidden_layers"])): draw(st.integers(1, 3))}
    for key, values in (("intermediate_size", st.integers(1, 24)), ("in_channels", st.integers(1, 4)),
                        ("patch_size", st.integers(1, 6)), ("temporal_patch_size", st.integers(1, 3)),
                        ("spatial_merge_size", st.integers(1, 3)), ("num_position_embeddings", st.integers(1, 40)),
                        ("hidden_act", st.sampled_from(["gelu_pytorch_tanh", "gelu", "silu"])),
                        ("model_type", st.sampled_from(["qwen3_5_vision", "qwen3_5", "siglip_vision_model"]))):
        if draw(st.booleans()):
            cfg[key] = draw(values)
    return cfg


@st.composite
def qwen3_5_configs(draw, model_type: str) -> dict:
    """A small ``qwen3_5`` or ``qwen3_5_moe`` config (see the module docstring)."""
    text_type = model_type + "_text"
    text = _text(draw, text_type)
    width = text.get("hidden_size", TEXT_WIDTH[text_type])
    cfg: dict = {"model_type": model_type, "text_config": text, "vision_config": draw(qwen_vision_configs(width))}
    if draw(st.booleans()):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    return cfg


@st.composite
def qwen3_vl_configs(draw, model_type: str) -> dict:
    """A small ``qwen3_vl`` or ``qwen3_vl_moe`` config: the text config drawn as its own class's (no causal LM reads
    it alone), now and then with Qwen3-VL's multimodal rope table; deepstack layers of the tower, each once, no more
    of them than the decoder has layers."""
    text = dict(draw(qwen_configs(model_type + "_text")))
    how = draw(st.sampled_from(["kept", "dropped", "llama"]))
    if how == "dropped":
        del text["model_type"]
    elif how == "llama":
        text["model_type"] = "llama"
    if draw(st.booleans()):
        text["rope_scaling"] = {"rope_type": "default", "mrope_section": [1, 1, 0], "mrope_interleaved": True}
        text["rope_theta"] = 5000000
    vision = draw(qwen_vision_configs(text["hidden_size"]))
    depth = vision.get("depth", vision.get("num_hidden_layers"))
    vision["deepstack_visual_indexes"] = draw(st.lists(st.integers(0, depth - 1), unique=True,
                                                       max_size=min(depth, text["num_hidden_layers"])))
    if draw(st.booleans()):
        vision["model_type"] = model_type
    cfg: dict = {"model_type": model_type, "text_config": text, "vision_config": vision}
    if draw(st.booleans()):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    return cfg


@st.composite
def _qwen2_vl_text(draw) -> dict:
    """A Qwen2-VL text config: a Qwen2 config whose heads divide its width (this attention refuses the rest), its
    window fields now and then null (no window)."""
    text = dict(draw(rms_configs("qwen2")))
    del text["model_type"]
    heads = text["num_attention_heads"]
    text["hidden_size"] = heads * max(1, text["hidden_size"] // heads)
    if "head_dim" in text:  # read by the rotary embedding alone, which must turn the attention's heads
        head = text["hidden_size"] // heads  # transformers' RoPE validation refuses a stated odd one above 4
        text["head_dim"] = draw(st.sampled_from([head if head % 2 == 0 or head <= 4 else None, None, 0]))
    if draw(st.integers(0, 5)) == 0:
        text["use_sliding_window"] = None
    if draw(st.integers(0, 5)) == 0 and (not text.get("use_sliding_window") or "layer_types" in text):
        text["max_window_layers"] = None  # read (and failed on) only by the default pattern of a window
    return text


@st.composite
def qwen2_vl_configs(draw, model_type: str) -> dict:
    """A small ``qwen2_vl`` or ``qwen2_5_vl`` config, flat as released (the decoder's fields at the top level) or
    with a ``text_config`` object, and a tower whose merger ends at the decoder's width."""
    text = draw(_qwen2_vl_text())
    width = text["hidden_size"]
    heads = draw(st.integers(1, 4))
    depth = draw(st.sampled_from(["depth", "num_hidden_layers"]))
    vision: dict = {draw(st.sampled_from(["num_heads", "num_attention_heads"])): heads, depth: draw(st.integers(1, 3))}
    own = heads * draw(st.integers(1, 6))
    if model_type == "qwen2_vl":
        vision.update(embed_dim=own, hidden_size=width)
        extra = (("mlp_ratio", st.integers(1, 4)), ("hidden_act", st.sampled_from(["quick_gelu", "gelu", "silu"])))
    else:
        vision.update(hidden_size=own, out_hidden_size=width)
        extra = (("intermediate_size", st.integers(1, 24)), ("hidden_act", st.sampled_from(["silu", "gelu"])),
                 ("fullatt_block_indexes", st.lists(st.integers(0, 3), max_size=2)))
    for key, values in (("in_channels", st.integers(1, 4)), ("patch_size", st.integers(1, 6)),
                        ("temporal_patch_size", st.integers(1, 3)), ("spatial_merge_size", st.integers(1, 3)),
                        ("model_type", st.sampled_from([model_type, model_type + "_vision"])), *extra):
        if draw(st.booleans()):
            vision[key] = draw(values)
    cfg: dict = {"model_type": model_type, "vision_config": vision}
    if draw(st.booleans()):
        cfg["text_config"] = text
        if draw(st.booleans()):
            cfg["tie_word_embeddings"] = draw(st.booleans())
        if draw(st.booleans()):  # the top level's copies are not read
            cfg["hidden_size"] = width + 1
    else:
        cfg.update(text)
        if draw(st.booleans()):
            cfg["text_config"] = None
    return cfg


@st.composite
def clip_configs(draw) -> dict:
    """A small CLIP vision config whose tower transformers builds and runs."""
    cfg = dict(draw(siglip_configs()))
    cfg.pop("vision_use_head", None)
    if "model_type" in cfg:
        cfg["model_type"] = "clip_vision_model"
    if cfg.get("hidden_act") == "gelu_pytorch_tanh" or draw(st.booleans()):
        cfg["hidden_act"] = draw(st.sampled_from(["quick_gelu", "gelu"]))
    return cfg


LLAVA_DECODERS = ("llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "phi3", "cohere", "cohere2")


# the model type a llava-like wrapper reads a text_config naming none as
LLAVA_TEXT = {"llava_onevision": "qwen2"}


@st.composite
def llava_configs(draw, model_type: str) -> dict:
    """A small ``llava``, ``llava_next``, ``llava_onevision``, ``llava_next_video`` or ``vipllava`` config: any decoder
    LLaVA builds its head beside (its model_type read; the wrapper's default where none), a CLIP or SigLIP tower, and
    projector fields left out or set (VipLLaVA's feature layers always: its default five need a deep tower)."""
    text_type = draw(st.sampled_from(LLAVA_DECODERS))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == LLAVA_TEXT.get(model_type, "llama") and draw(st.booleans()):
        del text["model_type"]
    siglip = draw(st.integers(0, 3)) == 0
    vision = dict(draw(siglip_configs() if siglip else clip_configs()))
    if siglip:
        vision["model_type"] = "siglip_vision_model"
    layers = vision["num_hidden_layers"]
    cfg: dict = {"model_type": model_type, "text_config": text, "vision_config": vision}
    index = st.integers(-(layers + 1), layers)
    layer = st.one_of(index.filter(bool), st.lists(index, min_size=1, max_size=3))  # a bare 0 runs no image
    if model_type == "vipllava":
        cfg[draw(st.sampled_from(["vision_feature_layer", "vision_feature_layers"]))] = draw(layer)
        keys: tuple = (("tie_word_embeddings", st.booleans()),
                       ("projector_hidden_act", st.sampled_from(["gelu", "silu", "quick_gelu"])))
    else:
        keys = (("tie_word_embeddings", st.booleans()), ("multimodal_projector_bias", st.booleans()),
                ("projector_hidden_act", st.sampled_from(["gelu", "silu", "quick_gelu"])),
                ("vision_feature_layer", layer),
                ("vision_feature_select_strategy", st.sampled_from(["default", "full"])))
    if model_type == "llava_next_video":
        keys += (("spatial_pool_mode", st.sampled_from(["average", "max", "conv"])),
                 ("spatial_pool_stride", st.integers(1, 3)), ("spatial_pool_out_channels", st.integers(1, 9)))
    for key, values in keys:
        if draw(st.booleans()):
            cfg[key] = draw(values)
    return cfg


@st.composite
def paligemma_configs(draw) -> dict:
    """A small ``paligemma`` config: a Gemma or Gemma 2 decoder, a SigLIP tower, and the projection to the decoder's
    width."""
    text_type = draw(st.sampled_from(["gemma", "gemma2"]))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == "gemma" and draw(st.booleans()):
        del text["model_type"]
    vision = dict(draw(siglip_configs()))
    cfg: dict = {"model_type": "paligemma", "text_config": text, "vision_config": vision,
                 "projection_dim": text["hidden_size"]}
    if draw(st.booleans()):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    return cfg


@st.composite
def idefics3_configs(draw, model_type: str) -> dict:
    """A small ``idefics3`` or ``smolvlm`` config: a decoder it builds its head beside, a SigLIP encoder whose patches
    a side the pixel shuffle's scale divides, the tower's model_type anything (the class decides it)."""
    text_type = draw(st.sampled_from(LLAVA_DECODERS))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == "llama" and draw(st.booleans()):
        del text["model_type"]
    vision = dict(draw(siglip_configs()))
    vision.pop("vision_use_head", None)
    scale = draw(st.integers(1, 3))
    patch = vision["patch_size"]
    vision["image_size"] = patch * scale * draw(st.integers(1, 3)) + draw(st.integers(0, patch - 1))
    if draw(st.booleans()):
        vision["model_type"] = draw(st.sampled_from([model_type + "_vision", "siglip_vision_model", "anything"]))
    cfg: dict = {"model_type": model_type, "text_config": text, "vision_config": vision}
    if scale != 2 or draw(st.booleans()):
        cfg["scale_factor"] = scale
    if draw(st.booleans()):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    return cfg


@st.composite
def aya_vision_configs(draw) -> dict:
    """A small ``aya_vision`` config whose projector runs: a decoder it builds its head beside (Cohere 2's where the
    text names none), a SigLIP tower taking every patch or a CLIP one dropping its class token, one feature layer, a
    pixel shuffle whose scale divides the patches a side, and an even projector width."""
    text_type = draw(st.sampled_from(("cohere2", *LLAVA_DECODERS)))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == "cohere2" and draw(st.booleans()):
        del text["model_type"]
    clip = draw(st.integers(0, 3)) == 0
    vision = dict(draw(clip_configs() if clip else siglip_configs()))
    if clip:
        vision["model_type"] = "clip_vision_model"
    scale = draw(st.integers(1, 3))
    patch = vision["patch_size"]
    vision["image_size"] = patch * scale * draw(st.integers(1, 3)) + draw(st.integers(0, patch - 1))
    layers = vision["num_hidden_layers"]
    cfg: dict = {"model_type": "aya_vision", "text_config": text, "vision_config": vision}
    if clip or draw(st.booleans()):
        cfg["vision_feature_select_strategy"] = "default" if clip else "full"
    if scale != 2 or draw(st.booleans()):
        cfg["downsample_factor"] = scale
    if text.get("hidden_size", 1) % 2 or draw(st.booleans()):
        cfg["alignment_intermediate_size"] = 2 * draw(st.integers(1, 12))
    index = st.integers(-(layers + 1), layers)
    for key, values in (("tie_word_embeddings", st.booleans()),
                        ("vision_feature_layer", st.one_of(index.filter(bool), st.lists(index, min_size=1,
                                                                                        max_size=1)))):
        if draw(st.booleans()):
            cfg[key] = draw(values)
    return cfg


@st.composite
def cohere2_vision_configs(draw) -> dict:
    """A small ``cohere2_vision`` config whose projector runs: a decoder it builds its head beside (Cohere 2's where
    the text names none), a SigLIP tower, a pixel shuffle whose scale divides the patches a side, and an even
    projector width (its class's 36,864 where left out)."""
    text_type = draw(st.sampled_from(("cohere2", *LLAVA_DECODERS)))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == "cohere2" and draw(st.booleans()):
        del text["model_type"]
    vision = dict(draw(siglip_configs()))
    scale = draw(st.integers(1, 3))
    patch = vision["patch_size"]
    vision["image_size"] = patch * scale * draw(st.integers(1, 3)) + draw(st.integers(0, patch - 1))
    cfg: dict = {"model_type": "cohere2_vision", "text_config": text, "vision_config": vision}
    if scale != 2 or draw(st.booleans()):
        cfg["downsample_factor"] = scale
    if draw(st.integers(0, 3)):
        cfg["alignment_intermediate_size"] = 2 * draw(st.integers(1, 12))
    if draw(st.booleans()):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    return cfg


@st.composite
def mllama_configs(draw) -> dict:
    """A small ``mllama`` config an image runs through: a Llama text config whose cross_attention_layers list any
    indices (those past the layers, negative or repeated make no cross-attention layer), and a tiled tower whose
    intermediate layers it has and whose vision_output_dim joins them."""
    heads = draw(st.integers(1, 4))
    width = heads * draw(st.integers(1, 4))
    layers = draw(st.integers(1, 5))
    vocab = draw(st.integers(1, 60))
    text: dict = {"vocab_size": vocab, "hidden_size": width, "num_attention_heads": heads,
                  "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
                  "intermediate_size": draw(st.integers(1, 20)), "num_hidden_layers": layers,
                  "cross_attention_layers": draw(st.lists(st.integers(-1, layers + 1), max_size=4)),
                  "pad_token_id": draw(st.one_of(st.none(), st.integers(-(vocab + 8), vocab + 7)))}
    for key, values in (("hidden_act", st.sampled_from(["silu", "gelu"])), ("tie_word_embeddings", st.booleans()),
                        ("head_dim", st.just(width // heads)), ("model_type", st.just("mllama_text_model")),
                        ("rope_parameters", st.just({"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                     "original_max_position_embeddings": 8192}))):
        if draw(st.integers(0, 3)) == 0:
            text[key] = draw(values)
    vision_heads = draw(st.integers(1, 3))
    vision_width = vision_heads * draw(st.integers(1, 4))
    vision_layers = draw(st.integers(1, 3))
    patch = draw(st.integers(1, 4))
    tiles = draw(st.integers(1, 3))
    indices = draw(st.lists(st.integers(-(vision_layers + 1), vision_layers), min_size=1, max_size=3))
    vision: dict = {"hidden_size": vision_width, "attention_heads": vision_heads, "num_hidden_layers": vision_layers,
                    "num_global_layers": draw(st.integers(0, 2)), "intermediate_size": draw(st.integers(1, 20)),
                    "num_channels": draw(st.integers(1, 3)), "patch_size": patch,
                    "image_size": patch * draw(st.integers(1, 3)) + draw(st.integers(0, patch - 1)),
                    "max_num_tiles": tiles, "intermediate_layers_indices": indices,
                    "vision_output_dim": vision_width * (len(indices) + 1),
                    "supported_aspect_ratios": draw(st.lists(st.lists(st.integers(1, tiles), min_size=2, max_size=2),
                                                             min_size=1, max_size=4))}
    if draw(st.booleans()):
        vision["hidden_act"] = draw(st.sampled_from(["gelu", "silu", "quick_gelu"]))
    if draw(st.booleans()):
        vision["model_type"] = "mllama_vision_model"
    return {"model_type": "mllama", "text_config": text, "vision_config": vision}


@st.composite
def internvl_configs(draw) -> dict:
    """A small ``internvl`` config whose projector runs: a decoder it builds its head beside (Qwen2's where the text
    names none), an InternViT tower of square patches and image (one size or a pair) with its switches left out or
    set, the tower's model_type anything (the class decides it), a pixel shuffle of 1, 2 or 4 patches a side that
    divides the patches a side, one feature layer and the class token dropped."""
    text_type = draw(st.sampled_from(("qwen2", *LLAVA_DECODERS)))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == "qwen2" and draw(st.booleans()):
        del text["model_type"]
    heads = draw(st.integers(1, 4))
    patch, blocks = draw(st.integers(1, 5)), draw(st.sampled_from([1, 2, 2, 4]))
    image = patch * blocks * draw(st.integers(1, 3)) + draw(st.integers(0, patch - 1))
    layers = draw(st.integers(1, 3))
    vision: dict = {"hidden_size": heads * draw(st.integers(1, 6)), "num_attention_heads": heads,
                    "num_hidden_layers": layers,
                    "image_size": draw(st.sampled_from([image, [image, image]])),
                    "patch_size": draw(st.sampled_from([patch, [patch, patch]]))}
    for key, values in (("intermediate_size", st.integers(1, 24)), ("num_channels", st.integers(1, 4)),
                        ("hidden_act", st.sampled_from(["gelu", "silu", "gelu_pytorch_tanh"])),
                        ("norm_type", st.sampled_from(["layer_norm", "rms_norm"])),
                        ("attention_bias", st.booleans()), ("use_qk_norm", st.booleans()),
                        ("use_mask_token", st.booleans()), ("use_absolute_position_embeddings", st.booleans()),
                        ("use_mean_pooling", st.booleans()), ("layer_scale_init_value", st.floats(0.01, 1.0)),
                        ("model_type", st.sampled_from(["internvl_vision", "siglip_vision_model", "anything"]))):
        if draw(st.booleans()):
            vision[key] = draw(values)
    cfg: dict = {"model_type": "internvl", "text_config": text, "vision_config": vision}
    if blocks != 2 or draw(st.booleans()):
        cfg["downsample_ratio"] = 1 / blocks
    for key, values in (("tie_word_embeddings", st.booleans()), ("vision_feature_select_strategy", st.just("default")),
                        ("vision_feature_layer", st.integers(-(layers + 1), layers).filter(bool)),
                        ("projector_hidden_act", st.sampled_from(["gelu", "silu"]))):
        if draw(st.booleans()):
            cfg[key] = draw(values)
    return cfg


@st.composite
def llama4_vision_configs(draw) -> dict:
    """A small Llama 4 vision config whose tower runs: its pixel shuffle (ratio 1/2, or 1) regroups the patches into
    the adapter's inputs, and one width chains the adapter and projector."""
    heads = draw(st.integers(1, 3))
    ratio = draw(st.sampled_from([0.5, 0.5, 1.0]))
    width = heads * 2 * draw(st.integers(1, 4))
    patch = draw(st.integers(1, 5))
    side = 2 * draw(st.integers(1, 3)) if ratio == 0.5 else draw(st.integers(1, 5))
    proj = draw(st.integers(1, 24))
    cfg: dict = {"hidden_size": width, "num_attention_heads": heads, "num_hidden_layers": draw(st.integers(1, 3)),
                 "intermediate_size": int(width / ratio**2), "patch_size": patch,
                 "image_size": patch * side + draw(st.integers(0, patch - 1)), "pixel_shuffle_ratio": ratio,
                 "projector_input_dim": proj, "projector_output_dim": proj, "vision_output_dim": proj}
    if draw(st.booleans()):
        cfg["num_channels"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        cfg["hidden_act"] = draw(st.sampled_from(["gelu", "silu", "not_an_activation"]))
    if draw(st.booleans()):
        cfg["multi_modal_projector_bias"] = draw(st.booleans())
    if draw(st.booleans()):
        cfg["model_type"] = "llama4_vision_model"
    return cfg


@st.composite
def llama4_configs(draw) -> dict:
    """A small ``llama4`` config (see the module docstring)."""
    cfg: dict = {"model_type": "llama4", "text_config": _text(draw, "llama4_text"),
                 "vision_config": draw(llama4_vision_configs())}
    if draw(st.booleans()):
        cfg["tie_word_embeddings"] = draw(st.booleans())
    return cfg


@st.composite
def pixtral_configs(draw) -> dict:
    """A small Pixtral vision config whose heads make up its width."""
    heads = draw(st.integers(1, 3))
    head = 2 * draw(st.integers(1, 4))
    cfg: dict = {"hidden_size": heads * head, "num_attention_heads": heads, "num_hidden_layers": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        cfg["head_dim"] = head
    for key, values in (("intermediate_size", st.integers(1, 24)), ("num_channels", st.integers(1, 4)),
                        ("patch_size", st.integers(1, 6)), ("image_size", st.integers(8, 64)),
                        ("hidden_act", st.sampled_from(["gelu", "silu", "gelu_pytorch_tanh"])),
                        ("model_type", st.just("pixtral"))):
        if draw(st.booleans()):
            cfg[key] = draw(values)
    return cfg


@st.composite
def mistral3_configs(draw) -> dict:
    """A small ``mistral3`` config: its text_config read by the model type it names (mistral where none)."""
    text_type = draw(st.sampled_from(["mistral", "mistral", "llama"]))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == "mistral" and draw(st.booleans()):
        del text["model_type"]
    vision = draw(pixtral_configs())
    cfg: dict = {"model_type": "mistral3", "text_config": text, "vision_config": vision}
    # one of the tower's L + 1 hidden states (a bare 0 is no hidden states to transformers; [0] the embeddings')
    index = st.integers(-(vision["num_hidden_layers"] + 1), vision["num_hidden_layers"])
    for key, values in (("tie_word_embeddings", st.booleans()), ("spatial_merge_size", st.integers(1, 3)),
                        ("multimodal_projector_bias", st.booleans()),
                        ("vision_feature_layer", st.one_of(index.filter(bool), st.lists(index, min_size=1, max_size=1))),
                        ("projector_hidden_act", st.sampled_from(["gelu", "silu"]))):
        if draw(st.booleans()):
            cfg[key] = draw(values)
    return cfg


def _some(draw, cfg: dict, choices) -> None:
    """Each (field, strategy) of ``choices`` set at random; left out, it is the config class's default."""
    for key, values in choices:
        if draw(st.booleans()):
            cfg[key] = draw(values)


@st.composite
def idefics2_configs(draw) -> dict:
    """A small ``idefics2`` config: a decoder it builds its head beside, a SigLIP encoder and a perceiver resampler whose
    key/value heads divide its query heads; the towers' model_type anything (the class decides it), the resampler's
    hidden_size anything (transformers makes it the decoder's, with the decoder's rms_norm_eps: Cohere's decoders have
    none, and Gemma 2's no hidden_act, which the connector reads; a test of their own draws them)."""
    text_type = draw(st.sampled_from([t for t in LLAVA_DECODERS if t not in ("cohere", "cohere2", "gemma2")]))
    text = dict(draw(CONFIGS[text_type]))
    if text_type == "mistral" and draw(st.booleans()):
        del text["model_type"]
    vision = dict(draw(siglip_configs()))
    vision.pop("vision_use_head", None)
    heads = draw(st.integers(1, 4))
    perceiver: dict = {"resampler_n_latents": draw(st.integers(1, 6)), "resampler_depth": draw(st.integers(1, 3)),
                       "resampler_n_heads": heads, "resampler_head_dim": draw(st.integers(1, 8)),
                       "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0]))}
    _some(draw, perceiver, (("hidden_size", st.integers(1, 64)), ("hidden_act", st.sampled_from(["silu", "gelu"])),
                            ("model_type", st.sampled_from(["idefics2_perceiver", "idefics2", "anything"]))))
    if draw(st.booleans()):
        vision["model_type"] = draw(st.sampled_from(["idefics2_vision", "idefics2", "anything"]))
    cfg: dict = {"model_type": "idefics2", "text_config": text, "vision_config": vision, "perceiver_config": perceiver}
    _some(draw, cfg, (("tie_word_embeddings", st.booleans()),))
    return cfg


@st.composite
def gemma4_vision_configs(draw) -> dict:
    """A small Gemma 4 vision config an image runs through: key/value heads that divide the query heads, and heads
    of a multiple of 4 (its axial rotary embedding turns each head in quarters)."""
    heads = draw(st.integers(1, 4))
    cfg: dict = {"hidden_size": draw(st.integers(1, 24)), "num_attention_heads": heads,
                 "num_key_value_heads": draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0])),
                 "head_dim": 4 * draw(st.integers(1, 3)), "num_hidden_layers": draw(st.integers(1, 3)),
                 "intermediate_size": draw(st.integers(1, 20)), "patch_size": draw(st.integers(1, 4)),
                 "position_embedding_size": draw(st.integers(1, 20))}
    _some(draw, cfg, (("hidden_activation", st.sampled_from(["gelu_pytorch_tanh", "gelu", "silu"])),
                      ("model_type", st.just("gemma4_vision")), ("use_clipped_linears", st.booleans()),
                      ("standardize", st.booleans()), ("pooling_kernel_size", st.integers(1, 4))))
    return cfg


@st.composite
def gemma4_audio_configs(draw) -> dict:
    """A small Gemma 4 audio config audio runs through: heads that divide the width, and a first subsampling
    convolution of at least 4 channels (the projection after it takes a quarter of them)."""
    heads = draw(st.integers(1, 4))
    cfg: dict = {"hidden_size": heads * draw(st.integers(1, 6)), "num_attention_heads": heads,
                 "num_hidden_layers": draw(st.integers(1, 3)),
                 "subsampling_conv_channels": [draw(st.integers(4, 20)), draw(st.integers(1, 10))],
                 "conv_kernel_size": draw(st.integers(1, 6)), "output_proj_dims": draw(st.integers(1, 20))}
    _some(draw, cfg, (("hidden_act", st.sampled_from(["silu", "gelu", "relu"])),
                      ("model_type", st.just("gemma4_audio")), ("use_clipped_linears", st.booleans())))
    return cfg


@st.composite
def gemma4_vlm_configs(draw) -> dict:
    """A small ``gemma4`` config: a Gemma 4 text config, and a vision and an audio config each given, null or left out
    (no tower either way); the top level's tie given or left out (true)."""
    cfg: dict = {"model_type": "gemma4", "text_config": _text(draw, "gemma4_text")}
    for key, strategy in (("vision_config", gemma4_vision_configs()), ("audio_config", gemma4_audio_configs())):
        how = draw(st.sampled_from(["object", "object", "null", "missing"]))
        if how != "missing":
            cfg[key] = draw(strategy) if how == "object" else None
    _some(draw, cfg, (("tie_word_embeddings", st.booleans()),))
    return cfg


CONFIGS["gemma3"] = gemma3_configs()
CONFIGS["mistral3"] = mistral3_configs()
CONFIGS["llama4"] = llama4_configs()
CONFIGS["qwen3_5"] = qwen3_5_configs("qwen3_5")
CONFIGS["qwen3_5_moe"] = qwen3_5_configs("qwen3_5_moe")
CONFIGS["llava"] = llava_configs("llava")
CONFIGS["paligemma"] = paligemma_configs()
CONFIGS["idefics3"] = idefics3_configs("idefics3")
CONFIGS["smolvlm"] = idefics3_configs("smolvlm")
CONFIGS["llava_next"] = llava_configs("llava_next")
CONFIGS["llava_onevision"] = llava_configs("llava_onevision")
CONFIGS["llava_next_video"] = llava_configs("llava_next_video")
CONFIGS["vipllava"] = llava_configs("vipllava")
CONFIGS["aya_vision"] = aya_vision_configs()
CONFIGS["cohere2_vision"] = cohere2_vision_configs()
CONFIGS["mllama"] = mllama_configs()
CONFIGS["gemma4"] = gemma4_vlm_configs()
CONFIGS["idefics2"] = idefics2_configs()
CONFIGS["internvl"] = internvl_configs()
CONFIGS["qwen2_vl"] = qwen2_vl_configs("qwen2_vl")
CONFIGS["qwen2_5_vl"] = qwen2_vl_configs("qwen2_5_vl")
CONFIGS["qwen3_vl"] = qwen3_vl_configs("qwen3_vl")
CONFIGS["qwen3_vl_moe"] = qwen3_vl_configs("qwen3_vl_moe")
