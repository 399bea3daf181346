"""PhiMoE (model_type ``phimoe``): Phi-3.5-MoE, a Mixtral-like MoE with LayerNorms and optional biases.

transformers 5's ``PhimoeForCausalLM``: Llama-style GQA (q, k, v, o, all with a bias when
``attention_bias``), a sparse block of a ``router`` (D -> E, no bias) and E gated experts of
``intermediate_size`` = F (stored fused), every norm an ``nn.LayerNorm`` with weight and bias
(2D), and an LM head with a bias of V when ``lm_head_bias``. ``sliding_window`` (null by
default) applies to every layer.

Routing: ``sparsemixer`` picks the best expert and then the best of the rest, so every token
runs through exactly 2 experts whatever ``num_experts_per_tok`` says (transformers stores the
field but never passes it on). k is therefore 2; a config that says otherwise is counted with
k = 2 and a note. In training, ``input_jitter_noise`` > 0 scales the router's input by noise
(twice), which activation memory counts. Defaults: V = 32,064, D = 4,096, F = 6,400, L = 32, H = 32, H_kv = 8 (null
refused), E = 16; ``head_dim`` is D // H unless a config.json carries one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields, short
from ._qwen_config import GROUPS, core_fields, decoder_reading, read_core
from .phi3 import window
from .qwen3_moe import LLAMA_MLP
from .registry import Family, Reading
from .rope import NUMBER, is_number, malformed, rope_table, rope_type

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "check_mscales", "ROUTED"]

# Experts per token under sparsemixer's top-2 routing.
ROUTED = 2

# transformers 5.x PhimoeConfig
FIELDS = Fields(
    *core_fields(vocab_size=32064, hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=8, max_position_embeddings=4096 * 32),
    Field("intermediate_size", 6400),
    Field("sliding_window", None, null=DERIVED, minimum=0),
    Field("num_experts_per_tok", 2),
    Field("num_local_experts", 16),
    Field("attention_bias", False, kind="bool"),
    Field("lm_head_bias", False, kind="bool"),
    Field("input_jitter_noise", 0.0, kind="number", types=("float",)),
    groups=GROUPS,
)


def check_mscales(cfg: Config) -> None:
    """Refuse what PhimoeConfig's own rope validation refuses: any type but default without its two numbers,
    ``short_mscale`` and ``long_mscale``."""
    name, table = rope_table(cfg)
    kind = rope_type(table)
    if kind == "default":
        return
    for key in ("short_mscale", "long_mscale"):
        if key not in table:
            raise cfg.error(name, f"rope_type {short(kind)} needs {key}, which PhiMoE's class requires beside "
                                  "every type but default")
        if not is_number(table[key]):
            raise malformed(cfg, name, key, table[key], NUMBER, f" (PhiMoE's rope_type {short(kind)})")


def read(cfg: Config) -> Reading:
    """The config's sizes, experts and window, checked, with no tree built."""
    core = read_core(cfg)
    check_mscales(cfg)
    experts = cfg.get("num_local_experts")
    notes = []
    said = cfg.get("num_experts_per_tok")
    if said != ROUTED:
        notes.append(f"num_experts_per_tok {said} is not used: PhiMoE's sparsemixer routes every token to {ROUTED} experts")
    if experts < ROUTED:
        raise cfg.error("num_local_experts", f"{experts} is fewer than the {ROUTED} experts sparsemixer routes each token to")
    w = window(cfg)
    values = {"F": cfg.get("intermediate_size"), "E": experts, "k": ROUTED}
    if w is not None:
        values["W"] = w
    shape = (("attention_bias", cfg.get("attention_bias")), ("windowed", w is not None),
             ("jitter", bool(cfg.get("input_jitter_noise"))), ("lm_head_bias", cfg.get("lm_head_bias")))
    return decoder_reading("phimoe", core, shape, values, notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Linear, MoE
    from ..components.decoder_attention import DecoderAttention
    from ..components.routing import Routing
    from ..spec import AtMost
    from ..symbols import D, E, F, H, H_kv, L_d, L_s, W, d_h, k
    from ._qwen_config import core_of
    from ._qwen_decoder import Axis, decoder_tree, layer_norm, reading_spec

    shape, core = dict(r.shape), core_of(r)
    bias = shape["attention_bias"]
    attn = DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias,
                            window=W if shape["windowed"] else None, names=("q_proj", "k_proj", "v_proj", "o_proj"))
    expert = MLP("expert", D, F, gated=True, activation=core.activation, names=LLAMA_MLP)
    # sparsemixer's two choices, the weights in the activation dtype; jittered with input_jitter_noise > 0
    routing = Routing(kind="sparsemixer", cast=True, jitter=shape["jitter"])
    moe = MoE("mlp", Linear("router", D, E, group="mlp"), expert, E, k, routing=routing)
    tree, _ = decoder_tree(
        "phimoe", "PhiMoE decoder (LayerNorm, top-2 experts)",
        Axis(("full",) * core.layers, {"full": attn}, "full", L_s),
        Axis(("moe",) * core.layers, {"moe": moe}, "moe", L_d),
        tied=core.tied, norm=layer_norm, head_bias=shape["lm_head_bias"],
    )
    return reading_spec("phimoe", tree, r, constraints=[AtMost(k, E, "a token picks k of the E experts")])


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="phimoe",
    summary="PhiMoE (Phi-3.5-MoE): E gated experts with top-2 routing, LayerNorms, optional attention and head biases",
    model_types=("phimoe",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="fewer than 2 experts (sparsemixer routes every token to 2); a rope type other than default without "
            "short_mscale and long_mscale",
)
