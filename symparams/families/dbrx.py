"""DBRX (model_type ``dbrx``): fused qkv attention, weight-only LayerNorms, and 16 experts stored as three tensors.

transformers' ``DbrxForCausalLM`` (5.x), its sizes under ``d_model``, ``n_heads``,
``n_layers`` and ``max_seq_len`` (``hidden_size`` and the rest are other names for them)
and two nested objects, ``attn_config`` and ``ffn_config``:

* ``wte`` V x D; per block ``norm_1``, attention, ``norm_2``, the MoE; ``norm_f``; an untied
  ``lm_head`` (DbrxConfig refuses ``tie_word_embeddings``). Every norm is
  ``nn.LayerNorm(D, bias=False)``: a weight of D, no bias.
* attention: ``Wqkv`` D -> D + 2*H_kv*d_h and ``out_proj`` D -> D, no biases, with
  d_h = D // H and H_kv = ``attn_config.kv_n_heads`` (default 1); ``clip_qkv`` clamps
  activations and holds no weights.
* the MoE: a ``router`` D -> E (no bias) and the experts as three E*F x D tensors
  ``w1``, ``v1``, ``w2`` (a gated MLP of F = ``ffn_hidden_size`` per expert), k =
  ``moe_top_k`` per token, activation ``ffn_act_fn.name``.

transformers 5.x reads ``attn_config.rope_theta`` when it builds the attention and fails
without one (its own defaults included), so such a config is refused. It also sizes the
experts from ``d_model`` before it applies the alias ``hidden_size``, building a model
that cannot run when only ``hidden_size`` is given; that is refused too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DEFAULT, DERIVED, Config, Field, Fields
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding, pad_field
from .activations import activation
from .decoder_sizes import Sizes, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "ATTN_FIELDS", "FFN_FIELDS", "from_config", "read", "build", "nested"]

# transformers 5.x DbrxConfig, DbrxAttentionConfig and DbrxFFNConfig
FIELDS = Fields(
    Field("vocab_size", 32000),
    Field("d_model", 2048, aliases=("hidden_size",)),
    Field("n_heads", 16, aliases=("num_attention_heads",)),
    Field("n_layers", 24, aliases=("num_hidden_layers",)),
    Field("max_seq_len", 2048, aliases=("max_position_embeddings",), null=DERIVED),
    Field("tie_word_embeddings", False, kind="bool"),
    Field("attn_config", DERIVED, null=DERIVED, kind="any", types=("object",)),
    Field("ffn_config", DERIVED, null=DERIVED, kind="any", types=("object",)),
    pad_field(None),
    groups={"wte": "embedding", "norm_1": "norm", "norm_2": "norm", "norm_f": "norm", "attn": "attention",
            "ffn": "mlp", "lm_head": "head"},
)
ATTN_FIELDS = Fields(Field("kv_n_heads", 1), Field("rope_theta", DERIVED, kind="number"),
                     Field("clip_qkv", None, null=DEFAULT, kind="number"))
FFN_FIELDS = Fields(
    Field("ffn_hidden_size", 3584),
    Field("moe_num_experts", 4),
    Field("moe_top_k", 1),
    Field("ffn_act_fn", DERIVED, null=DERIVED, kind="any", types=("object",)),
    Field("moe_normalize_expert_weights", 1, null=DERIVED, kind="number", types=("float",)),
)


def nested(cfg: Config, name: str, fields: Fields) -> Config:
    """The object ``name`` as a config of its own (missing or null: every default)."""
    value = cfg.get(name)
    if value is DERIVED:
        value = {}
    if not isinstance(value, dict):
        raise cfg.error(name, "expected an object of fields")
    return Config(value, f"{cfg.source}: {name}", fields)


def read(cfg: Config) -> Reading:
    """The config's sizes, nested attention and MoE settings, checked, with no tree built."""
    if cfg.get("tie_word_embeddings"):
        raise cfg.error("tie_word_embeddings", "is true, which DbrxConfig refuses (DBRX's head is never tied)")
    if cfg.given("hidden_size") and not cfg.given("d_model"):
        raise cfg.error("hidden_size", "is not enough: transformers 5.x sizes DBRX's experts from d_model before it "
                                       "reads hidden_size, so the width must be given as d_model")
    width, n_heads, layers, vocab = (cfg.get(n) for n in ("d_model", "n_heads", "n_layers", "vocab_size"))
    check_padding(cfg, vocab)
    attn_cfg, ffn_cfg = nested(cfg, "attn_config", ATTN_FIELDS), nested(cfg, "ffn_config", FFN_FIELDS)
    if attn_cfg.get("rope_theta") is DERIVED:
        raise attn_cfg.error("rope_theta", "is not given; transformers 5.x reads it when it builds DBRX's attention "
                                           "and fails without it")
    kv = attn_cfg.get("kv_n_heads")
    if n_heads % kv:
        raise attn_cfg.error("kv_n_heads", f"{kv} does not divide n_heads {n_heads}")
    experts, top_k = ffn_cfg.get("moe_num_experts"), ffn_cfg.get("moe_top_k")
    if top_k > experts:
        raise ffn_cfg.error("moe_top_k", f"{top_k} exceeds moe_num_experts {experts}")
    act_fn = ffn_cfg.get("ffn_act_fn")
    if act_fn is DERIVED:
        act_fn = {}
    if not isinstance(act_fn, dict):
        raise ffn_cfg.error("ffn_act_fn", "expected an object with the activation's name")
    act = activation(Config(act_fn, f"{ffn_cfg.source}: ffn_act_fn"), "name", "silu")
    clipped = attn_cfg.get("clip_qkv") is not None
    renorm = ffn_cfg.get("moe_normalize_expert_weights") is not DERIVED
    sizes = Sizes(vocab=vocab, width=width, layers=layers, heads=n_heads, kv_heads=kv, head_dim=width // n_heads,
                  hidden=ffn_cfg.get("ffn_hidden_size"), tied=False, activation=act,
                  head_dim_derived=width % n_heads == 0)
    r = reading("dbrx", sizes, notes=("d_h is d_model // n_heads, as DBRX's attention sizes it",),
                experts=(experts, top_k), clipped=clipped, renorm=renorm)
    return heads.floored_reading(r, width % n_heads != 0)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Block, Embedding, Linear, Model, MoE, Norm, Repeat
    from ..components.fused_attention import FusedAttention
    from ..components.routing import Routing
    from ..symbols import D, E, F, H, H_kv, L, V, d_h, k
    from . import decoder

    shape, values, sizes = dict(r.shape), dict(r.values), sizes_of(r)

    def norm(name: str) -> Norm:
        return Norm(name, D, kind="layer", weight=True, bias=False)

    clipped = shape["clipped"]
    attn = FusedAttention("attn", D, H, H_kv, d_h, q_width=D, fused_names=("Wqkv", "out_proj"),
                          split="dbrx" if clipped else "", clip=clipped)
    expert = MLP("expert", D, F, gated=True, activation=sizes.activation, names=("w1", "v1", "w2"))
    ffn = MoE("ffn", Linear("router", D, E, group="mlp"), expert, E, k,
              routing=Routing(kind="dbrx", cast=True, experts="loop", renorm=shape["renorm"]))
    block = Block("block", (norm("norm_1"), attn, norm("norm_2"), ffn), label="pre-norm MoE block")
    tree = Model("dbrx", (Embedding("wte", V, D), Repeat("blocks", L, block), norm("norm_f"),
                          Linear("lm_head", D, V, group="head")), label="DBRX decoder (fused qkv, sparse MoE)")
    spec = decoder.decoder_spec("dbrx", tree, sizes, experts=(values["E"], values["k"]))
    return heads.floored(spec) if shape["floored"] else spec


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="dbrx",
    rope_head="given",  # a stated head_dim is validated, though the layers use D/H
    summary="DBRX: fused qkv attention, weight-only LayerNorms, a sparse mixture of gated experts",
    model_types=("dbrx",),
    fields=FIELDS,
    build=from_config,
    read=read,
    context="max_seq_len",
    refused="tie_word_embeddings (DbrxConfig refuses it); an attn_config without rope_theta (transformers 5.x "
            "cannot build it); the width given only as hidden_size; null sizes",
)
