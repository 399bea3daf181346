"""DeepSeek-V4 (model_type ``deepseek_v4``): refused, with the reason.

transformers 5.x builds DeepSeek-V4 (``DeepseekV4ForCausalLM``) from parts that none of
the nodes here describe, and whose readings would have to be written and checked first:

* manifold-constrained hyper-connections: every block carries ``hc_mult`` residual
  streams, mixed by learned ``fn``/``base``/``scale`` tensors before and after attention
  and the MLP, and a hyper-head collapses them before the LM head;
* attention per ``layer_types``: a sliding-window branch for every layer, plus a
  compressor that pools ``compress_rates`` tokens into one cached entry
  (heavily compressed attention) or pools them and lets an indexer pick the compressed
  entries to attend to (compressed sparse attention), with attention sinks and a grouped
  low-rank output projection (``o_groups``, ``o_lora_rank``);
* hash-routed experts in the first layers (``mlp_layer_types``), routed by a token-id
  table rather than a learned router.

Its weights could be counted, but its attention FLOPs and its cache (a window plus
T / compress_rate compressed entries per layer) would be guesses until those node kinds
exist, so the model type is refused as a whole rather than counted in part.
"""

from __future__ import annotations

from .registry import refused_whole

__all__ = ["FAMILY", "REASON"]

REASON = ("deepseek_v4 is not modelled: its hyper-connections (hc_mult residual streams), compressed sparse "
          "attention (per-layer compressors, an indexer over compressed entries, sinks, a grouped output "
          "projection) and hash-routed experts need node kinds whose FLOPs and cache readings are not written yet")

FAMILY = refused_whole(
    "deepseek_v4",
    REASON,
    summary="DeepSeek-V4: refused (hyper-connections, compressed sparse attention, hash-routed experts)",
    refused="the whole model type: hyper-connections, compressed sparse attention and hash-routed experts are "
            "not modelled",
)
