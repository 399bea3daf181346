"""Qwen2-MoE (model_type ``qwen2_moe``): Qwen1.5-MoE and Qwen2-57B-A14B, routed experts beside a gated shared expert.

transformers 5's ``Qwen2MoeSparseMoeBlock`` holds, per sparse layer:

* a router ``gate``: D -> E, no bias;
* E gated experts of ``moe_intermediate_size`` = F_e (stored fused), k =
  ``num_experts_per_tok`` of them per token;
* one ``shared_expert``, a gated MLP of ``shared_expert_intermediate_size`` = F_s that
  every token passes through;
* its gate ``shared_expert_gate``: D -> 1, no bias, whose sigmoid scales the shared
  expert's output per token.

Layers are sparse as in Qwen3-MoE (``mlp_only_layers``, ``decoder_sparse_step``); the
others keep a dense gated MLP of ``intermediate_size`` = F. Attention is Qwen2's: biases on
q, k and v when ``qkv_bias`` (default true), none on o. Sliding windows: with
``use_sliding_window``, the layers ``layer_types`` marks (by default the even-numbered ones,
counting from 1, below ``max_window_layers``) attend to and cache at most W tokens. A null
window there builds a model that cannot run (the sliding mask is made on every forward
pass): it is counted, as full attention, with a note.

Defaults: ``num_key_value_heads`` 16 (null is refused: the attention fails on it),
E = 60, k = 4, F_e = 1,408, F_s = 5,632; ``head_dim`` is D // H unless a config.json
carries one. ``num_local_experts`` is not a Qwen2-MoE field (transformers ignores it).
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
    norm_topk_field,
    read_core,
    read_experts,
    read_window,
    renorm,
    sparse_layers,
)
from .layer_kinds import NO_WINDOW
from .qwen3_moe import LLAMA_MLP
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import MoE
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "shared_moe"]

# transformers 5.x Qwen2MoeConfig
FIELDS = Fields(
    *core_fields(vocab_size=151936, hidden_size=2048, num_hidden_layers=24, num_attention_heads=16,
                 num_key_value_heads=16),
    Field("intermediate_size", 5632),
    Field("qkv_bias", True, kind="bool"),
    Field("use_sliding_window", False, kind="bool"),
    Field("sliding_window", 4096, null=DERIVED, minimum=0),
    Field("max_window_layers", 28, minimum=0),
    Field("decoder_sparse_step", 1),
    Field("moe_intermediate_size", 1408),
    Field("shared_expert_intermediate_size", 5632),
    Field("num_experts_per_tok", 4),
    norm_topk_field(False),
    Field("num_experts", 60, minimum=0),
    list_field("mlp_only_layers"),
    list_field("layer_types"),
    groups=GROUPS,
)


def shared_moe(activation: str, renorm: bool) -> MoE:
    """Qwen's sparse block with a shared expert: router, E experts of F_e, a shared expert of F_s and its D -> 1 gate.

    The router is Qwen's (softmax, top-k, renormalised when ``renorm``, weights cast to the activation dtype).
    """
    from sympy import Integer

    from ..components import MLP, Linear, MoE
    from ..components.routing import Routing
    from ..symbols import D, E, F_e, F_s, k

    expert = MLP("expert", D, F_e, gated=True, activation=activation, names=LLAMA_MLP)
    shared = MLP("shared_expert", D, F_s, gated=True, activation=activation, names=LLAMA_MLP)
    return MoE("mlp", Linear("gate", D, E, group="mlp"), expert, E, k, shared=shared,
               extras=(Linear("shared_expert_gate", D, Integer(1), group="mlp"),),
               routing=Routing(renorm=renorm, cast=True, shared_gate=True))


def _windows(cfg: Config, layers: int) -> tuple[list[str], int | None, tuple[str, ...]]:
    """Each layer's attention type, the window and a note, as ``Qwen2MoeConfig.__post_init__`` and the model set them.

    With ``use_sliding_window`` and a null window, transformers builds the model but cannot
    make the sliding mask it makes on every forward pass: its weights are counted, its
    layers read as full attention, and the note says why it will not run.
    """
    use = cfg.get("use_sliding_window")
    limit = cfg.get("max_window_layers")
    types = layer_types(
        cfg, layers, ("full_attention", "sliding_attention"),
        lambda: ["sliding_attention" if (i + 1) % 2 and i < limit and use else "full_attention" for i in range(layers)],
    )
    if "sliding_attention" in types and not use:
        raise cfg.error("layer_types", "marks sliding layers, but use_sliding_window is false "
                                       "(transformers then gives them a window of 0 tokens)")
    if not use:
        return types, None, ()
    if cfg.get("sliding_window") in (None, DERIVED):
        return ["full_attention"] * len(types), None, (NO_WINDOW,)
    return types, read_window(cfg) if "sliding_attention" in types else None, ()


def read(cfg: Config) -> Reading:
    """The config's sizes, its sparse and windowed layers, checked, with no tree built."""
    core = read_core(cfg)
    experts, top_k = read_experts(cfg, "num_experts")
    sparse = sparse_layers(core.layers, experts, cfg.get("decoder_sparse_step"), int_list(cfg, "mlp_only_layers") or [])
    types, window, notes = _windows(cfg, core.layers)
    bias = cfg.get("qkv_bias")
    attention = tuple(t.split("_")[0] for t in types)
    mlp = tuple("moe" if s else "dense" for s in sparse)
    values = expert_values(mlp, cfg.get("intermediate_size"), {
        "F_e": cfg.get("moe_intermediate_size"), "F_s": cfg.get("shared_expert_intermediate_size"), "E": experts,
        "k": top_k})
    values.update(layer_counts(("L_s", attention, "sliding"), ("L_d", mlp, "dense")))
    if window is not None:
        values["W"] = window
    shape = (("qkv_bias", bias), ("renorm", renorm(cfg)), ("attention", layout(attention)), ("mlp", layout(mlp)))
    return decoder_reading("qwen2_moe", core, shape, values, notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP
    from ..components.decoder_attention import DecoderAttention
    from ..spec import AtMost
    from ..symbols import D, E, F, H, H_kv, L_d, L_s, W, d_h, k
    from ._qwen_config import core_of
    from ._qwen_decoder import Axis, decoder_tree, reading_spec

    shape, core = dict(r.shape), core_of(r)
    bias = shape["qkv_bias"]
    attn = {kind: DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=False, window=w,
                                   names=("q_proj", "k_proj", "v_proj", "o_proj"))
            for kind, w in (("full", None), ("sliding", W))}
    modules = {"dense": MLP("mlp", D, F, gated=True, activation=core.activation, names=LLAMA_MLP),
               "moe": shared_moe(core.activation, shape["renorm"])}
    tree, _ = decoder_tree(
        "qwen2_moe", "Qwen2-MoE decoder (routed and shared experts)",
        Axis(kinds_of(shape["attention"], core.layers), attn, "sliding", L_s),
        Axis(kinds_of(shape["mlp"], core.layers), modules, "dense", L_d),
        tied=core.tied,
    )
    return reading_spec("qwen2_moe", tree, r, constraints=[AtMost(k, E, "a token picks k of the E experts")])


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="qwen2_moe",
    layer_lists="filled",
    summary="Qwen2-MoE: q/k/v biases, E routed experts of F_e (k per token), a shared expert of F_s behind a sigmoid gate",
    model_types=("qwen2_moe",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="sliding layers without use_sliding_window (transformers gives them a window of 0 tokens); "
            "num_experts_per_tok above num_experts",
)
