"""Llama 4 (model_type ``llama4_text``): interleaved MoE layers with a shared expert, and chunked attention.

The language model of Llama 4 Scout and Maverick, as transformers 5's ``Llama4ForCausalLM``
builds it:

* **Feed-forward.** A layer whose index is in ``moe_layers`` (by default every
  ``interleave_moe_layer_step``-th, counting from 1) is ``Llama4TextMoe``: a ``router``
  (D -> E, no bias), E gated experts of ``intermediate_size`` = F_e (stored fused:
  ``gate_up_proj`` E x D x 2F_e, ``down_proj`` E x F_e x D), k of them per token, and a
  ``shared_expert``, a gated MLP of the same F_e, that every token passes through. The other
  L_d layers have a dense gated MLP of ``intermediate_size_mlp`` = F. (transformers' reference
  forward runs all E experts on every token, scaled by router scores that are zero outside
  the top k; the ``active`` and FLOPs readings count the k experts a token is routed to.)
* **Attention.** Llama's GQA with ``attention_bias`` on all four projections and an explicit
  ``head_dim`` (default 128). The RoPE layers (``no_rope_layers`` entry 1; by default all but
  every ``no_rope_layer_interval``-th) normalise q and k with an L2 norm that has no weight
  (``Llama4TextL2Norm``), and attend in chunks of ``attention_chunk_size`` = W tokens
  (``layer_types`` "chunked_attention"); the NoPE layers attend to everything. Neither
  changes a weight: the L_s chunked layers keep at most W tokens in the cache and, causally,
  attend only within their chunk. A null ``attention_chunk_size`` means no chunking; with
  ``layer_types`` still listing chunked layers, the model builds but cannot make its mask:
  it is counted, as full attention, with a note.

Null is refused in every shape field (plain ints in ``Llama4TextConfig``); a null
``moe_layers``, ``no_rope_layers`` or ``layer_types`` means the default pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._qwen_config import (
    GROUPS,
    core_fields,
    decoder_reading,
    expert_values,
    int_list,
    kinds_of,
    layer_counts,
    layer_types,
    layout,
    list_field,
    read_core,
    read_experts,
    read_window,
)
from .qwen3_moe import LLAMA_MLP
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x Llama4TextConfig
FIELDS = Fields(
    *core_fields(vocab_size=202048, hidden_size=5120, num_hidden_layers=48, num_attention_heads=40,
                 num_key_value_heads=8, head_dim=128, max_position_embeddings=4096 * 32),
    Field("intermediate_size", 8192),
    Field("intermediate_size_mlp", 16384),
    Field("attention_bias", False, kind="bool"),
    Field("num_experts_per_tok", 1),
    Field("num_local_experts", 16),
    Field("interleave_moe_layer_step", 1),
    Field("use_qk_norm", True, kind="bool"),
    Field("no_rope_layer_interval", 4),
    Field("attn_temperature_tuning", True, kind="bool"),
    Field("attention_chunk_size", 8192, null=DERIVED, minimum=0),
    list_field("moe_layers"),
    list_field("no_rope_layers"),
    list_field("layer_types"),
    groups=GROUPS,
)


def _rope_layers(cfg: Config, layers: int) -> list[bool]:
    """Which layers use RoPE: ``no_rope_layers`` when non-empty (1 = RoPE), else all but every interval-th."""
    given = cfg.get("no_rope_layers")
    if given:
        if not isinstance(given, list) or any(not isinstance(v, (int, bool)) for v in given):
            raise cfg.error("no_rope_layers", "expected a list of 0/1 flags, one per layer")
        if len(given) != layers:
            raise cfg.error("no_rope_layers", f"flags {len(given)} layers, but num_hidden_layers is {layers}")
        return [bool(v) for v in given]
    interval = cfg.get("no_rope_layer_interval")
    return [(i + 1) % interval != 0 for i in range(layers)]


NO_CHUNK = ("attention_chunk_size is null, but layer_types marks chunked layers: transformers builds this model "
            "(every weight counted here) but cannot make its chunked mask, so it cannot run it; its layers are read "
            "as full attention")


def _chunks(cfg: Config, layers: int) -> tuple[list[str], int | None, tuple[str, ...]]:
    """Each layer's attention type, the chunk size and a note, as ``Llama4TextConfig.__post_init__`` sets them."""
    rope = _rope_layers(cfg, layers)
    chunk = read_window(cfg, "attention_chunk_size")
    types = layer_types(
        cfg, layers, ("full_attention", "chunked_attention"),
        lambda: ["chunked_attention" if r and chunk is not None else "full_attention" for r in rope],
    )
    if "chunked_attention" in types and chunk is None:
        return ["full_attention"] * len(types), None, (NO_CHUNK,)
    return types, chunk, ()


def read(cfg: Config) -> Reading:
    """The config's sizes, its MoE, chunked and RoPE layers, checked, with no tree built.

    Which attention kinds rotate q and k (True, False, or None where a kind's layers mix or
    no layer has it) is part of the shape: it changes what a layer keeps for its backward pass.
    """
    core = read_core(cfg)
    experts, top_k = read_experts(cfg, "num_local_experts")
    listed = int_list(cfg, "moe_layers")
    step = cfg.get("interleave_moe_layer_step")
    moe = set(listed) if listed is not None else set(range(step - 1, core.layers, step))
    types, chunk, notes = _chunks(cfg, core.layers)
    bias = cfg.get("attention_bias")
    rope = _rope_layers(cfg, core.layers)
    temperature = cfg.get("attn_temperature_tuning")

    def uses_rope(kind: str) -> bool | None:
        flags = {r for r, t in zip(rope, types) if t.startswith(kind)}
        return flags.pop() if len(flags) == 1 else None

    ropes = (uses_rope("full"), uses_rope("chunked"))
    l2_norm = cfg.get("use_qk_norm")
    attention = tuple(t.split("_")[0] for t in types)
    mlp = tuple("moe" if i in moe else "dense" for i in range(core.layers))
    values = expert_values(mlp, cfg.get("intermediate_size_mlp"),
                           {"F_e": cfg.get("intermediate_size"), "E": experts, "k": top_k})
    values.update(layer_counts(("L_s", attention, "chunked"), ("L_d", mlp, "dense")))
    if chunk is not None and "chunked" in attention:
        values["W"] = chunk
    shape = (("attention_bias", bias), ("rope", ropes), ("l2_norm", l2_norm), ("temperature", temperature),
             ("attention", layout(attention)), ("mlp", layout(mlp)))
    return decoder_reading("llama4_text", core, shape, values, notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Linear, MoE
    from ..components.routing import Routing
    from ..spec import AtMost
    from ..symbols import D, E, F, F_e, H, H_kv, L_d, L_s, W, d_h, k
    from ._llama4_attention import Llama4Attention
    from ._qwen_config import core_of
    from ._qwen_decoder import Axis, decoder_tree, reading_spec

    shape, core = dict(r.shape), core_of(r)
    bias, ropes = shape["attention_bias"], dict(zip(("full", "chunked"), shape["rope"]))
    attn = {kind: Llama4Attention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, window=w, chunked=True,
                                  names=("q_proj", "k_proj", "v_proj", "o_proj"), rope=ropes[kind],
                                  l2_norm=shape["l2_norm"], temperature=shape["temperature"])
            for kind, w in (("full", None), ("chunked", W))}
    expert = MLP("expert", D, F_e, gated=True, activation=core.activation, names=LLAMA_MLP)
    shared = MLP("shared_expert", D, F_e, gated=True, activation=core.activation, names=LLAMA_MLP)
    modules = {"dense": MLP("feed_forward", D, F, gated=True, activation=core.activation, names=LLAMA_MLP),
               "moe": MoE("feed_forward", Linear("router", D, E, group="mlp"), expert, E, k, shared=shared,
                          routing=Routing(kind="llama4", experts="dense"))}
    tree, _ = decoder_tree(
        "llama4_text", "Llama 4 decoder (interleaved MoE with a shared expert, chunked attention)",
        Axis(kinds_of(shape["attention"], core.layers), attn, "chunked", L_s),
        Axis(kinds_of(shape["mlp"], core.layers), modules, "dense", L_d),
        tied=core.tied,
    )
    return reading_spec("llama4_text", tree, r, constraints=[AtMost(k, E, "a token picks k of the E experts")])


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="llama4_text",
    layer_lists="filled",
    summary="Llama 4 (text): interleaved MoE layers with a shared expert, dense layers of their own width, chunked attention",
    model_types=("llama4_text",),
    fields=FIELDS,
    build=from_config,
    read=read,
)
