"""Vision-language models as released against transformers: Gemma 3 (``gemma3``: decoder, SigLIP tower, projector),
Qwen3.5 (``qwen3_5``, ``qwen3_5_moe``: hybrid decoder and vision tower), Qwen3-VL (``qwen3_vl``, ``qwen3_vl_moe``:
Qwen3's decoders and a tower with deepstack mergers), Llama 4 and Mistral 3.

For random small configs, the total and every group (the towers as ``vision``) equal what
``Gemma3ForConditionalGeneration`` and ``Qwen3_5(Moe)ForConditionalGeneration`` build on the
meta device. Every field of the top level and of the tower is set to null and left out on a
small base config: symparams counts what transformers builds or refuses where it refuses
(the configs transformers builds but no image runs through are refused on purpose, listed
below). The per-token readings are the decoder's alone, and a text forward pass executes
exactly its matmuls.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from test_families_gemma import _need, ours, theirs

from symparams.cli import main
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file, llava, mllama, qwen2_vl, qwen3_vl
from symparams.symbols import D, D_vis, N_img, d_h

from strategies import CONFIGS

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
TEXT_CLASSES = {c.model_type: c for c in (qwen3_vl.TEXT, qwen3_vl.MOE_TEXT, qwen2_vl.TEXT, qwen2_vl.TEXT_2_5, mllama.TEXT)}
TYPES = ("gemma3", "qwen3_5", "qwen3_5_moe", "qwen3_vl", "qwen3_vl_moe", "qwen2_vl", "qwen2_5_vl", "llama4", "mistral3",
         "llava", "llava_next", "llava_onevision", "llava_next_video", "vipllava", "paligemma", "idefics3", "smolvlm",
         "aya_vision", "cohere2_vision", "internvl", "mllama", "gemma4", "idefics2")
# wrappers whose class reads text_config by the model type it names
OWN_TYPE = ("mistral3", "llava", "llava_next", "llava_onevision", "llava_next_video", "vipllava", "paligemma",
            "idefics3", "smolvlm", "aya_vision", "cohere2_vision", "internvl", "idefics2")
# wrappers whose config class ties the head where the text config's own tie is true, not only the top level's
EITHER_TIE = ("llava", "llava_onevision", "llava_next_video")
# wrappers whose text configs are drawn from any decoder LLaVA builds its head beside
LLAVA_LIKE = ("llava", "llava_next", "llava_onevision", "llava_next_video", "vipllava", "idefics3", "smolvlm",
              "aya_vision", "cohere2_vision", "internvl", "idefics2")
TEXT = {"gemma3": "gemma3_text", "qwen3_5": "qwen3_5_text", "qwen3_5_moe": "qwen3_5_moe_text", "llama4": "llama4_text",
        "mistral3": "mistral", "qwen3_vl": "qwen3_vl_text", "qwen3_vl_moe": "qwen3_vl_moe_text",
        "qwen2_vl": "qwen2_vl_text", "qwen2_5_vl": "qwen2_5_vl_text", "llava": "llama", "llava_next": "llama",
        "llava_onevision": "qwen2", "llava_next_video": "llama", "vipllava": "llama", "paligemma": "gemma",
        "idefics3": "llama", "smolvlm": "llama", "aya_vision": "cohere2", "cohere2_vision": "cohere2",
        "internvl": "qwen2", "mllama": "mllama_text_model", "gemma4": "gemma4_text",
        "idefics2": "mistral"}
QWEN_TEXT = {"model_type": "qwen3_5_text", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
             "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8,
             "linear_num_key_heads": 2, "linear_num_value_heads": 2, "linear_key_head_dim": 4,
             "linear_value_head_dim": 4, "layer_types": ["linear_attention", "full_attention"]}
QWEN_VISION = {"model_type": "qwen3_5_vision", "depth": 2, "hidden_size": 12, "hidden_act": "gelu_pytorch_tanh",
               "intermediate_size": 10, "num_heads": 3, "in_channels": 2, "patch_size": 4, "spatial_merge_size": 2,
               "temporal_patch_size": 2, "out_hidden_size": 16, "num_position_embeddings": 9,
               "rope_parameters": {"rope_type": "axial", "rope_theta": 100.0}}

# small configs naming every field their wrapper and tower read, so that a null differs from a missing field
BASES = {
    "gemma3": {
        "model_type": "gemma3", "mm_tokens_per_image": 4, "tie_word_embeddings": False, "boi_token_index": 3,
        "image_token_index": 5, "initializer_range": 0.02,
        "text_config": {"model_type": "gemma3_text", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20,
                        "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
                        "sliding_window": 8},
        "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 12, "intermediate_size": 10,
                          "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 66,
                          "patch_size": 4, "hidden_act": "gelu_pytorch_tanh", "vision_use_head": True,
                          "layer_norm_eps": 1e-6, "attention_dropout": 0.0},
    },
    "qwen3_5": {"model_type": "qwen3_5", "tie_word_embeddings": True, "image_token_id": 7, "text_config": QWEN_TEXT,
                "vision_config": QWEN_VISION},
    "qwen3_5_moe": {"model_type": "qwen3_5_moe", "tie_word_embeddings": True, "image_token_id": 7,
                    "text_config": {**QWEN_TEXT, "model_type": "qwen3_5_moe_text", "num_experts": 4,
                                    "num_experts_per_tok": 2, "moe_intermediate_size": 6,
                                    "shared_expert_intermediate_size": 6},
                    "vision_config": QWEN_VISION},
}
BASES["llama4"] = {
    "model_type": "llama4", "tie_word_embeddings": False, "image_token_index": 7,
    "text_config": {"model_type": "llama4_text", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 8,
                    "intermediate_size_mlp": 12, "num_hidden_layers": 2, "num_attention_heads": 2,
                    "num_key_value_heads": 1, "head_dim": 8, "num_local_experts": 2, "num_experts_per_tok": 1,
                    "tie_word_embeddings": True},
    "vision_config": {"model_type": "llama4_vision_model", "hidden_size": 12, "num_hidden_layers": 2,
                      "num_attention_heads": 3, "num_channels": 2, "intermediate_size": 48, "vision_output_dim": 20,
                      "image_size": 17, "patch_size": 4, "pixel_shuffle_ratio": 0.5, "projector_input_dim": 20,
                      "projector_output_dim": 20, "hidden_act": "gelu", "multi_modal_projector_bias": False,
                      "rope_parameters": {"rope_type": "default", "rope_theta": 100.0}},
}
BASES["mistral3"] = {
    "model_type": "mistral3", "tie_word_embeddings": False, "image_token_index": 7, "spatial_merge_size": 2,
    "multimodal_projector_bias": True, "projector_hidden_act": "gelu", "vision_feature_layer": [-2],
    "text_config": {"model_type": "mistral", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 8,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8},
    "vision_config": {"model_type": "pixtral", "hidden_size": 12, "intermediate_size": 10, "num_hidden_layers": 2,
                      "num_attention_heads": 3, "num_channels": 2, "image_size": 32, "patch_size": 4, "head_dim": 4,
                      "hidden_act": "gelu", "rope_parameters": {"rope_type": "default", "rope_theta": 100.0}},
}
QWEN3_VL_TEXT = {"model_type": "qwen3_vl_text", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8,
                 "rope_scaling": {"rope_type": "default", "mrope_section": [2, 1, 1], "mrope_interleaved": True},
                 "rope_theta": 5000000}
QWEN3_VL_VISION = {**QWEN_VISION, "model_type": "qwen3_vl", "deepstack_visual_indexes": [0, 1]}
BASES["qwen3_vl"] = {"model_type": "qwen3_vl", "tie_word_embeddings": True, "image_token_id": 7,
                     "text_config": QWEN3_VL_TEXT, "vision_config": QWEN3_VL_VISION}
BASES["qwen3_vl_moe"] = {
    "model_type": "qwen3_vl_moe", "tie_word_embeddings": True, "image_token_id": 7,
    "text_config": {**QWEN3_VL_TEXT, "model_type": "qwen3_vl_moe_text", "num_experts": 4, "num_experts_per_tok": 2,
                    "moe_intermediate_size": 8, "decoder_sparse_step": 1, "mlp_only_layers": [1]},
    "vision_config": {**QWEN3_VL_VISION, "model_type": "qwen3_vl_moe_vision", "deepstack_visual_indexes": [1]},
}
# Qwen2.5-VL flat, as released: the decoder's fields at the top level
BASES["qwen2_5_vl"] = {
    "model_type": "qwen2_5_vl", "tie_word_embeddings": False, "image_token_id": 7, "vocab_size": 40,
    "hidden_size": 16, "intermediate_size": 12, "num_hidden_layers": 2, "num_attention_heads": 8,
    "num_key_value_heads": 1, "max_window_layers": 1, "use_sliding_window": False, "sliding_window": 8,
    "rope_scaling": {"type": "mrope", "mrope_section": [1, 1, 2]}, "rope_theta": 1000000.0,
    "vision_config": {"model_type": "qwen2_5_vl", "depth": 2, "hidden_size": 12, "hidden_act": "silu",
                      "intermediate_size": 10, "num_heads": 3, "in_channels": 2, "patch_size": 4,
                      "spatial_merge_size": 2, "temporal_patch_size": 2, "out_hidden_size": 16,
                      "fullatt_block_indexes": [1], "window_size": 16},
}
BASES["qwen2_vl"] = {
    "model_type": "qwen2_vl", "tie_word_embeddings": False, "image_token_id": 7,
    "text_config": {"model_type": "qwen2_vl_text", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 1,
                    "tie_word_embeddings": False},
    "vision_config": {"model_type": "qwen2_vl", "depth": 2, "embed_dim": 12, "hidden_size": 16, "mlp_ratio": 2,
                      "hidden_act": "quick_gelu", "num_heads": 3, "in_channels": 2, "patch_size": 4,
                      "spatial_merge_size": 2, "temporal_patch_size": 2},
}
BASES["llava"] = {
    "model_type": "llava", "tie_word_embeddings": False, "image_token_index": 7, "projector_hidden_act": "gelu",
    "multimodal_projector_bias": True, "vision_feature_layer": -2, "vision_feature_select_strategy": "default",
    "text_config": {"model_type": "llama", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1},
    "vision_config": {"model_type": "clip_vision_model", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 17,
                      "patch_size": 4, "hidden_act": "quick_gelu", "projection_dim": 8},
}
BASES["llava_next"] = {**BASES["llava"], "model_type": "llava_next", "image_grid_pinpoints": [[17, 34]]}
BASES["paligemma"] = {
    "model_type": "paligemma", "tie_word_embeddings": False, "image_token_index": 7, "projection_dim": 16,
    "text_config": {"model_type": "gemma", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8},
    "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 17,
                      "patch_size": 4, "vision_use_head": False},
}
BASES["idefics3"] = {
    "model_type": "idefics3", "tie_word_embeddings": False, "image_token_id": 7, "scale_factor": 2,
    "text_config": {"model_type": "llama", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1},
    "vision_config": {"model_type": "idefics3_vision", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 16,
                      "patch_size": 4, "hidden_act": "gelu_pytorch_tanh"},
}
BASES["smolvlm"] = {**BASES["idefics3"], "model_type": "smolvlm",
                    "vision_config": {**BASES["idefics3"]["vision_config"], "model_type": "smolvlm_vision"}}
BASES["llava_onevision"] = {
    **BASES["llava"], "model_type": "llava_onevision", "vision_feature_layer": -1, "vision_feature_select_strategy": "full",
    "image_grid_pinpoints": [[17, 34]],
    "text_config": {"model_type": "qwen2", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1},
    "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 17,
                      "patch_size": 4, "vision_use_head": False},
}
BASES["llava_next_video"] = {**BASES["llava_next"], "model_type": "llava_next_video", "video_token_index": 8,
                             "spatial_pool_mode": "conv", "spatial_pool_stride": 2, "spatial_pool_out_channels": 5}
BASES["vipllava"] = {
    "model_type": "vipllava", "tie_word_embeddings": False, "image_token_index": 7, "projector_hidden_act": "gelu",
    "projector_layernorm_eps": 1e-5, "vision_feature_layer": [-2, -1, 1],
    "text_config": BASES["llava"]["text_config"], "vision_config": BASES["llava"]["vision_config"],
}
BASES["aya_vision"] = {
    "model_type": "aya_vision", "tie_word_embeddings": False, "image_token_index": 7,
    "vision_feature_select_strategy": "full", "vision_feature_layer": -1, "downsample_factor": 2,
    "adapter_layer_norm_eps": 1e-6, "alignment_intermediate_size": 8,
    "text_config": {"model_type": "cohere2", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1},
    "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 16,
                      "patch_size": 4, "vision_use_head": False},
}
BASES["cohere2_vision"] = {
    "model_type": "cohere2_vision", "tie_word_embeddings": False, "image_token_id": 7, "downsample_factor": 2,
    "alignment_intermediate_size": 8, "text_config": BASES["aya_vision"]["text_config"],
    "vision_config": {**BASES["aya_vision"]["vision_config"], "vision_use_head": True},
}
BASES["mllama"] = {
    "model_type": "mllama", "image_token_index": 7,
    "text_config": {"vocab_size": 40, "hidden_size": 16, "intermediate_size": 12, "num_hidden_layers": 3,
                    "num_attention_heads": 2, "num_key_value_heads": 1, "cross_attention_layers": [1],
                    "pad_token_id": 3, "max_position_embeddings": 64, "hidden_act": "silu", "tie_word_embeddings": False,
                    "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}},
    "vision_config": {"hidden_size": 12, "intermediate_size": 10, "num_hidden_layers": 2, "num_global_layers": 1,
                      "attention_heads": 3, "num_channels": 2, "image_size": 8, "patch_size": 4, "max_num_tiles": 2,
                      "intermediate_layers_indices": [0], "vision_output_dim": 24, "hidden_act": "gelu",
                      "supported_aspect_ratios": [[1, 1], [1, 2], [2, 1]]},
}
BASES["internvl"] = {
    "model_type": "internvl", "tie_word_embeddings": False, "image_token_id": 7, "downsample_ratio": 0.5,
    "projector_hidden_act": "gelu", "vision_feature_layer": -1, "vision_feature_select_strategy": "default",
    "text_config": BASES["llava_onevision"]["text_config"],
    "vision_config": {"model_type": "internvl_vision", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": [16, 16],
                      "patch_size": [4, 4], "hidden_act": "gelu", "norm_type": "layer_norm", "attention_bias": True,
                      "use_qk_norm": True, "use_mask_token": True, "use_absolute_position_embeddings": True,
                      "use_mean_pooling": False, "layer_scale_init_value": 0.1},
}
BASES["gemma4"] = {
    "model_type": "gemma4", "tie_word_embeddings": False, "image_token_id": 7, "audio_token_id": 8,
    "text_config": {"model_type": "gemma4_text", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8,
                    "global_head_dim": 8, "hidden_size_per_layer_input": 2, "vocab_size_per_layer_input": 20},
    "vision_config": {"model_type": "gemma4_vision", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8,
                      "patch_size": 4, "position_embedding_size": 9, "pooling_kernel_size": 2,
                      "hidden_activation": "gelu_pytorch_tanh", "use_clipped_linears": True, "standardize": True,
                      "rope_parameters": {"rope_type": "axial", "rope_theta": 100.0}},
    "audio_config": {"model_type": "gemma4_audio", "hidden_size": 12, "num_hidden_layers": 2, "num_attention_heads": 3,
                     "subsampling_conv_channels": [8, 4], "conv_kernel_size": 3, "output_proj_dims": 10,
                     "hidden_act": "silu", "use_clipped_linears": True},
}
BASES["idefics2"] = {
    "model_type": "idefics2", "tie_word_embeddings": False, "image_token_id": 7,
    "text_config": {"model_type": "mistral", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1},
    "vision_config": {"model_type": "idefics2_vision", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 16,
                      "patch_size": 4, "hidden_act": "gelu_pytorch_tanh"},
    "perceiver_config": {"model_type": "idefics2_perceiver", "hidden_size": 16, "hidden_act": "silu",
                         "resampler_n_latents": 4, "resampler_depth": 2, "resampler_n_heads": 4,
                         "resampler_head_dim": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-6},
}
BASE = BASES["gemma3"]

# Configs transformers builds but cannot run an image through, refused here on purpose.
REFUSED_THOUGH_BUILT = [
    ("gemma3", "vision_config", "num_hidden_layers", 0),  # a tower of no layers
    ("gemma3", "vision_config", "patch_size", 80),  # a patch larger than the image
    ("gemma3", "top", "mm_tokens_per_image", 10**6),  # a pooling of kernel 0
    ("qwen3_5", "vision_config", "out_hidden_size", 12),  # image features narrower than the token embeddings
    ("qwen3_5", "vision_config", "num_heads", 5),  # a fused qkv the heads cannot split
    ("qwen3_5", "vision_config", "spatial_merge_size", 0),  # a merger of nothing
    ("qwen3_5", "vision_config", "in_channels", 0),  # images of no channels
    ("llama4", "vision_config", "num_attention_heads", 5),  # heads that do not divide the width
    ("llama4", "vision_config", "vision_output_dim", 24),  # a projector the adapter's output does not fit
    ("llama4", "vision_config", "projector_input_dim", 24),  # an adapter whose two layers do not chain
    ("llama4", "vision_config", "pixel_shuffle_ratio", 0.25),  # a shuffle of 2 patches a side by 4
    ("llama4", "vision_config", "intermediate_size", 40),  # a shuffle to 48 inputs, not 40
    ("mistral3", "vision_config", "head_dim", 8),  # 3 heads of 8 for a width of 12
    ("mistral3", "top", "vision_feature_layer", []),  # features of no layer
    ("mistral3", "top", "vision_feature_layer", [-1, -2]),  # two layers' features for an RMSNorm of one's
    ("mistral3", "top", "vision_feature_layer", 0),  # read by transformers as no hidden states at all
    ("mistral3", "top", "vision_feature_layer", -9),  # a hidden state the tower lacks
    ("mistral3", "top", "spatial_merge_size", 0),  # a merger of nothing
    ("qwen2_vl", "vision_config", "hidden_size", 12),  # image features narrower than the token embeddings
    ("qwen2_vl", "vision_config", "num_heads", 5),  # a fused qkv the heads cannot split
    ("qwen2_5_vl", "vision_config", "out_hidden_size", 12),  # image features narrower than the token embeddings
    ("qwen2_vl", "text_config", "head_dim", 4),  # rotary heads of 4 for attention heads of 2
    ("llava", "top", "vision_feature_layer", 3),  # a hidden state a tower of 2 layers lacks
    ("llava", "top", "vision_feature_layer", []),  # features of no layer
    ("llava_next", "top", "vision_feature_layer", [-1, -4]),  # likewise
    ("llava", "vision_config", "patch_size", 18),  # a patch larger than the image
    ("paligemma", "top", "projection_dim", 12),  # image features narrower than the token embeddings
    ("idefics3", "top", "scale_factor", 3),  # a pixel shuffle of 4 patches a side by 3
    ("qwen3_vl", "vision_config", "deepstack_visual_indexes", [2]),  # a layer the tower lacks
    ("qwen3_vl", "vision_config", "deepstack_visual_indexes", [-1]),  # a layer no index reaches
    ("qwen3_vl", "vision_config", "deepstack_visual_indexes", [1, 1]),  # a merger whose features are never taken
    ("llava", "top", "vision_feature_layer", 0),  # read by transformers as no hidden states at all
    ("llava_onevision", "top", "vision_feature_layer", 0),  # likewise
    ("vipllava", "top", "vision_feature_layer", [-2, -5]),  # a hidden state a tower of 2 layers lacks
    ("aya_vision", "top", "downsample_factor", 3),  # a pixel shuffle of 4 patches a side by 3
    ("aya_vision", "top", "vision_feature_layer", [-1, -2]),  # two layers' features for a LayerNorm of one's
    ("aya_vision", "top", "vision_feature_select_strategy", "default"),  # SigLIP's first patch dropped: not square
    ("aya_vision", "top", "alignment_intermediate_size", 7),  # a SwiGLU whose halves do not meet
    ("cohere2_vision", "top", "downsample_factor", 3),  # a pixel shuffle of 4 patches a side by 3
    ("cohere2_vision", "top", "alignment_intermediate_size", 7),  # a SwiGLU whose halves do not meet
    ("cohere2_vision", "vision_config", "model_type", "clip_vision_model"),  # a class token: features not square
    ("mllama", "vision_config", "intermediate_layers_indices", [5]),  # a hidden state a tower of 2 layers lacks
    ("mllama", "vision_config", "intermediate_layers_indices", []),  # features of no intermediate layer
    ("mllama", "vision_config", "vision_output_dim", 36),  # a projector wider than the joined features
    ("mllama", "vision_config", "supported_aspect_ratios", []),  # no tile layout
    ("mllama", "vision_config", "attention_heads", 5),  # heads of 2 that make up 10 of a width of 12
    ("internvl", "top", "downsample_ratio", 0.125),  # a pixel shuffle of 4 patches a side by 8
    ("internvl", "top", "downsample_ratio", 0.3),  # blocks of 1/0.3 patches
    ("internvl", "top", "vision_feature_layer", [-1]),  # a list, which transformers cannot index with
    ("internvl", "top", "vision_feature_select_strategy", "full"),  # the class token kept: not square
    ("gemma4", "vision_config", "head_dim", 6),  # heads the axial rotary embedding cannot turn in quarters
    ("gemma4", "vision_config", "num_key_value_heads", 3),  # key/value heads that do not divide 2 query heads
    ("gemma4", "audio_config", "num_attention_heads", 5),  # heads of 2 that make up 10 of a width of 12
    ("gemma4", "audio_config", "subsampling_conv_channels", [3, 4]),  # a projection of no features
    ("idefics2", "perceiver_config", "num_key_value_heads", 3),  # key/value heads that do not divide 4 query heads
]
# What a refusal of a config transformers builds may say: each is a tower no image runs through.
NO_IMAGE_RUNS = ("cannot take the place of token embeddings", "do not chain", "does not regroup",
                 "the pooling kernel would be 0", "no patch to embed", "do not make up the width",
                 "would reach no layer", "cannot be split into them", "no image runs through it", "cannot regroup",
                 "no audio runs through")


def _fields(model_type: str) -> list[tuple[str, str, str]]:
    base = BASES[model_type]
    return ([(model_type, "top", f) for f in base if f != "model_type"] +
            [(model_type, tower, f) for tower in ("vision_config", "audio_config", "perceiver_config")
             for f in base.get(tower, ())])


def outcome(config: dict):
    """("ok", total) or ("refused", message), by symparams and by transformers alike."""
    try:
        return "ok", from_dict(config).total
    except SymparamsError as err:
        return "refused", str(err)


def built(config: dict):
    try:
        return "ok", sum(theirs(config).values())
    except SymparamsError as err:
        return "refused", str(err)


def tied(config: dict) -> bool:
    """Whether the wrapper ties its head: its top level's ``tie_word_embeddings`` (Gemma 3: true when missing, and
    null unties; Qwen3.5: false when missing), or Llama 4's text config's own (false when missing); Qwen2-VL's is
    either its top level's or its text config object's."""
    if config["model_type"] == "llama4":
        return (config.get("text_config") or {}).get("tie_word_embeddings", False) is True
    if config["model_type"] == "mllama":  # a head of V rows beside an embedding of V + 8: never tied
        return False
    if config["model_type"] in ("qwen2_vl", "qwen2_5_vl") and isinstance(config.get("text_config"), dict):
        return config.get("tie_word_embeddings") is True or bool(config["text_config"].get("tie_word_embeddings"))
    default = config["model_type"] in ("gemma3", "mistral3", "paligemma", "aya_vision", "cohere2_vision", "internvl",
                                       "gemma4")
    return config.get("tie_word_embeddings", default) is True  # LLaVA: or its text class's own


@pytest.mark.parametrize("model_type", TYPES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_group_and_the_total_of_a_random_config_are_what_transformers_builds(model_type, data):
    config = data.draw(CONFIGS[model_type], label="config")
    spec = from_dict(config)
    expected = theirs(config)
    assert ours(spec) == expected
    assert spec.total == sum(expected.values())


@pytest.mark.parametrize("model_type", TYPES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_the_per_token_readings_are_the_decoders_own(model_type, data):
    """A text token passes through the decoder alone: every per-token reading of the wrapper is its text config's."""
    config = data.draw(CONFIGS[model_type], label="config")
    spec = from_dict(config)
    given = config.get("text_config")
    if not isinstance(given, dict):  # Qwen2-VL's class takes its text config's fields from the top level
        given = {k: v for k, v in config.items() if k in qwen2_vl.TEXT_KEYS} if model_type in ("qwen2_vl", "qwen2_5_vl") else {}
    own = given.get("model_type", TEXT[model_type]) if model_type in OWN_TYPE else TEXT[model_type]  # AutoConfig's
    inner = {**given, "model_type": own}
    if model_type not in EITHER_TIE or tied(config):  # LlavaConfig ties where either says so, else as the text's
        inner["tie_word_embeddings"] = tied(config)
    if own in TEXT_CLASSES:  # no causal LM reads it alone: the family whose decoder it builds does
        inner = TEXT_CLASSES[own].translate(inner)
    if model_type == "mllama":  # a token without an image skips the layers that cross-attend to it
        layers = given.get("num_hidden_layers", 40)
        listed = given.get("cross_attention_layers")
        listed = mllama.CROSS_LAYERS if listed is None else listed
        inner["num_hidden_layers"] = layers - len(set(listed) & set(range(layers)))
        assume(inner["num_hidden_layers"] > 0)
    text = from_dict(inner)
    rows = 8 * int(text.env[D]) if model_type == "mllama" else 0  # Mllama's embedding has 8 rows past the vocabulary
    assert spec.active_total == text.active_total + rows
    assert spec.active_compute_total == text.active_compute_total
    for reading in ("matmul", "onehot", "attention_flops", "softmax_flops", "cache_elements"):
        extra = rows if reading == "onehot" else 0  # a one-hot product with every row of the embedding
        assert spec.value(spec.tree.read(reading, 16)) == text.value(text.tree.read(reading, 16)) + extra, reading
    cross = [m for m in spec.tree.parts if m.name == "cross_attention_layers"]  # Mllama's, skipped without an image
    vision = spec.total - text.total - rows - sum(int(spec.value(m.params())) for m in cross)
    assert vision == sum(n for g, n in ours(spec).items() if g in ("vision", "audio"))
    assert vision > 0 or model_type == "gemma4"  # Gemma 4's towers are each optional


@pytest.mark.sampled
@pytest.mark.parametrize(("model_type", "where", "field"), [f for t in TYPES for f in _fields(t)])
@pytest.mark.parametrize("change", ["null", "missing"])
def test_a_null_or_missing_field_counts_as_transformers_builds_it_or_is_refused_as_it_refuses(model_type, where, field,
                                                                                             change):
    config = json.loads(json.dumps(BASES[model_type]))
    holder = config if where == "top" else config[where]
    if change == "null":
        holder[field] = None
    else:
        holder.pop(field)
    mine, real = outcome(config), built(config)
    if (mine[0], real[0]) == ("refused", "ok"):  # a default that makes a tower no image runs through
        assert any(reason in mine[1] for reason in NO_IMAGE_RUNS) and "\n" not in mine[1], mine
        return
    assert mine[0] == real[0], (mine, real)
    if mine[0] == "ok":
        assert mine[1] == real[1]
    else:
        assert "\n" not in mine[1]


# The towers whose rotary embedding reads the vision config's rope table, and the type their class defaults it to.
ROTARY_TOWERS = {"mistral3": "axial", "llama4": "default", "qwen2_vl": "axial", "qwen2_5_vl": "axial",
                 "qwen3_vl": "axial", "qwen3_vl_moe": "axial", "qwen3_5": "axial", "qwen3_5_moe": "axial",
                 "gemma4": "axial"}


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", sorted(ROTARY_TOWERS))
@pytest.mark.parametrize("kind", ["default", "axial", "linear", "yarn", "bogus", None])
def test_a_vision_towers_rope_type_is_counted_as_transformers_builds_it_and_its_class_default_always(model_type, kind):
    """transformers 5 saves a vision config's rope table with its class's own default type: Pixtral's (Mistral 3's
    tower) and Qwen's are "axial", which a re-saved Mistral-Small-3.1 states. A table of each type at another base,
    or naming none: counted as transformers builds it, or refused in one line; a table of the default type, or of
    the class's own, or naming none, is counted wherever transformers builds it."""
    config = json.loads(json.dumps(BASES[model_type]))
    table = {"rope_theta": 500.0, **({"rope_type": kind} if kind else {}),
             **({"factor": 2.0} if kind in ("linear", "yarn") else {})}
    config["vision_config"].pop("rope_theta", None)
    config["vision_config"]["rope_parameters"] = table
    mine, real = outcome(config), built(config)
    if mine[0] == "ok":
        assert mine == real
    else:
        assert "\n" not in mine[1]
        assert real[0] == "refused" or kind not in (None, "default", ROTARY_TOWERS[model_type]), (mine, real)


@pytest.mark.sampled
@pytest.mark.parametrize("table", [
    {"rope_type": "default", "rope_theta": 500.0}, {"rope_type": "linear", "factor": 2.0, "rope_theta": 500.0},
    {"rope_type": "linear"}, {"rope_type": "dynamic", "factor": 2.0}, {"rope_type": "proportional"},
    {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64},
    {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
     "original_max_position_embeddings": 64, "rope_theta": 500.0},
    {"rope_type": "longrope", "short_factor": [1.0], "long_factor": [1.0], "original_max_position_embeddings": 64},
    {"rope_type": "bogus", "rope_theta": 500.0}, {"type": "linear", "factor": 2.0}, {"rope_type": None},
    {"rope_theta": None}, {"rope_theta": "x"}, {}], ids=repr)
def test_llama4s_vision_rope_table_is_counted_exactly_where_transformers_builds_the_model(table):
    """Llama 4's vision rotary embedding computes with rope_theta alone, whatever the type; its config class
    validates the table as every class does. Each table is counted exactly where transformers builds the model,
    as it builds it, and refused in one line where it does not."""
    config = json.loads(json.dumps(BASES["llama4"]))
    config["vision_config"].pop("rope_theta", None)
    config["vision_config"]["rope_parameters"] = table
    mine, real = outcome(config), built(config)
    assert mine[0] == real[0], (mine, real)
    assert mine == real if mine[0] == "ok" else "\n" not in mine[1]


@pytest.mark.parametrize("table", [None, {"rope_type": "default"}, {"rope_type": "default", "rope_theta": 500.0}],
                         ids=repr)
@pytest.mark.parametrize("theta", [None, "x", [1], 0, -1.0, 500.0, True], ids=repr)
def test_llama4s_vision_base_stated_beside_the_table_is_counted_exactly_where_transformers_builds_the_model(
        theta, table):
    """A top-level rope_theta in Llama 4's vision config is the base its class fills the table in with where the
    table states none, and the tower's rotary embedding computes with it: null or text builds no model, any number
    (0 and below too) and a bool do. Counted exactly where transformers builds the model, refused where it does not."""
    config = json.loads(json.dumps(BASES["llama4"]))
    config["vision_config"]["rope_theta"] = theta
    config["vision_config"]["rope_parameters"] = table
    mine, real = outcome(config), built(config)
    assert mine[0] == real[0], (mine, real)
    assert mine == real if mine[0] == "ok" else "\n" not in mine[1]


# Rope tables in a vision config whose tower has no rotary embedding: what every config class validates.
NON_ROTARY_TABLES = [
    {"rope_type": "default", "rope_theta": 500.0}, {"rope_type": "linear", "factor": 2.0}, {"rope_type": "linear"},
    {"rope_type": "yarn", "factor": 2.0}, {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64},
    {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
     "original_max_position_embeddings": 64},
    {"rope_type": "longrope", "short_factor": [1.0], "long_factor": [1.0], "original_max_position_embeddings": 64},
    {"rope_type": "longrope", "short_factor": 1.0, "long_factor": [1.0], "original_max_position_embeddings": 64},
    {"rope_type": "bogus"}, {"rope_theta": "x"}, "x"]


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", sorted(set(BASES) - set(ROTARY_TOWERS)))
@pytest.mark.parametrize("table", NON_ROTARY_TABLES, ids=repr)
def test_a_rope_table_in_a_tower_without_rotary_embedding_is_counted_exactly_where_transformers_builds_it(
        model_type, table):
    """A tower without a rotary embedding (SigLIP, CLIP, InternViT) computes nothing with a rope table, but its
    config class validates one as every class does: a key its type requires missing, a type whose validation reads
    a context the vision config lacks (YaRN, Llama 3), a value the validation measures that is not what it
    measures. Each table is counted exactly where transformers builds the model, as it builds it."""
    config = json.loads(json.dumps(BASES[model_type]))
    config["vision_config"]["rope_parameters"] = table
    mine, real = outcome(config), built(config)
    assert mine[0] == real[0], (mine, real)
    assert mine == real if mine[0] == "ok" else "\n" not in mine[1]


# Each base, and the shapes of released files that transformers 5 saves back otherwise: PaliGemma 2's Gemma 2 decoder
# (its class sets use_bidirectional_attention) and Mistral-Small-3.1's tower stating its rope base alone.
SAVED_BACK = {
    **{t: BASES[t] for t in TYPES},
    "paligemma2": {**BASES["paligemma"], "text_config": {**BASES["paligemma"]["text_config"], "model_type": "gemma2"}},
    "mistral3-legacy-rope": {**BASES["mistral3"], "vision_config": {
        **{k: v for k, v in BASES["mistral3"]["vision_config"].items() if k != "rope_parameters"}, "rope_theta": 100.0}},
}


@pytest.mark.sampled
@pytest.mark.parametrize("name", sorted(SAVED_BACK))
@pytest.mark.parametrize("diff", [True, False], ids=["as-saved", "every-field"])
def test_a_vision_language_config_saved_back_by_transformers_counts_as_the_file_it_was_loaded_from(name, diff):
    """``save_pretrained`` writes a config as transformers 5 holds it: a tower's legacy rope base inside a table of
    its class's type (Pixtral's "axial"), PaliGemma's text config with the attention flag its class sets. The same
    model, counted alike."""
    transformers = _need("transformers")
    from symparams.verify import quiet

    config = json.loads(json.dumps(SAVED_BACK[name]))
    with quiet():
        saved = json.loads(transformers.CONFIG_MAPPING[config["model_type"]].from_dict(config).to_json_string(
            use_diff=diff))
    assert outcome(saved) == outcome(config) == built(config), saved


PIXTRAL_LLAVA = {**BASES["llava"], "vision_config": BASES["mistral3"]["vision_config"]}


@pytest.mark.parametrize("change", [{}, {"vision_feature_layer": [-1, -2]}, {"multimodal_projector_bias": False},
                                    {"tie_word_embeddings": True}, {"vision_config": {"head_dim": None}},
                                    {"vision_config": {"rope_parameters": None, "rope_theta": 100.0}},
                                    {"vision_config": {"num_attention_heads": 5}}, {"vision_feature_layer": 4}])
def test_pixtral_12b_as_released_a_llava_with_pixtrals_tower_counts_as_transformers_builds_it(change):
    """Pixtral 12B is released as a LLaVA whose vision_config is Pixtral's: the tower Mistral 3 holds, under LLaVA's
    two-layer projector. Counted as transformers builds it, or refused in one line where no image runs through."""
    config = json.loads(json.dumps(PIXTRAL_LLAVA))
    for key, value in change.items():
        if key == "vision_config":
            config["vision_config"].update(value)
        else:
            config[key] = value
    mine, real = outcome(config), built(config)
    if mine[0] == "refused" and real[0] == "ok":
        assert any(reason in mine[1] for reason in NO_IMAGE_RUNS) and "\n" not in mine[1], mine
        return
    assert mine == real or (mine[0] == real[0] == "refused"), (mine, real)
    assert change or mine[0] == "ok"


@pytest.mark.parametrize("model_type", ["qwen2_vl", "qwen2_5_vl"])
@pytest.mark.parametrize("stated", [{"head_dim": None}, {"head_dim": 1}, {"head_dim": "whole"}, {"head_dim": "per head"},
                                    {"head_dim": "per head", "embed_dim": 8.0}, {"head_dim": 2, "embed_dim": 8},
                                    {"head_dim": "per head", "embed_dim": "x"}])
def test_a_head_dim_stated_in_a_qwen_vision_config_counts_as_transformers_builds_it_or_is_refused(model_type, stated):
    """transformers' base config refuses a config holding head_dim, num_heads and embed_dim whose head_dim times
    num_heads is not embed_dim; Qwen2-VL's vision config declares the last two, so a stray head_dim (a whole
    number, the tower's own width per head, null) meets it, and so does Qwen2.5-VL's where a file states embed_dim."""
    config = json.loads(json.dumps(BASES[model_type]))
    vision = config["vision_config"]
    width = vision.get("embed_dim", 1280) if model_type == "qwen2_vl" else vision["hidden_size"]
    heads = vision.get("num_heads", 16)
    per_head = {"whole": width, "per head": width // heads}
    vision.update({k: per_head.get(v, v) if k == "head_dim" else v for k, v in stated.items()})
    mine, real = outcome(config), built(config)
    assert mine[0] == real[0], (mine, real)
    if mine[0] == "ok":
        assert mine[1] == real[1]
    else:
        assert "\n" not in mine[1]


@pytest.mark.sampled
@pytest.mark.parametrize(("model_type", "where", "field", "value"), [
    *[("gemma3", "vision_config", f, v) for f, v in (
        ("num_attention_heads", 5), ("hidden_size", 12.0), ("image_size", [20, 20]), ("hidden_act", "swishy"),
        ("model_type", "no_such_tower"), ("vision_use_head", 1), ("patch_size", 0))],
    *[("gemma3", "top", f, v) for f, v in (
        ("mm_tokens_per_image", 0), ("mm_tokens_per_image", -4), ("mm_tokens_per_image", 4.0),
        ("tie_word_embeddings", 1), ("text_config", "x"), ("vision_config", []))],
    *[("qwen3_5", "vision_config", f, v) for f, v in (
        ("depth", 2.0), ("patch_size", [4, 4]), ("hidden_act", "swishy"),
        ("rope_parameters", {"rope_type": "yarn", "factor": 2.0}), ("rope_parameters", {"rope_theta": "x"}),
        ("rope_parameters", "x"), ("num_heads", 0))],
    *[("qwen3_5_moe", "top", f, v) for f, v in (("tie_word_embeddings", None), ("text_config", 3))],
    *[("qwen3_vl", "vision_config", "deepstack_visual_indexes", v) for v in (None, "x", 8)],
    *[("qwen2_5_vl", "top", f, v) for f, v in (("num_attention_heads", 3), ("tie_word_embeddings", None),
                                               ("use_sliding_window", 1), ("hidden_size", 16.5))],
    *[("llava", "top", f, v) for f, v in (("vision_feature_select_strategy", "middle"), ("tie_word_embeddings", None),
                                          ("multimodal_projector_bias", None))],
    ("llava_next", "vision_config", "num_attention_heads", 5),
    *[("paligemma", "top", f, v) for f, v in (("tie_word_embeddings", None), ("projection_dim", None),
                                              ("text_config", {"model_type": "llama"}))],
    *[("qwen2_vl", "vision_config", f, v) for f, v in (("mlp_ratio", 2.5), ("patch_size", [4, 4]),
                                                       ("hidden_act", "swishy"))],
    *[("qwen3_vl_moe", "top", f, v) for f, v in (("tie_word_embeddings", None), ("text_config", []))],
    *[("llama4", "vision_config", f, v) for f, v in (
        ("pixel_shuffle_ratio", 1), ("pixel_shuffle_ratio", None), ("rope_parameters", {"rope_theta": "x"}),
        ("rope_parameters", {"rope_type": "yarn", "factor": 2.0}), ("patch_size", 40), ("hidden_size", None))],
    ("llama4", "top", "tie_word_embeddings", None),
    *[("mistral3", "vision_config", f, v) for f, v in (
        ("hidden_act", "swishy"), ("model_type", "no_such_tower"), ("hidden_size", 12.5), ("num_channels", None))],
    *[("mistral3", "top", f, v) for f, v in (
        ("projector_hidden_act", "swishy"), ("tie_word_embeddings", None), ("spatial_merge_size", None),
        ("text_config", {"model_type": "no_such_decoder"}))],
    *REFUSED_THOUGH_BUILT,
])
def test_a_bad_value_is_refused_in_one_line_where_transformers_cannot_run_it(model_type, where, field, value):
    config = json.loads(json.dumps(BASES[model_type]))
    (config if where == "top" else config[where])[field] = value
    with pytest.raises(SymparamsError) as err:
        from_dict(config)
    assert "\n" not in str(err.value) and field in str(err.value)
    if any((model_type, where, field, value) == case for case in REFUSED_THOUGH_BUILT):
        assert built(config)[0] == "ok", "transformers builds it: it is refused here because no image runs through"
    else:
        assert built(config)[0] == "refused"


@pytest.mark.parametrize("model_type", ["qwen2_vl", "qwen2_5_vl"])
def test_a_flat_qwen2_vl_files_rope_table_is_its_text_configs(model_type):
    """A flat file's top-level rope_scaling goes to its text config, which fills in rope_theta and has a context of
    its own: counted as transformers builds it. With a text_config object the top level keeps it, where the config
    class lacks both, and transformers refuses it, and so does symparams."""
    rope = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 64}
    vision = {"num_heads": 1, "depth": 1, "hidden_size": 32, "out_hidden_size": 32, "embed_dim": 32}
    text = {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "hidden_size": 32, "vocab_size": 2,
            "intermediate_size": 1}
    flat = {"model_type": model_type, "vision_config": vision, **text, "rope_scaling": rope}
    assert outcome(flat) == built(flat) and outcome(flat)[0] == "ok"
    nested = {"model_type": model_type, "vision_config": vision, "text_config": text, "rope_scaling": rope}
    assert outcome(nested)[0] == built(nested)[0] == "refused"


def test_more_deepstack_mergers_than_decoder_layers_are_refused_though_transformers_builds_them():
    """The decoder adds the i-th deepstack merger's features to its i-th layer: a merger past its last layer is built
    and run, and its features are thrown away."""
    config = json.loads(json.dumps(BASES["qwen3_vl"]))
    config["text_config"]["num_hidden_layers"] = 1
    assert built(config)[0] == "ok"
    with pytest.raises(SymparamsError, match="the rest would reach no layer"):
        from_dict(config)
    config["vision_config"]["deepstack_visual_indexes"] = [1]
    assert outcome(config) == built(config)


def test_another_vision_tower_is_refused_not_counted_as_the_one_modelled():
    """transformers builds a Siglip2 or CLIP tower (or even a decoder) where Gemma 3's vision config names one;
    symparams models SigLIP's (and Mistral 3's Pixtral alone)."""
    for model_type, tower in (("gemma3", "siglip2_vision_model"), ("gemma3", "clip_vision_model"),
                              ("gemma3", "gemma3_text"), ("mistral3", "siglip_vision_model"),
                              ("llava", "siglip2_vision_model"), ("llava_next", "pixtral")):
        config = json.loads(json.dumps(BASES[model_type]))
        config["vision_config"]["model_type"] = tower
        if tower != "gemma3_text":
            assert built(config)[0] == "ok"
        with pytest.raises(SymparamsError, match="another vision tower"):
            from_dict(config)


DECODER_TYPES = sorted(t for t in CONFIGS if t in FAMILIES.by_type)


@settings(max_examples=60, deadline=None)
@given(text=st.sampled_from(DECODER_TYPES).flatmap(CONFIGS.__getitem__), tie=st.booleans())
@example(text={"model_type": "ernie4_5_moe", "num_hidden_layers": 1, "num_attention_heads": 1,  # a head with a bias
               "num_key_value_heads": 1, "hidden_size": 4, "vocab_size": 2, "use_bias": True, "moe_num_experts": 1,
               "moe_k": 1}, tie=False)
def test_mistral3_counts_any_decoder_transformers_builds_it_with_and_refuses_the_others(text, tie):
    """Mistral3Config reads its text_config by the model type it names: any family's random config there is counted
    as transformers builds it, or refused where it builds none (a decoder whose config holds no rms_norm_eps, which
    the projector reads; another vision-language model)."""
    config = {"model_type": "mistral3", "tie_word_embeddings": tie, "text_config": text,
              "vision_config": {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                                "intermediate_size": 8, "patch_size": 4}}
    mine, real = outcome(config), built(config)
    assert mine[0] == real[0], (mine, real)
    assert mine[0] == "refused" or mine[1] == real[1]


@settings(max_examples=30, deadline=None)
@given(text=st.sampled_from(sorted(set(DECODER_TYPES) - set(llava.DECODERS))).flatmap(CONFIGS.__getitem__))
def test_llava_refuses_in_one_line_a_decoder_whose_causal_lm_is_not_its_base_model_and_a_plain_head(text):
    """LLaVA builds the text model type's base model and a bias-free lm_head of its own: symparams counts the decoders
    whose causal LM is exactly that, and names the rest."""
    config = {**BASES["llava"], "text_config": text}
    with pytest.raises(SymparamsError) as err:
        from_dict(config)
    assert "\n" not in str(err.value) and "text_config" in str(err.value)


@pytest.mark.parametrize("text_type", ["mistral4", "deepseek_v3"])
def test_mistral3_with_a_latent_attention_decoder_counts_every_group_as_transformers_builds_it(text_type):
    """Mistral 3 beside a Mistral 4 (or DeepSeek-V3) decoder: the latent attention's norms are in the norm group, as
    the decoder alone has them, and every group is what transformers builds."""
    text = {"model_type": text_type, "vocab_size": 50, "hidden_size": 32, "intermediate_size": 16,
            "moe_intermediate_size": 8, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4,
            "n_routed_experts": 4, "num_experts_per_tok": 2, "kv_lora_rank": 8, "q_lora_rank": 12,
            "qk_rope_head_dim": 4, "qk_nope_head_dim": 4, "v_head_dim": 6, "n_group": 2, "topk_group": 1,
            "pad_token_id": 0}
    config = {**json.loads(json.dumps(BASES["mistral3"])), "text_config": text}
    spec = from_dict(config)
    assert ours(spec) == theirs(config)
    assert ours(spec)["norm"] == ours(from_dict({**text, "tie_word_embeddings": False}))["norm"]


# model type -> the class whose image path a test runs an image through: the tower and projector, no decoder
IMAGE_PATH = {"llava": "LlavaForConditionalGeneration", "vipllava": "VipLlavaForConditionalGeneration",
              "aya_vision": "AyaVisionForConditionalGeneration", "internvl": "InternVLForConditionalGeneration",
              "cohere2_vision": "Cohere2VisionForConditionalGeneration",
              "mistral3": "Mistral3ForConditionalGeneration"}


def _runs_an_image(config: dict) -> bool:
    """Whether transformers' model of ``config`` (built on the CPU) turns one image into features of the decoder's
    width."""
    torch = _need("torch")
    transformers = _need("transformers")

    cfg = transformers.AutoConfig.for_model(config["model_type"], **{k: v for k, v in config.items()
                                                                     if k != "model_type"})
    with torch.device("cpu"):
        model = getattr(transformers, IMAGE_PATH[config["model_type"]])._from_config(cfg)
    vision = cfg.vision_config
    size = vision.image_size if isinstance(vision.image_size, (list, tuple)) else (vision.image_size,) * 2
    try:
        with torch.no_grad():
            sizes = {"image_sizes": torch.tensor([size])} if config["model_type"] == "mistral3" else {}  # Pixtral's
            features = model.model.get_image_features(pixel_values=torch.randn(1, vision.num_channels, *size), **sizes)
    except Exception:  # noqa: BLE001 - whatever the image path raises, no image runs through it
        return False
    out = features.pooler_output  # LLaVA's: one tensor per image
    return (out[0] if isinstance(out, (list, tuple)) else out).shape[-1] == cfg.text_config.hidden_size


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # a tower of no patches
@pytest.mark.parametrize("case", [c for c in REFUSED_THOUGH_BUILT if c[0] in IMAGE_PATH])
def test_what_is_refused_though_built_runs_no_image_where_the_base_config_does(case):
    """The refusals of configs transformers builds are exact: its own model of each raises (or makes features of
    another width) where an image goes through its tower and projector, and the base config's runs one."""
    model_type, where, field, value = case
    config = json.loads(json.dumps(BASES[model_type]))
    assert _runs_an_image(config)
    (config if where == "top" else config[where])[field] = value
    assert not _runs_an_image(config)


@pytest.mark.parametrize("text_type", ["cohere", "cohere2"])
def test_idefics2_takes_a_decoder_without_rms_norm_eps_only_where_the_resampler_is_already_as_wide(text_type):
    """Idefics2Config copies the text config's width and rms_norm_eps into a resampler of another width: a Cohere
    decoder has no rms_norm_eps, so transformers builds no model there, and symparams refuses it in one line."""
    config = json.loads(json.dumps(BASES["idefics2"]))
    config["text_config"]["model_type"] = text_type
    assert outcome(config) == built(config) and outcome(config)[0] == "ok"
    config["perceiver_config"]["hidden_size"] = 24
    mine, real = outcome(config), built(config)
    assert (mine[0], real[0]) == ("refused", "refused") and "\n" not in mine[1] and "rms_norm_eps" in mine[1]


@pytest.mark.parametrize("case", [c for c in REFUSED_THOUGH_BUILT if c[0] == "idefics2"])
def test_what_idefics2_refuses_though_built_runs_nothing_where_the_base_config_does(case):
    """Idefics 2's resampler with key/value heads that do not divide its query heads is built, and raises on the
    features of an image that the base config's resampler takes."""
    torch = _need("torch")
    transformers = _need("transformers")
    from transformers.models.idefics2 import modeling_idefics2 as i2

    def runs(config: dict) -> bool:
        cfg = transformers.AutoConfig.for_model("idefics2", **{k: v for k, v in config.items() if k != "model_type"})
        resampler = i2.Idefics2PerceiverResampler._from_config(cfg.perceiver_config).eval()
        try:
            with torch.no_grad():
                resampler(context=torch.randn(1, 5, cfg.text_config.hidden_size),
                          attention_mask=torch.ones(1, 5, dtype=torch.long))
        except Exception:  # noqa: BLE001 - whatever the resampler raises, no image runs through it
            return False
        return True

    _, where, field, value = case
    config = json.loads(json.dumps(BASES["idefics2"]))
    assert runs(config)
    config[where][field] = value
    assert not runs(config)


def test_idefics2_reads_a_missing_text_config_as_its_config_class_makes_it():
    """Idefics2Config makes a missing or null text_config Mistral with a context and rms_norm_eps of its own."""
    transformers = _need("transformers")
    from symparams.families import idefics2

    defaults = transformers.CONFIG_MAPPING["idefics2"].sub_configs_defaults["text_config"]
    assert {"model_type": defaults.model_type, **defaults.init_kwargs} == idefics2.ABSENT
    for absent in ("missing", None):
        config = json.loads(json.dumps(BASES["idefics2"]))
        if absent is None:
            config["text_config"] = None
        else:
            config.pop("text_config")
        assert outcome(config) == built(config) and outcome(config)[0] == "ok"


def test_idefics2_refuses_a_decoder_with_no_hidden_act_as_transformers_builds_no_model():
    """The modality projection takes the text config's hidden_act, which Gemma 2's config class does not hold."""
    config = json.loads(json.dumps(BASES["idefics2"]))
    config["text_config"] = {"model_type": "gemma2", "vocab_size": 40, "hidden_size": 16, "intermediate_size": 12,
                             "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8}
    mine, real = outcome(config), built(config)
    assert (mine[0], real[0]) == ("refused", "refused") and "\n" not in mine[1] and "hidden_act" in mine[1]


def _gemma4_runs(config: dict, tower: str) -> bool:
    """Whether transformers' Gemma 4 tower of ``config`` (built on the CPU) runs one small image, or one clip of audio
    with as many mel bins as its projection takes."""
    torch = _need("torch")
    transformers = _need("transformers")
    from transformers.models.gemma4 import modeling_gemma4 as g4

    if tower == "vision_config":
        cfg = transformers.Gemma4VisionConfig(**{k: v for k, v in config[tower].items() if k != "model_type"})
        model, side = g4.Gemma4VisionModel(cfg).eval(), 2 * cfg.pooling_kernel_size
        grid = torch.stack(torch.meshgrid(torch.arange(side), torch.arange(side), indexing="xy"), -1)
        inputs = {"pixel_values": torch.rand(1, side * side, 3 * cfg.patch_size ** 2),
                  "pixel_position_ids": grid.reshape(1, side * side, 2)}
    else:
        cfg = transformers.Gemma4AudioConfig(**{k: v for k, v in config[tower].items() if k != "model_type"})
        model = g4.Gemma4AudioModel(cfg).eval()
        inputs = {"input_features": torch.randn(1, 16, 4 * max(1, cfg.subsampling_conv_channels[0] // 4))}
    try:
        with torch.no_grad():
            model(**inputs)
    except Exception:  # noqa: BLE001 - whatever the tower raises, nothing runs through it
        return False
    return True


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # a projection of no features
@pytest.mark.parametrize("case", [c for c in REFUSED_THOUGH_BUILT if c[0] == "gemma4"])
def test_what_gemma4_refuses_though_built_runs_nothing_where_the_base_config_does(case):
    """Gemma 4's refusals of towers transformers builds are exact: its own tower raises on an image (or audio) that
    the base config's runs."""
    _, where, field, value = case
    config = json.loads(json.dumps(BASES["gemma4"]))
    assert _gemma4_runs(config, where)
    config[where][field] = value
    assert not _gemma4_runs(config, where)


def test_llava_onevision_next_video_and_vipllava_tie_as_their_config_classes_do():
    """LLaVA-OneVision's and LLaVA-NeXT-Video's config classes tie the head where the text config's own tie is true,
    not only the top level's; VipLLaVA's reads the top level's alone (and the text config's must still be a bool)."""
    for model_type in ("llava_onevision", "llava_next_video", "vipllava"):
        for top in (True, False, "missing"):
            for inner in (True, False, None, "missing"):
                config = json.loads(json.dumps(BASES[model_type]))
                for holder, value in ((config, top), (config["text_config"], inner)):
                    if value == "missing":
                        holder.pop("tie_word_embeddings", None)
                    else:
                        holder["tie_word_embeddings"] = value
                mine, real = outcome(config), built(config)
                assert mine[0] == real[0], (model_type, top, inner)
                assert mine == real or mine[0] == "refused", (model_type, top, inner)


def test_the_defaults_for_a_missing_vision_config_are_the_config_classes_own():
    """LLaVA-OneVision's missing tower is SigLIP So400m without its head and Cohere 2 Vision's one of 12 heads at 512
    pixels, counted as transformers builds them; Aya Vision's has 14 heads for a width of 1,152, which transformers'
    SigLIP attention refuses, and so does symparams."""
    transformers = _need("transformers")
    from symparams.families import aya_vision, cohere2_vision, llava_onevision

    for model_type, ours_ in (("llava_onevision", llava_onevision.ABSENT), ("aya_vision", aya_vision.ABSENT),
                              ("cohere2_vision", cohere2_vision.ABSENT)):
        defaults = transformers.CONFIG_MAPPING[model_type].sub_configs_defaults["vision_config"]
        assert {"model_type": defaults.model_type, **defaults.init_kwargs} == ours_
        config = json.loads(json.dumps(BASES[model_type]))
        config.pop("vision_config")
        mine, real = outcome(config), built(config)
        assert mine[0] == real[0] == ("refused" if model_type == "aya_vision" else "ok"), (mine, real)
        assert mine == real or "do not divide the width" in mine[1]


@pytest.mark.parametrize(("name", "size"), [("llava-onevision-qwen2-7b-ov-hf.json", "8.03B"),
                                            ("aya-vision-8b.json", "8.63B"), ("internvl3-1b-hf.json", "938M"),
                                            ("llama-3.2-11b-vision-instruct.json", "10.67B"),
                                            ("idefics2-8b.json", "8.40B")])
def test_real_config_counts_the_size_its_hub_page_states(name, size):
    """The Hub pages' model sizes (safetensors): LLaVA-OneVision 7B 8.03B, Aya Vision 8B 8.63B (its projector widens
    to 28,672 and halves), InternVL3-1B 938M (its head untied from the embedding), Llama 3.2 11B Vision 10.67B (its
    embedding 8 rows past the vocabulary, its head not), Idefics 2 8B 8.4B."""
    spec = from_file(FIXTURES / name)
    shown = f"{spec.total / 1e9:.2f}B" if size.endswith("B") else f"{spec.total / 1e6:.0f}M"
    assert shown == size


def test_llavas_missing_vision_config_is_its_config_classes_clip_tower():
    transformers = _need("transformers")

    for model_type in ("llava", "llava_next"):
        defaults = transformers.CONFIG_MAPPING[model_type].sub_configs_defaults["vision_config"]
        assert {"model_type": defaults.model_type, **defaults.init_kwargs} == llava.ABSENT
        config = json.loads(json.dumps(BASES[model_type]))
        config["text_config"]["hidden_size"] = 16
        config.pop("vision_config")
        assert outcome(config) == built(config)


def test_paligemmas_defaults_for_a_missing_part_are_its_config_classes_own():
    transformers = _need("transformers")
    from symparams.families import paligemma

    defaults = transformers.CONFIG_MAPPING["paligemma"].sub_configs_defaults
    for part, ours_ in (("vision_config", paligemma.VISION_ABSENT), ("text_config", paligemma.TEXT_ABSENT)):
        assert {"model_type": defaults[part].model_type, **defaults[part].init_kwargs} == ours_
        config = json.loads(json.dumps(BASES["paligemma"]))
        config.pop(part)
        config["projection_dim"] = 2048 if part == "text_config" else 16
        assert outcome(config) == built(config), part


def test_mistral3s_defaults_for_a_missing_part_are_its_config_classes_own():
    """Mistral3Config makes a missing text or vision config Mistral Small 3.1's decoder and Pixtral 12B's tower,
    not MistralConfig's or PixtralVisionConfig's defaults: symparams's are transformers' own, field by field."""
    transformers = _need("transformers")
    from symparams.families import _pixtral, mistral3_vlm

    defaults = transformers.CONFIG_MAPPING["mistral3"].sub_configs_defaults
    assert defaults["text_config"].init_kwargs == mistral3_vlm.ABSENT
    assert defaults["vision_config"].init_kwargs == _pixtral.ABSENT
    for part in ("text_config", "vision_config"):
        config = json.loads(json.dumps(BASES["mistral3"]))
        config.pop(part)
        assert outcome(config) == built(config), part


def test_qwen2_vl_takes_a_missing_text_configs_fields_from_the_top_level_as_its_config_class_does():
    """Qwen2VLConfig moves the top-level fields its text config class's ``__init__`` names (and three rope fields)
    into a missing text config: symparams's list is that signature's."""
    transformers = _need("transformers")
    import inspect

    for model_type in ("qwen2_vl", "qwen2_5_vl"):
        text_class = transformers.CONFIG_MAPPING[model_type].sub_configs_defaults["text_config"]
        names = set(inspect.signature(getattr(text_class, "config_class", text_class).__init__).parameters) - {"self"}
        assert set(qwen2_vl.TEXT_KEYS) == names | {"rope_parameters", "rope_scaling", "rope_theta"}


def test_qwen2_vl_ties_its_head_where_the_top_level_or_a_text_config_object_says_so():
    for top in (True, False, None, "missing"):
        for inner in (True, False, None, 1, "missing"):
            config = json.loads(json.dumps(BASES["qwen2_vl"]))
            for holder, value in ((config, top), (config["text_config"], inner)):
                if value == "missing":
                    holder.pop("tie_word_embeddings")
                else:
                    holder["tie_word_embeddings"] = value
            assert outcome(config)[0] == built(config)[0], (top, inner)
            assert outcome(config) == built(config) or outcome(config)[0] == "refused", (top, inner)


def test_llama4s_text_config_decides_its_tie_and_the_top_levels_builds_nothing():
    for top in (True, False, "missing"):
        for inner in (True, False, "missing"):
            config = json.loads(json.dumps(BASES["llama4"]))
            for holder, value in ((config, top), (config["text_config"], inner)):
                if value == "missing":
                    holder.pop("tie_word_embeddings")
                else:
                    holder["tie_word_embeddings"] = value
            assert outcome(config) == built(config), (top, inner)


def test_the_top_level_decides_the_tie_whatever_the_text_config_says():
    for top in (True, False, None, "missing"):
        for inner in (True, False):
            config = json.loads(json.dumps(BASE))
            config["text_config"]["tie_word_embeddings"] = inner
            if top == "missing":
                config.pop("tie_word_embeddings")
            else:
                config["tie_word_embeddings"] = top
            assert outcome(config) == built(config), (top, inner)


def test_the_patch_count_is_a_relation_the_closed_form_keeps():
    """N_img = floor(S_img/p_img)^2 is kept in the form, and follows the image and patch sizes when they change."""
    spec = from_dict(BASE)
    assert N_img in spec.closed_form.free_symbols
    assert spec.env[N_img] == (66 // 4) ** 2
    bigger = spec.with_values(S_img=67)
    assert bigger.env[N_img] == (67 // 4) ** 2
    assert bigger.total - spec.total == 0
    assert spec.with_values(S_img=68).total - spec.total == (17**2 - 16**2) * spec.env[D_vis]


def test_a_size_set_later_keeps_every_rule_the_file_was_read_with():
    """--set reads the same model at other sizes: the vision heads still divide the width, the patch still fits the
    image, and the projector still pools to no more tokens a side than there are patches."""
    spec = from_dict(BASE)
    for change in ({"H_vis": 5}, {"p_img": 67}, {"S_img": 7}):
        with pytest.raises(SymparamsError):
            spec.with_values(**change).total
    assert spec.with_values(S_img=8).total > 0


@pytest.mark.parametrize("name", ["gemma-3-4b-it.json", "gemma-3-12b-it.json", "gemma-3-27b-it.json",
                                  "llama-4-scout-17b-16e-instruct.json", "llama-4-maverick-17b-128e-instruct.json",
                                  "qwen3-vl-4b-instruct.json", "qwen3-vl-8b-instruct.json",
                                  "qwen3-vl-30b-a3b-instruct.json", "qwen2-vl-7b-instruct.json",
                                  "qwen2.5-vl-3b-instruct.json", "qwen2.5-vl-7b-instruct.json",
                                  "llava-1.5-7b-hf.json", "paligemma-3b-pt-224.json", "idefics3-8b-llama3.json",
                                  "llava-onevision-qwen2-7b-ov-hf.json", "aya-vision-8b.json", "internvl3-1b-hf.json",
                                  "llama-3.2-11b-vision-instruct.json", "idefics2-8b.json"])
def test_real_config_counts_what_transformers_builds(name):
    config = json.loads((FIXTURES / name).read_text())
    assert from_file(FIXTURES / name).total == sum(theirs(config).values())


@pytest.mark.parametrize(("name", "total", "active"), [
    ("llama-4-scout-17b-16e-instruct.json", "109", "17"), ("llama-4-maverick-17b-128e-instruct.json", None, "17"),
    ("qwen3-vl-30b-a3b-instruct.json", None, "3"),
])
def test_model_card_figures(name, total, active):
    """Meta's card: Scout 109B parameters in all, each model 17B active (Maverick's "400B" is a round figure); Qwen's
    name: 3B active of Qwen3-VL-30B-A3B."""
    spec = from_file(FIXTURES / name)
    if total is not None:
        assert f"{spec.total / 1e9:.0f}" == total
    assert f"{spec.active_total / 1e9:.0f}" == active


@pytest.mark.parametrize(("name", "vision", "non_embedding"), [
    ("gemma-3-4b-it.json", "417", "3209"), ("gemma-3-12b-it.json", "417", "10759"),
    ("gemma-3-27b-it.json", "417", "25600"),
])
def test_real_config_counts_the_technical_reports_table(name, vision, non_embedding):
    """Gemma 3's report (Table 1) lists the vision encoder and the decoder's non-embedding parameters, in millions.

    The projector is neither: it is the rest of the ``vision`` group.
    """
    spec = from_file(FIXTURES / name)
    groups = spec.breakdown().groups()
    assert f"{round(spec.count(spec.node('vision_tower')) / 1e6)}" == vision
    decoder = spec.total - groups["vision"] - groups["embedding"]
    assert f"{round(decoder / 1e6)}" == non_embedding


# transformers' Llama4ForConditionalGeneration cannot run text alone (its output has no image_outputs to return);
# Qwen3-VL-MoE's text config has no causal LM to compare with, and its experts' grouped matmuls are not mm.
@pytest.mark.parametrize("model_type", [t for t in TYPES if t not in ("llama4", "qwen3_vl_moe")])
@settings(max_examples=10, deadline=None)
@given(data=st.data(), seq=st.integers(1, 12))
def test_a_text_forward_pass_executes_the_decoders_matmuls_and_nothing_of_the_tower(model_type, data, seq):
    """FlopCounterMode over a text-only forward pass of the whole wrapper sees 2 x the decoder's matmul weights per
    token in its linear layers, and every other operation the decoder alone executes: nothing of the tower."""
    torch = _need("torch")
    _need("transformers")
    import transformers
    from torch.utils.flop_counter import FlopCounterMode

    from symparams.verify import model_class

    config = data.draw(CONFIGS[model_type], label="config")
    if model_type in LLAVA_LIKE:  # grouped expert matmuls on CPU need rows of whole 16-byte units
        assume(config["text_config"].get("model_type") != "mixtral")
    if model_type in ("qwen2_vl", "qwen2_5_vl"):  # its text forward pass splits each head by mrope_section
        head = from_dict(config).env[d_h]
        assume(head % 2 == 0)
        holder = config["text_config"] if isinstance(config.get("text_config"), dict) else config
        holder["rope_scaling"] = {"type": "mrope", "mrope_section": [head // 2, 0, 0]}
        if "sliding_attention" in (holder.get("layer_types") or []) and not (
                holder.get("use_sliding_window") and holder.get("sliding_window")):
            # a sliding layer's cache needs a window, which the class drops without use_sliding_window; with one of T
            # tokens, eager attention scores the same T x T
            holder.update(use_sliding_window=True, sliding_window=seq)
    if model_type == "mllama":  # an odd head: its cos and sin tables, ceil(d_h/2) x 2 wide, do not broadcast
        assume(from_dict(config).env[d_h] % 2 == 0)
    if model_type == "gemma4":  # key/value-sharing layers without per-layer inputs: see test_flops_torch.runnable
        config["text_config"] = {**config["text_config"], "output_hidden_states": True}
    spec = from_dict(config)
    cfg = transformers.AutoConfig.for_model(model_type, **{k: v for k, v in config.items()
                                                           if k not in ("model_type", "architectures")})
    name = model_class(model_type)
    alone_too = TEXT[model_type] not in TEXT_CLASSES  # Qwen3-VL's text config has no causal LM of its own
    with torch.device("cpu"):
        eager = {"attn_implementation": "eager", "experts_implementation": "eager"}  # grouped experts want 16-byte strides
        whole = (getattr(transformers, name)._from_config(cfg, **eager) if name else
                 transformers.AutoModelForCausalLM.from_config(cfg, **eager))
        models = [whole]
        if alone_too:
            models.append(transformers.AutoModelForCausalLM.from_config(cfg.text_config, **eager))
    rows = cfg.text_config.vocab_size
    if model_type == "gemma4" and cfg.text_config.hidden_size_per_layer_input:  # a token has a per-layer row too
        rows = min(rows, cfg.text_config.vocab_size_per_layer_input)
    ids = torch.randint(0, rows, (1, seq))
    counts = []
    for model in models:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(input_ids=ids)
        counts.append(counter.get_flop_counts()["Global"])
    assert not alone_too or counts[0] == counts[1]
    if model_type in ("gemma3", "qwen3_vl", "qwen2_vl", "qwen2_5_vl", "gemma4"):  # Qwen3.5's: test_flops_torch.py
        matmuls = sum(int(counts[0].get(op, 0)) for op in (torch.ops.aten.mm, torch.ops.aten.addmm))
        assert matmuls == 2 * seq * spec.value(spec.tree.read("matmul"))


@pytest.mark.parametrize("command", [["count"], ["count", "--json"], ["formula"], ["flops"], ["memory"], ["derive"]])
def test_commands_run_on_a_vision_language_fixture(command, capsys):
    assert main([*command, str(FIXTURES / "gemma-3-4b-it.json")]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    if command == ["count", "--json"]:
        assert json.loads(out)["total"] == from_file(FIXTURES / "gemma-3-4b-it.json").total
