"""Gemma 4 text (model_type ``gemma4_text``): refused, with the reason.

transformers 5.x builds ``Gemma4ForCausalLM``, whose layers differ from one another in
ways none of the nodes here describe yet, and whose readings would have to be written and
checked first:

* per-layer embeddings: a second token table of ``vocab_size_per_layer_input`` rows and
  L x ``hidden_size_per_layer_input`` columns, a projection of the hidden state to the
  same width, and in every layer a gate and a projection that add the layer's slice back;
* heterogeneous layers: ``per_layer_config`` (written by transformers when it saves a
  config) gives the full-attention layers their own head size and key/value heads
  (``global_head_dim``, ``num_global_key_value_heads``), and with ``attention_k_eq_v``
  they have no value projection, the keys standing in for the values;
* KV-shared layers: the last ``num_kv_shared_layers`` have no key/value projections and
  no cache of their own, attending to the cache an earlier layer of their kind keeps,
  and their MLP may be twice as wide (``use_double_wide_mlp``);
* an optional mixture-of-experts block beside every dense MLP (``enable_moe_block``),
  with a router that scales its input and each expert's weight by learned vectors.

Its weights could be counted, but its cache (layers that keep none) and the FLOPs of its
per-layer paths would be guesses until those node kinds exist, so the model type is
refused as a whole rather than counted in part. Gemma 2 and Gemma 3 are modelled
(:mod:`.gemma2`, :mod:`.gemma3`).
"""

from __future__ import annotations

from .registry import refused_whole

__all__ = ["FAMILY", "REASON"]

REASON = ("gemma4_text is not modelled: its per-layer embeddings, layers of different head sizes and key/value "
          "heads (per_layer_config, attention_k_eq_v), KV-shared layers without a cache of their own and the "
          "optional expert block beside each MLP need node kinds whose cache and FLOPs readings are not written yet")

FAMILY = refused_whole(
    "gemma4_text",
    REASON,
    summary="Gemma 4 (text): refused (per-layer embeddings, heterogeneous and KV-shared layers, expert blocks)",
    refused="the whole model type: per-layer embeddings, per-layer head sizes, KV-shared layers and the "
            "expert block beside the MLP are not modelled",
)
